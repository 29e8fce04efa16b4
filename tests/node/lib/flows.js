'use strict';
// What a real charge point does around a transaction, written once for the scenarios.

const assert = require('node:assert/strict');
const { api } = require('./api');

/**
 * Makes the charge point accept RemoteStartTransaction / RemoteStopTransaction, as a charger
 * with a cable plugged in does; returns the lists of requests received.
 */
function acceptRemoteCommands(station) {
    const received = { starts: [], stops: [] };
    station.client.handle('RemoteStartTransaction', ({ params }) => {
        received.starts.push(params);
        return { status: 'Accepted' };
    });
    station.client.handle('RemoteStopTransaction', ({ params }) => {
        received.stops.push(params);
        return { status: 'Accepted' };
    });
    return received;
}

async function boot(station) {
    const answer = await station.client.call('BootNotification', { chargePointVendor: 'ocpp-rpc', chargePointModel: 'Interop' });
    assert.equal(answer.status, 'Accepted', `BootNotification: ${JSON.stringify(answer)}`);
    return answer;
}

async function status(station, connectorId, state, timestamp = new Date().toISOString()) {
    const answer = await station.client.call('StatusNotification', { connectorId, errorCode: 'NoError', status: state, timestamp });
    assert.deepEqual(answer, {}, `StatusNotification(${state}) answer`);
}

/**
 * The driver starts charging from the app; the charger answers the remote start as a real one
 * does (Preparing, StartTransaction with the idTag it was given, Charging). Resolves to
 * `{ session, transactionId, idTag }` once the server reports the session charging.
 */
async function startFromApp(server, station, remote, token, { meterStart, timestamp, idempotencyKey }) {
    const headers = idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {};
    const created = await api(server, 'POST', '/v1/sessions', { token, headers, body: { evse_id: server.evseId }, expect: 201 });
    // The server answers only after the charger accepted the remote start.
    assert.equal(remote.starts.length, 1, `one RemoteStartTransaction expected, got ${JSON.stringify(remote.starts)}`);
    const { idTag, connectorId } = remote.starts[0];
    assert.equal(connectorId, 1, 'RemoteStartTransaction names the connector of the EVSE');

    await status(station, 1, 'Preparing', timestamp);
    const started = await station.client.call('StartTransaction', { connectorId: 1, idTag, meterStart, timestamp });
    assert.equal(started.idTagInfo.status, 'Accepted', `StartTransaction after a remote start: ${JSON.stringify(started)}`);
    await status(station, 1, 'Charging', timestamp);

    const session = await api(server, 'GET', `/v1/sessions/${created.id}`, { token });
    assert.equal(session.status, 'charging', `the session after StartTransaction: ${JSON.stringify(session)}`);
    return { session, transactionId: started.transactionId, idTag };
}

/**
 * The driver stops from the app; the charger answers the remote stop with StopTransaction
 * (reason Remote) and goes back to Available. Resolves to the StopTransaction answer.
 */
async function stopFromApp(server, station, remote, token, sessionId, transactionId, { meterStop, timestamp }) {
    await api(server, 'POST', `/v1/sessions/${sessionId}/stop`, { token });
    assert.deepEqual(remote.stops, [{ transactionId }], 'RemoteStopTransaction names the transaction');
    const answer = await station.client.call('StopTransaction', { transactionId, meterStop, timestamp, reason: 'Remote' });
    await status(station, 1, 'Finishing', timestamp);
    await status(station, 1, 'Available', timestamp);
    return answer;
}

module.exports = { acceptRemoteCommands, boot, status, startFromApp, stopFromApp };
