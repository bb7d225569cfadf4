"""Ingest overhead: one touchpoint through a channel handler versus a bare PutItem of the same item.

The phone function's handler is imported and invoked in this process, with the environment the template gives
it (table, the channel's API key id; the emulator's endpoint), on REST proxy events as API Gateway sends them:
validation, mapping to the canonical touchpoint and the idempotent conditional write — all the request does. The
touchpoint is announced (TouchpointRecorded) by the announcer, from the table's stream, in PutEvents calls of up to
ten: outside the request, and not measured here (the stream pollers are stopped). The baseline is a bare boto3
PutItem of the same item (same size, another key) against the same emulator; beside it, for comparison, a bare
PutEvents of the touchpoint's event (what the request used to wait for). Subject and baselines alternate, their
order flipping every iteration, so drift and noise hit them alike; medians are reported. Nothing else runs on the
stack meanwhile. Requests and write units come from the metered emulator (caller `phone` vs caller `bare`).
"""

from __future__ import annotations

import importlib
import io
import os
import time
import uuid
from collections.abc import Callable
from contextlib import redirect_stdout
from typing import Any
from unittest import mock

import boto3

from benchmarks.suite import stats
from benchmarks.suite.bodies import first_of, rest_event
from benchmarks.suite.figures import Figure, Section, at_most
from benchmarks.suite.stack import Stack
from shared.models.events import TouchpointRecorded
from shared.models.touchpoint import Touchpoint
from ventanilla_local.template import BUS, TABLE
from ventanilla_local.worker import LocalContext

CHANNEL = "phone"
PATH = f"/v1/channels/{CHANNEL}/touchpoints"
FLOOR_REQUESTS = 1  # one conditional write (the event is the announcer's, from the table's stream)
TARGET_OVER_FLOOR = 2
TARGET_TIME_RATIO = 3.0


class _Sink(io.TextIOBase):
    """Where the handler's logs and metrics go: counted (CloudWatch Logs bills them), not kept."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode("utf-8"))
        return len(text)


def _timed(call: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.thread_time()
    call()
    return time.perf_counter() - wall, time.thread_time() - cpu


def run(stack: Stack, iterations: int = 300, warmup: int = 20) -> Section:
    """Measure on a stack nothing else runs on (`Stack.stop_deliveries`)."""
    runtime = stack.runtime
    spec = runtime.template.function_by_name(CHANNEL)
    key_id = next(k.key_id for k in runtime.keys.values() if k.client == CHANNEL)
    table = runtime.resource_name(TABLE)
    sink = _Sink()
    captured: dict[str, Any] = {}

    def capture(params: dict[str, Any], model: Any, **_: Any) -> None:
        captured[model.name] = params

    with mock.patch.dict(os.environ, runtime.function_environment(spec.logical_id)):
        boto3.setup_default_session()  # the handler's clients come from here, with the hook below
        boto3.DEFAULT_SESSION.events.register("provide-client-params.dynamodb.PutItem", capture)
        handler = importlib.import_module(f"functions.{CHANNEL}.handler")
        from shared.observability import logger

        logger.registered_handler.setStream(sink)  # type: ignore[attr-defined]
        bare, bare_events = stack.client("dynamodb", "bare"), stack.client("events", "bare")
        template = first_of(CHANNEL)

        def subject(n: int) -> Callable[[], Any]:
            event = rest_event(PATH, template.renewed(f"ingest{n}").body, key_id)

            def call() -> None:
                with redirect_stdout(sink):
                    result = handler.lambda_handler(event, LocalContext(15))
                if result["statusCode"] != 202:
                    raise RuntimeError(f"phone handler answered {result['statusCode']}: {result.get('body')}")

            return call

        subject(-1)()  # one call to learn the item the handler writes
        item = captured["PutItem"]["Item"]
        entries = [_announcement(item, runtime.resource_name(BUS))]  # what the announcer sends for it

        def baseline() -> None:
            bare_item = {**item, "pk": {"S": item["pk"]["S"][:-12] + uuid.uuid4().hex[:12]}}  # same size
            bare.put_item(TableName=table, Item=bare_item)

        def event() -> None:
            bare_events.put_events(Entries=entries)

        for n in range(warmup):
            subject(n)()
            baseline()
            event()
        before, logged = stack.snapshot(), sink.bytes
        times: dict[str, list[float]] = {"subject": [], "cpu": [], "put": [], "event": []}
        for n in range(iterations):
            call = subject(warmup + n)
            if n % 2:
                times["put"].append(_timed(baseline)[0])
                times["event"].append(_timed(event)[0])
                wall, cpu = _timed(call)
            else:
                wall, cpu = _timed(call)
                times["event"].append(_timed(event)[0])
                times["put"].append(_timed(baseline)[0])
            times["subject"].append(wall)
            times["cpu"].append(cpu)
        window = stack.snapshot().window(before)
        log_bytes = sink.bytes - logged
    return _section(window.requests, times, iterations, log_bytes)


def _announcement(item: dict[str, Any], bus: str) -> dict[str, Any]:
    """The PutEvents entry the announcer publishes for this stored item (one of up to ten per call)."""
    touchpoint = Touchpoint.model_validate_json(item["body"]["S"])
    event = TouchpointRecorded(
        touchpoint_id=touchpoint.touchpoint_id, channel=touchpoint.channel, occurred_at=touchpoint.occurred_at
    )
    return {
        "EventBusName": bus,
        "Source": event.SOURCE,
        "DetailType": event.detail_type(),
        "Detail": event.model_dump_json(),
    }


def _section(readings: Any, times: dict[str, list[float]], iterations: int, log_bytes: int) -> Section:
    ms = 1000.0
    subject_times, baseline_times = times["subject"], times["put"]
    floor_times = [put + event for put, event in zip(times["put"], times["event"], strict=True)]
    median, bare_median = stats.median(subject_times) * ms, stats.median(baseline_times) * ms
    dynamodb = readings.count(CHANNEL, "dynamodb") / iterations
    events = readings.count(CHANNEL, "events") / iterations
    total = dynamodb + events
    time_ratio = stats.ratio(median, bare_median)
    section = Section("ingest")
    section.figures = [
        Figure(
            "time per touchpoint through the phone handler (median)",
            round(median, 2),
            "ms",
            round(bare_median, 2),
            "bare PutItem of the same item (median)",
            f"≤ {TARGET_TIME_RATIO:g}x baseline",
            at_most(time_ratio, TARGET_TIME_RATIO),
        ),
        Figure(
            "time per touchpoint (p95)",
            round(stats.percentile(subject_times, 95) * ms, 2),
            "ms",
            round(stats.percentile(baseline_times, 95) * ms, 2),
            "bare PutItem (p95)",
        ),
        Figure(
            "time per touchpoint (median) vs the former floor",
            round(median, 2),
            "ms",
            round(stats.median(floor_times) * ms, 2),
            "bare PutItem + bare PutEvents of its event (median): what a request that published waited for",
        ),
        Figure(
            "bare PutEvents of the touchpoint's event (median)",
            round(stats.median(times["event"]) * ms, 2),
            "ms",
            round(bare_median, 2),
            "bare PutItem (median)",
            note="no longer in the request: the announcer publishes from the table's stream, up to 10 per call",
        ),
        Figure(
            "handler CPU per touchpoint (median, this process)",
            round(stats.median(times["cpu"]) * ms, 2),
            "ms",
            note="validation, mapping, serialisation, signing, logging",
        ),
        Figure("DynamoDB requests per touchpoint", round(dynamodb, 3), "requests", 1, "floor: one conditional write"),
        Figure(
            "EventBridge requests per touchpoint (in the handler)",
            round(events, 3),
            "requests",
            0,
            "none: the announcer publishes",
            note="TouchpointRecorded goes out from the table's stream, in PutEvents calls of up to 10 (the announcer)",
        ),
        Figure(
            "AWS requests per touchpoint",
            round(total, 3),
            "requests",
            FLOOR_REQUESTS,
            "floor: one conditional write",
            f"≤ floor + {TARGET_OVER_FLOOR}",
            at_most(total, FLOOR_REQUESTS + TARGET_OVER_FLOOR),
        ),
        Figure(
            "DynamoDB write units per touchpoint",
            round(readings.unit(CHANNEL, "write_units") / iterations, 3),
            "WRU",
            round(readings.unit("bare", "write_units") / iterations, 3),
            "bare PutItem of the same item",
        ),
        Figure("log output per touchpoint", round(log_bytes / iterations), "bytes", note="JSON logs + EMF metrics"),
    ]
    section.details = {
        "iterations": iterations,
        "operations_per_touchpoint": {k: round(v / iterations, 3) for k, v in readings.operations(CHANNEL).items()},
    }
    section.notes = [
        f"{iterations} touchpoints, subject and baseline alternating; the phone handler runs in this process "
        "(X-Ray off locally), the emulator in its own.",
        "The handler's whole work is one conditional PutItem; TouchpointRecorded is published by the announcer from "
        "the table's stream, in batches (up to 10 events per PutEvents), outside the request (the money section "
        "counts its invocations and PutEvents).",
    ]
    return section
