"""Who may do what on the operator API (shared/auth.py): roles from the Cognito token's claims, per route."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import allowed, caller_of, operator_guard

pytestmark = pytest.mark.unit

KEYS = {"key-operator", "key-console"}


def event(method: str, resource: str, claims: dict[str, str] | None, key: str = "key-console") -> dict[str, Any]:
    context: dict[str, Any] = {"identity": {"apiKeyId": key}}
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {"httpMethod": method, "resource": resource, "requestContext": context}


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ("agent", {"agent"}),
        ("agent,supervisor", {"agent", "supervisor"}),
        ("[auditor supervisor]", {"auditor", "supervisor"}),
        ("admins", set()),  # not a Ventanilla role
        ("", set()),
    ],
)
def test_roles_come_from_the_groups_claim_in_every_shape_api_gateway_sends(groups: str, expected: set[str]) -> None:
    caller = caller_of(event("GET", "/v1/context", {"cognito:username": "ana", "cognito:groups": groups}))
    assert caller is not None and caller.roles == expected and caller.actor == "ana"


def test_a_system_with_the_operator_scope_is_a_service_caller() -> None:
    caller = caller_of(event("GET", "/v1/context", {"client_id": "ivr-01", "scope": "ventanilla/operator"}))
    assert caller is not None and caller.roles == {"service"} and caller.actor == "ivr-01"


@pytest.mark.parametrize(
    ("method", "resource", "role", "may"),
    [
        ("GET", "/v1/citizens/{citizen_id}", "auditor", True),
        ("POST", "/v1/cases/{reference}/steps", "auditor", False),
        ("POST", "/v1/cases/{reference}/steps", "agent", True),
        ("POST", "/v1/touchpoints/{touchpoint_id}/case", "agent", True),
        ("POST", "/v1/citizens/{citizen_id}/merge", "agent", False),
        ("POST", "/v1/citizens/{citizen_id}/split", "supervisor", True),
        ("POST", "/v1/reviews/{review_id}/decision", "service", False),
        ("GET", "/v1/audit", "agent", False),
        ("GET", "/v1/audit", "auditor", True),
        # Privacy rights: an agent can neither export nor erase; an auditor exports but changes nothing.
        ("GET", "/v1/citizens/{citizen_id}/export", "agent", False),
        ("GET", "/v1/citizens/{citizen_id}/export", "service", False),
        ("GET", "/v1/citizens/{citizen_id}/export", "auditor", True),
        ("POST", "/v1/citizens/{citizen_id}/erasure", "agent", False),
        ("POST", "/v1/citizens/{citizen_id}/erasure", "auditor", False),
        ("POST", "/v1/citizens/{citizen_id}/erasure", "supervisor", True),
        ("POST", "/v1/citizens/{citizen_id}/rectifications", "agent", True),
        ("POST", "/v1/citizens/{citizen_id}/rectifications", "auditor", False),
        ("DELETE", "/v1/unlisted", "agent", False),  # an unlisted write is for supervisors only
    ],
)
def test_the_permission_table(method: str, resource: str, role: str, may: bool) -> None:
    assert allowed(method, resource, {role}) is may


def test_the_guard_answers_401_without_a_token_403_for_a_role_or_key_and_lets_the_right_role_through() -> None:
    guard = operator_guard(lambda: KEYS)
    auditor = {"cognito:username": "aud", "cognito:groups": "auditor"}
    missing = guard(event("GET", "/v1/context", None))
    assert missing is not None and missing.error == "unauthorized"
    wrong_key = guard(event("GET", "/v1/context", auditor, key="key-phone"))
    assert wrong_key is not None and wrong_key.error == "forbidden"
    refused = guard(event("POST", "/v1/citizens/{citizen_id}/merge", auditor))
    assert refused is not None and refused.error == "forbidden" and "auditor" in refused.message
    assert guard(event("GET", "/v1/context", auditor)) is None
