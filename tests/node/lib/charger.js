'use strict';
// An independent OCPP 1.6J charge point: ocpp-rpc's RPCClient in strict mode, which checks
// every call it sends and every call and answer it receives against the OCPP 1.6 JSON schemas
// bundled in ocpp-rpc. Every frame is recorded, and at the end every frame the server sent is
// checked again here against the same schemas (this also covers frames that bypass the
// client's own checks, such as answers to retransmitted calls).

const assert = require('node:assert/strict');
const { RPCClient, createValidator } = require('ocpp-rpc');

const OCPP16 = createValidator('ocpp1.6', require('ocpp-rpc/lib/schemas/ocpp1_6.json'));

/** The CALLERROR codes of OCPP-J 1.6, §4.2.3, spelled as there. */
const CALLERROR_CODES = new Set([
    'NotImplemented', 'NotSupported', 'InternalError', 'ProtocolError', 'SecurityError', 'FormationViolation',
    'PropertyConstraintViolation', 'OccurenceConstraintViolation', 'TypeConstraintViolation', 'GenericError',
]);

/** Validates a payload against `urn:{action}.req` or `.conf`; fails with the schema's complaint. */
function assertSchema(action, kind, payload, who) {
    try {
        OCPP16.validate(`urn:${action}.${kind}`, payload);
    } catch (error) {
        assert.fail(`${who} ${action}.${kind} does not match the OCPP 1.6 schema: ${error.message}\n${JSON.stringify(payload)}`);
    }
}

/** Checks the shape of a CALLERROR frame and that its code is one OCPP-J 1.6 defines. */
function assertCallError(frame) {
    assert.equal(frame.length, 5, `a CALLERROR has 5 elements: ${JSON.stringify(frame)}`);
    assert.equal(typeof frame[1], 'string', `CALLERROR message id: ${JSON.stringify(frame)}`);
    assert.ok(CALLERROR_CODES.has(frame[2]), `CALLERROR code ${JSON.stringify(frame[2])} is not an OCPP-J 1.6 code`);
    assert.equal(typeof frame[3], 'string', `CALLERROR description: ${JSON.stringify(frame)}`);
    assert.ok(frame[4] !== null && typeof frame[4] === 'object' && !Array.isArray(frame[4]),
        `CALLERROR details must be a JSON object: ${JSON.stringify(frame)}`);
}

/**
 * Checks every frame the server sent on one connection; `frames` is a list of
 * `{ outbound, frame }` in the order seen. Returns what was checked as `[kind, action]` pairs.
 */
function validateServerFrames(frames) {
    const ourCalls = new Map();
    const checked = [];
    for (const { outbound, frame } of frames) {
        if (outbound) {
            if (frame[0] === 2) ourCalls.set(frame[1], frame[2]);
            continue;
        }
        assert.ok(Array.isArray(frame), `the server sent a frame that is not an array: ${JSON.stringify(frame)}`);
        switch (frame[0]) {
            case 2: {
                assert.equal(frame.length, 4, `a CALL has 4 elements: ${JSON.stringify(frame)}`);
                assertSchema(frame[2], 'req', frame[3], 'the server\'s');
                checked.push(['CALL', frame[2]]);
                break;
            }
            case 3: {
                assert.equal(frame.length, 3, `a CALLRESULT has 3 elements: ${JSON.stringify(frame)}`);
                const action = ourCalls.get(frame[1]);
                assert.ok(action, `the server answered a message id we never sent: ${JSON.stringify(frame)}`);
                assertSchema(action, 'conf', frame[2], 'the server\'s answer to');
                checked.push(['CALLRESULT', action]);
                break;
            }
            case 4:
                assertCallError(frame);
                checked.push(['CALLERROR', frame[2]]);
                break;
            default:
                assert.fail(`the server sent a frame of unknown type: ${JSON.stringify(frame)}`);
        }
    }
    return checked;
}

/**
 * Connects a strict-mode charge point as `identity` (the server's seeded charger by default).
 * Resolves to `{ client, frames, finish() }`; `finish()` closes the connection, fails on any
 * strict-mode or framing complaint of ocpp-rpc, validates every server frame and returns the
 * validation summary.
 */
async function connectCharger(server, { identity = server.chargerId, expectedBadMessageIds = new Set() } = {}) {
    const client = new RPCClient({
        endpoint: server.ocpp,
        identity,
        protocols: ['ocpp1.6'],
        strictMode: true,
        reconnect: false,
        callTimeoutMs: 10_000,
    });
    const frames = [];
    const complaints = [];
    client.on('message', ({ message, outbound }) => {
        const text = message.toString();
        let frame;
        try {
            frame = JSON.parse(text);
        } catch {
            frame = text;
        }
        frames.push({ outbound, frame });
    });
    client.on('strictValidationFailure', (event) => {
        complaints.push(`strict validation failed (${event.outbound ? 'ours' : 'the server\'s'} ${event.method} ${event.isCall ? 'call' : 'answer'}): ${event.error.message}`);
    });
    client.on('badMessage', ({ buffer, error }) => {
        const text = buffer.toString();
        let id;
        try {
            id = JSON.parse(text)[1];
        } catch {
            id = undefined;
        }
        if (!expectedBadMessageIds.has(id)) complaints.push(`bad message from the server (${error.message}): ${text}`);
    });
    await client.connect();
    assert.equal(client.protocol, 'ocpp1.6', 'the server must agree on the subprotocol ocpp1.6');

    const finish = async () => {
        await client.close({ awaitPending: true });
        assert.deepEqual(complaints, [], 'ocpp-rpc (strict mode) complained about the exchange');
        return validateServerFrames(frames);
    };

    /** Sends a CALL (validated by ocpp-rpc); resolves to `{ answer, frame }`, the frame as sent. */
    const callKeepingFrame = async (action, params) => {
        let frame;
        const capture = ({ outbound, payload }) => {
            if (outbound && payload[2] === action && frame === undefined) frame = payload;
        };
        client.on('call', capture);
        try {
            const answer = await client.call(action, params);
            return { answer, frame };
        } finally {
            client.off('call', capture);
        }
    };

    /**
     * Sends the very same CALL frame again (same message id), as a charger does that did not
     * get the answer, and resolves to the payload of the CALLRESULT. ocpp-rpc no longer waits
     * for that id, so the answer is read off the socket and checked against the schema here.
     */
    const retransmit = async (frame) => {
        const [, id, action] = frame;
        expectedBadMessageIds.add(id);
        const answered = new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no answer to the retransmitted ${action} ${id} within 10 s`)), 10_000);
            const listen = ({ message, outbound }) => {
                if (outbound) return;
                let reply;
                try {
                    reply = JSON.parse(message.toString());
                } catch {
                    return;
                }
                if (Array.isArray(reply) && reply[1] === id && (reply[0] === 3 || reply[0] === 4)) {
                    clearTimeout(timer);
                    client.off('message', listen);
                    resolve(reply);
                }
            };
            client.on('message', listen);
        });
        client.sendRaw(JSON.stringify(frame));
        const reply = await answered;
        assert.equal(reply[0], 3, `the retransmitted ${action} must be answered with a CALLRESULT: ${JSON.stringify(reply)}`);
        assertSchema(action, 'conf', reply[2], 'the server\'s answer to the retransmitted');
        return reply[2];
    };

    return { client, frames, finish, callKeepingFrame, retransmit };
}

/** The actions of the frames of one kind in a validation summary. */
function actionsOf(checked, kind) {
    return new Set(checked.filter(([k]) => k === kind).map(([, action]) => action));
}

module.exports = { connectCharger, validateServerFrames, assertSchema, assertCallError, actionsOf, CALLERROR_CODES, OCPP16 };
