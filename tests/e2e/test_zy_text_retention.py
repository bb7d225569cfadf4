"""Retention of raw message text through `ventanilla up`: past the configured days, DynamoDB's time to live
(played locally on the runtime's clock) deletes the raw touchpoint, and the timeline keeps the contact — channel,
time, case — without its text.

Named to run after the other end-to-end modules (only the fuzzer comes later): it moves the shared stack's clock
past the retention period.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Running, operator_headers
from tests.e2e.test_cases_api import eventually, post_touchpoint
from ventanilla_local.bulk import local_target

pytestmark = pytest.mark.e2e


def _timeline(app: Running, phone: str) -> list[dict[str, Any]]:
    found = requests.get(
        f"{app.url}/v1/citizens", params={"phone": phone}, headers=operator_headers(app), timeout=30
    ).json()["citizens"]
    if not found:
        return []
    record = requests.get(
        f"{app.url}/v1/citizens/{found[0]['citizen_id']}", headers=operator_headers(app), timeout=30
    ).json()
    return list(record["timeline"])


def test_raw_text_is_gone_after_the_retention_period_and_the_contact_stays(ventanilla: Running) -> None:
    target = local_target(ventanilla.state_dir)
    assert target.text_retention_days, "the stack sets TEXT_RETENTION_DAYS"
    run = uuid.uuid4().hex[:8]
    phone = f"33{random.randint(10_000_000, 99_999_999)}"
    text = f"Mensaje que no debe quedarse para siempre {run}"
    touchpoint_id = post_touchpoint(
        ventanilla,
        "messaging",
        {
            "message_id": f"wamid.retention-{run}",
            "network": "whatsapp",
            "from_number": f"521{phone}",
            "to_number": "+52 55 5000 1234",
            "sent_at": "2026-11-10T09:00:00-06:00",
            "text": text,
        },
    )
    entries = eventually(lambda: _timeline(ventanilla, phone), "the contact on the timeline")
    assert entries[0]["touchpoint_id"] == touchpoint_id and entries[0]["text"] == text

    dynamodb = target.client("dynamodb")
    raw_key = {"pk": {"S": f"TP#{touchpoint_id}"}, "sk": {"S": "TOUCHPOINT"}}
    expires_at = int(dynamodb.get_item(TableName=target.table_name, Key=raw_key)["Item"]["expires_at"]["N"])

    before = requests.get(f"{ventanilla.url}/__ventanilla/clock", timeout=30).json()["now"]
    moved = requests.post(
        f"{ventanilla.url}/__ventanilla/clock", json={"advance": f"{target.text_retention_days + 1}d"}, timeout=600
    )
    assert moved.status_code == 200, moved.text

    assert "Item" not in dynamodb.get_item(TableName=target.table_name, Key=raw_key)
    (entry,) = [e for e in _timeline(ventanilla, phone) if e["touchpoint_id"] == touchpoint_id]
    assert entry["channel"] == "messaging" and entry.get("text") is None
    leftovers = [
        item
        for page in dynamodb.get_paginator("scan").paginate(TableName=target.table_name)
        for item in page["Items"]
        if text in json.dumps(item, ensure_ascii=False)
    ]
    assert leftovers == []
    print(
        f"retention: {target.text_retention_days} days; raw touchpoint expired at {expires_at} "
        f"(clock {before} -> {moved.json()['now']}); timeline entry kept without text; text found 0 times in the table"
    )
