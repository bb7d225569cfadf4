"""Seed the bundled sample through the public API, then summarise who was recognised across channels.

The sample's contacts are days apart in real life, so each is resolved before the next is posted: announced from the
table's stream, contacts posted in one burst would reach identity in one batch and be resolved side by side, and
who is recognised would depend on the order they happened to finish in (a nameless call, for one, goes to a person
only once their number is known as a mobile).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests

from ventanilla_local.runtime import LocalRuntime
from ventanilla_local.template import TABLE

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "seed.jsonl"


@dataclass
class SeedReport:
    accepted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rejected: list[str] = field(default_factory=list)
    touchpoint_ids: list[str] = field(default_factory=list)
    operator_actions: int = 0


def seed(runtime: LocalRuntime, sample: Path = SAMPLE) -> SeedReport:
    report = SeedReport()
    keys = runtime.client_keys()
    with requests.Session() as http:
        for number, line in enumerate(sample.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            if "operator" in record:  # an operator action on the case API, after what came before has settled
                runtime.wait_idle(timeout=180)
                action = record["operator"]
                answer = http.request(
                    action["method"],
                    f"{runtime.url}{action['path']}",
                    json=action.get("body"),
                    headers=operator_headers(runtime),
                    timeout=30,
                )
                if answer.ok:
                    report.operator_actions += 1
                else:
                    report.rejected.append(f"line {number} (operator): {answer.status_code} {answer.text[:200]}")
                continue
            channel = record["channel"]
            if (record["body"].get("case") or {}).get("step"):
                # A step builds on what came before (days apart in real life): let earlier contacts settle first.
                runtime.wait_idle(timeout=180)
            response = http.post(
                f"{runtime.url}/v1/channels/{channel}/touchpoints",
                json=record["body"],
                headers={"x-api-key": keys[channel]},
                timeout=30,
            )
            if response.status_code == 202:
                report.accepted[channel] += 1
                report.touchpoint_ids.append(response.json()["touchpoint_id"])
                _await_resolution(runtime, response.json()["touchpoint_id"])
            else:
                report.rejected.append(f"line {number} ({channel}): {response.status_code} {response.text[:200]}")
    return report


def _await_resolution(runtime: LocalRuntime, touchpoint_id: str, timeout: float = 60.0) -> None:
    """Until identity has resolved the touchpoint (whatever the outcome), or `timeout` seconds."""
    dynamodb = runtime.emulator.client("dynamodb")
    key = {"pk": {"S": f"TP#{touchpoint_id}"}, "sk": {"S": "TOUCHPOINT"}}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = dynamodb.get_item(TableName=runtime.resource_name(TABLE), Key=key, ConsistentRead=True).get("Item")
        if item and "resolution" in item:
            return
        time.sleep(0.05)


def operator_headers(runtime: LocalRuntime) -> dict[str, str]:
    """What an operator's call carries: the operator integrations' API key and a local supervisor's token."""
    return {"x-api-key": runtime.client_keys().get("operator", ""), "Authorization": runtime.operator_token()}


def summarise(runtime: LocalRuntime, report: SeedReport) -> list[str]:
    """One line per recognised citizen: how many touchpoints, from which channels."""
    dynamodb = runtime.emulator.client("dynamodb")
    table = runtime.resource_name(TABLE)
    channels_by_citizen: dict[str, list[str]] = defaultdict(list)
    anonymous = 0
    for touchpoint_id in report.touchpoint_ids:
        # The touchpoint item's key, see shared/repositories/dynamodb.py (the runtime does not import `shared`:
        # that code runs only inside the functions, from the synthesized layer).
        item = dynamodb.get_item(
            TableName=table, Key={"pk": {"S": f"TP#{touchpoint_id}"}, "sk": {"S": "TOUCHPOINT"}}
        ).get("Item", {})
        citizen_id = item.get("citizen_id", {}).get("S")
        if not citizen_id:
            anonymous += 1
            continue
        channels_by_citizen[citizen_id].append(item["channel"]["S"])
    lines = []
    operator = runtime.client_keys().get("operator")
    with requests.Session() as http:
        for citizen_id, channels in sorted(channels_by_citizen.items(), key=lambda item: (-len(item[1]), item[0])):
            name = "(unnamed)"
            if operator:  # the read API, as an operator would use it
                response = http.get(
                    f"{runtime.url}/v1/citizens/{citizen_id}",
                    headers=operator_headers(runtime),
                    params={"limit": 1},
                    timeout=30,
                )
                if response.ok:
                    profile = response.json()
                    name = " ".join(p for p in (profile.get("given_name"), profile.get("family_name")) if p) or name
            count = f"{len(channels)} touchpoint{'s' if len(channels) != 1 else ''}"
            lines.append(f"  {name:<32} {count:>14} via {', '.join(sorted(set(channels)))}  {citizen_id}")
    if anonymous:
        lines.append(f"  ({anonymous} touchpoints are anonymous, unattributed or waiting for an operator's review)")
    return lines


def summarise_cases(runtime: LocalRuntime, report: SeedReport) -> list[str]:
    """One line per case the sample opened: reference, status and the text every channel gives."""
    dynamodb = runtime.emulator.client("dynamodb")
    table = runtime.resource_name(TABLE)
    references: list[str] = []
    for touchpoint_id in report.touchpoint_ids:
        item = dynamodb.get_item(
            TableName=table, Key={"pk": {"S": f"TP#{touchpoint_id}"}, "sk": {"S": "TOUCHPOINT"}}
        ).get("Item", {})
        reference = item.get("case_reference", {}).get("S")
        if reference and reference not in references:
            references.append(reference)
    lines = []
    with requests.Session() as http:
        for reference in references:
            response = http.get(f"{runtime.url}/v1/cases/{reference}", headers=operator_headers(runtime), timeout=30)
            if response.ok:
                case = response.json()["case"]
                lines.append(f"  {reference}  {case['status']:<17} {case['status_text']}")
    return lines
