"""The path a user takes: `ventanilla up`, then HTTP with the local keys, for every channel."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from infra.config import CHANNEL_SECRET_NAMES
from tests.channels import fresh_body, lookup_query
from tests.conftest import CHANNELS, load_event
from tests.e2e.conftest import Running, operator_headers

pytestmark = pytest.mark.e2e


def post(app: Running, channel: str, body: Any, key: str | None = None, raw: bytes | None = None) -> requests.Response:
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["x-api-key"] = key
    data = raw if raw is not None else json.dumps(body).encode()
    return requests.post(f"{app.url}/v1/channels/{channel}/touchpoints", data=data, headers=headers, timeout=30)


def find(app: Running, query: dict[str, str]) -> list[dict[str, Any]]:
    response = requests.get(f"{app.url}/v1/citizens", params=query, headers=operator_headers(app), timeout=30)
    assert response.status_code == 200, response.text
    citizens: list[dict[str, Any]] = response.json()["citizens"]
    return citizens


def timeline_ids(app: Running, query: dict[str, str], expected: str | None = None, deadline_s: float = 20) -> list[str]:
    """Touchpoint ids on the found citizen's timeline, waiting (for `expected`) while resolution catches up."""
    deadline = time.monotonic() + deadline_s
    while True:
        citizens = find(app, query)
        ids = [e["touchpoint_id"] for c in citizens for e in c["timeline"]]
        if expected is None or expected in ids or time.monotonic() > deadline:
            return ids
        time.sleep(0.3)


def test_up_seeds_the_sample_and_prints_where_to_go(ventanilla: Running) -> None:
    printed = "\n".join(ventanilla.output)
    assert "Seeded 34 sample touchpoints" in printed
    assert "rejected" not in printed
    assert f"Ventanilla API: {ventanilla.url}" in printed
    operators = ["signin_agente", "signin_auditora", "signin_supervisora"]  # the local sign-in's operators
    expected = [*CHANNELS, "operator", "console", "open311", *CHANNEL_SECRET_NAMES, *operators]
    assert sorted(ventanilla.keys) == sorted(expected)
    # The sample's cases crossed channels: Carmen's birth certificate was finished on the web
    assert "Cases across channels (1 operator actions on the case API)" in printed
    assert any("ACT-2026-018455" in line for line in ventanilla.output)
    assert any("LIC-2026-000123" in line for line in ventanilla.output)


def test_sample_cases_crossed_channels_to_their_expected_status(ventanilla: Running) -> None:
    operator_key = operator_headers(ventanilla)

    def status(reference: str) -> str:
        return str(
            requests.get(f"{ventanilla.url}/v1/cases/{reference}", headers=operator_key, timeout=30).json()["case"][
                "status"
            ]
        )

    # Carmen's birth certificate: office, WhatsApp, phone, web payment, the registry's step, web download
    assert status("ACT-2026-018455") == "resolved"
    # María's licence: office, phone, WhatsApp (the missing document), phone, web form and payment; exam next
    assert status("LIC-2026-000123") == "awaiting_citizen"


def test_sample_person_is_recognised_across_channels(ventanilla: Running) -> None:
    (maria,) = find(ventanilla, {"phone": "+52 1 55 1234 5678"})
    assert {"office", "phone", "messaging"} <= {e["channel"] for e in maria["timeline"]}
    (same,) = find(ventanilla, {"national_id": "hegm870412mdfrrr02"})
    assert same["citizen_id"] == maria["citizen_id"]


@pytest.mark.parametrize("channel", CHANNELS)
def test_each_channel_accepts_once_and_shows_on_the_timeline(ventanilla: Running, channel: str) -> None:
    body = fresh_body(channel)
    # When the channel posts a new touchpoint with its key
    first = post(ventanilla, channel, body, ventanilla.keys[channel])
    assert first.status_code == 202, first.text
    touchpoint_id = first.json()["touchpoint_id"]
    # Then the citizen found by the sender's identifier shows it on the timeline
    query = lookup_query(channel, body)
    assert touchpoint_id in timeline_ids(ventanilla, query, expected=touchpoint_id)
    # When the same POST is repeated it gets the same id and nothing new is stored
    again = post(ventanilla, channel, body, ventanilla.keys[channel])
    assert again.status_code == 202 and again.json() == first.json()
    assert again.headers["Idempotent-Replay"] == "true"
    time.sleep(0.5)
    assert timeline_ids(ventanilla, query).count(touchpoint_id) == 1


def test_concurrent_duplicate_deliveries_store_one_touchpoint(ventanilla: Running) -> None:
    body = {**fresh_body("messaging"), "from_number": "+52 81 5555 0101", "sender": None}
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(
            pool.map(lambda _: post(ventanilla, "messaging", body, ventanilla.keys["messaging"]), range(10))
        )
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["touchpoint_id"] for r in responses}) == 1
    touchpoint_id = responses[0].json()["touchpoint_id"]
    assert timeline_ids(ventanilla, {"phone": "8155550101"}, expected=touchpoint_id) == [touchpoint_id]


BAD_REQUESTS = [
    ("malformed JSON", "office", b'{"ticket_id": ', 400, "malformed_json"),
    ("missing field", "phone", None, 422, "validation_error"),
    ("wrong type", "phone", "wrong-type", 422, "validation_error"),
    ("over 256 KB", "email", "huge", 413, "payload_too_large"),
]


@pytest.mark.parametrize(("case", "channel", "raw", "status", "error"), BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
def test_bad_input_is_a_4xx_naming_the_problem_and_stores_nothing(
    ventanilla: Running, case: str, channel: str, raw: Any, status: int, error: str
) -> None:
    body = fresh_body(channel)
    unique_phone = "+52 81 5555 0199"
    if channel == "phone":
        body["caller_number"] = unique_phone
    if raw is None:
        del body["started_at"]
    elif raw == "wrong-type":
        body["duration_seconds"] = "cinco minutos"
    elif raw == "huge":
        body["text_body"] = "x" * (300 * 1024)
    payload = raw if isinstance(raw, bytes) else json.dumps(body).encode()
    response = post(ventanilla, channel, None, ventanilla.keys[channel], raw=payload)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.json()["message"]
    if channel == "phone":
        time.sleep(0.5)
        assert find(ventanilla, {"phone": unique_phone}) == []


HOSTILE_BODIES = [
    ("nested too deeply", b"[" * 50_000 + b"]" * 50_000, 400, "nested too deeply"),
    ("not UTF-8", b'{"call_id": "\xff\xfe"}', 400, "not UTF-8"),
    ("absurd number", b'{"duration_seconds": ' + b"9" * 5000 + b"}", 400, "too large"),
    ("JSON null", b"null", 422, "body"),
    ("JSON array", b"[]", 422, "body"),
]


@pytest.mark.parametrize(("case", "raw", "status", "message"), HOSTILE_BODIES, ids=[c[0] for c in HOSTILE_BODIES])
def test_hostile_bodies_are_refused_cleanly(
    ventanilla: Running, case: str, raw: bytes, status: int, message: str
) -> None:
    response = post(ventanilla, "phone", None, ventanilla.keys["phone"], raw=raw)
    assert response.status_code == status, response.text
    assert message in response.json()["message"]


@pytest.mark.parametrize("key", [None, "not-a-real-key", "other-channel"])
def test_missing_or_wrong_key_is_403_and_stores_nothing(ventanilla: Running, key: str | None) -> None:
    body = {**fresh_body("phone"), "caller_number": "+52 81 5555 0177"}
    value = ventanilla.keys["web"] if key == "other-channel" else key
    response = post(ventanilla, "phone", body, value)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    time.sleep(0.5)
    assert find(ventanilla, {"phone": "+52 81 5555 0177"}) == []


def test_unknown_channel_is_404_naming_the_path(ventanilla: Running) -> None:
    response = post(ventanilla, "fax", load_event("phone_touchpoint"), ventanilla.keys["phone"])
    assert response.status_code == 404
    assert "/v1/channels/fax/touchpoints" in response.json()["message"]


def test_openapi_document_covers_every_route_with_examples(ventanilla: Running) -> None:
    document = requests.get(f"{ventanilla.url}/v1/openapi.json", timeout=30).json()
    expected = {f"/v1/channels/{c}/touchpoints" for c in CHANNELS} | {
        "/v1/citizens",
        "/v1/citizens/{citizen_id}",
        "/v1/citizens/{citizen_id}/identity",
        "/v1/citizens/{citizen_id}/merge",
        "/v1/citizens/{citizen_id}/split",
        "/v1/citizens/{citizen_id}/preferences",
        "/v1/citizens/{citizen_id}/export",
        "/v1/citizens/{citizen_id}/rectifications",
        "/v1/citizens/{citizen_id}/erasure",
        "/v1/audit",
        "/v1/metrics/attention",
        "/v1/reviews",
        "/v1/reviews/{review_id}/decision",
        "/v1/procedures",
        "/v1/cases",
        "/v1/cases/{reference}",
        "/v1/cases/{reference}/steps",
        "/v1/cases/{reference}/status",
        "/v1/touchpoints/{touchpoint_id}/case",
        "/v1/metrics/journeys",
        "/v1/context",
        "/open311/v2/services.json",
        "/open311/v2/services.xml",
        "/open311/v2/services/{service_file}",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        "/open311/v2/requests/{request_file}",
        "/v1/channels/messaging/whatsapp",
        "/v1/channels/messaging/twilio",
        "/v1/channels/email/ses",
        "/v1/channels/social/meta",
        "/v1/channels/phone/connect",
    }
    assert set(document["paths"]) == expected
    schemas = document["components"]["schemas"]
    for channel in CHANNELS:
        operation = document["paths"][f"/v1/channels/{channel}/touchpoints"]["post"]
        reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert schemas[reference.rsplit("/", 1)[-1]].get("examples"), channel


def test_swagger_ui_is_served_without_a_cdn(ventanilla: Running) -> None:
    page = requests.get(f"{ventanilla.url}/v1/docs", timeout=30)
    assert page.status_code == 200 and "/v1/openapi.json" in page.text
    assert "http" not in page.text.split("<body>")[1].replace(ventanilla.url, "")
    script = requests.get(f"{ventanilla.url}/v1/docs/swagger-ui-bundle.js", timeout=30)
    assert script.status_code == 200 and len(script.content) > 100_000
