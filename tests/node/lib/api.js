'use strict';
// The driver REST API, through Node's fetch, and a helper to wait on a condition.

const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');

/**
 * Sends one request and checks its status. Resolves to the parsed JSON body (or null when
 * there is none). `expect` is one status or a list of accepted ones.
 */
async function api(server, method, path, { body, token, headers = {}, expect = 200 } = {}) {
    const response = await fetch(`${server.http}${path}`, {
        method,
        headers: {
            ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
            ...(token ? { Authorization: `Bearer ${token}` } : {}),
            ...headers,
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    const expected = Array.isArray(expect) ? expect : [expect];
    assert.ok(
        expected.includes(response.status),
        `${method} ${path} answered ${response.status}, expected ${expected.join(' or ')}: ${text}`,
    );
    if (!text) return null;
    try {
        return JSON.parse(text);
    } catch {
        assert.fail(`${method} ${path} answered ${response.status} with a body that is not JSON: ${text}`);
    }
}

/** Registers a new driver account; resolves to its bearer token. */
async function registerDriver(server, name = 'driver') {
    const email = `${name}-${randomUUID().slice(0, 8)}@example.com`;
    const account = await api(server, 'POST', '/v1/auth/register', {
        body: { email, password: 'correct horse battery' },
        expect: 201,
    });
    assert.equal(typeof account.token, 'string', `register answered no token: ${JSON.stringify(account)}`);
    return account.token;
}

/** The driver's sessions, newest first. */
async function sessionsOf(server, token) {
    const page = await api(server, 'GET', '/v1/sessions', { token });
    assert.ok(Array.isArray(page.sessions), `GET /v1/sessions answered no sessions list: ${JSON.stringify(page)}`);
    return page.sessions;
}

/** Registers an RFID card for the driver (the contract of `POST /v1/tokens`). */
async function registerCard(server, token, uid) {
    const card = await api(server, 'POST', '/v1/tokens', { token, body: { kind: 'rfid', uid }, expect: 201 });
    assert.equal(card.id_tag, uid, `the card's id_tag: ${JSON.stringify(card)}`);
    assert.equal(card.kind, 'rfid', `the card's kind: ${JSON.stringify(card)}`);
    assert.equal(card.status, 'active', `a new card's status: ${JSON.stringify(card)}`);
    return card;
}

/**
 * Polls `probe` until it returns a truthy value; resolves to that value. Fails after
 * `timeoutMs` with `what` and the last value seen.
 */
async function waitFor(what, probe, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
        last = await probe();
        if (last) return last;
        if (Date.now() > deadline) {
            assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
    }
}

/** An ISO 8601 UTC timestamp `offsetMs` from now, whole seconds (what a charger's clock gives). */
function isoAt(offsetMs = 0) {
    const ms = Math.floor((Date.now() + offsetMs) / 1000) * 1000;
    return new Date(ms).toISOString();
}

/**
 * A charger's clock fixed at `base` (ms since the epoch, whole seconds): `at(offsetMs)` is the
 * ISO 8601 UTC timestamp `offsetMs` from it, so differences between timestamps are exact.
 */
function clock(base = Date.now()) {
    const start = Math.floor(base / 1000) * 1000;
    return (offsetMs = 0) => new Date(start + offsetMs).toISOString();
}

/** Asserts two RFC 3339 timestamps name the same instant. */
function assertSameInstant(actual, expected, what) {
    assert.ok(actual, `${what}: missing (expected ${expected})`);
    assert.equal(Date.parse(actual), Date.parse(expected), `${what}: ${actual}, expected ${expected}`);
}

module.exports = { api, registerDriver, registerCard, sessionsOf, waitFor, isoAt, clock, assertSameInstant };
