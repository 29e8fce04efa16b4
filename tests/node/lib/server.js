'use strict';
// Starts the real `chargekit serve` binary on 127.0.0.1:0 with a fresh SQLite file, as
// tests/python/conftest.py does, and stops it by its PID. The dashboard test (tests/dashboard)
// uses `startServerWith` from here too.

const { spawn } = require('node:child_process');
const fs = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const TARGET = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
const BINARY = process.env.CHARGEKIT_BIN || path.join(TARGET, 'debug', 'chargekit');

const CHARGER_ID = 'NODECP-0001';
const EVSE_ID = 'DE*NOD*E0001*1';
const STARTUP_TIMEOUT_MS = 30_000;
const LOG_LINES_KEPT = 40;

/**
 * Starts a server with one seeded charger (one connector). Resolves to
 * `{ addr, http, ocpp, database, binary, chargerId, evseId, log(), stop() }`.
 */
async function startServer() {
    const config = {
        chargers: [{ charge_point_id: CHARGER_ID, security_profile: 0, evses: [{ connector_id: 1, evse_id: EVSE_ID }] }],
        charger_call_timeout_secs: 10,
    };
    return { ...(await startServerWith(config)), chargerId: CHARGER_ID, evseId: EVSE_ID };
}

/**
 * Starts a server with `config` (bind address and database are set here). Resolves to
 * `{ addr, http, ocpp, database, binary, log(), stop() }`.
 */
async function startServerWith(config) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'chargekit-node-'));
    const database = path.join(dir, 'server.db');
    const configPath = path.join(dir, 'server.json');
    // Unpaid charging, as a free site has it, unless the test configures payments: these suites
    // are about OCPP and the dashboard, not about paying.
    const payments = { unpaid_charging: true };
    await fs.writeFile(configPath, JSON.stringify({ payments, ...config, bind: '127.0.0.1:0', database }));

    const child = spawn(BINARY, ['serve', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The server's log, kept for failure messages.
    const logTail = [];
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
        logTail.push(line.replace(/\x1b\[[0-9;]*m/g, ''));
        if (logTail.length > LOG_LINES_KEPT) logTail.shift();
    });
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const spawnFailed = new Promise((_, reject) => child.once('error', reject));

    const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) {
            process.kill(child.pid, 'SIGTERM');
            const killTimer = setTimeout(() => {
                if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
            }, 10_000);
            await exited;
            clearTimeout(killTimer);
        }
        await fs.rm(dir, { recursive: true, force: true });
    };

    const lines = readline.createInterface({ input: child.stdout });
    let addr;
    try {
        const firstLine = new Promise((resolve) => lines.once('line', resolve));
        const timeout = new Promise((_, reject) => {
            const timer = setTimeout(() => reject(new Error(`no first line from ${BINARY} within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
            timer.unref();
        });
        const died = exited.then(({ code, signal }) => {
            throw new Error(`${BINARY} exited (code ${code}, signal ${signal}) before listening:\n${logTail.join('\n')}`);
        });
        const line = await Promise.race([firstLine, timeout, died, spawnFailed]);
        if (!line.startsWith('listening on ')) {
            throw new Error(`unexpected first line from the server: ${JSON.stringify(line)}`);
        }
        addr = line.slice('listening on '.length).trim();
    } catch (error) {
        await stop();
        throw error;
    }
    // Keep reading stdout so the server never blocks on a full pipe.
    lines.on('line', () => {});

    return {
        addr,
        http: `http://${addr}`,
        ocpp: `ws://${addr}/ocpp`,
        database,
        binary: BINARY,
        log: () => logTail.join('\n'),
        stop,
    };
}

module.exports = { startServer, startServerWith, CHARGER_ID, EVSE_ID };

/**
 * Wraps a test body: starts a fresh server, runs `body(server, t)`, adds the server's last log
 * lines to a failure, and stops the server by its PID.
 */
function withServer(body) {
    return async (t) => {
        const server = await startServer();
        try {
            await body(server, t);
        } catch (error) {
            if (error && typeof error.message === 'string') {
                error.message += `\n--- last lines of the server's log ---\n${server.log()}`;
            }
            throw error;
        } finally {
            await server.stop();
        }
    };
}

module.exports.withServer = withServer;
