"""Scheduled rules, played locally, on one injectable clock.

Every rule with a `rate(...)` ScheduleExpression invokes its function targets with the "Scheduled Event"
EventBridge sends, whose `time` is the runtime's clock: real time plus an offset. `advance` moves the offset
forward and fires every schedule at once, so what fell due runs now (`ventanilla clock advance 3d`).
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ventanilla_local.emulator import ACCOUNT, REGION
from ventanilla_local.functions import FunctionError, FunctionPool
from ventanilla_local.template import RULE, AppTemplate, _walk_refs

log = logging.getLogger("ventanilla.schedules")
UNITS = {"minute": "minutes", "minutes": "minutes", "hour": "hours", "hours": "hours", "day": "days", "days": "days"}


@dataclass(frozen=True)
class ScheduleSpec:
    logical_id: str
    every: timedelta
    functions: tuple[str, ...]


def parse_rate(expression: str) -> timedelta:
    match = re.fullmatch(r"rate\((\d+) (minutes?|hours?|days?)\)", expression.strip())
    if match is None:
        raise ValueError(f"only rate(...) schedules are played locally: {expression}")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def parse_duration(text: str) -> timedelta:
    """`3d`, `12h`, `90m`, `1d12h`."""
    parts = re.findall(r"(\d+)([dhm])", text.strip().lower())
    if not parts or "".join(n + u for n, u in parts) != text.strip().lower():
        raise ValueError(f"not a duration like 3d, 12h or 90m: {text}")
    units = {"d": "days", "h": "hours", "m": "minutes"}
    return sum((timedelta(**{units[u]: int(n)}) for n, u in parts), timedelta())


def schedules(template: AppTemplate) -> list[ScheduleSpec]:
    specs = []
    for lid, rule in template.of_type(RULE).items():
        props = rule["Properties"]
        if "ScheduleExpression" not in props:
            continue
        functions = tuple(
            f for target in props.get("Targets", []) for f in _walk_refs(target.get("Arn")) if f in template.functions
        )
        specs.append(ScheduleSpec(lid, parse_rate(props["ScheduleExpression"]), functions))
    return specs


HOUSEKEEPING_EVERY = timedelta(hours=1)


class Scheduler:
    """`housekeeping`: what AWS does on its own clock (DynamoDB's TTL sweep), run before the schedules whenever
    the clock is advanced, and once an hour."""

    def __init__(
        self,
        template: AppTemplate,
        pools: dict[str, FunctionPool],
        housekeeping: Sequence[Callable[[datetime], object]] = (),
    ) -> None:
        self._specs = schedules(template)
        self._pools = pools
        self._housekeeping = tuple(housekeeping)
        self._last_housekeeping = datetime.now(UTC)
        self._offset = timedelta()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="schedules", daemon=True)
        self.fired = 0

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def offset(self) -> timedelta:
        """How far the clock was advanced: every event the pump delivers is stamped with it too."""
        return self._offset

    def start(self) -> None:
        if self._specs:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def advance(self, by: timedelta) -> datetime:
        """Move the clock forward and run every schedule at the new time (what fell due runs now)."""
        with self._lock:
            self._offset += by
            moment = self.now()
            self._housekeep(moment)
            for spec in self._specs:
                self._fire(spec, moment)
        return moment

    def _run(self) -> None:
        period = min(spec.every for spec in self._specs)
        while not self._stop.wait(period.total_seconds()):
            with self._lock:
                if datetime.now(UTC) - self._last_housekeeping >= HOUSEKEEPING_EVERY:
                    self._housekeep(self.now())
                for spec in self._specs:
                    self._fire(spec, self.now())

    def _housekeep(self, moment: datetime) -> None:
        self._last_housekeeping = datetime.now(UTC)
        for task in self._housekeeping:
            try:
                task(moment)
            except Exception:  # the next run tries again, as AWS's own sweeps would
                log.exception("housekeeping failed")

    def _fire(self, spec: ScheduleSpec, moment: datetime) -> None:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT,
            "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{spec.logical_id}"],
            "detail": {},
        }
        for function in spec.functions:
            try:
                self._pools[function].invoke(event)
                self.fired += 1
            except FunctionError as error:  # EventBridge would retry on the next run
                log.error("scheduled %s failed: %s", function, error)
