"""The contract: `/openapi.json` as the real server serves it is a valid OpenAPI document, and a
client generated from it with openapi-python-client (at test time, from that very document)
runs a driver's whole journey against the real server, with the mobilityhouse charge point
delivering the energy."""

import asyncio
import importlib
import json
import os
import pathlib
import subprocess
import sys
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import httpx
from ocpp.v16 import call
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator

from conftest import EVSE_ID
from ocpp_peer import charger_clock, connected

# The name the generated package is imported under (the generator's output folder).
CLIENT_PACKAGE = "chargekit_generated_client"


def served_document(server):
    with urllib.request.urlopen(f"http://{server}/openapi.json", timeout=20) as response:
        return json.loads(response.read())


def test_the_served_document_is_valid_openapi(server):
    document = served_document(server)
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == [], f"{len(errors)} errors in /openapi.json:\n" + "\n".join(errors)
    validate(document)  # the validator's own entry point agrees


def test_every_error_response_is_documented_as_api_error(server):
    document = served_document(server)
    wrong = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                    if schema.get("$ref") != "#/components/schemas/ApiError":
                        wrong.append(f"{method.upper()} {path} {status}")
            # `security: [{}]` marks a route that takes no token.
            anonymous = {} in operation.get("security", document.get("security", []))
            if not anonymous and "/v1/" in path and "401" not in operation["responses"]:
                wrong.append(f"{method.upper()} {path}: an authenticated route without its 401")
    assert wrong == [], "error responses not documented as ApiError:\n" + "\n".join(wrong)


def generate_client(server, tmp_path):
    """Generates the client from the served document into tmp_path and imports it. Any warning of
    the generator (a part of the document it could not turn into code) fails the test."""
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(served_document(server)))
    bin_dir = pathlib.Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}  # its ruff post-hook
    generated = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(spec), "--meta", "none",
         "--output-path", str(tmp_path / CLIENT_PACKAGE), "--fail-on-warning"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0 and "Warning" not in output and "Error" not in output, f"openapi-python-client:\n{output}"
    sys.path.insert(0, str(tmp_path))
    for name in [m for m in sys.modules if m == CLIENT_PACKAGE or m.startswith(CLIENT_PACKAGE + ".")]:
        del sys.modules[name]
    return lambda module: importlib.import_module(f"{CLIENT_PACKAGE}.{module}" if module else CLIENT_PACKAGE)


def test_a_generated_client_runs_the_driver_journey(server, tmp_path):
    generated = generate_client(server, tmp_path)
    try:
        asyncio.run(journey(f"http://{server}", server, generated))
    finally:
        sys.path.remove(str(tmp_path))


def first_sse_data(base, token, session_id):
    """The first `data:` of the live stream, as JSON (the generated client does not read SSE)."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    with httpx.stream("GET", f"{base}/v1/sessions/{session_id}/live", headers=headers, timeout=20) as stream:
        assert stream.status_code == 200, f"GET /live answered {stream.status_code}"
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data:"):
                return json.loads(line.removeprefix("data:").strip())
    raise AssertionError("the live stream ended before its first event")


async def journey(base, server, generated):
    client_module, models = generated(""), generated("models")
    register, sign_in = generated("api.auth.register"), generated("api.auth.sign_in")
    lookup_evse = generated("api.evses.lookup_evse")
    sessions = {name: generated(f"api.sessions.{name}") for name in ("start_session", "get_session", "stop_session", "list_sessions")}
    get_receipt = generated("api.receipts.get_receipt")

    anonymous = client_module.Client(base_url=base, raise_on_unexpected_status=True)
    email, password = f"journey-{uuid.uuid4().hex[:8]}@example.com", "correct horse battery"
    registered = await register.asyncio_detailed(client=anonymous, body=models.Credentials(email=email, password=password))
    assert registered.status_code == 201 and isinstance(registered.parsed, models.AuthToken), registered
    signed_in = await sign_in.asyncio(client=anonymous, body=models.Credentials(email=email, password=password))
    assert isinstance(signed_in, models.AuthToken) and signed_in.driver_id == registered.parsed.driver_id, signed_in
    wrong = await sign_in.asyncio(client=anonymous, body=models.Credentials(email=email, password="not the password"))
    assert isinstance(wrong, models.ApiError) and wrong.code == models.ApiErrorCode.UNAUTHORIZED, wrong
    driver = client_module.AuthenticatedClient(base_url=base, token=signed_in.token, raise_on_unexpected_status=True)

    async with connected(server) as station:
        charger = station.charger
        await charger.boot()
        await charger.status(1, "Available")

        evse = await lookup_evse.asyncio(client=driver, evse_id=EVSE_ID)
        assert isinstance(evse, models.EvseInfo), evse
        assert evse.online is True and evse.connector_id == 1 and evse.status == "Available", evse
        assert evse.tariff.currency == "EUR" and evse.tariff.elements, evse.tariff

        # The server answers the start once the charger accepted the remote start (the peer
        # answers on this event loop meanwhile).
        started = await sessions["start_session"].asyncio_detailed(
            client=driver, body=models.StartSessionRequest(evse_id=EVSE_ID), idempotency_key=f"journey-{uuid.uuid4()}")
        assert started.status_code == 201 and isinstance(started.parsed, models.Session), started
        session = started.parsed
        assert session.status == models.SessionStatus.STARTING, session.status
        assert charger.remote_starts and charger.remote_starts[0]["connector_id"] == 1, charger.remote_starts

        t0 = datetime.now(timezone.utc)
        begin = charger_clock(-timedelta(minutes=30), t0)
        answer = await charger.ask(call.StartTransaction(
            connector_id=1, id_tag=charger.remote_starts[0]["id_tag"], meter_start=100_000, timestamp=begin))
        transaction_id = answer.transaction_id
        await charger.status(1, "Charging", begin)
        await charger.ask(call.MeterValues(connector_id=1, transaction_id=transaction_id, meter_value=[{
            "timestamp": charger_clock(-timedelta(minutes=20), t0),
            "sampled_value": [{"value": "104000", "unit": "Wh", "measurand": "Energy.Active.Import.Register"},
                              {"value": "11000", "unit": "W", "measurand": "Power.Active.Import"}],
        }]))

        live = models.Session.from_dict(await asyncio.to_thread(first_sse_data, base, signed_in.token, str(session.id)))
        assert live.id == session.id and live.status == models.SessionStatus.CHARGING, live
        assert live.energy_wh > 0 and live.cost.total_incl_vat_minor > 0, live

        stopping = await sessions["stop_session"].asyncio(client=driver, id=str(session.id))
        assert isinstance(stopping, models.Session) and stopping.status == models.SessionStatus.STOPPING, stopping
        assert charger.remote_stops == [transaction_id], charger.remote_stops
        end = charger_clock(-timedelta(minutes=10), t0)
        await charger.ask(call.StopTransaction(meter_stop=112_000, timestamp=end, transaction_id=transaction_id, reason="Remote"))
        await charger.status(1, "Available", end)

    done = await sessions["get_session"].asyncio(client=driver, id=str(session.id))
    assert isinstance(done, models.Session) and done.status == models.SessionStatus.COMPLETED, done
    assert done.energy_wh == 12_000 and done.duration_seconds == 20 * 60, done
    assert done.started_at is not None and done.stopped_at is not None, done
    cost = done.cost
    assert cost.currency == "EUR" and cost.total_incl_vat_minor > 0, cost
    assert all(isinstance(item.excl_vat_minor, int) and isinstance(item.vat_minor, int) for item in cost.items), cost
    assert sum(item.excl_vat_minor + item.vat_minor for item in cost.items) == cost.total_incl_vat_minor, cost
    assert cost.total_excl_vat_minor + cost.total_vat_minor == cost.total_incl_vat_minor, cost

    page = await sessions["list_sessions"].asyncio(client=driver, limit=10)
    assert isinstance(page, models.SessionPage), page
    assert [s.id for s in page.sessions] == [session.id] and page.sessions[0].status == models.SessionStatus.COMPLETED, page

    receipt = await get_receipt.asyncio(client=driver, id=str(session.id))
    assert isinstance(receipt, models.SignedReceipt) and receipt.algorithm == "Ed25519", receipt
    signed = json.loads(receipt.payload)
    assert signed["session_id"] == str(session.id), signed
    assert signed["priced"]["total_energy_wh"] == done.energy_wh, signed["priced"]
    receipt_cost = models.Cost.from_dict(signed["priced"]["cost"])
    assert receipt_cost.total_incl_vat_minor == cost.total_incl_vat_minor, (receipt_cost, cost)
