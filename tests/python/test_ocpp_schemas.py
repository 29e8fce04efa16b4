"""An independent OCPP 1.6J charge point (mobilityhouse `ocpp`) drives a whole session against
the real server. Every frame the server sends is validated against the official OCPP 1.6 JSON
schemas shipped with the `ocpp` package — by the library itself and again explicitly here."""

import asyncio
import json

import jsonschema
import websockets
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result

from conftest import CHARGER_ID, EVSE_ID
from ocpp_peer import SCHEMAS, RecordingConnection, http, now, validate_server_frames


class PeerChargePoint(ChargePoint):
    """Accepts remote start/stop and answers them like a real charger."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.transaction_id = None
        self.started = asyncio.Event()
        self.stopped = asyncio.Event()

    @on("RemoteStartTransaction")
    def remote_start(self, id_tag, connector_id=None, **_):
        self.id_tag = id_tag
        return call_result.RemoteStartTransaction(status="Accepted")

    @after("RemoteStartTransaction")
    async def start_transaction(self, id_tag, connector_id=None, **_):
        answer = await self.call(call.StartTransaction(connector_id=1, id_tag=id_tag, meter_start=10_000, timestamp=now()))
        assert answer.id_tag_info["status"] == "Accepted"
        self.transaction_id = answer.transaction_id
        self.started.set()

    @on("RemoteStopTransaction")
    def remote_stop(self, transaction_id, **_):
        assert transaction_id == self.transaction_id
        return call_result.RemoteStopTransaction(status="Accepted")

    @after("RemoteStopTransaction")
    async def stop_transaction(self, transaction_id, **_):
        await self.call(call.StopTransaction(meter_stop=12_500, timestamp=now(), transaction_id=transaction_id, reason="Remote"))
        self.stopped.set()


def test_a_whole_session_with_an_independent_charge_point(server):
    asyncio.run(whole_session(server))


async def whole_session(server):
    base = f"http://{server}"
    async with websockets.connect(f"ws://{server}/ocpp/{CHARGER_ID}", subprotocols=["ocpp1.6"]) as socket:
        assert socket.subprotocol == "ocpp1.6"
        connection = RecordingConnection(socket)
        charger = PeerChargePoint(CHARGER_ID, connection)
        listening = asyncio.create_task(charger.start())

        boot = await charger.call(call.BootNotification(charge_point_model="Peer", charge_point_vendor="mobilityhouse"))
        assert boot.status == "Accepted" and boot.interval > 0
        await charger.call(call.Heartbeat())
        await charger.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available", timestamp=now()))
        unknown = await charger.call(call.Authorize(id_tag="NOBODY"))
        assert unknown.id_tag_info["status"] == "Invalid"

        account = await asyncio.to_thread(http, "POST", f"{base}/v1/auth/register", {"email": "py@example.com", "password": "correct horse battery"})
        token = account["token"]
        session = await asyncio.to_thread(http, "POST", f"{base}/v1/sessions", {"evse_id": EVSE_ID}, token)
        await asyncio.wait_for(charger.started.wait(), 10)
        meter = [{"timestamp": now(), "sampled_value": [
            {"value": "11.25", "unit": "kWh", "measurand": "Energy.Active.Import.Register", "context": "Sample.Periodic"},
            {"value": "7400", "unit": "W", "measurand": "Power.Active.Import"},
        ]}]
        await charger.call(call.MeterValues(connector_id=1, transaction_id=charger.transaction_id, meter_value=meter))
        live = await asyncio.to_thread(http, "GET", f"{base}/v1/sessions/{session['id']}", None, token)
        assert live["status"] == "charging" and live["energy_wh"] == 1_250 and live["power_w"] == 7_400

        await asyncio.to_thread(http, "POST", f"{base}/v1/sessions/{session['id']}/stop", None, token)
        await asyncio.wait_for(charger.stopped.wait(), 10)
        done = await asyncio.to_thread(http, "GET", f"{base}/v1/sessions/{session['id']}", None, token)
        assert done["status"] == "completed" and done["energy_wh"] == 2_500
        listening.cancel()

    checked = validate_server_frames(connection)
    sent_by_server = {action for kind, action in checked if kind == 2}
    answered = {action for kind, action in checked if kind == 3}
    assert sent_by_server == {"RemoteStartTransaction", "RemoteStopTransaction"}
    assert answered == {"BootNotification", "Heartbeat", "StatusNotification", "Authorize", "StartTransaction", "MeterValues", "StopTransaction"}


def test_malformed_frames_get_callerrors_that_fit_the_spec(server):
    asyncio.run(malformed_frames(server))


async def malformed_frames(server):
    async with websockets.connect(f"ws://{server}/ocpp/{CHARGER_ID}", subprotocols=["ocpp1.6"]) as socket:
        for text, code in [
            ("{not json", "FormationViolation"),
            ('[2, "a1", "NoSuchAction", {}]', "NotImplemented"),
            ('[2, "a2", "BootNotification", {"chargePointVendor": "x"}]', "OccurenceConstraintViolation"),
        ]:
            await socket.send(text)
            answer = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert answer[0] == 4 and answer[2] == code and len(answer) == 5, answer
            assert isinstance(answer[3], str) and isinstance(answer[4], dict)
        # Still connected.
        await socket.send('[2, "a3", "Heartbeat", {}]')
        answer = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert answer[:2] == [3, "a3"]
        jsonschema.validate(answer[2], json.loads((SCHEMAS / "HeartbeatResponse.json").read_text()))
