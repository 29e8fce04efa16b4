"""Starts the real `chargekit serve` binary on 127.0.0.1:0 with a fresh SQLite file."""

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
BINARY = pathlib.Path(os.environ.get("CHARGEKIT_BIN", TARGET / "debug" / "chargekit"))

CHARGER_ID = "PYCP-0001"
EVSE_ID = "DE*PYT*E0001*1"


@pytest.fixture
def server(tmp_path):
    config = {
        "bind": "127.0.0.1:0",
        "database": str(tmp_path / "server.db"),
        "chargers": [{"charge_point_id": CHARGER_ID, "security_profile": 0, "evses": [{"connector_id": 1, "evse_id": EVSE_ID}]}],
        "charger_call_timeout_secs": 10,
        # A free site: these tests are about OCPP, not about paying.
        "payments": {"unpaid_charging": True},
    }
    config_path = tmp_path / "server.json"
    config_path.write_text(json.dumps(config))
    process = subprocess.Popen(
        [str(BINARY), "serve", "--config", str(config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("listening on "), f"unexpected first line from the server: {line!r}"
        yield line.removeprefix("listening on ")
    finally:
        process.terminate()
        process.wait(timeout=10)
