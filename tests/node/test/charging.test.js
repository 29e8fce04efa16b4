'use strict';
// Boot, status, heartbeat, remote start/stop, meter values and an unknown idTag, played by an
// ocpp-rpc charge point in strict mode against the real server.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { withServer } = require('../lib/server');
const { api, registerDriver, sessionsOf, waitFor, isoAt, clock, assertSameInstant } = require('../lib/api');
const { connectCharger, actionsOf } = require('../lib/charger');
const { acceptRemoteCommands, boot, status, startFromApp, stopFromApp } = require('../lib/flows');

const MINUTE = 60_000;

test('boot, status notifications and heartbeat', withServer(async (server) => {
    const token = await registerDriver(server);
    const station = await connectCharger(server);

    const before = Date.now();
    const booted = await boot(station);
    assert.ok(Number.isInteger(booted.interval) && booted.interval > 0, `heartbeat interval: ${booted.interval}`);
    const serverTime = Date.parse(booted.currentTime);
    assert.ok(Math.abs(serverTime - before) < MINUTE, `BootNotification currentTime ${booted.currentTime} is not the server's time`);

    await status(station, 0, 'Available');
    await status(station, 1, 'Available');
    let evse = await api(server, 'GET', `/v1/evses/${encodeURIComponent(server.evseId)}`, { token });
    assert.equal(evse.online, true, `the EVSE while its charger is connected: ${JSON.stringify(evse)}`);
    assert.equal(evse.status, 'Available', `the EVSE after StatusNotification(Available): ${JSON.stringify(evse)}`);

    const beat = await station.client.call('Heartbeat', {});
    assert.ok(Math.abs(Date.parse(beat.currentTime) - Date.now()) < MINUTE, `Heartbeat currentTime ${beat.currentTime}`);

    const faulted = await station.client.call('StatusNotification', {
        connectorId: 1, errorCode: 'GroundFailure', status: 'Faulted', info: 'RCD tripped', vendorErrorCode: 'E42',
    });
    assert.deepEqual(faulted, {});
    evse = await api(server, 'GET', `/v1/evses/${encodeURIComponent(server.evseId)}`, { token });
    assert.equal(evse.status, 'Faulted', `the EVSE after StatusNotification(Faulted): ${JSON.stringify(evse)}`);

    const checked = await station.finish();
    assert.deepEqual(actionsOf(checked, 'CALLRESULT'), new Set(['BootNotification', 'StatusNotification', 'Heartbeat']));
    assert.deepEqual(actionsOf(checked, 'CALL'), new Set(), 'the server sent no command');
    await waitFor('the EVSE to show offline after the charger disconnected', async () => {
        const seen = await api(server, 'GET', `/v1/evses/${encodeURIComponent(server.evseId)}`, { token });
        return seen.online === false;
    });
}));

test('remote start and stop through the driver API', withServer(async (server) => {
    const token = await registerDriver(server);
    const station = await connectCharger(server);
    const remote = acceptRemoteCommands(station);
    await boot(station);
    await status(station, 1, 'Available');

    const at = clock();
    const startedAt = at(-5 * MINUTE);
    const key = 'node-remote-start-1';
    const { session, transactionId, idTag } = await startFromApp(server, station, remote, token, {
        meterStart: 10_000, timestamp: startedAt, idempotencyKey: key,
    });
    assert.ok(Number.isInteger(transactionId), `transactionId: ${transactionId}`);
    assert.ok(idTag.length > 0 && idTag.length <= 20, `the app idTag is a CiString20: ${idTag}`);
    assertSameInstant(session.started_at, startedAt, 'started_at (the charger\'s clock)');

    // A retried start with the same Idempotency-Key answers the same session, no second command.
    const again = await api(server, 'POST', '/v1/sessions', {
        token, headers: { 'Idempotency-Key': key }, body: { evse_id: server.evseId }, expect: [200, 201],
    });
    assert.equal(again.id, session.id, 'the retried start answers the first session');
    assert.equal(remote.starts.length, 1, 'a retried start sends no second RemoteStartTransaction');

    await station.client.call('MeterValues', {
        connectorId: 1, transactionId,
        meterValue: [{ timestamp: at(-4 * MINUTE), sampledValue: [{ value: '11.25', unit: 'kWh', measurand: 'Energy.Active.Import.Register', context: 'Sample.Periodic' }] }],
    });
    const live = await api(server, 'GET', `/v1/sessions/${session.id}`, { token });
    assert.equal(live.energy_wh, 1_250, `energy while charging: ${JSON.stringify(live)}`);

    const stoppedAt = at(-3 * MINUTE);
    const stop = await stopFromApp(server, station, remote, token, session.id, transactionId, { meterStop: 13_250, timestamp: stoppedAt });
    // A remote stop names no idTag, so its answer carries no idTagInfo (OCPP 1.6: the status is the stopping tag's).
    assert.equal(stop.idTagInfo, undefined, `StopTransaction answer: ${JSON.stringify(stop)}`);

    const done = await api(server, 'GET', `/v1/sessions/${session.id}`, { token });
    assert.equal(done.status, 'completed', `the session after StopTransaction: ${JSON.stringify(done)}`);
    assert.equal(done.energy_wh, 13_250 - 10_000, 'energy = meterStop − meterStart');
    assertSameInstant(done.started_at, startedAt, 'started_at');
    assertSameInstant(done.stopped_at, stoppedAt, 'stopped_at');
    assert.equal(done.duration_seconds, 120, 'duration = stop − start on the charger\'s clock');
    assert.equal((await sessionsOf(server, token)).length, 1, 'the driver has exactly one session');

    const checked = await station.finish();
    assert.deepEqual(actionsOf(checked, 'CALL'), new Set(['RemoteStartTransaction', 'RemoteStopTransaction']));
    assert.deepEqual(actionsOf(checked, 'CALLRESULT'),
        new Set(['BootNotification', 'StatusNotification', 'StartTransaction', 'MeterValues', 'StopTransaction']));
    assert.deepEqual(actionsOf(checked, 'CALLERROR'), new Set(), 'the server answered no call with an error');
}));

test('meter values with several measurands, phases and units', withServer(async (server) => {
    const token = await registerDriver(server);
    const station = await connectCharger(server);
    const remote = acceptRemoteCommands(station);
    await boot(station);
    const base = clock(Date.now() - 30 * MINUTE);
    const at = (seconds) => base(seconds * 1000);
    const { session, transactionId } = await startFromApp(server, station, remote, token, { meterStart: 10_000, timestamp: at(0) });

    const meterValues = async (meterValue) => {
        const answer = await station.client.call('MeterValues', { connectorId: 1, transactionId, meterValue });
        assert.deepEqual(answer, {}, 'MeterValues answer');
        return api(server, 'GET', `/v1/sessions/${session.id}`, { token });
    };
    const phases = (measurand, unit, value, names = ['L1', 'L2', 'L3']) =>
        names.map((phase) => ({ value, unit, measurand, phase, context: 'Sample.Periodic', location: 'Outlet' }));

    // Energy in kWh; power only per phase (no total), amid other measurands.
    let seen = await meterValues([{ timestamp: at(60), sampledValue: [
        { value: '10.5', unit: 'kWh', measurand: 'Energy.Active.Import.Register', context: 'Sample.Periodic', location: 'Outlet' },
        ...phases('Power.Active.Import', 'W', '3680'),
        ...phases('Current.Import', 'A', '16.0'),
        ...phases('Voltage', 'V', '230.1', ['L1-N', 'L2-N', 'L3-N']),
        { value: '42', unit: 'Percent', measurand: 'SoC', location: 'EV', context: 'Sample.Periodic' },
        { value: '31.5', unit: 'Celsius', measurand: 'Temperature', location: 'Body', context: 'Sample.Periodic' },
    ] }]);
    assert.equal(seen.energy_wh, 500, `10.5 kWh − 10000 Wh: ${JSON.stringify(seen)}`);
    assert.equal(seen.power_w, 11_040, `three phases of 3680 W: ${JSON.stringify(seen)}`);

    // Energy in Wh; a total power in kW next to its phases (the total counts); export and
    // offered power must not be taken for import.
    seen = await meterValues([{ timestamp: at(120), sampledValue: [
        { value: '11250', unit: 'Wh', measurand: 'Energy.Active.Import.Register' },
        { value: '7', unit: 'Wh', measurand: 'Energy.Active.Export.Register' },
        { value: '7.4', unit: 'kW', measurand: 'Power.Active.Import' },
        ...phases('Power.Active.Import', 'W', '2466'),
        { value: '22', unit: 'kW', measurand: 'Power.Offered' },
    ] }]);
    assert.equal(seen.energy_wh, 1_250, `11250 Wh − 10000 Wh: ${JSON.stringify(seen)}`);
    assert.equal(seen.power_w, 7_400, `a 7.4 kW total: ${JSON.stringify(seen)}`);

    // Two samples in one request, newest first; the newest has neither measurand nor unit
    // (Energy.Active.Import.Register in Wh by default).
    seen = await meterValues([
        { timestamp: at(240), sampledValue: [{ value: '12000' }] },
        { timestamp: at(180), sampledValue: [{ value: '11.8', unit: 'kWh', measurand: 'Energy.Active.Import.Register' }] },
    ]);
    assert.equal(seen.energy_wh, 2_000, `the newest of two samples (12000 Wh): ${JSON.stringify(seen)}`);

    await stopFromApp(server, station, remote, token, session.id, transactionId, { meterStop: 12_300, timestamp: at(300) });
    const done = await api(server, 'GET', `/v1/sessions/${session.id}`, { token });
    assert.equal(done.status, 'completed', `the session after StopTransaction: ${JSON.stringify(done)}`);
    assert.equal(done.energy_wh, 2_300, 'energy = meterStop − meterStart');
    assert.equal(done.duration_seconds, 300, 'duration = stop − start');

    const checked = await station.finish();
    assert.deepEqual(actionsOf(checked, 'CALLERROR'), new Set(), 'the server answered no call with an error');
}));

test('an unknown idTag is refused', withServer(async (server) => {
    const token = await registerDriver(server);
    const station = await connectCharger(server);
    await boot(station);

    const authorized = await station.client.call('Authorize', { idTag: 'UNKNOWN-4711' });
    assert.equal(authorized.idTagInfo.status, 'Invalid', `Authorize of an unknown idTag: ${JSON.stringify(authorized)}`);

    // A charger that starts anyway (say, offline authorization) learns the tag is invalid.
    const started = await station.client.call('StartTransaction', { connectorId: 1, idTag: 'UNKNOWN-4711', meterStart: 0, timestamp: isoAt() });
    assert.equal(started.idTagInfo.status, 'Invalid', `StartTransaction with an unknown idTag: ${JSON.stringify(started)}`);
    assert.ok(Number.isInteger(started.transactionId), 'StartTransaction always answers a transactionId');
    assert.deepEqual(await sessionsOf(server, token), [], 'no driver got a session from an unknown tag');

    const checked = await station.finish();
    assert.deepEqual(actionsOf(checked, 'CALLRESULT'), new Set(['BootNotification', 'Authorize', 'StartTransaction']));
}));
