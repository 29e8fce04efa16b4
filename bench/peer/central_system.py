"""A small OCPP 1.6J central system on the Python `ocpp` package (mobilityhouse), the peer
measured beside ChargeKit by `chargekit-load` (docs/benchmarks.md, "Chargers one server holds").

It does what ChargeKit does per message, the straightforward way: each MeterValues (and each
StatusNotification) is committed to SQLite (WAL, synchronous=FULL, one transaction and so one
disk sync per message) before it is answered; BootNotification and Heartbeat are answered
from memory. The commits run on one writer thread, so the event loop keeps serving sockets
while the disk syncs. Any charge point id is accepted at /ocpp/{id}.

    python central_system.py --port 9000 --database /tmp/peer.db

prints `listening on 127.0.0.1:PORT pid PID` once it accepts connections.
"""

import argparse
import asyncio
import concurrent.futures
import json
import logging
import os
import sqlite3
from datetime import datetime, timezone

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp
from ocpp.v16 import call_result
from ocpp.v16.enums import Action, RegistrationStatus


class Store:
    """One SQLite connection, used only by the one writer thread."""

    def __init__(self, path):
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        self.executor.submit(self._open, path).result()

    def _open(self, path):
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS meter_values (id INTEGER PRIMARY KEY, charger_id TEXT, connector_id INTEGER,"
            " transaction_id INTEGER, at TEXT, sampled_values TEXT, received_at TEXT)"
        )
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS status_events (id INTEGER PRIMARY KEY, charger_id TEXT, connector_id INTEGER,"
            " status TEXT, error_code TEXT, at TEXT)"
        )

    def _commit(self, sql, params):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(sql, params)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    async def commit(self, sql, params):
        await asyncio.get_running_loop().run_in_executor(self.executor, self._commit, sql, params)


def now():
    return datetime.now(timezone.utc).isoformat()


class ChargePoint(Cp):
    store: Store

    @on(Action.boot_notification)
    async def on_boot(self, charge_point_vendor, charge_point_model, **_):
        return call_result.BootNotification(current_time=now(), interval=60, status=RegistrationStatus.accepted)

    @on(Action.heartbeat)
    async def on_heartbeat(self):
        return call_result.Heartbeat(current_time=now())

    @on(Action.status_notification)
    async def on_status(self, connector_id, error_code, status, **kwargs):
        await self.store.commit(
            "INSERT INTO status_events (charger_id, connector_id, status, error_code, at) VALUES (?, ?, ?, ?, ?)",
            (self.id, connector_id, status, error_code, kwargs.get("timestamp") or now()),
        )
        return call_result.StatusNotification()

    @on(Action.meter_values)
    async def on_meter_values(self, connector_id, meter_value, transaction_id=None, **_):
        at = meter_value[0].get("timestamp") if meter_value else None
        await self.store.commit(
            "INSERT INTO meter_values (charger_id, connector_id, transaction_id, at, sampled_values, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (self.id, connector_id, transaction_id, at, json.dumps(meter_value), now()),
        )
        return call_result.MeterValues()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    ChargePoint.store = Store(args.database)

    async def serve(connection):
        charge_point_id = connection.request.path.rstrip("/").rsplit("/", 1)[-1]
        if connection.subprotocol != "ocpp1.6":
            await connection.close(code=1002, reason="subprotocol ocpp1.6 required")
            return
        try:
            await ChargePoint(charge_point_id, connection).start()
        except websockets.exceptions.ConnectionClosed:
            pass

    # OCPP frames are small; a small read limit per connection, like ChargeKit's 8 KiB buffer.
    async with websockets.serve(serve, args.host, args.port, subprotocols=["ocpp1.6"], max_size=256 * 1024,
                                ping_interval=None, compression=None) as server:
        host, port = server.sockets[0].getsockname()[:2]
        print(f"listening on {host}:{port} pid {os.getpid()}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
