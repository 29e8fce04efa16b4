'use strict';
// Starts the real `chargekit serve` binary on 127.0.0.1:0 with a fresh SQLite file and the
// configuration given, and stops it by its PID (as tests/node/lib/server.js does).

const { spawn } = require('node:child_process');
const fs = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const TARGET = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
const BINARY = process.env.CHARGEKIT_BIN || path.join(TARGET, 'debug', 'chargekit');
const STARTUP_TIMEOUT_MS = 30_000;
const LOG_LINES_KEPT = 40;

/** Resolves to `{ http, ocpp, database, binary, log(), stop() }`. */
async function startServer(config) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'chargekit-dashboard-'));
    const database = path.join(dir, 'server.db');
    const configPath = path.join(dir, 'server.json');
    await fs.writeFile(configPath, JSON.stringify({ bind: '127.0.0.1:0', database, ...config }));

    const child = spawn(BINARY, ['serve', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
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
            setTimeout(() => reject(new Error(`no first line from ${BINARY} within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS).unref();
        });
        const died = exited.then(({ code, signal }) => {
            throw new Error(`${BINARY} exited (code ${code}, signal ${signal}) before listening:\n${logTail.join('\n')}`);
        });
        const line = await Promise.race([firstLine, timeout, died, spawnFailed]);
        if (!line.startsWith('listening on ')) throw new Error(`unexpected first line from the server: ${JSON.stringify(line)}`);
        addr = line.slice('listening on '.length).trim();
    } catch (error) {
        await stop();
        throw error;
    }
    lines.on('line', () => {});
    return { http: `http://${addr}`, ocpp: `ws://${addr}/ocpp`, database, binary: BINARY, log: () => logTail.join('\n'), stop };
}

module.exports = { startServer };
