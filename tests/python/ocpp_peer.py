"""The independent OCPP 1.6J charge point (mobilityhouse `ocpp` over `websockets`) the interop
tests drive, the driver API client, and the check of every frame the server sends against the
official OCPP 1.6 JSON schemas shipped with the `ocpp` package."""

import asyncio
import contextlib
import json
import pathlib
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import jsonschema
import ocpp
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result

from conftest import CHARGER_ID, EVSE_ID

SCHEMAS = pathlib.Path(ocpp.__file__).parent / "v16" / "schemas"
# OCPP-J 1.6 §4.2.3, spelled as there (the 1.6 errata keep `FormationViolation` and `Occurence`).
CALLERROR_CODES = {
    "NotImplemented", "NotSupported", "InternalError", "ProtocolError", "SecurityError", "FormationViolation",
    "PropertyConstraintViolation", "OccurenceConstraintViolation", "TypeConstraintViolation", "GenericError",
}


def now():
    return datetime.now(timezone.utc).isoformat()


def charger_clock(offset=timedelta(0), base=None):
    """A whole-second UTC timestamp, as a charger's clock gives, `offset` from `base` (now)."""
    moment = (base or datetime.now(timezone.utc)).replace(microsecond=0) + offset
    return moment.isoformat().replace("+00:00", "Z")


def instant(text):
    """Parses an RFC 3339 timestamp (any number of fraction digits) to an aware datetime."""
    assert text, "timestamp missing"
    text = text.replace("Z", "+00:00")
    head, sep, rest = text.partition(".")
    if sep:
        digits = "".join(c for c in rest if c.isdigit())
        text = f"{head}.{digits[:6]}{rest[len(digits):]}"
    return datetime.fromisoformat(text)


def assert_same_instant(actual, expected, what):
    assert actual and instant(actual) == instant(expected), f"{what}: {actual}, expected {expected}"


class RecordingConnection:
    """Wraps the WebSocket to keep every frame sent and received."""

    def __init__(self, socket):
        self.socket = socket
        self.sent = []
        self.received = []

    async def send(self, text):
        self.sent.append(json.loads(text))
        await self.socket.send(text)

    async def recv(self):
        text = await self.socket.recv()
        self.received.append(json.loads(text))
        return text


def http(method, url, body=None, token=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read())


def validate_server_frames(connection):
    """Checks each frame the server sent against the schema of its action."""
    our_actions = {frame[1]: frame[2] for frame in connection.sent if frame[0] == 2}
    checked = []
    for frame in connection.received:
        kind = frame[0]
        if kind == 2:
            _, _, action, payload = frame
            schema = SCHEMAS / f"{action}.json"
        elif kind == 3:
            _, message_id, payload = frame
            action = our_actions[message_id]
            schema = SCHEMAS / f"{action}Response.json"
        else:
            assert len(frame) == 5 and frame[2] in CALLERROR_CODES, frame
            checked.append(("CALLERROR", frame[2]))
            continue
        jsonschema.validate(payload, json.loads(schema.read_text()))
        checked.append((kind, action))
    return checked


def actions(checked, kind):
    """The actions of one kind (2 = the server's CALLs, 3 = its answers) in a validation summary."""
    return {action for k, action in checked if k == kind}


# The driver API ---------------------------------------------------------------------------------

def api(method, url, body=None, token=None, headers=None, expect=200):
    """Sends one request; asserts its status (one or a tuple); returns the JSON body or None."""
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    expected = expect if isinstance(expect, tuple) else (expect,)
    path = url.split("/", 3)[-1]
    assert status in expected, f"{method} /{path} answered {status}, expected {' or '.join(map(str, expected))}: {text}"
    return json.loads(text) if text else None


async def aapi(*args, **kwargs):
    """`api` off the event loop, so the charge point keeps answering the server meanwhile."""
    return await asyncio.to_thread(api, *args, **kwargs)


async def register_driver(base, name="driver"):
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
    account = await aapi("POST", f"{base}/v1/auth/register", {"email": email, "password": "correct horse battery"}, expect=201)
    assert isinstance(account.get("token"), str), f"register answered no token: {account}"
    return account["token"]


async def register_card(base, token, uid):
    """Registers an RFID card for the driver (the contract of `POST /v1/tokens`)."""
    card = await aapi("POST", f"{base}/v1/tokens", {"kind": "rfid", "uid": uid}, token, expect=201)
    assert card.get("id_tag") == uid and card.get("kind") == "rfid" and card.get("status") == "active", f"the new card: {card}"
    return card


async def sessions_of(base, token):
    page = await aapi("GET", f"{base}/v1/sessions", token=token)
    assert isinstance(page.get("sessions"), list), f"GET /v1/sessions answered no sessions list: {page}"
    return page["sessions"]


async def evse(base, token):
    return await aapi("GET", f"{base}/v1/evses/{urllib.request.quote(EVSE_ID, safe='')}", token=token)


async def wait_for(what, probe, timeout=10.0):
    """Awaits `probe()` until it returns something truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        last = await probe()
        if last:
            return last
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}; last seen: {last!r}"
        await asyncio.sleep(0.025)


# The charge point -------------------------------------------------------------------------------

class Peer(ChargePoint):
    """Accepts remote start and stop, as a charger with a cable plugged in does, and records them.
    The tests send StartTransaction / StopTransaction themselves, after the command was answered."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.remote_starts = []
        self.remote_stops = []

    @on("RemoteStartTransaction")
    def remote_start(self, id_tag, connector_id=None, **_):
        self.remote_starts.append({"id_tag": id_tag, "connector_id": connector_id})
        return call_result.RemoteStartTransaction(status="Accepted")

    @on("RemoteStopTransaction")
    def remote_stop(self, transaction_id, **_):
        self.remote_stops.append(transaction_id)
        return call_result.RemoteStopTransaction(status="Accepted")

    async def ask(self, payload, unique_id=None):
        """A CALL whose answer must be a CALLRESULT (the library validates it); a CALLERROR fails."""
        return await self.call(payload, suppress=False, unique_id=unique_id)

    async def boot(self):
        answer = await self.ask(call.BootNotification(charge_point_model="Interop", charge_point_vendor="mobilityhouse"))
        assert answer.status == "Accepted", f"BootNotification: {answer}"
        return answer

    async def status(self, connector_id, state, timestamp=None):
        await self.ask(call.StatusNotification(connector_id=connector_id, error_code="NoError", status=state, timestamp=timestamp or now()))


class Station:
    """One connection of the peer; `checked` is the validation summary once it closed."""

    def __init__(self, charger, connection):
        self.charger = charger
        self.connection = connection
        self.checked = None


@contextlib.asynccontextmanager
async def connected(server, charger_id=CHARGER_ID):
    """Connects the peer with subprotocol ocpp1.6; on a clean exit, closes and validates every
    frame the server sent."""
    async with websockets.connect(f"ws://{server}/ocpp/{charger_id}", subprotocols=["ocpp1.6"]) as socket:
        assert socket.subprotocol == "ocpp1.6", "the server must agree on the subprotocol ocpp1.6"
        connection = RecordingConnection(socket)
        station = Station(Peer(charger_id, connection, response_timeout=10), connection)
        listening = asyncio.create_task(station.charger.start())
        try:
            yield station
        finally:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                await listening
    station.checked = validate_server_frames(connection)


async def start_from_app(base, charger, token, meter_start, timestamp, idempotency_key=None):
    """The driver starts from the app; the charger answers the remote start as a real one does.
    Returns (session, transaction_id, id_tag) once the server reports the session charging."""
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    created = await aapi("POST", f"{base}/v1/sessions", {"evse_id": EVSE_ID}, token, headers, expect=201)
    # The server answers only after the charger accepted the remote start.
    assert len(charger.remote_starts) == 1, f"one RemoteStartTransaction expected: {charger.remote_starts}"
    start = charger.remote_starts[0]
    assert start["connector_id"] == 1, f"RemoteStartTransaction names the EVSE's connector: {start}"
    await charger.status(1, "Preparing", timestamp)
    answer = await charger.ask(call.StartTransaction(connector_id=1, id_tag=start["id_tag"], meter_start=meter_start, timestamp=timestamp))
    assert answer.id_tag_info["status"] == "Accepted", f"StartTransaction after a remote start: {answer}"
    await charger.status(1, "Charging", timestamp)
    session = await aapi("GET", f"{base}/v1/sessions/{created['id']}", token=token)
    assert session["status"] == "charging", f"the session after StartTransaction: {session}"
    return session, answer.transaction_id, start["id_tag"]


async def stop_from_app(base, charger, token, session_id, transaction_id, meter_stop, timestamp):
    """The driver stops from the app; the charger answers with StopTransaction (reason Remote)."""
    await aapi("POST", f"{base}/v1/sessions/{session_id}/stop", token=token)
    assert charger.remote_stops == [transaction_id], f"RemoteStopTransaction names the transaction: {charger.remote_stops}"
    answer = await charger.ask(call.StopTransaction(meter_stop=meter_stop, timestamp=timestamp, transaction_id=transaction_id, reason="Remote"))
    await charger.status(1, "Finishing", timestamp)
    await charger.status(1, "Available", timestamp)
    return answer
