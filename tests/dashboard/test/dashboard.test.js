'use strict';
// The operator dashboard in headless Chromium against the real server: data is made through
// the driver API and a raw OCPP charger, an operator signs in on the page, and the SVG the page
// draws is checked against the JSON reports the server returns (bar count, values, segments).
// `chargekit report` is then run on the same database and must print the same totals. The page
// is looked at as a newcomer would: at 1280 and 390 px wide (screenshots kept under
// tests/dashboard/screenshots, checked for sideways overflow), with an empty and an invalid
// window, signed out at the end; and `/metrics` with these data passes `promtool check metrics`.

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
const { assertNoSidewaysOverflow } = require('../lib/layout');

const OPERATOR = { username: 'ops', password: 'a long operator password' };
const CHARGERS = ['DASH-0001', 'DASH-0002', 'DASH-0003'];
const CARD = '04A2B3C4D5E6F7';
// Debian's chromium; the flags keep it from reaching anything but the test server.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'];

const iso = (ms) => new Date(ms).toISOString();
const SCREENSHOTS = path.join(__dirname, '..', 'screenshots');
/** Every CALL the server sent the raw chargers, in order. */
const received = [];

/** `promtool check metrics` on a scrape: names, units and types as Prometheus wants them. */
async function promtoolCheckMetrics(text) {
    const child = require('node:child_process').spawn(process.env.PROMTOOL || 'promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.stdin.end(text);
    const code = await new Promise((resolve, reject) => { child.on('error', reject); child.on('close', resolve); });
    return { code, output };
}

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
        received.push({ action, payload });
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
        // Short thresholds: the charger that never connects and the faulted one are alerts soon.
        alerts: { charger_offline_after_secs: 1, connector_faulted_after_secs: 1 },
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

        assert.equal(await page.textContent('#who-name'), OPERATOR.username, 'the operator signed in is named');

        // Alerts: the charger that never connected is offline, the second one's connector faulted.
        await page.waitForSelector(`#alerts-open tr[data-rule="ChargeKitChargerOffline"][data-subject="${CHARGERS[2]}"]`, { timeout: 15_000 });
        await page.waitForSelector(`#alerts-open tr[data-rule="ChargeKitConnectorFaulted"][data-subject="${CHARGERS[1]}/1"]`, { timeout: 15_000 });
        const alertList = await get('../alerts');
        const shownAlerts = await page.$$eval('#alerts-open tbody tr[data-alert]', (trs) => trs.map((tr) => ({ id: Number(tr.dataset.alert), cells: [...tr.children].map((td) => td.textContent) })));
        for (const shown of shownAlerts) {
            const listed = alertList.open.find((a) => a.id === shown.id);
            assert.ok(listed, `alert ${shown.id} is open on the server`);
            assert.equal(shown.cells[3], listed.summary);
        }
        const offlineRow = shownAlerts.find((a) => alertList.open.find((o) => o.id === a.id).subject === CHARGERS[2]);
        assert.deepEqual(offlineRow.cells.slice(1, 3), ['Warning', 'Charger offline'], 'alerts are shown in words');

        // Revenue over time: one bar per period of the window, zero ones included, its value the
        // period's total incl. VAT.
        const bars = await page.$$eval('#revenue-chart rect.bar', (rects) => rects.map((r) => ({
            period: r.dataset.period, currency: r.dataset.currency, value: Number(r.dataset.value),
            height: Number(r.getAttribute('height')),
        })));
        assert.equal(revenue.periods.length, 30, 'the default window is 30 days');
        assert.deepEqual(bars.map((b) => b.period), revenue.periods.map((p) => p.period), 'the whole window, in order');
        assert.deepEqual(bars.filter((b) => b.value > 0).map(({ period, currency, value }) => ({ period, currency, value })),
            revenue.rows.map((r) => ({ period: r.period, currency: r.currency, value: r.total_incl_vat_minor })));
        assert.ok(bars.every((b) => (b.value > 0) === (b.height > 0)), 'every period with revenue has a visible bar, the others none');
        const axisTitles = await page.$$eval('#revenue-chart text.axis-title', (ts) => ts.map((t) => t.textContent));
        assert.deepEqual(axisTitles, ['Revenue incl. VAT (EUR)', 'Day (UTC)']);
        const tallest = bars.reduce((a, b) => (b.value > a.value ? b : a));
        assert.ok(bars.every((b) => b.height <= tallest.height + 1e-6), 'bar heights follow the values');
        const totalsRow = await page.$$eval('#revenue-totals tbody tr', (rows) => rows.map((r) => r.dataset.currency));
        assert.deepEqual(totalsRow, revenue.totals.map((t) => t.currency));
        const perKwhCell = await page.$eval('#revenue-totals tbody tr td:last-child', (td) => td.textContent);
        assert.match(perKwhCell, /€.*\/ kWh/, 'a price per kWh carries its currency');

        // Availability and utilization: one row per charger, segments that add up to the time observed.
        const barWidth = await page.$eval('#availability-chart svg', (s) => Number(s.dataset.barWidth));
        const rows = await page.$$eval('#availability-chart g.charger', (groups) => groups.map((g) => ({
            charger: g.dataset.charger,
            availability: Number(g.dataset.availability),
            utilization: Number(g.dataset.utilization),
            observed: Number(g.dataset.observedMs),
            segments: [...g.querySelectorAll('rect.segment[data-state]')].map((s) => ({ state: s.dataset.state, ms: Number(s.dataset.ms), width: Number(s.getAttribute('width')) })),
            figures: g.querySelector('text.figures').textContent,
        })));
        assert.deepEqual(rows.map((r) => r.charger), performance.rows.map((r) => r.charger_id));
        // The figures grow with the clock, so the page is checked against its own report: the
        // segments are its states' times, they fill the bar, and the shares are theirs.
        for (const r of rows) {
            const ms = (state) => r.segments.filter((s) => s.state === state).reduce((sum, s) => sum + s.ms, 0);
            if (r.observed > 0) {
                assert.equal(r.segments.reduce((sum, s) => sum + s.ms, 0), r.observed, r.charger);
                assert.ok(Math.abs(r.segments.reduce((sum, s) => sum + s.width, 0) - barWidth) < 0.1, `${r.charger}: the bar is full width`);
                assert.ok(Math.abs(r.availability - (ms('available') + ms('charging')) / r.observed) < 1e-9, r.charger);
                assert.ok(Math.abs(r.utilization - ms('charging') / r.observed) < 1e-9, r.charger);
            } else {
                assert.deepEqual(r.segments, [], `${r.charger} never connected: nothing observed`);
            }
        }
        assert.equal(rows.find((r) => r.charger === CHARGERS[2]).observed, 0);
        assert.match(rows.find((r) => r.charger === CHARGERS[2]).figures, /^no data/, 'a charger never seen has no availability, not 0 %');
        const second = rows.find((r) => r.charger === CHARGERS[1]);
        assert.ok(second.segments.some((s) => s.state === 'faulted'), 'the fault shows');

        // Authorization: a bar per day of the window, the log's rows.
        const days = await page.$$eval('#auth-chart rect.attempts', (rects) => rects.map((r) => ({
            day: r.dataset.day, accepted: Number(r.dataset.accepted), refused: Number(r.dataset.refused) })));
        assert.equal(days.length, 30);
        assert.deepEqual(days.filter((d) => d.accepted + d.refused > 0), authentication.by_day);
        assert.deepEqual(await page.$$eval('#auth-legend li', (lis) => lis.map((li) => li.textContent)), ['Accepted', 'Refused']);
        // Every decision is logged, the app's starts too (two accepted, one the charger refused).
        const appEntries = log.entries.filter((e) => e.method === 'app').map((e) => e.result).sort();
        assert.deepEqual(appEntries, ['Accepted', 'Accepted', 'Failed']);
        const appMethod = authentication.by_method.find((m) => m.method === 'app');
        assert.equal(appMethod.attempts, appEntries.length, 'the log has every app attempt the figures count');
        const logRows = await page.$$eval('#auth-log tbody tr', (trs) => trs.map((tr) => ({ id: Number(tr.dataset.id), result: tr.dataset.result,
            token: tr.children[2].textContent })));
        assert.deepEqual(logRows, log.entries.map((e) => ({ id: e.id, result: e.result, token: e.id_tag })));
        const unknown = await page.$$eval('#unknown-tokens tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
        assert.deepEqual(unknown, ['DEADBEEF01']);
        // Sessions: the window's sessions listed; one opened shows the curve of its stored samples
        // and its bill's lines.
        const found = await get('../sessions?limit=50');
        const listed = await page.$$eval('#session-list tbody tr', (trs) => trs.map((tr) => tr.dataset.session));
        assert.deepEqual(listed, found.sessions.map((f) => f.session.id));
        const completedApp = found.sessions.find((f) => f.session.status === 'completed' && f.session.auth_method === 'app');
        const detail = await get(`../sessions/${completedApp.session.id}`);
        assert.ok(detail.samples.length > 0, 'the session has meter samples');
        await page.click(`#session-list tr[data-session="${completedApp.session.id}"] button`);
        await page.waitForSelector(`#session-detail[data-session="${completedApp.session.id}"]:not([hidden])`);
        const points = await page.$$eval('#session-curve circle.sample', (cs) => cs.map((c) => ({ at: c.dataset.at, power_w: Number(c.dataset.powerW), energy_wh: Number(c.dataset.energyWh) })));
        assert.deepEqual(points, detail.samples, 'the curve is the stored samples');
        assert.equal(await page.$$eval('#session-curve polyline.power', (ls) => ls.length), 1);
        const lines = await page.$$eval('#session-lines tbody tr', (trs) => trs.map((tr) => tr.dataset.dimension));
        assert.deepEqual(lines, detail.session.cost.items.map((i) => i.dimension));
        assert.match(await page.textContent('#session-facts'), /dana@example\.com/);
        // The transaction's OCPP messages, both directions, as the server keeps them.
        await page.waitForSelector(`#session-messages[data-session="${completedApp.session.id}"] tbody tr[data-message]`);
        const sessionMessages = await get(`../sessions/${completedApp.session.id}/messages`);
        const shownMessages = await page.$$eval('#session-messages tbody tr', (trs) => trs.map((tr) => [tr.dataset.direction, tr.dataset.kind, tr.dataset.action]));
        assert.deepEqual(shownMessages, sessionMessages.messages.map((m) => [m.direction, m.kind, m.action]));
        assert.deepEqual(shownMessages.filter(([, k]) => k === 'call').map(([d, , a]) => `${d} ${a}`),
            ['out RemoteStartTransaction', 'in StartTransaction', 'in MeterValues', 'in StopTransaction']);
        // A filter narrows the list: the failed start only.
        await page.selectOption('#session-search select[name=status]', 'failed');
        await page.click('#session-search button[type=submit]');
        await page.waitForFunction(() => document.querySelectorAll('#session-list tbody tr').length === 1);
        const failedRow = await page.$eval('#session-list tbody tr', (tr) => tr.children[2].textContent);
        assert.equal(failedRow, 'Failed');
        await page.selectOption('#session-search select[name=status]', '');

        // The charger page: its boot, status over time, and a command sent from a button (after a
        // confirmation) reaches the charger and is in the audit log with the operator's name.
        await page.click(`#performance-table tr[data-charger="${CHARGERS[1]}"] button`);
        await page.waitForSelector(`#charger[data-charger="${CHARGERS[1]}"]:not([hidden])`);
        assert.match(await page.textContent('#charger-facts'), /Test Raw/);
        const segments = await page.$$eval('#charger-timeline rect.segment', (rs) => rs.map((r) => r.dataset.status));
        assert.ok(segments.includes('Faulted') && segments.includes('Available'), `the timeline shows the fault: ${segments}`);
        const before = received.length;
        await page.click('#charger-commands button[data-command*="Soft"]');
        assert.match(await page.textContent('#confirm-text'), new RegExp(`Reset \\(Soft\\) to ${CHARGERS[1]}`));
        await page.click('#confirm-command button[value=cancel]');
        await page.waitForTimeout(200);
        assert.equal(received.length, before, 'a cancelled command is not sent');
        await page.click('#charger-commands button[data-command*="Soft"]');
        await page.click('#confirm-send');
        await page.waitForSelector('#charger-audit tbody tr[data-action="Reset"]');
        assert.deepEqual(received.slice(before), [{ action: 'Reset', payload: { type: 'Soft' } }], 'the command reached the charger');
        assert.match(await page.textContent('#command-result'), /answered: Accepted/);
        const auditRow = await page.$eval('#charger-audit tbody tr[data-action="Reset"]', (tr) => [...tr.children].map((td) => td.textContent));
        assert.deepEqual(auditRow.slice(1, 4), [OPERATOR.username, 'Reset (Soft)', 'answered']);
        // The charger's message log, newest first: the command and its answer on top.
        await page.waitForSelector(`#charger-messages[data-charger="${CHARGERS[1]}"] tbody tr[data-action="Reset"]`);
        const messageLog = await page.$$eval('#charger-messages tbody tr', (trs) => trs.map((tr) => [tr.dataset.direction, tr.dataset.kind, tr.dataset.action]));
        assert.deepEqual(messageLog.slice(0, 2), [['in', 'result', 'Reset'], ['out', 'call', 'Reset']]);
        const storedLog = await get(`../chargers/${CHARGERS[1]}/messages?limit=50`);
        assert.deepEqual(messageLog, storedLog.messages.map((m) => [m.direction, m.kind, m.action]), 'the page shows the stored log');
        assert.ok(messageLog.some(([d, k, a]) => d === 'in' && k === 'call' && a === 'BootNotification'), 'the boot is in the log');

        // Operators read words, not the API's names.
        const text = await page.innerText('#reports');
        for (const raw of ['plug_and_charge', 'ConcurrentTx', 'rfid']) assert.ok(!text.includes(raw), `"${raw}" is shown raw`);
        assert.ok(text.includes('Plug & Charge') && text.includes('RFID card'));

        // At a laptop's and a phone's width: nothing reaches past the screen.
        await fs.mkdir(SCREENSHOTS, { recursive: true });
        for (const width of [1280, 390]) {
            await page.setViewportSize({ width, height: 900 });
            await page.waitForTimeout(400); // the charts are redrawn at the new width
            await page.screenshot({ path: path.join(SCREENSHOTS, `dashboard-${width}.png`), fullPage: true });
            await assertNoSidewaysOverflow(page, `${width} px`);
        }

        // A window with nothing in it says so in every table.
        await page.fill('#controls input[name=from]', '2026-01-01');
        await page.fill('#controls input[name=to]', '2026-01-31');
        await page.click('#controls button[type=submit]');
        await page.waitForSelector('body[data-loaded="true"]');
        const empties = await page.$$eval('#reports article.report tbody, #session-list tbody', (bodies) => bodies.map((b) => [b.closest('table').id, b.querySelector('tr.empty td')?.textContent ?? null]));
        for (const [table, message] of empties) {
            // Chargers and the three ways to authorize are listed even with nothing in the window.
            if (!['performance-table', 'auth-methods'].includes(table)) assert.ok(message && message.length > 0, `${table} says it is empty`);
        }
        assert.equal(await page.textContent('#revenue-chart .empty'), 'No completed sessions in this window.');

        // An invalid window shows the server's reason and no chart from the window before.
        await page.fill('#controls input[name=from]', '2026-02-10');
        await page.fill('#controls input[name=to]', '2026-02-01');
        await page.click('#controls button[type=submit]');
        await page.waitForSelector('body[data-loaded="error"]');
        assert.match(await page.textContent('#status'), /after/);
        assert.equal(await page.$$eval('#reports svg', (svgs) => svgs.length), 0, 'no chart stays up');
        assert.equal(await page.$$eval('#reports tbody tr', (trs) => trs.length), 0, 'no table row stays up');

        // The page's icon is its own (the browser asks no /favicon.ico).
        assert.equal((await fetch(`${server.http}/dashboard/favicon.svg`)).headers.get('content-type'), 'image/svg+xml');

        // Sign-out ends the sign-in on the server too.
        const pageToken = await page.evaluate(async () => {
            const seen = [];
            const original = window.fetch;
            window.fetch = (url, options) => { seen.push(options?.headers?.Authorization); return original(url, options); };
            document.querySelector('#sign-out').click();
            await new Promise((resolve) => setTimeout(resolve, 300));
            window.fetch = original;
            return seen[0];
        });
        await page.waitForSelector('#sign-in:not([hidden])');
        assert.equal(await page.isHidden('#who'), true);
        assert.ok(pageToken && pageToken.startsWith('Bearer '), 'the sign-out presented the page\'s token');
        const afterSignOut = await fetch(`${server.http}/v1/operator/reports/revenue`, { headers: { Authorization: pageToken } });
        assert.equal(afterSignOut.status, 401, 'the signed-out token is refused');

        assert.deepEqual(problems, [], 'no script errors on the page');
        // Only the deliberate wrong password and the invalid window failed.
        assert.deepEqual(failed.filter((f) => !f.startsWith('422 /v1/operator/reports/')), ['401 /v1/operator/sign-in']);
        assert.ok(failed.some((f) => f.startsWith('422 /v1/operator/reports/')), 'the invalid window was refused by the server');

        // The metrics of these data are what Prometheus accepts.
        const scrape = await fetch(`${server.http}/metrics`, { headers: { Authorization: `Bearer ${operator.token}` } }).then((r) => r.text());
        assert.ok(scrape.includes('chargekit_energy_delivered_joules_total{'), 'the scrape has energy samples');
        const promtool = await promtoolCheckMetrics(scrape);
        assert.equal(promtool.code, 0, `promtool check metrics: ${promtool.output}`);
        // The Grafana dashboard and the alert rules we ship ask only for metrics the server has.
        const exported = new Set([...scrape.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
        const repo = path.join(__dirname, '..', '..', '..');
        const grafana = JSON.parse(await fs.readFile(path.join(repo, 'deploy/grafana/chargekit-dashboard.json'), 'utf8'));
        const alerts = await fs.readFile(path.join(repo, 'deploy/prometheus/chargekit-alerts.yml'), 'utf8');
        const queries = [...grafana.panels.flatMap((p) => p.targets.map((t) => t.expr)), alerts];
        const asked = new Set(queries.flatMap((q) => [...q.matchAll(/\bchargekit_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''))));
        assert.ok(asked.size >= 15, `the dashboard and the rules use the metrics: ${[...asked]}`);
        for (const name of asked) assert.ok(exported.has(name), `${name} is asked for but not exported`);

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
