"""The read API function against the emulator."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import api_event, key_id
from ventanilla_local.runtime import LocalRuntime

pytestmark = pytest.mark.integration


def get(runtime: LocalRuntime, path: str, *, client: str = "operator", query=None, params=None):
    resource = "/v1/citizens/{citizen_id}" if params else path
    event = api_event(
        "GET", path, api_key_id=key_id(runtime, client), query=query, path_parameters=params, resource=resource
    )
    result = runtime.invoke("citizens", event)
    return result["statusCode"], json.loads(result["body"])


def test_unknown_citizen_is_404(runtime: LocalRuntime) -> None:
    citizen_id = "cit-" + "0" * 32
    status, body = get(runtime, f"/v1/citizens/{citizen_id}", params={"citizen_id": citizen_id})
    assert (status, body["error"]) == (404, "not_found")


def test_malformed_citizen_id_is_422(runtime: LocalRuntime) -> None:
    status, body = get(runtime, "/v1/citizens/robert';drop", params={"citizen_id": "robert';drop"})
    assert status == 422 and "citizen_id" in body["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "give exactly one of"),
        ({"phone": "55 1234 5678", "email": "a@example.mx"}, "give exactly one of"),
        ({"phone": "12"}, "not a valid phone"),
        ({"handle": "sin-plataforma"}, "not a valid handle (expected platform:handle)"),
    ],
)
def test_search_needs_one_valid_identifier(runtime: LocalRuntime, query: dict, message: str) -> None:
    status, body = get(runtime, "/v1/citizens", query=query or None)
    assert status == 400 and message in body["message"]


def test_channel_key_cannot_read_citizens(runtime: LocalRuntime) -> None:
    status, body = get(runtime, "/v1/citizens", client="phone", query={"phone": "55 1234 5678"})
    assert (status, body["error"]) == (403, "forbidden")
