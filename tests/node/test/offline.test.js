'use strict';
// A charger that was offline replays its queued transaction messages with their old
// timestamps; transactions the server never saw; retransmitted calls.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { withServer } = require('../lib/server');
const { api, registerDriver, registerCard, sessionsOf, waitFor, clock, assertSameInstant } = require('../lib/api');
const { connectCharger, actionsOf } = require('../lib/charger');
const { acceptRemoteCommands, boot, status, startFromApp } = require('../lib/flows');

const CARD = '04A2B3C4D5E6F7';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

test('offline replay: old StartTransaction, MeterValues and StopTransaction after reconnecting', withServer(async (server) => {
    const token = await registerDriver(server, 'card-owner');
    await registerCard(server, token, CARD);

    // Online first, then the connection drops.
    const before = await connectCharger(server);
    await boot(before);
    await status(before, 1, 'Available');
    await before.finish();
    await waitFor('the EVSE to show offline', async () =>
        (await api(server, 'GET', `/v1/evses/${encodeURIComponent(server.evseId)}`, { token })).online === false);

    // Back online: the charger replays what happened while it was offline, two hours ago.
    const at = clock(Date.now() - 2 * HOUR);
    const station = await connectCharger(server);
    await boot(station);
    const started = await station.client.call('StartTransaction', { connectorId: 1, idTag: CARD, meterStart: 50_000, timestamp: at(0) });
    assert.equal(started.idTagInfo.status, 'Accepted', `replayed StartTransaction: ${JSON.stringify(started)}`);
    assert.ok(Number.isInteger(started.transactionId), `transactionId: ${started.transactionId}`);
    const { transactionId } = started;
    for (const [offset, value, unit] of [[20 * MINUTE, '52.5', 'kWh'], [40 * MINUTE, '55000', 'Wh']]) {
        const answer = await station.client.call('MeterValues', {
            connectorId: 1, transactionId,
            meterValue: [{ timestamp: at(offset), sampledValue: [{ value, unit, measurand: 'Energy.Active.Import.Register', context: 'Sample.Periodic' }] }],
        });
        assert.deepEqual(answer, {}, 'replayed MeterValues answer');
    }
    let [session] = await sessionsOf(server, token);
    assert.ok(session, 'the card\'s driver sees the replayed session');
    assert.equal(session.energy_wh, 5_000, `energy after the replayed meter values: ${JSON.stringify(session)}`);

    const stopped = await station.client.call('StopTransaction', {
        transactionId, idTag: CARD, meterStop: 57_500, timestamp: at(HOUR), reason: 'EVDisconnected',
        transactionData: [
            { timestamp: at(0), sampledValue: [{ value: '50000', unit: 'Wh', context: 'Transaction.Begin', measurand: 'Energy.Active.Import.Register' }] },
            { timestamp: at(HOUR), sampledValue: [{ value: '57.5', unit: 'kWh', context: 'Transaction.End', measurand: 'Energy.Active.Import.Register' }] },
        ],
    });
    assert.equal(stopped.idTagInfo?.status, 'Accepted', `replayed StopTransaction: ${JSON.stringify(stopped)}`);
    await status(station, 1, 'Available');

    const sessions = await sessionsOf(server, token);
    assert.equal(sessions.length, 1, `one session: ${JSON.stringify(sessions)}`);
    [session] = sessions;
    assert.equal(session.status, 'completed', `the replayed session: ${JSON.stringify(session)}`);
    assert.equal(session.energy_wh, 7_500, 'energy = meterStop − meterStart');
    assertSameInstant(session.started_at, at(0), 'started_at keeps the charger\'s old time');
    assertSameInstant(session.stopped_at, at(HOUR), 'stopped_at keeps the charger\'s old time');
    assert.equal(session.duration_seconds, 3_600, 'duration = stop − start');

    const checked = await station.finish();
    assert.deepEqual(actionsOf(checked, 'CALLRESULT'),
        new Set(['BootNotification', 'StatusNotification', 'StartTransaction', 'MeterValues', 'StopTransaction']));
    assert.deepEqual(actionsOf(checked, 'CALLERROR'), new Set(), 'the server answered no call with an error');
}));

/** A StopTransaction for transaction 987654, which this server never issued. */
function unknownTransactionStop(at) {
    return {
        transactionId: 987_654, idTag: CARD, meterStop: 25_000, timestamp: at(-HOUR), reason: 'PowerLoss',
        transactionData: [
            { timestamp: at(-3 * HOUR), sampledValue: [{ value: '20000', unit: 'Wh', context: 'Transaction.Begin', measurand: 'Energy.Active.Import.Register' }] },
            { timestamp: at(-HOUR), sampledValue: [{ value: '25.0', unit: 'kWh', context: 'Transaction.End', measurand: 'Energy.Active.Import.Register' }] },
        ],
    };
}

test('a StopTransaction for a transaction the server never saw', withServer(async (server) => {
    const token = await registerDriver(server, 'card-owner');
    await registerCard(server, token, CARD);
    const at = clock(Date.now());
    const station = await connectCharger(server);
    await boot(station);

    const request = unknownTransactionStop(at);
    const answer = await station.client.call('StopTransaction', request);
    assert.equal(answer.idTagInfo?.status, 'Accepted', `StopTransaction for an unknown transaction: ${JSON.stringify(answer)}`);

    const sessions = await sessionsOf(server, token);
    assert.equal(sessions.length, 1, `the card's driver sees one session from the unknown transaction: ${JSON.stringify(sessions)}`);
    const [session] = sessions;
    assert.equal(session.status, 'completed', `the session: ${JSON.stringify(session)}`);
    assert.equal(session.energy_wh, 25_000 - 20_000, 'energy = meterStop − the Transaction.Begin register');
    assert.equal(session.evse_id, server.evseId, 'the session is at the charger\'s EVSE');
    assertSameInstant(session.stopped_at, request.timestamp, 'stopped_at');

    const checked = await station.finish();
    assert.deepEqual(actionsOf(checked, 'CALLRESULT'), new Set(['BootNotification', 'StopTransaction']));
}));

/**
 * Sends `action` during an app-started session, then the very same frame again (same message
 * id), as a charger does that did not get the answer: it must be answered with a CALLRESULT,
 * the same answer, and change nothing.
 */
function retransmission(action) {
    return withServer(async (server) => {
        const token = await registerDriver(server);
        const station = await connectCharger(server);
        const remote = acceptRemoteCommands(station);
        await boot(station);
        const at = clock(Date.now() - 20 * MINUTE);
        const { session, transactionId } = await startFromApp(server, station, remote, token, { meterStart: 1_000, timestamp: at(0) });
        const read = () => api(server, 'GET', `/v1/sessions/${session.id}`, { token });

        let params;
        let expected;
        if (action === 'MeterValues') {
            params = {
                connectorId: 1, transactionId,
                meterValue: [{ timestamp: at(5 * MINUTE), sampledValue: [{ value: '3.0', unit: 'kWh', measurand: 'Energy.Active.Import.Register' }] }],
            };
            expected = { status: 'charging', energy_wh: 2_000 };
        } else {
            await api(server, 'POST', `/v1/sessions/${session.id}/stop`, { token });
            params = { transactionId, meterStop: 4_000, timestamp: at(10 * MINUTE), reason: 'Remote' };
            expected = { status: 'completed', energy_wh: 3_000 };
        }
        const pick = (s) => ({ status: s.status, energy_wh: s.energy_wh });

        const first = await station.callKeepingFrame(action, params);
        const applied = await read();
        assert.deepEqual(pick(applied), expected, `after ${action}: ${JSON.stringify(applied)}`);
        const again = await station.retransmit(first.frame);
        assert.deepEqual(again, first.answer, `the retransmitted ${action} gets the same answer`);
        const after = await read();
        assert.deepEqual(pick(after), expected, `after the retransmitted ${action}: ${JSON.stringify(after)}`);
        assert.equal(after.version, applied.version,
            `the retransmitted ${action} (same message id) changed the session again: ${JSON.stringify(after)}`);
        assert.equal((await sessionsOf(server, token)).length, 1, 'still one session');

        await station.finish();
    });
}

test('a retransmitted MeterValues is answered and applied once', retransmission('MeterValues'));

test('a retransmitted StopTransaction is answered and applied once', retransmission('StopTransaction'));

test('a retransmitted StopTransaction for an unknown transaction makes one session', withServer(async (server) => {
    const token = await registerDriver(server, 'card-owner');
    await registerCard(server, token, CARD);
    const station = await connectCharger(server);
    await boot(station);

    const stop = await station.callKeepingFrame('StopTransaction', unknownTransactionStop(clock(Date.now())));
    assert.equal(stop.answer.idTagInfo?.status, 'Accepted', `StopTransaction for an unknown transaction: ${JSON.stringify(stop.answer)}`);
    const again = await station.retransmit(stop.frame);
    assert.deepEqual(again, stop.answer, 'the retransmission gets the same answer');

    const sessions = await sessionsOf(server, token);
    assert.equal(sessions.length, 1, `one session, not one per retransmission: ${JSON.stringify(sessions)}`);
    assert.equal(sessions[0].status, 'completed');
    assert.equal(sessions[0].energy_wh, 5_000);

    await station.finish();
}));
