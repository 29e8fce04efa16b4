'use strict';
// Malformed frames, sent as raw text over a plain WebSocket to the OCPP endpoint. The server
// must answer each CALL it cannot accept with the CALLERROR that OCPP-J 1.6 §4.2.3 names
// (codes spelled as in 1.6, `FormationViolation` and `OccurenceConstraintViolation`; the
// OCPP-J 1.6 errata keep those spellings), never answer a CALLRESULT, and stay connected.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const WebSocket = require('ws');
const { withServer } = require('../lib/server');
const { assertCallError, assertSchema } = require('../lib/charger');

const NOW = new Date().toISOString();

/**
 * [frame text, expected code, expected message id]. A frame whose message id cannot be read
 * is answered with the id "-1" (ocpp-rpc's and OCPP 2.0.1's convention; OCPP-J 1.6 is silent).
 */
const CASES = [
    // Not JSON, or not an OCPP-J array.
    ['this is not JSON', 'FormationViolation', '-1'],
    ['{"messageTypeId": 2}', 'FormationViolation', '-1'],
    ['[2, 17, "Heartbeat", {}]', 'FormationViolation', '-1'],
    ['[2, "short", "Heartbeat"]', 'FormationViolation', 'short'],
    ['[2, "long", "Heartbeat", {}, {}]', 'FormationViolation', 'long'],
    ['[2, "array-payload", "Heartbeat", []]', 'FormationViolation', 'array-payload'],
    // An action OCPP 1.6 does not define: "not known by receiver".
    ['[2, "unknown-action", "BrewCoffee", {}]', 'NotImplemented', 'unknown-action'],
    // An OCPP 1.6 action (Firmware Management profile) this central system does not support:
    // "recognized but not supported by the receiver".
    ['[2, "unsupported-action", "ClearCache", {}]', 'NotSupported', 'unsupported-action'],
    // Wrong payload types.
    ['[2, "vendor-number", "BootNotification", {"chargePointVendor": 42, "chargePointModel": "X"}]', 'TypeConstraintViolation', 'vendor-number'],
    ['[2, "connector-string", "StatusNotification", {"connectorId": "1", "errorCode": "NoError", "status": "Available"}]', 'TypeConstraintViolation', 'connector-string'],
    [`[2, "value-number", "MeterValues", {"connectorId": 1, "meterValue": [{"timestamp": "${NOW}", "sampledValue": [{"value": 12.5}]}]}]`, 'TypeConstraintViolation', 'value-number'],
    // A required field missing.
    [`[2, "no-meter-start", "StartTransaction", {"connectorId": 1, "idTag": "X", "timestamp": "${NOW}"}]`, 'OccurenceConstraintViolation', 'no-meter-start'],
    ['[2, "no-model", "BootNotification", {"chargePointVendor": "X"}]', 'OccurenceConstraintViolation', 'no-model'],
    // Well-formed and well-typed, but a value outside its enumeration.
    [`[2, "bad-status", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Resting", "timestamp": "${NOW}"}]`, 'PropertyConstraintViolation', 'bad-status'],
];

/** A plain WebSocket with a queue of the text frames received. */
async function rawSocket(server) {
    const socket = new WebSocket(`${server.ocpp}/${server.chargerId}`, ['ocpp1.6']);
    const inbox = [];
    const waiting = [];
    socket.on('message', (data, isBinary) => {
        const item = { text: data.toString(), isBinary };
        const waiter = waiting.shift();
        if (waiter) waiter(item);
        else inbox.push(item);
    });
    await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
    });
    assert.equal(socket.protocol, 'ocpp1.6', 'the server agrees on ocpp1.6');
    const next = (what) => {
        if (inbox.length) return Promise.resolve(inbox.shift());
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no answer within 5 s to ${what}`)), 5_000);
            waiting.push((item) => {
                clearTimeout(timer);
                resolve(item);
            });
        });
    };
    return { socket, next };
}

test('malformed frames get the OCPP-J 1.6 CALLERROR and the connection stays up', withServer(async (server, t) => {
    const { socket, next } = await rawSocket(server);
    const exchange = async (frame, what) => {
        socket.send(frame);
        const { text, isBinary } = await next(what);
        assert.equal(isBinary, false, 'OCPP-J answers are text frames');
        return JSON.parse(text);
    };

    for (const [text, code, id] of CASES) {
        await t.test(`${code} for ${text}`, async () => {
            const answer = await exchange(text, text);
            assert.equal(answer[0], 4, `must be answered with a CALLERROR, got ${JSON.stringify(answer)}`);
            assertCallError(answer);
            assert.deepEqual(answer.slice(1, 3), [id, code], `the answer was ${JSON.stringify(answer)}`);
        });
    }

    await t.test('an unknown message type gets a CALLERROR with its id', async () => {
        // OCPP-J 1.6 names no code for it (2.0.1 added MessageTypeNotSupported).
        const answer = await exchange('[7, "type-seven", {}]', 'message type 7');
        assertCallError(answer);
        assert.equal(answer[1], 'type-seven', `the answer was ${JSON.stringify(answer)}`);
    });

    await t.test('a binary frame gets FormationViolation', async () => {
        const answer = await exchange(Buffer.from('[2, "binary", "Heartbeat", {}]'), 'a binary frame');
        assertCallError(answer);
        assert.equal(answer[2], 'FormationViolation', `the answer was ${JSON.stringify(answer)}`);
    });

    await t.test('a CALLRESULT for a call never made gets no answer; the connection still works', async () => {
        socket.send('[3, "never-asked", {}]');
        const beat = await exchange('[2, "still-here", "Heartbeat", {}]', 'a Heartbeat after the malformed frames');
        assert.deepEqual(beat.slice(0, 2), [3, 'still-here'], `the next frame must answer the Heartbeat: ${JSON.stringify(beat)}`);
        assertSchema('Heartbeat', 'conf', beat[2], 'the server\'s answer to');
    });
    socket.close();
}));
