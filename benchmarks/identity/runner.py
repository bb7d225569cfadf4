"""Run Ventanilla's identity engine on one interchange file and write its links.

It starts the embedded runtime from the synthesized template (moto server in its own process, so the
CPU time measured here is the engine's and boto3's, not the emulator's), then runs exactly what
`ventanilla import FILE` and `ventanilla export-links OUT` run, in this process, counting every AWS
request the engine makes.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.identity.capacity import CapacityMeter

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class EngineRun:
    touchpoints: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    requests: Counter[str] = field(default_factory=Counter)
    capacity: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: int = 0

    @property
    def per_touchpoint(self) -> dict[str, float]:
        n = max(self.touchpoints, 1)
        return {op: round(count / n, 3) for op, count in sorted(self.requests.items())}


@contextmanager
def moto_process() -> Iterator[str]:
    """A moto server in a separate process on 127.0.0.1 (so its CPU is not counted as ours)."""
    from ventanilla_local.emulator import free_port

    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "ventanilla_local.moto_patches", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import requests

        for _ in range(100):
            try:
                requests.get(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a busy emulator: the results are already written, just stop it
            process.kill()
            process.wait(timeout=30)


def _count_requests(client: Any, counter: Counter[str]) -> None:
    service = client.meta.service_model.service_name

    def count(model: Any, **_: Any) -> None:
        counter[f"{service}:{model.name}"] += 1

    client.meta.events.register("before-call.*.*", count)


@contextmanager
def local_stack(cdk_out: Path | None = None) -> Iterator[Any]:
    """The embedded runtime (no HTTP traffic needed here) against a fresh moto process."""
    from ventanilla_local.runtime import LocalRuntime

    with moto_process() as endpoint, tempfile.TemporaryDirectory() as state:
        runtime = LocalRuntime(cdk_out or ROOT / "cdk.out", Path(state), port=0, emulator_endpoint=endpoint)
        with runtime:
            yield runtime


def run_engine(interchange_path: Path, links_out_path: Path, runtime: Any = None) -> EngineRun:
    """Import `interchange_path` in file order and export the touchpoint -> citizen links."""
    from ventanilla_local import bulk

    if runtime is None:
        with local_stack() as started:
            return run_engine(interchange_path, links_out_path, started)
    target = bulk.local_target(runtime.state_dir)
    engine = bulk.engine_for(target)
    run = EngineRun()
    clients = (getattr(port, "_client", None) for port in (engine.identity, engine.touchpoints, engine.publisher))
    meter = CapacityMeter()
    for client in {id(c): c for c in clients if c is not None}.values():
        _count_requests(client, run.requests)
        if client.meta.service_model.service_name == "dynamodb":
            meter.attach(client)
    wall, cpu = time.perf_counter(), time.process_time()
    report = bulk.import_file(interchange_path, engine, progress=False)
    run.seconds, run.cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    run.touchpoints, run.outcomes, run.errors = report.imported, report.outcomes, len(report.errors)
    run.requests = Counter(run.requests)  # freeze: the export below is not part of resolution
    run.capacity = Counter(meter.units)
    bulk.export_links(links_out_path, engine, target.table_name, target.client("dynamodb"))
    return run
