"""Local RFID authorization: cards registered through the driver API (`POST /v1/tokens`, blocked
with `PATCH /v1/tokens/{id_tag}`), presented at the charger: Authorize, then StartTransaction
with the card's idTag and no remote start. Every server frame is validated against the schemas."""

import asyncio
from datetime import datetime, timedelta, timezone

from ocpp.v16 import call

from conftest import EVSE_ID
from ocpp_peer import (
    aapi, actions, assert_same_instant, charger_clock, connected, register_card, register_driver, sessions_of,
)

CARD = "04A2B3C4D5E6F7"
LOST_CARD = "04C1D2E3F4A5B6"
MINUTE = timedelta(minutes=1)


def test_a_registered_card_is_authorized_locally_and_charges_for_its_driver(server):
    asyncio.run(local_rfid(f"http://{server}", server))


async def local_rfid(base, server):
    owner = await register_driver(base, "card-owner")
    await register_card(base, owner, CARD)
    other = await register_driver(base, "lost-card")
    await register_card(base, other, LOST_CARD)
    blocked = await aapi("PATCH", f"{base}/v1/tokens/{LOST_CARD}", {"status": "blocked"}, other, expect=(200, 204))
    if blocked is not None:
        assert blocked["status"] == "blocked", f"PATCH answer: {blocked}"

    async with connected(server) as station:
        charger = station.charger
        await charger.boot()
        await charger.status(1, "Available")

        async def authorize(id_tag):
            return (await charger.ask(call.Authorize(id_tag=id_tag))).id_tag_info["status"]
        assert await authorize(CARD) == "Accepted", "Authorize with a registered card"
        assert await authorize(LOST_CARD) == "Blocked", "Authorize with a blocked card"
        assert await authorize("04FFFFFFFFFFFF") == "Invalid", "Authorize with an unknown card"

        t0 = datetime.now(timezone.utc)
        started_at = charger_clock(-10 * MINUTE, t0)
        await charger.status(1, "Preparing", started_at)
        started = await charger.ask(call.StartTransaction(connector_id=1, id_tag=CARD, meter_start=2_000, timestamp=started_at))
        assert started.id_tag_info["status"] == "Accepted", f"StartTransaction with a registered card: {started}"
        assert isinstance(started.transaction_id, int)
        await charger.status(1, "Charging", started_at)

        sessions = await sessions_of(base, owner)
        assert len(sessions) == 1, f"the card's driver sees the session: {sessions}"
        charging = sessions[0]
        assert charging["status"] == "charging", f"the card session after StartTransaction: {charging}"
        assert charging["evse_id"] == EVSE_ID, "the session is at the charger's EVSE"
        assert_same_instant(charging["started_at"], started_at, "started_at")

        await charger.ask(call.MeterValues(connector_id=1, transaction_id=started.transaction_id, meter_value=[{
            "timestamp": charger_clock(-5 * MINUTE, t0),
            "sampled_value": [{"value": "2.75", "unit": "kWh", "measurand": "Energy.Active.Import.Register"}],
        }]))
        live = await aapi("GET", f"{base}/v1/sessions/{charging['id']}", token=owner)
        assert live["energy_wh"] == 750, f"energy while charging: {live}"

        stopped_at = charger_clock(-MINUTE, t0)
        stopped = await charger.ask(call.StopTransaction(
            meter_stop=3_500, timestamp=stopped_at, transaction_id=started.transaction_id, id_tag=CARD, reason="Local"))
        assert stopped.id_tag_info and stopped.id_tag_info["status"] == "Accepted", f"StopTransaction answer: {stopped}"
        await charger.status(1, "Available", stopped_at)

        sessions = await sessions_of(base, owner)
        assert len(sessions) == 1, f"still one session: {sessions}"
        done = sessions[0]
        assert done["status"] == "completed", f"the card session after StopTransaction: {done}"
        assert done["energy_wh"] == 3_500 - 2_000, "energy = meterStop - meterStart"
        assert_same_instant(done["stopped_at"], stopped_at, "stopped_at")
        assert await sessions_of(base, other) == [], "the blocked card's driver has no session"

    assert actions(station.checked, 3) == {"BootNotification", "StatusNotification", "Authorize", "StartTransaction", "MeterValues", "StopTransaction"}
    assert actions(station.checked, "CALLERROR") == set(), "the server answered no call with an error"
