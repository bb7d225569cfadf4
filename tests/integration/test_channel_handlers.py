"""Each channel function, as synthesized, against the emulator: stored once, announced, resolved."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.repositories.touchpoints import DynamoDBTouchpointRepository
from tests.channels import fresh_body
from tests.conftest import CHANNELS, load_event
from tests.integration.conftest import api_event, key_id
from ventanilla_local.runtime import LocalRuntime

pytestmark = pytest.mark.integration


def post(runtime: LocalRuntime, channel: str, body: Any, client: str | None = None) -> dict[str, Any]:
    raw = body if isinstance(body, str) else json.dumps(body)
    event = api_event(
        "POST", f"/v1/channels/{channel}/touchpoints", body=raw, api_key_id=key_id(runtime, client or channel)
    )
    result: dict[str, Any] = runtime.invoke(channel, event)
    return result


def header(result: dict[str, Any], name: str) -> str | None:
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    for k, values in (result.get("multiValueHeaders") or {}).items():
        headers[k.lower()] = values[0]
    return headers.get(name.lower())


@pytest.mark.parametrize("channel", CHANNELS)
def test_touchpoint_is_stored_once_and_linked_to_a_citizen(
    runtime: LocalRuntime, dynamodb: Any, table_name: str, channel: str
) -> None:
    touchpoints = DynamoDBTouchpointRepository(dynamodb, table_name)
    body = fresh_body(channel)
    # When the channel delivers a message
    first = post(runtime, channel, body)
    # Then it is accepted with a touchpoint id and stored with the channel's data
    assert first["statusCode"] == 202, first["body"]
    touchpoint_id = json.loads(first["body"])["touchpoint_id"]
    stored = touchpoints.get(touchpoint_id)
    assert stored is not None and stored.touchpoint.channel == channel
    # And the identity function, fed by the EventBridge rule, links it to a citizen
    assert runtime.wait_idle(timeout=30)
    assert touchpoints.get(touchpoint_id).citizen_id.startswith("cit-")
    # When the provider retries the same delivery
    again = post(runtime, channel, body)
    # Then the answer is the same and the stored item is untouched
    assert (again["statusCode"], json.loads(again["body"])) == (202, json.loads(first["body"]))
    assert header(again, "Idempotent-Replay") == "true"
    assert touchpoints.get(touchpoint_id).received_at == stored.received_at


@pytest.mark.parametrize("channel", CHANNELS)
def test_invalid_body_is_refused_naming_the_field(runtime: LocalRuntime, channel: str) -> None:
    result = post(runtime, channel, load_event(f"{channel}_touchpoint_invalid"))
    assert result["statusCode"] == 422
    error = json.loads(result["body"])
    assert error["error"] == "validation_error"
    assert error["detail"][0]["field"].startswith("body.")
    assert "Field required" in error["message"]


def test_key_of_another_channel_is_refused_and_nothing_is_stored(
    runtime: LocalRuntime, dynamodb: Any, table_name: str
) -> None:
    from functions.phone.adapter import to_touchpoint
    from functions.phone.models import PhoneTouchpointRequest

    body = fresh_body("phone")
    result = post(runtime, "phone", body, client="email")
    assert result["statusCode"] == 403
    assert "channel phone" in json.loads(result["body"])["message"]
    expected_id = to_touchpoint(PhoneTouchpointRequest.model_validate(body)).touchpoint_id
    assert DynamoDBTouchpointRepository(dynamodb, table_name).get(expected_id) is None


def test_message_id_reused_for_other_content_is_a_conflict(runtime: LocalRuntime) -> None:
    body = fresh_body("messaging")
    assert post(runtime, "messaging", body)["statusCode"] == 202
    changed = {**body, "text": "Un mensaje distinto con el mismo id"}
    result = post(runtime, "messaging", changed)
    assert result["statusCode"] == 409
    assert json.loads(result["body"])["error"] == "conflict"


@pytest.mark.parametrize(
    ("raw", "status", "error"),
    [("{not json", 400, "malformed_json"), ("[]", 422, "validation_error"), ("", 422, "validation_error")],
)
def test_unparseable_bodies_get_4xx(runtime: LocalRuntime, raw: str, status: int, error: str) -> None:
    result = post(runtime, "office", raw)
    assert (result["statusCode"], json.loads(result["body"])["error"]) == (status, error)
