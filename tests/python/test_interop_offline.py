"""A charger that was offline replays its queued transaction messages with their old timestamps;
a StopTransaction for a transaction the server never saw; retransmitted calls (same message id).
Every server frame is validated against the official schemas."""

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

from ocpp.v16 import call

from conftest import EVSE_ID
from ocpp_peer import (
    aapi, actions, assert_same_instant, charger_clock, connected, evse, register_card, register_driver,
    sessions_of, start_from_app, wait_for,
)

CARD = "04A2B3C4D5E6F7"
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def energy_sample(timestamp, value, unit, context):
    return {"timestamp": timestamp, "sampled_value": [
        {"value": value, "unit": unit, "context": context, "measurand": "Energy.Active.Import.Register"}]}


def test_offline_replay_after_reconnecting(server):
    asyncio.run(offline_replay(f"http://{server}", server))


async def offline_replay(base, server):
    token = await register_driver(base, "card-owner")
    await register_card(base, token, CARD)

    # Online first, then the connection drops.
    async with connected(server) as before:
        await before.charger.boot()
        await before.charger.status(1, "Available")

    async def offline():
        return (await evse(base, token))["online"] is False
    await wait_for("the EVSE to show offline", offline)

    # Back online: the charger replays what happened while it was offline, two hours ago.
    t0 = datetime.now(timezone.utc) - 2 * HOUR

    def at(offset):
        return charger_clock(offset, t0)

    async with connected(server) as station:
        charger = station.charger
        await charger.boot()
        started = await charger.ask(call.StartTransaction(connector_id=1, id_tag=CARD, meter_start=50_000, timestamp=at(timedelta(0))))
        assert started.id_tag_info["status"] == "Accepted", f"replayed StartTransaction: {started}"
        transaction_id = started.transaction_id
        for offset, value, unit in [(20 * MINUTE, "52.5", "kWh"), (40 * MINUTE, "55000", "Wh")]:
            await charger.ask(call.MeterValues(connector_id=1, transaction_id=transaction_id,
                                               meter_value=[energy_sample(at(offset), value, unit, "Sample.Periodic")]))
        sessions = await sessions_of(base, token)
        assert len(sessions) == 1, f"the card's driver sees the replayed session: {sessions}"
        assert sessions[0]["energy_wh"] == 5_000, f"energy after the replayed meter values: {sessions[0]}"

        stopped = await charger.ask(call.StopTransaction(
            meter_stop=57_500, timestamp=at(HOUR), transaction_id=transaction_id, id_tag=CARD, reason="EVDisconnected",
            transaction_data=[energy_sample(at(timedelta(0)), "50000", "Wh", "Transaction.Begin"),
                              energy_sample(at(HOUR), "57.5", "kWh", "Transaction.End")]))
        assert stopped.id_tag_info and stopped.id_tag_info["status"] == "Accepted", f"replayed StopTransaction: {stopped}"
        await charger.status(1, "Available")

        sessions = await sessions_of(base, token)
        assert len(sessions) == 1, f"one session: {sessions}"
        session = sessions[0]
        assert session["status"] == "completed", f"the replayed session: {session}"
        assert session["energy_wh"] == 7_500, "energy = meterStop - meterStart"
        assert_same_instant(session["started_at"], at(timedelta(0)), "started_at keeps the charger's old time")
        assert_same_instant(session["stopped_at"], at(HOUR), "stopped_at keeps the charger's old time")
        assert session["duration_seconds"] == 3_600, "duration = stop - start"

    assert actions(station.checked, 3) == {"BootNotification", "StatusNotification", "StartTransaction", "MeterValues", "StopTransaction"}
    assert actions(station.checked, "CALLERROR") == set(), "the server answered no call with an error"


def unknown_transaction_stop():
    """A StopTransaction for transaction 987654, which this server never issued."""
    t0 = datetime.now(timezone.utc)

    def at(offset):
        return charger_clock(offset, t0)
    return call.StopTransaction(
        meter_stop=25_000, timestamp=at(-HOUR), transaction_id=987_654, id_tag=CARD, reason="PowerLoss",
        transaction_data=[energy_sample(at(-3 * HOUR), "20000", "Wh", "Transaction.Begin"),
                          energy_sample(at(-HOUR), "25.0", "kWh", "Transaction.End")])


def test_stop_transaction_for_a_transaction_the_server_never_saw(server):
    asyncio.run(unknown_transaction(f"http://{server}", server))


async def unknown_transaction(base, server):
    token = await register_driver(base, "card-owner")
    await register_card(base, token, CARD)
    async with connected(server) as station:
        charger = station.charger
        await charger.boot()
        request = unknown_transaction_stop()
        answer = await charger.ask(request)
        assert answer.id_tag_info and answer.id_tag_info["status"] == "Accepted", f"StopTransaction for an unknown transaction: {answer}"

        sessions = await sessions_of(base, token)
        assert len(sessions) == 1, f"the card's driver sees one session from the unknown transaction: {sessions}"
        session = sessions[0]
        assert session["status"] == "completed", f"the session: {session}"
        assert session["energy_wh"] == 25_000 - 20_000, "energy = meterStop - the Transaction.Begin register"
        assert session["evse_id"] == EVSE_ID, "the session is at the charger's EVSE"
        assert_same_instant(session["stopped_at"], request.timestamp, "stopped_at")

    assert actions(station.checked, 3) == {"BootNotification", "StopTransaction"}


def test_a_retransmitted_meter_values_is_answered_and_applied_once(server):
    asyncio.run(retransmission(f"http://{server}", server, "MeterValues"))


def test_a_retransmitted_stop_transaction_is_answered_and_applied_once(server):
    asyncio.run(retransmission(f"http://{server}", server, "StopTransaction"))


async def retransmission(base, server, action):
    """Sends `action` twice with the same message id during an app-started session."""
    token = await register_driver(base)
    t0 = datetime.now(timezone.utc) - 20 * MINUTE

    def at(offset):
        return charger_clock(offset, t0)

    async with connected(server) as station:
        charger = station.charger
        await charger.boot()
        session, transaction_id, _ = await start_from_app(base, charger, token, 1_000, at(timedelta(0)))

        async def read():
            return await aapi("GET", f"{base}/v1/sessions/{session['id']}", token=token)

        if action == "MeterValues":
            request = call.MeterValues(connector_id=1, transaction_id=transaction_id,
                                       meter_value=[energy_sample(at(5 * MINUTE), "3.0", "kWh", "Sample.Periodic")])
            expected = {"status": "charging", "energy_wh": 2_000}
        else:
            await aapi("POST", f"{base}/v1/sessions/{session['id']}/stop", token=token)
            request = call.StopTransaction(meter_stop=4_000, timestamp=at(10 * MINUTE), transaction_id=transaction_id, reason="Remote")
            expected = {"status": "completed", "energy_wh": 3_000}
        message_id = str(uuid.uuid4())

        first = await charger.ask(request, unique_id=message_id)
        applied = await read()
        assert {k: applied[k] for k in expected} == expected, f"after {action}: {applied}"
        # The same CALL again, as a charger sends it that did not get the answer: it must get a
        # CALLRESULT (ask() fails on a CALLERROR), the same answer, and change nothing.
        second = await charger.ask(request, unique_id=message_id)
        assert second == first, f"the retransmitted {action} gets the same answer: {second} vs {first}"
        again = await read()
        assert {k: again[k] for k in expected} == expected, f"after the retransmitted {action}: {again}"
        assert again["version"] == applied["version"], f"the retransmitted {action} (same message id) changed the session again: {again}"
        assert len(await sessions_of(base, token)) == 1, "still one session"

    sent = [frame[1] for frame in station.connection.sent if frame[0] == 2]
    answered = [frame[1] for frame in station.connection.received if frame[0] == 3]
    assert sent.count(message_id) == 2 and answered.count(message_id) == 2, f"{action} {message_id} sent and answered twice"


def test_retransmitted_stop_for_an_unknown_transaction_makes_one_session(server):
    asyncio.run(retransmitted_unknown_stop(f"http://{server}", server))


async def retransmitted_unknown_stop(base, server):
    token = await register_driver(base, "card-owner")
    await register_card(base, token, CARD)
    async with connected(server) as station:
        charger = station.charger
        await charger.boot()
        request = unknown_transaction_stop()
        message_id = str(uuid.uuid4())
        first = await charger.ask(request, unique_id=message_id)
        assert first.id_tag_info and first.id_tag_info["status"] == "Accepted", f"StopTransaction for an unknown transaction: {first}"
        second = await charger.ask(request, unique_id=message_id)
        assert second == first, "the retransmission gets the same answer"

        sessions = await sessions_of(base, token)
        assert len(sessions) == 1, f"one session, not one per retransmission: {sessions}"
        assert sessions[0]["status"] == "completed" and sessions[0]["energy_wh"] == 5_000, f"the session: {sessions[0]}"

    assert actions(station.checked, 3) == {"BootNotification", "StopTransaction"}
