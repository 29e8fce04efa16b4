'use strict';
// The fleet board and today's live revenue in headless Chromium against the real server: raw
// OCPP chargers change status and meter a session, and the page, fed by the server's stream,
// follows (each change awaited in the DOM, with a generous bound: not a timed assertion). The
// counts, the filters, the sites' map and the money are checked against the server's snapshot;
// the page is looked at at 1280 and 390 px (screenshots kept, checked for sideways overflow).

const assert = require('node:assert/strict');
const fs = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const { chromium } = require('playwright-core');

const { startServer } = require('../lib/server');
const { RawCharger } = require('../lib/charger');
const { assertNoSidewaysOverflow } = require('../lib/layout');

const OPERATOR = { username: 'ops', password: 'a long operator password' };
const CARD = '04A2B3C4D5E6F7';
const EMAIL = 'fleet@example.com';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'];
const SCREENSHOTS = path.join(__dirname, '..', 'screenshots');
// Generous: how long the page may take to show a change before the test gives up.
const CHANGE_BOUND = { timeout: 15_000 };

const iso = (ms) => new Date(ms).toISOString();

async function json(url, options = {}) {
    const response = await fetch(url, options);
    const body = await response.json();
    assert.ok(response.ok, `${options.method || 'GET'} ${url}: ${response.status} ${JSON.stringify(body)}`);
    return body;
}

/** The counts at the top of the board, as the page shows them. */
async function countsOnPage(page) {
    return page.$$eval('#fleet-counts li', (lis) => Object.fromEntries(lis.map((li) => [li.dataset.count, Number(li.querySelector('strong').textContent)])));
}

async function visibleChargers(page) {
    return page.$$eval('#fleet-table tbody tr[data-charger]', (trs) => trs.filter((tr) => !tr.hidden).map((tr) => tr.dataset.charger));
}

test('the fleet board follows the chargers live, filters and counts', { timeout: 120_000 }, async () => {
    const server = await startServer({
        chargers: [
            { charge_point_id: 'FLEET-0001', security_profile: 0, site: 'Depot', evses: [{ connector_id: 1, evse_id: 'DE*FLT*E0001*1' }] },
            { charge_point_id: 'FLEET-0002', security_profile: 0, site: 'Depot', evses: [{ connector_id: 1, evse_id: 'DE*FLT*E0002*1' }] },
            { charge_point_id: 'FLEET-0003', security_profile: 0, site: 'Harbour', evses: [{ connector_id: 1, evse_id: 'DE*FLT*E0003*1' }] },
        ],
        sites: [{ name: 'Depot', latitude: 52.52, longitude: 13.40 }, { name: 'Harbour', latitude: 53.54, longitude: 9.99 }],
        operators: [OPERATOR],
        charger_call_timeout_secs: 10,
    });
    const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'chargekit-chromium-'));
    let context;
    const chargers = [];
    try {
        const driver = await json(`${server.http}/v1/auth/register`, {
            method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: EMAIL, password: 'correct horse battery' }),
        });
        await json(`${server.http}/v1/tokens`, {
            method: 'POST', headers: { Authorization: `Bearer ${driver.token}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({ kind: 'rfid', uid: CARD }),
        });
        const operator = await json(`${server.http}/v1/operator/sign-in`, {
            method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(OPERATOR),
        });
        const snapshot = () => json(`${server.http}/v1/operator/fleet`, { headers: { Authorization: `Bearer ${operator.token}` } });

        const answer = async () => ({ status: 'Accepted' });
        const first = await RawCharger.connect(server.ocpp, 'FLEET-0001', answer);
        const second = await RawCharger.connect(server.ocpp, 'FLEET-0002', answer);
        chargers.push(first, second);
        for (const c of [first, second]) {
            await c.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'Fast 50', firmwareVersion: '1.2.3' });
            await c.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
        }

        context = await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
        const page = context.pages()[0] || await context.newPage();
        const problems = [];
        page.on('pageerror', (error) => problems.push(error.message));
        page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
        await page.goto(`${server.http}/dashboard/`);
        await page.fill('input[name=username]', OPERATOR.username);
        await page.fill('input[name=password]', OPERATOR.password);
        await page.click('#sign-in-form button[type=submit]');
        await page.waitForSelector('#fleet-table tbody tr[data-charger="FLEET-0003"]', CHANGE_BOUND);

        // The first paint: every charger, the counts of the server's snapshot, the sites' map.
        const server0 = await snapshot();
        assert.deepEqual(await countsOnPage(page), { online: 2, charging: 0, faulted: 0, offline: 1 });
        assert.deepEqual({ online: server0.counts.online, charging: server0.counts.charging, faulted: server0.counts.faulted, offline: server0.counts.offline },
            await countsOnPage(page));
        assert.deepEqual(await visibleChargers(page), ['FLEET-0001', 'FLEET-0002', 'FLEET-0003']);
        assert.deepEqual(await page.$$eval('#fleet-map g.site', (gs) => gs.map((g) => g.dataset.site)), ['Depot', 'Harbour']);
        assert.match(await page.textContent('#fleet-table tr[data-charger="FLEET-0001"]'), /Acme Fast 50 · fw 1\.2\.3/);

        // A StatusNotification: the row, the counts and the site's dot follow.
        await second.call('StatusNotification', { connectorId: 1, errorCode: 'GroundFailure', status: 'Faulted' });
        await page.waitForSelector('#fleet-table tr[data-charger="FLEET-0002"][data-state="faulted"]', CHANGE_BOUND);
        assert.match(await page.textContent('#fleet-table tr[data-charger="FLEET-0002"]'), /Faulted \(GroundFailure\)/);
        assert.deepEqual(await countsOnPage(page), { online: 2, charging: 0, faulted: 1, offline: 1 });
        assert.equal(await page.getAttribute('#fleet-map g.site[data-site="Depot"]', 'class'), 'site state-faulted');

        // A card session's MeterValues: energy, power, running cost and method on the board, the
        // running cost in today's revenue.
        await first.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' });
        const t0 = Date.now() - 1_800_000;
        const tx = (await first.call('StartTransaction', { connectorId: 1, idTag: CARD, meterStart: 0, timestamp: iso(t0) })).transactionId;
        await first.call('MeterValues', { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: iso(t0 + 1_200_000), sampledValue: [
            { value: '12500', unit: 'Wh', measurand: 'Energy.Active.Import.Register' },
            { value: '37500', unit: 'W', measurand: 'Power.Active.Import' },
        ] }] });
        // Numbers as the page formats them in this browser's locale (app.js's own helpers).
        const energy = await page.evaluate(() => kwh(12_500));
        await page.waitForFunction((text) => (document.querySelector('#fleet-table tr[data-charger="FLEET-0001"]')?.textContent ?? '').includes(text), energy, CHANGE_BOUND);
        const metered = await snapshot();
        const session = metered.chargers.find((c) => c.charger_id === 'FLEET-0001').connectors[0].session;
        const row = await page.textContent('#fleet-table tr[data-charger="FLEET-0001"]');
        assert.deepEqual([session.energy_wh, session.power_w, session.auth_method], [12_500, 37_500, 'rfid']);
        assert.match(row, /37[.,]5 kW/);
        assert.match(row, /RFID card/);
        const shown = new Map();
        for (const minor of [0, session.cost_incl_vat_minor]) shown.set(minor, await page.evaluate((m) => money(m, 'EUR'), minor));
        const euros = (minor) => shown.get(minor);
        assert.ok(session.cost_incl_vat_minor > 0 && row.includes(euros(session.cost_incl_vat_minor)), `${row} shows ${euros(session.cost_incl_vat_minor)}`);
        assert.deepEqual(await countsOnPage(page), { online: 2, charging: 1, faulted: 1, offline: 1 });
        await page.waitForSelector('#live-revenue-chargers tr[data-charger="FLEET-0001"]', CHANGE_BOUND);
        const depot = await page.$$eval('#live-revenue-sites tr[data-site="Depot"] td', (tds) => tds.map((td) => td.textContent));
        assert.deepEqual(depot, ['Depot', `0 · ${euros(0)}`, `1 · ${euros(session.cost_incl_vat_minor)}`, euros(session.cost_incl_vat_minor)]);

        // The session ends: its bill moves to completed today.
        await first.call('StopTransaction', { transactionId: tx, idTag: CARD, meterStop: 14_000, timestamp: iso(t0 + 1_500_000), reason: 'Local' });
        await page.waitForFunction(() => document.querySelector('#live-revenue-sites tr[data-site="Depot"] td:nth-child(2)')?.textContent.startsWith('1 ·'), null, CHANGE_BOUND);
        const ended = await snapshot();
        const billed = ended.revenue_today.find((r) => r.site === 'Depot');
        shown.set(billed.completed_minor, await page.evaluate((m) => money(m, 'EUR'), billed.completed_minor));
        assert.equal(billed.in_progress_minor, 0);
        assert.deepEqual(await page.$$eval('#live-revenue-sites tr[data-site="Depot"] td', (tds) => tds.map((td) => td.textContent)),
            ['Depot', `1 · ${euros(billed.completed_minor)}`, `0 · ${euros(0)}`, euros(billed.completed_minor)]);

        // Filters: by site, by state, both.
        await page.selectOption('#fleet-filter select[name=site]', 'Harbour');
        assert.deepEqual(await visibleChargers(page), ['FLEET-0003']);
        await page.selectOption('#fleet-filter select[name=site]', 'Depot');
        await page.selectOption('#fleet-filter select[name=state]', 'faulted');
        assert.deepEqual(await visibleChargers(page), ['FLEET-0002']);
        await page.selectOption('#fleet-filter select[name=site]', '');
        await page.selectOption('#fleet-filter select[name=state]', 'offline');
        assert.deepEqual(await visibleChargers(page), ['FLEET-0003']);
        // A charger going away moves under the filter it now matches.
        second.close();
        await page.waitForFunction(() => !document.querySelector('#fleet-table tr[data-charger="FLEET-0002"]').hidden, null, CHANGE_BOUND);
        assert.deepEqual(await visibleChargers(page), ['FLEET-0002', 'FLEET-0003']);
        // FLEET-0001 last reported Charging: it counts as charging until it says otherwise.
        assert.deepEqual(await countsOnPage(page), { online: 1, charging: 1, faulted: 0, offline: 2 });
        await page.selectOption('#fleet-filter select[name=state]', '');

        // Who charged is not on the board.
        const text = await page.innerText('#live');
        for (const secret of [CARD, EMAIL]) assert.ok(!text.includes(secret), `${secret} is on the board`);

        await fs.mkdir(SCREENSHOTS, { recursive: true });
        for (const width of [1280, 390]) {
            await page.setViewportSize({ width, height: 900 });
            await page.waitForTimeout(400); // the map is redrawn at the new width
            await page.screenshot({ path: path.join(SCREENSHOTS, `fleet-${width}.png`), fullPage: true });
            await assertNoSidewaysOverflow(page, `fleet board at ${width} px`);
        }
        assert.deepEqual(problems, [], 'no script errors on the page');
    } catch (error) {
        if (error && typeof error.message === 'string') error.message += `\n--- last lines of the server's log ---\n${server.log()}`;
        throw error;
    } finally {
        for (const c of chargers) c.close();
        if (context) await context.close();
        await fs.rm(profile, { recursive: true, force: true });
        await server.stop();
    }
});
