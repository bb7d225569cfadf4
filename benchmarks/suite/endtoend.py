"""End to end on the local runtime: `ventanilla import` throughput, and POST to timeline latency.

Throughput: `ventanilla import FILE --state-dir DIR` (the command itself, in its own process) loads a synthetic
population's touchpoints into the running stack, each resolved as it is read while the stack plays everything
downstream. Its rate is set beside the floor any import has: the same touchpoints stored (one conditional
PutItem, the repository's own, marked imported as the import's are, so the table stream's announcer skips them)
and announced (one PutEvents, to a bus without rules) one by one, same emulator.

Latency: a caller known to the stack phones again; the time from sending `POST /v1/channels/phone/touchpoints`
to the call appearing on the caller's timeline (`GET /v1/citizens/{id}`, polled, as an operator), beside the
POST's own round trip. The stack is idle before each sample.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from benchmarks.identity import population
from benchmarks.identity.interchange import DEFAULT_SEED
from benchmarks.suite import stats
from benchmarks.suite.bodies import phone_call_now
from benchmarks.suite.figures import Figure, Section
from benchmarks.suite.stack import APP_ID, Stack
from shared.events import EventBridgePublisher
from shared.models.events import TouchpointRecorded
from shared.models.touchpoint import Touchpoint
from shared.repositories.touchpoints import DynamoDBTouchpointRepository
from ventanilla_local.seed import operator_headers
from ventanilla_local.template import TABLE

RATE = re.compile(r"([\d.]+) touchpoints/s")
POLL_SECONDS = 0.01


def import_lines(count: int) -> list[dict[str, Any]]:
    generated = population.generate(people=max(count // 4, population.MIN_PEOPLE), seed=DEFAULT_SEED + 2)
    return generated.touchpoints[:count]


def _floor_rate(stack: Stack, lines: list[dict[str, Any]]) -> float:
    """Touchpoints per second when each is only stored and announced (no resolution, nothing downstream)."""
    repository = DynamoDBTouchpointRepository(stack.client("dynamodb", "floor"), stack.runtime.resource_name(TABLE))
    publisher = EventBridgePublisher(
        stack.client("events", "floor"), "default"
    )  # the account's default bus: no rules, nothing downstream
    touchpoints = [
        Touchpoint.model_validate({**line, "touchpoint_id": f"floor-{line['touchpoint_id']}"}) for line in lines
    ]
    started = time.perf_counter()
    for touchpoint in touchpoints:
        repository.add(touchpoint, imported=True)  # as the import's: not announced again from the stream
        publisher.publish(
            [
                TouchpointRecorded(
                    touchpoint_id=touchpoint.touchpoint_id,
                    channel=touchpoint.channel,
                    occurred_at=touchpoint.occurred_at,
                )
            ]
        )
    return len(touchpoints) / (time.perf_counter() - started)


def throughput(stack: Stack, count: int = 150) -> list[Figure]:
    runtime = stack.runtime
    lines = import_lines(count)
    with tempfile.TemporaryDirectory(prefix="bench-import-") as work:
        path = Path(work) / "import.jsonl"
        path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
        runtime.wait_idle(timeout=300)
        environment = {**os.environ, APP_ID: "import"}
        started = time.perf_counter()
        done = subprocess.run(  # noqa: S603 - our own interpreter and CLI
            [
                sys.executable,
                "-m",
                "ventanilla_local.cli",
                "import",
                str(path),
                "--state-dir",
                str(runtime.state_dir),
                "--quiet",
            ],
            env=environment,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        command_seconds = time.perf_counter() - started
        runtime.wait_idle(timeout=600)
        settled_seconds = time.perf_counter() - started
    found = RATE.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"ventanilla import failed ({done.returncode}): {done.stdout[-500:]} {done.stderr[-1500:]}")
    floor = _floor_rate(stack, lines)
    label = "floor: each stored and announced only (same emulator)"
    return [
        Figure("ventanilla import throughput (its own rate)", float(found.group(1)), "tp/s", round(floor, 1), label),
        Figure(
            "ventanilla import, command to everything settled",
            round(len(lines) / settled_seconds, 1),
            "tp/s",
            round(floor, 1),
            label,
            note=f"{len(lines)} touchpoints; the command took {command_seconds:.1f} s, all settled at "
            f"{settled_seconds:.1f} s",
        ),
    ]


def latency(stack: Stack, samples: int = 30) -> list[Figure]:
    runtime = stack.runtime
    keys = runtime.client_keys()
    number = "55" + "".join(random.choice("0123456789") for _ in range(8))  # a test caller's number
    url = f"{runtime.url}/v1/channels/phone/touchpoints"
    post_times: list[float] = []
    timeline_times: list[float] = []
    with requests.Session() as http:
        first = phone_call_now(number, "Benjamín", "Latencia Medida")
        http.post(url, json=first.body, headers={"x-api-key": keys["phone"]}, timeout=30).raise_for_status()
        runtime.wait_idle(timeout=120)
        found = http.get(
            f"{runtime.url}/v1/citizens", params={"phone": number}, headers=operator_headers(runtime), timeout=30
        )
        found.raise_for_status()
        citizen_id = found.json()["citizens"][0]["citizen_id"]
        for _ in range(samples):
            message = phone_call_now(number, "Benjamín", "Latencia Medida")
            started = time.perf_counter()
            answer = http.post(url, json=message.body, headers={"x-api-key": keys["phone"]}, timeout=30)
            post_times.append(time.perf_counter() - started)
            answer.raise_for_status()
            touchpoint_id = answer.json()["touchpoint_id"]
            while time.perf_counter() - started < 60:
                seen = http.get(
                    f"{runtime.url}/v1/citizens/{citizen_id}",
                    params={"limit": "5"},
                    headers=operator_headers(runtime),
                    timeout=30,
                ).json()
                if any(entry.get("touchpoint_id") == touchpoint_id for entry in seen.get("timeline", [])):
                    timeline_times.append(time.perf_counter() - started)
                    break
                time.sleep(POLL_SECONDS)
            else:
                raise RuntimeError(f"{touchpoint_id} never reached the timeline of {citizen_id}")
            runtime.wait_idle(timeout=120)
    ms = 1000.0
    label = "the POST's own round trip"
    return [
        Figure(
            "POST to timeline (p50)",
            round(stats.median(timeline_times) * ms),
            "ms",
            round(stats.median(post_times) * ms),
            f"{label} (p50)",
        ),
        Figure(
            "POST to timeline (p95)",
            round(stats.percentile(timeline_times, 95) * ms),
            "ms",
            round(stats.percentile(post_times, 95) * ms),
            f"{label} (p95)",
            note=f"{samples} calls from one known caller, stack idle before each",
        ),
    ]


def run(stack: Stack, count: int = 150, samples: int = 30) -> Section:
    section = Section("end to end")
    section.figures = latency(stack, samples) + throughput(stack, count)
    section.notes = [
        "Local runtime, one warm worker per function, all functions and the emulator sharing this machine's "
        "2 cores: absolute rates are this machine's, the ratios to the floor are what carry over."
    ]
    return section
