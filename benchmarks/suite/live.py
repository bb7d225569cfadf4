"""The live path, metered: what one touchpoint uses from the API call to the last notification.

The bundled sample's 33 channel messages (eight channels, eight people, five procedures, case steps) are posted
through the local gateway `passes` times, each time as new messages (fresh message ids): the first pass creates
citizens and opens cases, later passes are returning citizens; a day passes on the stack's clock after each pass
(timers fall due, deferred messages go), and the clock starts at local noon so quiet hours never defer a message.
One message per channel goes first, outside the window, so each function's one-off set-up (clients, secrets) is
not counted per touchpoint. Every function runs
as deployed (its synthesized code in its own warm worker); the window closes when every event has been delivered.
Per touchpoint: API calls, each function's invocations, CPU and time waiting on AWS, DynamoDB request units,
events, messages sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import requests

from benchmarks.suite.bodies import sample_messages
from benchmarks.suite.money import FunctionUsage, PriceTable, TouchpointUsage, traces_per_touchpoint
from benchmarks.suite.stack import Snapshot, Stack

DEFAULT_TIMEZONE = "America/Mexico_City"


@dataclass(frozen=True)
class LiveRun:
    touchpoints: int
    window: Snapshot
    whatsapp_messages: int
    seconds: float
    metric_log_bytes: dict[str, int]  # of each function's log output, the embedded metrics (EMF) lines


def warm_channels(stack: Stack) -> None:
    """One message per channel before the window: each function's clients and caches exist (in AWS a warm
    container serves thousands of invocations, so its one-off set-up is no per-touchpoint cost)."""
    runtime = stack.runtime
    keys = runtime.client_keys()
    seen: set[str] = set()
    with requests.Session() as http:
        for message in sample_messages():
            if message.channel in seen:
                continue
            seen.add(message.channel)
            http.post(
                f"{runtime.url}/v1/channels/{message.channel}/touchpoints",
                json=message.renewed("warm").body,
                headers={"x-api-key": keys[message.channel]},
                timeout=60,
            ).raise_for_status()
    runtime.wait_idle(timeout=120)


def to_local_noon(stack: Stack) -> None:
    """Move the stack's clock to the next noon in the agency's time zone: no quiet hours defer a message."""
    runtime = stack.runtime
    zones = (spec.environment.get("NOTIFY_TIMEZONE") for spec in runtime.template.functions.values())
    zone = ZoneInfo(next((z for z in zones if isinstance(z, str)), DEFAULT_TIMEZONE))
    now = runtime.advance_clock(None).astimezone(zone)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    runtime.advance_clock((noon if noon > now else noon + timedelta(days=1)) - now)


def post_sample(stack: Stack, passes: int = 3) -> LiveRun:
    runtime = stack.runtime
    keys = runtime.client_keys()
    to_local_noon(stack)
    warm_channels(stack)
    whatsapp_before = len(runtime.whatsapp.sent())
    before, started = stack.snapshot(), time.perf_counter()
    posted = 0
    with requests.Session() as http:
        for round_ in range(passes):
            for n, message in enumerate(sample_messages()):
                if message.has_step:  # a step builds on what came before (days apart in real life)
                    runtime.wait_idle(timeout=120)
                body = message.renewed(f"live{round_}-{n}").body
                answer = http.post(
                    f"{runtime.url}/v1/channels/{message.channel}/touchpoints",
                    json=body,
                    headers={"x-api-key": keys[message.channel]},
                    timeout=60,
                )
                if answer.status_code != 202:
                    raise RuntimeError(f"{message.channel}: {answer.status_code} {answer.text[:300]}")
                posted += 1
            runtime.advance_clock(timedelta(days=1))  # a day passes: timers fall due, deferred messages go
    runtime.wait_idle(timeout=300)
    window = stack.snapshot().window(before)
    metrics = {name: emf for name, (emf, _) in stack.log_split(before.log_bytes).items()}
    sent = len(runtime.whatsapp.sent()) - whatsapp_before
    return LiveRun(posted, window, sent, time.perf_counter() - started, metrics)


def usage_of(run: LiveRun, prices: PriceTable, only: set[str] | None = None) -> TouchpointUsage:
    """Per-touchpoint usage of what the functions did in the window (the harness's own calls left out);
    `only`: just these functions (e.g. the channel functions: the ingest alone)."""
    window, n = run.window, max(run.touchpoints, 1)
    readings = window.requests
    functions = []
    for name, count in sorted(window.invocations.count.items()):
        if count <= 0 or (only is not None and name not in only):
            continue
        functions.append(
            FunctionUsage(
                name=name,
                invocations=count / n,
                cpu_ms=1000 * window.cpu_seconds.get(name, 0.0) / count,
                wait_ms=readings.wait_ms(name) / count,
                log_bytes=window.log_bytes.get(name, 0) / count,
                metric_log_bytes=run.metric_log_bytes.get(name, 0) / count,
            )
        )
    callers = [f.name for f in functions]
    return TouchpointUsage(
        api_calls=1.0,
        functions=tuple(functions),
        read_units=sum(readings.unit(c, "read_units") for c in callers) / n,
        write_units=sum(readings.unit(c, "write_units") + readings.unit(c, "index_write_units") for c in callers) / n,
        events=sum(readings.unit(c, "event_chunks") for c in callers) / n,
        emails=sum(readings.unit(c, "emails") for c in callers) / n,
        sms=sum(readings.count(c, "sns", "PublishSMS") for c in callers) / n,
        whatsapp=run.whatsapp_messages / n if only is None or "notifications" in only else 0.0,
        stored_bytes=sum(readings.unit(c, "stored_bytes") for c in callers) / n,
        traces=traces_per_touchpoint(prices),
    )
