'use strict';
// The fleet board under a fleet: starts `chargekit serve` seeding N load chargers on 10 sites
// (plus one probe charger and an operator), lets `chargekit-load` connect them and send
// MeterValues and Heartbeats, then measures:
//   - the snapshot (GET /v1/operator/fleet): bytes and time, 5 times;
//   - the latency from a charger's StatusNotification (the probe's, sent while the fleet runs)
//     to the `changes` event on an SSE client (this script), 50 times;
//   - the stream's cost while the fleet runs: batches and bytes per second, chargers per batch;
//   - in headless Chromium: the first paint (sign-in click to every row drawn) and the page's
//     time to apply each batch over 30 s.
// Usage (from the repository root; docs/benchmarks.md has the figures):
//   CHARGEKIT_BIN=target/release/chargekit LOAD_BIN=target/release/chargekit-load \
//     node bench/fleet-board.js 10000
// Node modules (ws, playwright-core) come from tests/dashboard (run its `npm ci` first).

const { spawn } = require('node:child_process');
const fs = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { createRequire } = require('node:module');

const ROOT = path.resolve(__dirname, '..');
const dashboardRequire = createRequire(path.join(ROOT, 'tests', 'dashboard', 'package.json'));
const WebSocket = dashboardRequire('ws');
const { chromium } = dashboardRequire('playwright-core');

const N = Number(process.argv[2] || 10_000);
const BIN = process.env.CHARGEKIT_BIN || path.join(ROOT, 'target', 'release', 'chargekit');
const LOAD = process.env.LOAD_BIN || path.join(ROOT, 'target', 'release', 'chargekit-load');
const OPERATOR = { username: 'bench', password: 'a long bench password' };
const PROBE = 'PROBE-0001';
const SITES = 10;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pct = (values, p) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const summary = (values) => `p50 ${pct(values, 50).toFixed(1)} ms, p99 ${pct(values, 99).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms (n=${values.length})`;

async function main() {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'chargekit-fleet-bench-'));
    const chargers = [];
    for (let n = 1; n <= N; n++) {
        chargers.push({ charge_point_id: `LOAD-${String(n).padStart(5, '0')}`, security_profile: 0, site: `Site ${String(n % SITES).padStart(2, '0')}`,
            evses: [{ connector_id: 1, evse_id: `DE*LOD*E${n}*1` }] });
    }
    chargers.push({ charge_point_id: PROBE, security_profile: 0, site: 'Site 00', evses: [{ connector_id: 1, evse_id: 'DE*PRB*E1*1' }] });
    const sites = [...Array(SITES).keys()].map((i) => ({ name: `Site ${String(i).padStart(2, '0')}`, latitude: 48 + (i % 5), longitude: 8 + Math.floor(i / 5) * 3 }));
    const config = { bind: '127.0.0.1:0', database: path.join(dir, 'server.db'), chargers, sites, operators: [OPERATOR], heartbeat_interval_secs: 60,
        payments: { unpaid_charging: true } };
    await fs.writeFile(path.join(dir, 'server.json'), JSON.stringify(config));

    const server = spawn(BIN, ['serve', '--config', path.join(dir, 'server.json')], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, RUST_LOG: 'warn' } });
    let load;
    let browser;
    try {
        const started = Date.now();
        const line = await new Promise((resolve) => readline.createInterface({ input: server.stdout }).once('line', resolve));
        const addr = line.replace('listening on ', '').trim();
        const http = `http://${addr}`;
        console.log(`server pid ${server.pid} listening on ${addr} after ${((Date.now() - started) / 1000).toFixed(1)} s (${N} chargers seeded)`);
        const { token } = await (await fetch(`${http}/v1/operator/sign-in`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(OPERATOR) })).json();
        const auth = { Authorization: `Bearer ${token}` };

        load = spawn(LOAD, ['--url', `ws://${addr}/ocpp`, '--connections', String(N), '--hold-secs', '600'], { stdio: ['ignore', 'ignore', 'ignore'] });
        const rampStart = Date.now();
        for (;;) {
            const snapshot = await (await fetch(`${http}/v1/operator/fleet`, { headers: auth })).json();
            if (snapshot.counts.online >= N) break;
            if (Date.now() - rampStart > 600_000) throw new Error(`only ${snapshot.counts.online} chargers online after 10 minutes`);
            await sleep(2000);
        }
        console.log(`${N} chargers online after ${((Date.now() - rampStart) / 1000).toFixed(1)} s; waiting 20 s for a steady state`);
        await sleep(20_000);

        // The snapshot.
        const times = [];
        let bytes = 0;
        for (let i = 0; i < 5; i++) {
            const t0 = performance.now();
            const body = await (await fetch(`${http}/v1/operator/fleet`, { headers: auth })).text();
            times.push(performance.now() - t0);
            bytes = Buffer.byteLength(body);
        }
        console.log(`snapshot: ${(bytes / 1024 / 1024).toFixed(2)} MiB, ${summary(times)} (request to last byte)`);

        // The stream: latency from the probe's StatusNotification to its change, and its cost.
        const probe = new WebSocket(`ws://${addr}/ocpp/${PROBE}`, 'ocpp1.6');
        await new Promise((resolve, reject) => { probe.once('open', resolve); probe.once('error', reject); });
        let nextId = 1;
        const answers = new Map();
        probe.on('message', (data) => { const f = JSON.parse(data); if (f[0] === 3) answers.get(f[1])?.(); });
        const call = (action, payload) => new Promise((resolve) => { const id = `p${nextId++}`; answers.set(id, resolve); probe.send(JSON.stringify([2, id, action, payload])); });
        await call('BootNotification', { chargePointVendor: 'Bench', chargePointModel: 'Probe' });

        const controller = new AbortController();
        const response = await fetch(`${http}/v1/operator/fleet/events`, { headers: { ...auth, Accept: 'text/event-stream' }, signal: controller.signal });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        const stream = { batches: 0, bytes: 0, chargers: 0, waiting: null };
        (async () => {
            let buffer = '';
            for (;;) {
                const { value, done } = await reader.read().catch(() => ({ done: true }));
                if (done) return;
                buffer += value;
                let end;
                while ((end = buffer.indexOf('\n\n')) >= 0) {
                    const block = buffer.slice(0, end);
                    buffer = buffer.slice(end + 2);
                    if (!block.startsWith('event: changes')) continue;
                    const data = JSON.parse(block.slice(block.indexOf('data:') + 5));
                    stream.batches += 1;
                    stream.bytes += block.length;
                    stream.chargers += data.chargers.length;
                    const probed = data.chargers.find((c) => c.charger_id === PROBE);
                    if (probed && stream.waiting && probed.connectors[0]?.status === stream.waiting.status) stream.waiting.resolve(performance.now());
                }
            }
        })();
        const latencies = [];
        for (let i = 0; i < 50; i++) {
            const status = i % 2 ? 'Available' : 'Unavailable';
            const seen = new Promise((resolve) => { stream.waiting = { status, resolve }; });
            const t0 = performance.now();
            await call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status });
            latencies.push((await seen) - t0);
            await sleep(200 + Math.random() * 300);
        }
        console.log(`StatusNotification sent → its change on the SSE client: ${summary(latencies)}`);
        const before = { ...stream };
        await sleep(30_000);
        const secs = 30;
        console.log(`stream while the fleet runs: ${((stream.batches - before.batches) / secs).toFixed(1)} batches/s, `
            + `${((stream.chargers - before.chargers) / (stream.batches - before.batches)).toFixed(1)} chargers per batch, `
            + `${((stream.bytes - before.bytes) / secs / 1024).toFixed(1)} KiB/s`);
        controller.abort();

        // The page: first paint and the cost of applying each batch.
        browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
            args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'] });
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(`${http}/dashboard/`);
        await page.fill('input[name=username]', OPERATOR.username);
        await page.fill('input[name=password]', OPERATOR.password);
        const t0 = Date.now();
        await page.click('#sign-in-form button[type=submit]');
        await page.waitForFunction((n) => document.querySelectorAll('#fleet-table tbody tr[data-charger]').length >= n, N + 1, { timeout: 120_000, polling: 50 });
        console.log(`page: sign-in click → all ${N + 1} rows drawn: ${Date.now() - t0} ms`);
        await page.evaluate(() => {
            window.benchBatches = [];
            const apply = window.applyChanges;
            window.applyChanges = (batch) => { const s = performance.now(); apply(batch); window.benchBatches.push([performance.now() - s, batch.chargers.length]); };
        });
        await sleep(30_000);
        const batches = await page.evaluate(() => window.benchBatches);
        console.log(`page: applying a batch: ${summary(batches.map(([ms]) => ms))}, ${(batches.reduce((s, [, n]) => s + n, 0) / batches.length).toFixed(1)} chargers per batch`);
        probe.close();
    } finally {
        if (browser) await browser.close();
        if (load && load.exitCode === null) process.kill(load.pid, 'SIGTERM');
        if (server.exitCode === null) process.kill(server.pid, 'SIGTERM');
        await sleep(2000);
        await fs.rm(dir, { recursive: true, force: true });
    }
}

main().catch((error) => { console.error(error); process.exitCode = 1; });
