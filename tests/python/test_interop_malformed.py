"""Malformed frames, sent as raw text over a plain WebSocket. The server must answer each CALL it
cannot accept with the CALLERROR that OCPP-J 1.6 §4.2.3 names (codes spelled as in 1.6; the
1.6 errata keep `FormationViolation` and `OccurenceConstraintViolation`), never answer a
CALLRESULT, and keep the connection up."""

import asyncio
import json

import jsonschema
import pytest
import websockets

from conftest import CHARGER_ID
from ocpp_peer import CALLERROR_CODES, SCHEMAS, now

NOW = now()

# (frame text, expected code, expected message id). A frame whose message id cannot be read is
# answered with the id "-1" (the convention of ocpp-rpc and OCPP 2.0.1; OCPP-J 1.6 is silent).
CASES = [
    # Not JSON, or not an OCPP-J array.
    ("this is not JSON", "FormationViolation", "-1"),
    ('{"messageTypeId": 2}', "FormationViolation", "-1"),
    ('[2, 17, "Heartbeat", {}]', "FormationViolation", "-1"),
    ('[2, "short", "Heartbeat"]', "FormationViolation", "short"),
    ('[2, "long", "Heartbeat", {}, {}]', "FormationViolation", "long"),
    ('[2, "array-payload", "Heartbeat", []]', "FormationViolation", "array-payload"),
    # An action OCPP 1.6 does not define: "Requested Action is not known by receiver".
    ('[2, "unknown-action", "BrewCoffee", {}]', "NotImplemented", "unknown-action"),
    # An OCPP 1.6 action (Firmware Management profile) this central system does not support:
    # "Requested Action is recognized but not supported by the receiver".
    ('[2, "unsupported-action", "ClearCache", {}]', "NotSupported", "unsupported-action"),
    # Wrong payload types.
    ('[2, "vendor-number", "BootNotification", {"chargePointVendor": 42, "chargePointModel": "X"}]', "TypeConstraintViolation", "vendor-number"),
    ('[2, "connector-string", "StatusNotification", {"connectorId": "1", "errorCode": "NoError", "status": "Available"}]', "TypeConstraintViolation", "connector-string"),
    (f'[2, "value-number", "MeterValues", {{"connectorId": 1, "meterValue": [{{"timestamp": "{NOW}", "sampledValue": [{{"value": 12.5}}]}}]}}]', "TypeConstraintViolation", "value-number"),
    # A required field missing.
    (f'[2, "no-meter-start", "StartTransaction", {{"connectorId": 1, "idTag": "X", "timestamp": "{NOW}"}}]', "OccurenceConstraintViolation", "no-meter-start"),
    ('[2, "no-model", "BootNotification", {"chargePointVendor": "X"}]', "OccurenceConstraintViolation", "no-model"),
    # Well-formed and well-typed, but a value outside its enumeration: "Payload is syntactically
    # correct but at least one field contains an invalid value".
    (f'[2, "bad-status", "StatusNotification", {{"connectorId": 1, "errorCode": "NoError", "status": "Resting", "timestamp": "{NOW}"}}]', "PropertyConstraintViolation", "bad-status"),
]


def assert_call_error(answer):
    assert answer[0] == 4, f"a CALLERROR expected, got {answer}"
    assert len(answer) == 5, f"a CALLERROR has 5 elements: {answer}"
    assert answer[2] in CALLERROR_CODES, f"{answer[2]!r} is not an OCPP-J 1.6 code"
    assert isinstance(answer[3], str) and isinstance(answer[4], dict), f"description and details: {answer}"


async def exchange(socket, frame):
    await socket.send(frame)
    text = await asyncio.wait_for(socket.recv(), 5)
    assert isinstance(text, str), "OCPP-J answers are text frames"
    return json.loads(text)


async def still_connected(socket):
    answer = await exchange(socket, '[2, "still-here", "Heartbeat", {}]')
    assert answer[:2] == [3, "still-here"], f"the next frame must answer the Heartbeat: {answer}"
    jsonschema.validate(answer[2], json.loads((SCHEMAS / "HeartbeatResponse.json").read_text()))


def connect(server):
    return websockets.connect(f"ws://{server}/ocpp/{CHARGER_ID}", subprotocols=["ocpp1.6"])


@pytest.mark.parametrize("frame,code,message_id", CASES, ids=[f"{c[1]}:{c[2]}" for c in CASES])
def test_a_malformed_frame_gets_the_ocpp_j_callerror(server, frame, code, message_id):
    async def run():
        async with connect(server) as socket:
            answer = await exchange(socket, frame)
            assert_call_error(answer)
            assert answer[1:3] == [message_id, code], f"{frame}\n  expected [4, {message_id!r}, {code!r}, ...], got {answer}"
            await still_connected(socket)
    asyncio.run(run())


def test_unknown_message_type_binary_frame_and_stray_callresult(server):
    async def run():
        async with connect(server) as socket:
            # OCPP-J 1.6 names no code for an unknown message type (2.0.1 added
            # MessageTypeNotSupported); a CALLERROR naming the id is due.
            seven = await exchange(socket, '[7, "type-seven", {}]')
            assert_call_error(seven)
            assert seven[1] == "type-seven", f"the CALLERROR for message type 7 names its id: {seven}"
            # OCPP-J frames are text.
            binary = await exchange(socket, b'[2, "binary", "Heartbeat", {}]')
            assert_call_error(binary)
            assert binary[2] == "FormationViolation", f"a binary frame: {binary}"
            # A CALLRESULT for a call never made gets no answer; the next CALL does.
            await socket.send('[3, "never-asked", {}]')
            await still_connected(socket)
    asyncio.run(run())
