"""Boot, status, heartbeat, remote start/stop, meter values and an unknown idTag, played by the
mobilityhouse charge point against the real server. The library validates every CALL it sends
and every CALLRESULT it receives; at the end of each connection every frame the server sent is
validated again against the official schemas (`ocpp_peer.validate_server_frames`)."""

import asyncio
from datetime import datetime, timedelta, timezone

from ocpp.v16 import call

from conftest import EVSE_ID
from ocpp_peer import (
    aapi, actions, assert_same_instant, charger_clock, connected, evse, register_driver, sessions_of,
    start_from_app, stop_from_app, wait_for,
)

MINUTE = timedelta(minutes=1)


def test_boot_status_notifications_and_heartbeat(server):
    asyncio.run(boot_status_heartbeat(f"http://{server}", server))


async def boot_status_heartbeat(base, server):
    token = await register_driver(base)
    async with connected(server) as station:
        charger = station.charger
        booted = await charger.boot()
        assert booted.interval > 0, f"heartbeat interval: {booted.interval}"
        clock = datetime.fromisoformat(booted.current_time.replace("Z", "+00:00"))
        assert abs(clock - datetime.now(timezone.utc)) < MINUTE, f"BootNotification currentTime {booted.current_time}"

        await charger.status(0, "Available")
        await charger.status(1, "Available")
        seen = await evse(base, token)
        assert seen["online"] is True and seen["status"] == "Available", f"the EVSE after StatusNotification(Available): {seen}"

        beat = await charger.ask(call.Heartbeat())
        clock = datetime.fromisoformat(beat.current_time.replace("Z", "+00:00"))
        assert abs(clock - datetime.now(timezone.utc)) < MINUTE, f"Heartbeat currentTime {beat.current_time}"

        await charger.ask(call.StatusNotification(
            connector_id=1, error_code="GroundFailure", status="Faulted", info="RCD tripped", vendor_error_code="E42"))
        seen = await evse(base, token)
        assert seen["status"] == "Faulted", f"the EVSE after StatusNotification(Faulted): {seen}"

    assert actions(station.checked, 3) == {"BootNotification", "StatusNotification", "Heartbeat"}
    assert actions(station.checked, 2) == set(), "the server sent no command"

    async def offline():
        return (await evse(base, token))["online"] is False
    await wait_for("the EVSE to show offline after the charger disconnected", offline)


def test_remote_start_and_stop_through_the_driver_api(server):
    asyncio.run(remote_start_and_stop(f"http://{server}", server))


async def remote_start_and_stop(base, server):
    token = await register_driver(base)
    async with connected(server) as station:
        charger = station.charger
        await charger.boot()
        await charger.status(1, "Available")

        t0 = datetime.now(timezone.utc)
        started_at = charger_clock(-5 * MINUTE, t0)
        key = "py-remote-start-1"
        session, transaction_id, id_tag = await start_from_app(base, charger, token, 10_000, started_at, key)
        assert isinstance(transaction_id, int)
        assert 0 < len(id_tag) <= 20, f"the app idTag is a CiString20: {id_tag}"
        assert_same_instant(session["started_at"], started_at, "started_at (the charger's clock)")

        again = await aapi("POST", f"{base}/v1/sessions", {"evse_id": EVSE_ID}, token, {"Idempotency-Key": key}, expect=(200, 201))
        assert again["id"] == session["id"], "a retried start with the same Idempotency-Key answers the first session"
        assert len(charger.remote_starts) == 1, "a retried start sends no second RemoteStartTransaction"

        await charger.ask(call.MeterValues(connector_id=1, transaction_id=transaction_id, meter_value=[{
            "timestamp": charger_clock(-4 * MINUTE, t0),
            "sampled_value": [{"value": "11.25", "unit": "kWh", "measurand": "Energy.Active.Import.Register", "context": "Sample.Periodic"}],
        }]))
        live = await aapi("GET", f"{base}/v1/sessions/{session['id']}", token=token)
        assert live["energy_wh"] == 1_250, f"energy while charging: {live}"

        stopped_at = charger_clock(-3 * MINUTE, t0)
        stop = await stop_from_app(base, charger, token, session["id"], transaction_id, 13_250, stopped_at)
        # A remote stop names no idTag, so its answer carries no idTagInfo (OCPP 1.6: the status is the stopping tag's).
        assert stop.id_tag_info is None, f"StopTransaction answer: {stop}"

        done = await aapi("GET", f"{base}/v1/sessions/{session['id']}", token=token)
        assert done["status"] == "completed", f"the session after StopTransaction: {done}"
        assert done["energy_wh"] == 13_250 - 10_000, "energy = meterStop - meterStart"
        assert_same_instant(done["started_at"], started_at, "started_at")
        assert_same_instant(done["stopped_at"], stopped_at, "stopped_at")
        assert done["duration_seconds"] == 120, "duration = stop - start on the charger's clock"
        assert len(await sessions_of(base, token)) == 1, "the driver has exactly one session"

    assert actions(station.checked, 2) == {"RemoteStartTransaction", "RemoteStopTransaction"}
    assert actions(station.checked, 3) == {"BootNotification", "StatusNotification", "StartTransaction", "MeterValues", "StopTransaction"}
    assert actions(station.checked, "CALLERROR") == set(), "the server answered no call with an error"


def test_meter_values_with_several_measurands_phases_and_units(server):
    asyncio.run(meter_values(f"http://{server}", server))


def phases(measurand, unit, value, names=("L1", "L2", "L3")):
    return [{"value": value, "unit": unit, "measurand": measurand, "phase": p, "context": "Sample.Periodic", "location": "Outlet"} for p in names]


async def meter_values(base, server):
    token = await register_driver(base)
    t0 = datetime.now(timezone.utc) - 30 * MINUTE

    def at(seconds):
        return charger_clock(timedelta(seconds=seconds), t0)

    async with connected(server) as station:
        charger = station.charger
        await charger.boot()
        session, transaction_id, _ = await start_from_app(base, charger, token, 10_000, at(0))

        async def send(meter_value):
            await charger.ask(call.MeterValues(connector_id=1, transaction_id=transaction_id, meter_value=meter_value))
            return await aapi("GET", f"{base}/v1/sessions/{session['id']}", token=token)

        # Energy in kWh; power only per phase (no total), amid other measurands.
        seen = await send([{"timestamp": at(60), "sampled_value": [
            {"value": "10.5", "unit": "kWh", "measurand": "Energy.Active.Import.Register", "context": "Sample.Periodic", "location": "Outlet"},
            *phases("Power.Active.Import", "W", "3680"),
            *phases("Current.Import", "A", "16.0"),
            *phases("Voltage", "V", "230.1", ("L1-N", "L2-N", "L3-N")),
            {"value": "42", "unit": "Percent", "measurand": "SoC", "location": "EV", "context": "Sample.Periodic"},
            {"value": "31.5", "unit": "Celsius", "measurand": "Temperature", "location": "Body", "context": "Sample.Periodic"},
        ]}])
        assert seen["energy_wh"] == 500, f"10.5 kWh - 10000 Wh: {seen}"
        assert seen["power_w"] == 11_040, f"three phases of 3680 W: {seen}"

        # Energy in Wh; a total power in kW next to its phases (the total counts); export and
        # offered power must not be taken for import.
        seen = await send([{"timestamp": at(120), "sampled_value": [
            {"value": "11250", "unit": "Wh", "measurand": "Energy.Active.Import.Register"},
            {"value": "7", "unit": "Wh", "measurand": "Energy.Active.Export.Register"},
            {"value": "7.4", "unit": "kW", "measurand": "Power.Active.Import"},
            *phases("Power.Active.Import", "W", "2466"),
            {"value": "22", "unit": "kW", "measurand": "Power.Offered"},
        ]}])
        assert seen["energy_wh"] == 1_250, f"11250 Wh - 10000 Wh: {seen}"
        assert seen["power_w"] == 7_400, f"a 7.4 kW total: {seen}"

        # Two samples in one request, newest first; the newest has neither measurand nor unit
        # (Energy.Active.Import.Register in Wh by default).
        seen = await send([
            {"timestamp": at(240), "sampled_value": [{"value": "12000"}]},
            {"timestamp": at(180), "sampled_value": [{"value": "11.8", "unit": "kWh", "measurand": "Energy.Active.Import.Register"}]},
        ])
        assert seen["energy_wh"] == 2_000, f"the newest of two samples (12000 Wh): {seen}"

        await stop_from_app(base, charger, token, session["id"], transaction_id, 12_300, at(300))
        done = await aapi("GET", f"{base}/v1/sessions/{session['id']}", token=token)
        assert done["status"] == "completed", f"the session after StopTransaction: {done}"
        assert done["energy_wh"] == 2_300, "energy = meterStop - meterStart"
        assert done["duration_seconds"] == 300, "duration = stop - start"

    assert actions(station.checked, "CALLERROR") == set(), "the server answered no call with an error"


def test_an_unknown_id_tag_is_refused(server):
    asyncio.run(unknown_id_tag(f"http://{server}", server))


async def unknown_id_tag(base, server):
    token = await register_driver(base)
    async with connected(server) as station:
        charger = station.charger
        await charger.boot()
        authorized = await charger.ask(call.Authorize(id_tag="UNKNOWN-4711"))
        assert authorized.id_tag_info["status"] == "Invalid", f"Authorize of an unknown idTag: {authorized}"

        # A charger that starts anyway (say, offline authorization) learns the tag is invalid.
        started = await charger.ask(call.StartTransaction(connector_id=1, id_tag="UNKNOWN-4711", meter_start=0, timestamp=charger_clock()))
        assert started.id_tag_info["status"] == "Invalid", f"StartTransaction with an unknown idTag: {started}"
        assert isinstance(started.transaction_id, int), "StartTransaction always answers a transactionId"
        assert await sessions_of(base, token) == [], "no driver got a session from an unknown tag"

    assert actions(station.checked, 3) == {"BootNotification", "Authorize", "StartTransaction"}
