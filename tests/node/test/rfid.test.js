'use strict';
// Local RFID authorization: cards registered through the driver API, presented at the charger
// (Authorize, then StartTransaction with the card's idTag and no remote start).

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { withServer } = require('../lib/server');
const { api, registerDriver, registerCard, sessionsOf, clock, assertSameInstant } = require('../lib/api');
const { connectCharger, actionsOf } = require('../lib/charger');
const { boot, status } = require('../lib/flows');

const CARD = '04A2B3C4D5E6F7';
const LOST_CARD = '04C1D2E3F4A5B6';
const MINUTE = 60_000;

test('a registered card is authorized locally and charges for its driver', withServer(async (server) => {
    const owner = await registerDriver(server, 'card-owner');
    await registerCard(server, owner, CARD);
    const other = await registerDriver(server, 'lost-card');
    await registerCard(server, other, LOST_CARD);
    const blocked = await api(server, 'PATCH', `/v1/tokens/${LOST_CARD}`, { token: other, body: { status: 'blocked' }, expect: [200, 204] });
    if (blocked !== null) assert.equal(blocked.status, 'blocked', `PATCH answer: ${JSON.stringify(blocked)}`);

    const station = await connectCharger(server);
    await boot(station);
    await status(station, 1, 'Available');

    const authorize = async (idTag) => (await station.client.call('Authorize', { idTag })).idTagInfo.status;
    assert.equal(await authorize(CARD), 'Accepted', 'Authorize with a registered card');
    assert.equal(await authorize(LOST_CARD), 'Blocked', 'Authorize with a blocked card');
    assert.equal(await authorize('04FFFFFFFFFFFF'), 'Invalid', 'Authorize with an unknown card');

    const at = clock();
    const startedAt = at(-10 * MINUTE);
    await status(station, 1, 'Preparing', startedAt);
    const started = await station.client.call('StartTransaction', { connectorId: 1, idTag: CARD, meterStart: 2_000, timestamp: startedAt });
    assert.equal(started.idTagInfo.status, 'Accepted', `StartTransaction with a registered card: ${JSON.stringify(started)}`);
    assert.ok(Number.isInteger(started.transactionId), `transactionId: ${started.transactionId}`);
    await status(station, 1, 'Charging', startedAt);

    let sessions = await sessionsOf(server, owner);
    assert.equal(sessions.length, 1, `the card's driver sees the session: ${JSON.stringify(sessions)}`);
    const [charging] = sessions;
    assert.equal(charging.status, 'charging', `the card session after StartTransaction: ${JSON.stringify(charging)}`);
    assert.equal(charging.evse_id, server.evseId, 'the session is at the charger\'s EVSE');
    assertSameInstant(charging.started_at, startedAt, 'started_at');

    await station.client.call('MeterValues', {
        connectorId: 1, transactionId: started.transactionId,
        meterValue: [{ timestamp: at(-5 * MINUTE), sampledValue: [{ value: '2.75', unit: 'kWh', measurand: 'Energy.Active.Import.Register' }] }],
    });
    const live = await api(server, 'GET', `/v1/sessions/${charging.id}`, { token: owner });
    assert.equal(live.energy_wh, 750, `energy while charging: ${JSON.stringify(live)}`);

    const stoppedAt = at(-1 * MINUTE);
    const stopped = await station.client.call('StopTransaction', {
        transactionId: started.transactionId, idTag: CARD, meterStop: 3_500, timestamp: stoppedAt, reason: 'Local',
    });
    assert.equal(stopped.idTagInfo?.status, 'Accepted', `StopTransaction answer: ${JSON.stringify(stopped)}`);
    await status(station, 1, 'Available', stoppedAt);

    sessions = await sessionsOf(server, owner);
    assert.equal(sessions.length, 1, `still one session: ${JSON.stringify(sessions)}`);
    const [done] = sessions;
    assert.equal(done.status, 'completed', `the card session after StopTransaction: ${JSON.stringify(done)}`);
    assert.equal(done.energy_wh, 3_500 - 2_000, 'energy = meterStop − meterStart');
    assertSameInstant(done.stopped_at, stoppedAt, 'stopped_at');
    assert.deepEqual(await sessionsOf(server, other), [], 'the blocked card\'s driver has no session');

    const checked = await station.finish();
    assert.deepEqual(actionsOf(checked, 'CALLRESULT'),
        new Set(['BootNotification', 'StatusNotification', 'Authorize', 'StartTransaction', 'MeterValues', 'StopTransaction']));
    assert.deepEqual(actionsOf(checked, 'CALLERROR'), new Set(), 'the server answered no call with an error');
}));
