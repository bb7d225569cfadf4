"""The metered emulator: the project's patched moto server, in its own process, counting every request.

`python -m benchmarks.suite.emulator -p PORT` serves moto on 127.0.0.1 behind a WSGI layer that records, per
caller (the app id in the botocore user agent: each function's name, see `stack.py`), every request by service
and operation, DynamoDB read/write request units (`meter.py`, sized from the items before and after each write),
EventBridge entries, messages sent (SES, SNS SMS), and the time the emulator took to answer each request (the
stand-in for the time a function waits on AWS; medians per operation, so a request that waited for a core
does not count). Two endpoints of its own, on 127.0.0.1 only:

- `GET /__bench/meter` the readings; `POST /__bench/meter/reset` starts a new window;
- `POST /__bench/load` puts items straight into a table's store: the bulk load of a scale run's known population
  (`bulkload.py`), which would otherwise take minutes through BatchWriteItem and measures nothing.

`MeteredEmulator` starts and stops that process and reads it. Its CPU is the emulator's, never a function's.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from benchmarks.suite import meter

METER_PATH = "/__bench/meter"
LOAD_PATH = "/__bench/load"
DEFAULT_ACCOUNT = "123456789012"
EVENT_CHUNK = 64 * 1024
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
READS = ("GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems")

StartResponse = Callable[..., Any]


@dataclass
class Readings:
    """One window of the meter: `requests` by `caller|service|operation`, `units` by `caller|metric`."""

    requests: Counter[str] = field(default_factory=Counter)
    units: dict[str, float] = field(default_factory=dict)
    answer_ms: dict[str, list[float]] = field(default_factory=dict)  # by `caller|service|operation`, in order

    def count(self, caller: str, service: str | None = None, operation: str | None = None) -> float:
        total = 0.0
        for name, value in self.requests.items():
            who, svc, op = name.split("|", 2)
            if who == caller and service in (None, svc) and operation in (None, op):
                total += value
        return total

    def unit(self, caller: str, metric: str) -> float:
        return float(self.units.get(f"{caller}|{metric}", 0.0))

    def callers(self) -> set[str]:
        return {name.split("|", 1)[0] for name in self.requests}

    def operations(self, caller: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for name, value in sorted(self.requests.items()):
            who, svc, op = name.split("|", 2)
            if who == caller:
                found[f"{svc}:{op}"] = int(value)
        return found

    def wait_ms(self, caller: str) -> float:
        """What the caller waited on the emulator in all: per operation, its count times its median answer time."""
        total = 0.0
        for name, count in self.requests.items():
            samples = self.answer_ms.get(name)
            if name.split("|", 1)[0] == caller and samples:
                total += count * statistics.median(samples)
        return total

    def minus(self, earlier: Readings) -> Readings:
        answers = {k: v[len(earlier.answer_ms.get(k, [])) :] for k, v in self.answer_ms.items()}
        return Readings(
            self.requests - earlier.requests,
            _subtract(self.units, earlier.units),
            {k: v for k, v in answers.items() if v},
        )


def _subtract(later: dict[str, float], earlier: dict[str, float]) -> dict[str, float]:
    return {k: v - earlier.get(k, 0.0) for k, v in later.items() if v - earlier.get(k, 0.0)}


# --- server side ----------------------------------------------------------------------------------------------


class _Tables:
    """Items as the emulator holds them, before and after a write (moto's own store, same process)."""

    def __init__(self, region: str) -> None:
        from moto.dynamodb.models import dynamodb_backends

        self._backend = dynamodb_backends[DEFAULT_ACCOUNT][region]

    def table(self, name: str) -> Any:
        try:
            return self._backend.get_table(name)
        except Exception:
            return None

    def indexes(self, name: str) -> list[meter.IndexKey]:
        table = self.table(name)
        found = []
        for index in getattr(table, "global_indexes", None) or []:
            keys = {k["KeyType"]: k["AttributeName"] for k in index.schema}
            found.append(meter.IndexKey(index.name, keys["HASH"], keys.get("RANGE")))
        return found

    def key_of(self, name: str, item: meter.Item) -> meter.Item:
        table = self.table(name)
        if table is None:
            return {}
        names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
        return {n: item[n] for n in names if n in item}

    def get(self, name: str, key: meter.Item) -> meter.Item | None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        table = self.table(name)
        if table is None or table.hash_key_attr not in key:
            return None
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
        try:
            found = table.get_item(DynamoType(key[table.hash_key_attr]), range_key)
        except Exception:
            return None
        return found.to_json()["Attributes"] if found is not None else None

    def put(self, name: str, items: Iterable[meter.Item]) -> int:
        """Store items as they are, straight into the table's item store (no conditions, no validation: the
        items come from the repositories' own mapping). The collector is paused meanwhile, and what is stored is
        frozen out of its reach afterwards: hundreds of thousands of long-lived objects would otherwise be
        scanned again and again, during the load and during every measurement after it."""
        from moto.dynamodb.models.dynamo_type import DynamoType, Item

        table = self.table(name)
        hash_name, range_name = table.hash_key_attr, table.range_key_attr
        count = 0
        gc.disable()
        try:
            for attributes in items:
                hash_value = DynamoType(attributes[hash_name])
                if range_name:
                    range_value = DynamoType(attributes[range_name])
                    table.items[hash_value][range_value] = Item(hash_value, range_value, attributes)
                else:
                    table.items[hash_value] = Item(hash_value, None, attributes)
                count += 1
        finally:
            gc.enable()
            gc.freeze()
        return count


def _write_targets(operation: str, request: dict[str, Any], tables: _Tables) -> list[tuple[str, meter.Item, bool]]:
    """(table, key, transactional) of every item a write touches."""
    if operation == "PutItem":
        return [(request["TableName"], tables.key_of(request["TableName"], request["Item"]), False)]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(request["TableName"], request["Key"], False)]
    if operation == "BatchWriteItem":
        targets = []
        for table, writes in request.get("RequestItems", {}).items():
            for write in writes:
                item = write.get("PutRequest", {}).get("Item")
                key = tables.key_of(table, item) if item else write.get("DeleteRequest", {}).get("Key", {})
                targets.append((table, key, False))
        return targets
    if operation == "TransactWriteItems":
        targets = []
        for action in request.get("TransactItems", []):
            body = next(iter(action.values()))
            key = tables.key_of(body["TableName"], body["Item"]) if "Item" in body else body.get("Key", {})
            targets.append((body["TableName"], key, True))
        return targets
    return []


class MeteringApp:
    """WSGI layer in front of moto's dispatcher: counts, sizes, and serves the meter and the bulk load."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]], region: str) -> None:
        self._app = app
        self._region = region
        self._lock = threading.Lock()
        self._readings = Readings()
        self._tables: _Tables | None = None

    @property
    def tables(self) -> _Tables:
        if self._tables is None:
            self._tables = _Tables(self._region)
        return self._tables

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/__bench/"):
            return self._own(environ, start_response, path)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        form = parse_qs(body.decode("utf-8", "replace")) if b"Action=" in body[:200] else {}
        call = meter.call_of(
            environ.get("HTTP_USER_AGENT", ""),
            environ.get("HTTP_AUTHORIZATION", ""),
            environ.get("HTTP_X_AMZ_TARGET", ""),
            (form.get("Action") or [None])[0],
            environ.get("REQUEST_METHOD", ""),
            path,
        )
        if call.service == "sns" and call.operation == "Publish" and form.get("PhoneNumber"):
            call = meter.Call(call.caller, call.service, "PublishSMS")
        request = _json(body) if call.service in ("dynamodb", "events") else {}
        targets = _write_targets(call.operation, request, self.tables) if call.service == "dynamodb" else []
        before = [self.tables.get(table, key) for table, key, _ in targets]
        status: list[str] = []

        def capture(code: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *rest)

        started = time.perf_counter()
        response = b"".join(self._app(environ, capture))
        answered_ms = (time.perf_counter() - started) * 1000
        units: dict[str, float] = {}
        if call.service == "dynamodb":
            units.update(self._dynamodb_units(call, request, _json(response), targets, before))
        elif call.service == "events" and call.operation == "PutEvents":
            entries = request.get("Entries", [])
            units["events"] = len(entries)
            for entry in entries:
                name = f"event:{entry.get('DetailType')}"
                units[name] = units.get(name, 0) + 1
            units["event_chunks"] = sum(-(-len(json.dumps(e).encode()) // EVENT_CHUNK) for e in entries)
        elif call.service == "ses" and call.operation in ("SendEmail", "SendRawEmail"):
            units["emails"] = max(1, sum(1 for k in form if k.startswith("Destination.ToAddresses.member")))
        with self._lock:
            key = f"{call.caller}|{call.service}|{call.operation}"
            self._readings.requests[key] += 1
            self._readings.answer_ms.setdefault(key, []).append(round(answered_ms, 3))
            for metric, value in units.items():
                name = f"{call.caller}|{metric}"
                self._readings.units[name] = self._readings.units.get(name, 0.0) + value
        return [response]

    def _dynamodb_units(
        self,
        call: meter.Call,
        request: dict[str, Any],
        response: dict[str, Any],
        targets: list[tuple[str, meter.Item, bool]],
        before: list[meter.Item | None],
    ) -> dict[str, float]:
        units = {"read_units": 0.0, "write_units": 0.0, "index_write_units": 0.0, "stored_bytes": 0.0}
        if call.operation in READS:
            units["read_units"] += meter.read_units_of(call.operation, request, response)
        for (table, key, transactional), old in zip(targets, before, strict=True):
            new = self.tables.get(table, key)
            table_units = meter.write_units(meter.sized(old), meter.sized(new), transactional)
            index_units = meter.index_write_units(old, new, self.tables.indexes(table))
            units["write_units"] += table_units
            units["index_write_units"] += index_units
            kind = f"{meter.WRITTEN_KIND}{meter.item_kind(new or old or key)}"
            units[kind] = units.get(kind, 0.0) + table_units + index_units
            units["stored_bytes"] += meter.sized(new) - meter.sized(old)
        return {k: v for k, v in units.items() if v}

    def _own(self, environ: dict[str, Any], start_response: StartResponse, path: str) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        body: dict[str, Any]
        if path == METER_PATH and method == "GET":
            with self._lock:
                body = {
                    "requests": dict(self._readings.requests),
                    "units": dict(self._readings.units),
                    "answer_ms": {k: list(v) for k, v in self._readings.answer_ms.items()},
                }
        elif path == f"{METER_PATH}/reset" and method == "POST":
            with self._lock:
                self._readings = Readings()
            body = {"reset": True}
        elif path == LOAD_PATH and method == "POST":
            payload = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
            body = {"loaded": self.tables.put(payload["table"], payload["items"])}
        else:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"error": "not found"}']
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body) if body else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suite.emulator", description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args(argv)
    import logging

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from moto.server import MotoRequestHandler
    from werkzeug.serving import make_server

    from ventanilla_local import moto_patches

    moto_patches.install()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = MeteringApp(DomainDispatcherApplication(create_backend_app), args.region)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    server.serve_forever()


# --- client side ----------------------------------------------------------------------------------------------


class MeteredEmulator:
    """A running metered emulator: its endpoint, its readings, and the bulk load."""

    def __init__(self, endpoint: str) -> None:
        import requests

        self.endpoint = endpoint
        self._http = requests.Session()

    def readings(self) -> Readings:
        body = self._http.get(f"{self.endpoint}{METER_PATH}", timeout=30).json()
        return Readings(
            Counter(body["requests"]), {k: float(v) for k, v in body["units"].items()}, body.get("answer_ms", {})
        )

    def reset(self) -> None:
        self._http.post(f"{self.endpoint}{METER_PATH}/reset", timeout=30).raise_for_status()

    def load(self, table: str, items: list[meter.Item], chunk: int = 5000) -> int:
        loaded = 0
        for start in range(0, len(items), chunk):
            answer = self._http.post(
                f"{self.endpoint}{LOAD_PATH}", json={"table": table, "items": items[start : start + chunk]}, timeout=600
            )
            answer.raise_for_status()
            loaded += int(answer.json()["loaded"])
        return loaded


@contextmanager
def metered_emulator() -> Iterator[MeteredEmulator]:
    """Start the metered emulator in its own process on a free loopback port; stop it afterwards."""
    import requests

    from ventanilla_local.emulator import free_port

    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "benchmarks.suite.emulator", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(f"{endpoint}{METER_PATH}", timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None:
                    raise RuntimeError("the metered emulator exited at start") from None
                time.sleep(0.1)
        yield MeteredEmulator(endpoint)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a busy emulator: the readings are already taken
            process.kill()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
