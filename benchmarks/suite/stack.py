"""The local stack as the benchmarks run it: the embedded runtime on the metered emulator, with every function
named in its requests, every invocation timed, and each function's worker CPU and log output readable.

- Each function's environment gets `AWS_SDK_UA_APP_ID=<function name>` (botocore puts it in the user agent), so
  the emulator can attribute each request to the function that made it. Nothing else differs from `ventanilla up`.
- `invoke` of each function pool is wrapped to count invocations and their wall time (what Lambda bills, here
  measured on this machine).
- CPU time of each function's worker processes is read from /proc; log bytes from the runtime's per-function logs.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.suite.emulator import MeteredEmulator, Readings, metered_emulator
from ventanilla_local.runtime import LocalRuntime

APP_ID = "AWS_SDK_UA_APP_ID"
WORKER_MODULE = "ventanilla_local.worker"


class MeteredRuntime(LocalRuntime):
    """The embedded runtime, each function's AWS requests carrying the function's name."""

    def function_environment(self, logical_id: str) -> dict[str, str]:
        environment = super().function_environment(logical_id)
        environment[APP_ID] = self.template.functions[logical_id].name
        return environment


@dataclass
class Invocations:
    count: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)

    def minus(self, earlier: Invocations) -> Invocations:
        seconds = {k: v - earlier.seconds.get(k, 0.0) for k, v in self.seconds.items()}
        return Invocations(self.count - earlier.count, {k: v for k, v in seconds.items() if v})

    def copy(self) -> Invocations:
        return Invocations(Counter(self.count), dict(self.seconds))


@dataclass
class Snapshot:
    """Everything measured up to one moment; `window` subtracts an earlier snapshot."""

    requests: Readings
    invocations: Invocations
    cpu_seconds: dict[str, float]
    log_bytes: dict[str, int]
    peak_rss_mb: dict[str, float] = field(default_factory=dict)

    def window(self, earlier: Snapshot) -> Snapshot:
        return Snapshot(
            self.requests.minus(earlier.requests),
            self.invocations.minus(earlier.invocations),
            {k: v - earlier.cpu_seconds.get(k, 0.0) for k, v in self.cpu_seconds.items()},
            {k: v - earlier.log_bytes.get(k, 0) for k, v in self.log_bytes.items()},
            self.peak_rss_mb,
        )


class Stack:
    """A started metered runtime and what can be read from it."""

    def __init__(self, runtime: MeteredRuntime, emulator: MeteredEmulator) -> None:
        self.runtime = runtime
        self.emulator = emulator
        self._invocations = Invocations()
        self._lock = threading.Lock()
        for pool in runtime.pools.values():
            pool.invoke = self._timed(pool.spec.name, pool.invoke)  # type: ignore[method-assign,assignment]

    def _timed(self, name: str, invoke: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def timed(event: Any) -> Any:
            started = time.perf_counter()
            try:
                return invoke(event)
            finally:
                elapsed = time.perf_counter() - started
                with self._lock:
                    self._invocations.count[name] += 1
                    self._invocations.seconds[name] = self._invocations.seconds.get(name, 0.0) + elapsed

        return timed

    def snapshot(self) -> Snapshot:
        with self._lock:
            invocations = self._invocations.copy()
        workers = read_workers()
        return Snapshot(
            self.emulator.readings(),
            invocations,
            {name: w.cpu_seconds for name, w in workers.items()},
            self.log_bytes(),
            {name: w.peak_rss_mb for name, w in workers.items()},
        )

    def log_bytes(self) -> dict[str, int]:
        logs = self.runtime.state_dir / "logs"
        return {path.stem: path.stat().st_size for path in logs.glob("*.log")}

    def log_split(self, since: dict[str, int]) -> dict[str, tuple[int, int]]:
        """Bytes each function logged after the offsets `since`: (embedded metrics lines, everything else)."""
        split = {}
        for path in (self.runtime.state_dir / "logs").glob("*.log"):
            with path.open("rb") as handle:
                handle.seek(since.get(path.stem, 0))
                metrics = other = 0
                for line in handle:
                    if b'"_aws":' in line:
                        metrics += len(line)
                    else:
                        other += len(line)
            split[path.stem] = (metrics, other)
        return split

    def client(self, service: str, app: str) -> Any:
        """A boto3 client to the emulator whose requests carry `app` as their app id (its own session)."""
        import boto3
        from botocore.config import Config

        env = self.runtime.emulator.environment()
        return boto3.session.Session().client(
            service,
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=env["AWS_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=env["AWS_SESSION_TOKEN"],
            config=Config(user_agent_appid=app),
        )

    def function_names(self) -> list[str]:
        return [spec.name for spec in self.runtime.template.functions.values()]

    def stop_schedules(self) -> None:
        """No scheduled runs (5-minute timers): a fixed monthly cost, not a per-touchpoint one."""
        if self.runtime.scheduler is not None:
            self.runtime.scheduler.stop()

    def stop_deliveries(self) -> None:
        """New touchpoints stay in the table's stream, events in their rule queues (nothing downstream runs): a quiet
        emulator for the ingest alone."""
        self.stop_schedules()
        if self.runtime.pump is not None:
            self.runtime.pump.stop()
        for poller in self.runtime.pollers:
            poller.stop()


@dataclass
class Workers:
    """A function's worker processes: CPU used so far (user + system), and the largest peak resident set."""

    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0


def read_workers() -> dict[str, Workers]:
    """This process's function workers by function name, from Linux /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    me = os.getpid()
    found: dict[str, Workers] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) != me or WORKER_MODULE.encode() not in argv:
            continue
        handler = argv[argv.index(WORKER_MODULE.encode()) + 2].decode()  # functions.<name>.handler.lambda_handler
        workers = found.setdefault(handler.split(".")[1], Workers())
        workers.cpu_seconds += (int(fields[11]) + int(fields[12])) / ticks
        peak = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")), "0")
        workers.peak_rss_mb = max(workers.peak_rss_mb, int(peak) / 1024)
    return found


@contextmanager
def metered_stack(cdk_out: Path, warm: bool | Iterable[str] = True, concurrency: int = 1) -> Iterator[Stack]:
    """A fresh metered emulator and the embedded runtime on it (gateway on a free loopback port).

    One warm worker per function (`warm`: all, none, or these functions by name): no worker starts, and no import
    CPU is counted, inside a measured window.
    """
    with metered_emulator() as emulator, tempfile.TemporaryDirectory(prefix="bench-state-") as state:
        runtime = MeteredRuntime(
            cdk_out, Path(state), port=0, emulator_endpoint=emulator.endpoint, concurrency=concurrency
        )
        with runtime:
            if warm is True:
                runtime.warm()
            elif warm:
                names = set(warm)
                with ThreadPoolExecutor(max_workers=len(names)) as starter:
                    list(starter.map(lambda p: p.warm(), [p for p in runtime.pools.values() if p.spec.name in names]))
            stack = Stack(runtime, emulator)
            stack.stop_schedules()
            yield stack


@contextmanager
def app_id(name: str) -> Iterator[None]:
    """Clients created inside carry `name` as their app id (the bench process's own callers, e.g. the import)."""
    previous = os.environ.get(APP_ID)
    os.environ[APP_ID] = name
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(APP_ID, None)
        else:
            os.environ[APP_ID] = previous
