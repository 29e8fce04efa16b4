'use strict';
// The operator dashboard in headless Chromium against the real server: data is made through
// the driver API and a raw OCPP charger, an operator signs in on the page, and the SVG the page
// draws is checked against the JSON reports the server returns (bar count, values, segments).
// `chargekit report` is then run on the same database and must print the same totals.

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const { promisify } = require('node:util');
const { chromium } = require('playwright-core');

const { startServer } = require('../lib/server');
const { RawCharger } = require('../lib/charger');

const OPERATOR = { username: 'ops', password: 'a long operator password' };
const CHARGERS = ['DASH-0001', 'DASH-0002', 'DASH-0003'];
const CARD = '04A2B3C4D5E6F7';
// Debian's chromium; the flags keep it from reaching anything but the test server.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'];

const iso = (ms) => new Date(ms).toISOString();

async function json(url, options = {}) {
    const response = await fetch(url, options);
    const body = await response.json();
    assert.ok(response.ok, `${options.method || 'GET'} ${url}: ${response.status} ${JSON.stringify(body)}`);
    return body;
}

function meter(ms, wh, w) {
    return { timestamp: iso(ms), sampledValue: [
        { value: String(wh), unit: 'Wh', measurand: 'Energy.Active.Import.Register' },
        { value: String(w), unit: 'W', measurand: 'Power.Active.Import' },
    ] };
}

/** Sessions, refusals and faults through the real APIs. */
async function makeData(server) {
    const driver = await json(`${server.http}/v1/auth/register`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: 'dana@example.com', password: 'correct horse battery' }),
    });
    const auth = { Authorization: `Bearer ${driver.token}`, 'Content-Type': 'application/json' };
    await json(`${server.http}/v1/tokens`, { method: 'POST', headers: auth, body: JSON.stringify({ kind: 'rfid', uid: CARD }) });

    let answerRemoteStart = 'Accepted';
    const remoteStarts = [];
    const onCall = async (action, payload) => {
        if (action === 'RemoteStartTransaction') {
            remoteStarts.push(payload);
            return { status: answerRemoteStart };
        }
        return { status: 'Accepted' };
    };
    const first = await RawCharger.connect(server.ocpp, CHARGERS[0], onCall);
    const second = await RawCharger.connect(server.ocpp, CHARGERS[1], onCall);
    for (const c of [first, second]) {
        await c.call('BootNotification', { chargePointVendor: 'Test', chargePointModel: 'Raw' });
        await c.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
    }

    // Two app sessions on the first charger, then one it refuses.
    const now = Date.now();
    for (const [i, wh] of [[0, 18_000], [1, 7_500]]) {
        const started = await json(`${server.http}/v1/sessions`, { method: 'POST', headers: auth, body: JSON.stringify({ evse_id: 'DE*DSH*E0001*1' }) });
        assert.equal(started.status, 'starting');
        const idTag = remoteStarts.at(-1).idTag;
        const t0 = now - (3 - i) * 3_600_000;
        const tx = (await first.call('StartTransaction', { connectorId: 1, idTag, meterStart: 1_000, timestamp: iso(t0) })).transactionId;
        await first.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging', timestamp: iso(t0) });
        await first.call('MeterValues', { connectorId: 1, transactionId: tx, meterValue: [meter(t0 + 600_000, 1_000 + wh / 2, 22_000)] });
        await first.call('StopTransaction', { transactionId: tx, meterStop: 1_000 + wh, timestamp: iso(t0 + 1_800_000), reason: 'Remote' });
        await first.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available', timestamp: iso(t0 + 1_800_000) });
    }
    answerRemoteStart = 'Rejected';
    const refused = await fetch(`${server.http}/v1/sessions`, { method: 'POST', headers: auth, body: JSON.stringify({ evse_id: 'DE*DSH*E0001*1' }) });
    assert.equal(refused.status, 409);

    // A card session on the second charger, an unknown card, a fault.
    assert.equal((await second.call('Authorize', { idTag: CARD })).idTagInfo.status, 'Accepted');
    const t1 = now - 5_400_000;
    const tx = (await second.call('StartTransaction', { connectorId: 1, idTag: CARD, meterStart: 0, timestamp: iso(t1) })).transactionId;
    await second.call('StopTransaction', { transactionId: tx, idTag: CARD, meterStop: 11_000, timestamp: iso(t1 + 2_400_000), reason: 'Local' });
    assert.equal((await second.call('Authorize', { idTag: 'DEADBEEF01' })).idTagInfo.status, 'Invalid');
    await second.call('StatusNotification', { connectorId: 1, errorCode: 'GroundFailure', status: 'Faulted' });
    return [first, second];
}

test('the dashboard draws what the reports say', { timeout: 120_000 }, async () => {
    const server = await startServer({
        chargers: [
            { charge_point_id: CHARGERS[0], security_profile: 0, site: 'Depot', evses: [{ connector_id: 1, evse_id: 'DE*DSH*E0001*1' }] },
            { charge_point_id: CHARGERS[1], security_profile: 0, site: 'Depot', evses: [{ connector_id: 1, evse_id: 'DE*DSH*E0002*1' }] },
            { charge_point_id: CHARGERS[2], security_profile: 0, evses: [{ connector_id: 1, evse_id: 'DE*DSH*E0003*1' }] },
        ],
        operators: [OPERATOR],
        charger_call_timeout_secs: 10,
    });
    const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'chargekit-chromium-'));
    let context;
    let chargers = [];
    try {
        chargers = await makeData(server);

        // The JSON the page should show, read with an operator token of our own.
        const operator = await json(`${server.http}/v1/operator/sign-in`, {
            method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(OPERATOR),
        });
        const get = (p) => json(`${server.http}/v1/operator/reports/${p}`, { headers: { Authorization: `Bearer ${operator.token}` } });
        const revenue = await get('revenue?period=day&group_by=total');
        const performance = await get('performance?group_by=charger');
        const authentication = await get('authentication');
        const log = await get('authorization-log?limit=100');
        assert.ok(revenue.rows.length > 0 && log.entries.length > 0, 'the test made data');

        context = await chromium.launchPersistentContext(profile, {
            executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
            headless: true,
            args: CHROMIUM_ARGS,
        });
        const page = context.pages()[0] || await context.newPage();
        const problems = [];
        page.on('pageerror', (error) => problems.push(error.message));
        // Failed loads are checked by URL below; any other console error is a problem.
        page.on('console', (message) => {
            if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
        });
        const failed = [];
        page.on('response', (response) => { if (response.status() >= 400) failed.push(`${response.status()} ${new URL(response.url()).pathname}`); });
        await page.goto(`${server.http}/dashboard/`);

        // A wrong password is refused on the page.
        await page.fill('input[name=username]', OPERATOR.username);
        await page.fill('input[name=password]', 'not the password');
        await page.click('#sign-in-form button[type=submit]');
        await page.waitForFunction(() => document.querySelector('#sign-in-error').textContent.length > 0);
        assert.equal(await page.isHidden('#reports'), true);

        await page.fill('input[name=username]', OPERATOR.username);
        await page.fill('input[name=password]', OPERATOR.password);
        await page.click('#sign-in-form button[type=submit]');
        await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });

        // Revenue over time: one bar per period, its value the period's total incl. VAT.
        const bars = await page.$$eval('#revenue-chart rect.bar', (rects) => rects.map((r) => ({
            period: r.dataset.period, currency: r.dataset.currency, value: Number(r.dataset.value),
            height: Number(r.getAttribute('height')),
        })));
        assert.deepEqual(bars.map(({ period, currency, value }) => ({ period, currency, value })),
            revenue.rows.map((r) => ({ period: r.period, currency: r.currency, value: r.total_incl_vat_minor })));
        assert.ok(bars.every((b) => b.height > 0), 'every period with revenue has a visible bar');
        const tallest = bars.reduce((a, b) => (b.value > a.value ? b : a));
        assert.ok(bars.every((b) => b.height <= tallest.height + 1e-6), 'bar heights follow the values');
        const totalsRow = await page.$$eval('#revenue-totals tbody tr', (rows) => rows.map((r) => r.dataset.currency));
        assert.deepEqual(totalsRow, revenue.totals.map((t) => t.currency));

        // Availability and utilization: one row per charger, segments that add up to the time observed.
        const rows = await page.$$eval('#availability-chart g.charger', (groups) => groups.map((g) => ({
            charger: g.dataset.charger,
            availability: Number(g.dataset.availability),
            utilization: Number(g.dataset.utilization),
            observed: Number(g.dataset.observedMs),
            segments: [...g.querySelectorAll('rect.segment')].map((s) => ({ state: s.dataset.state, ms: Number(s.dataset.ms), width: Number(s.getAttribute('width')) })),
        })));
        assert.deepEqual(rows.map((r) => r.charger), performance.rows.map((r) => r.charger_id));
        // The figures grow with the clock, so the page is checked against its own report: the
        // segments are its states' times, they fill the bar, and the shares are theirs.
        for (const r of rows) {
            const ms = (state) => r.segments.filter((s) => s.state === state).reduce((sum, s) => sum + s.ms, 0);
            if (r.observed > 0) {
                assert.equal(r.segments.reduce((sum, s) => sum + s.ms, 0), r.observed, r.charger);
                assert.ok(Math.abs(r.segments.reduce((sum, s) => sum + s.width, 0) - 520) < 0.1, `${r.charger}: the bar is full width`);
                assert.ok(Math.abs(r.availability - (ms('available') + ms('charging')) / r.observed) < 1e-9, r.charger);
                assert.ok(Math.abs(r.utilization - ms('charging') / r.observed) < 1e-9, r.charger);
            } else {
                assert.deepEqual(r.segments, [], `${r.charger} never connected: nothing observed`);
            }
        }
        assert.equal(rows.find((r) => r.charger === CHARGERS[2]).observed, 0);
        const second = rows.find((r) => r.charger === CHARGERS[1]);
        assert.ok(second.segments.some((s) => s.state === 'faulted'), 'the fault shows');

        // Authorization: a bar per day, the log's rows.
        const days = await page.$$eval('#auth-chart rect.attempts', (rects) => rects.map((r) => ({
            day: r.dataset.day, accepted: Number(r.dataset.accepted), refused: Number(r.dataset.refused) })));
        assert.deepEqual(days, authentication.by_day);
        const logRows = await page.$$eval('#auth-log tbody tr', (trs) => trs.map((tr) => ({ id: Number(tr.dataset.id), result: tr.dataset.result,
            token: tr.children[2].textContent })));
        assert.deepEqual(logRows, log.entries.map((e) => ({ id: e.id, result: e.result, token: e.id_tag })));
        const unknown = await page.$$eval('#unknown-tokens tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
        assert.deepEqual(unknown, ['DEADBEEF01']);
        assert.deepEqual(problems, [], 'no script errors on the page');
        // Only the deliberate wrong password failed (and the browser's own favicon guess).
        assert.deepEqual(failed.filter((f) => f !== '404 /favicon.ico'), ['401 /v1/operator/sign-in']);

        // `chargekit report` on the same database prints the same totals.
        const { stdout } = await promisify(execFile)(server.binary, ['report', 'revenue', '--database', server.database, '--format', 'json', '--group-by', 'total']);
        assert.deepEqual(JSON.parse(stdout).revenue.totals, revenue.totals);
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
