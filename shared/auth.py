"""Who may do what on the operator API: the caller's roles from the Cognito token, checked per route.

API Gateway's Cognito authorizer has already verified the token (signature, issuer, expiry) and passes its claims
in `requestContext.authorizer.claims`, every value a string. People sign in to the console and carry their user
pool groups (`cognito:groups`: agent, supervisor, auditor); systems (an IVR, a CRM) use the client-credentials
flow and carry the scope `ventanilla/operator`, which gives them an agent's rights. The API key still says which
client is calling (the operator integrations' key or the console's), for usage plans and throttling.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from shared.api import ErrorResponse, Guard

AGENT, SUPERVISOR, AUDITOR, SERVICE = "agent", "supervisor", "auditor", "service"
ROLES = (AGENT, SUPERVISOR, AUDITOR)
SERVICE_SCOPE = "ventanilla/operator"
READERS = frozenset({AGENT, SUPERVISOR, AUDITOR, SERVICE})
CASEWORKERS = frozenset({AGENT, SUPERVISOR, SERVICE})
STEWARDS = frozenset({SUPERVISOR})
# (method, template resource path) -> who may call it; GET routes not listed are open to every reader.
PERMISSIONS: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/v1/cases"): CASEWORKERS,
    ("POST", "/v1/cases/{reference}/steps"): CASEWORKERS,
    ("POST", "/v1/cases/{reference}/status"): CASEWORKERS,
    ("POST", "/v1/touchpoints/{touchpoint_id}/case"): CASEWORKERS,
    ("PUT", "/v1/citizens/{citizen_id}/preferences"): CASEWORKERS,
    ("POST", "/v1/citizens/{citizen_id}/merge"): STEWARDS,
    ("POST", "/v1/citizens/{citizen_id}/split"): STEWARDS,
    ("POST", "/v1/reviews/{review_id}/decision"): STEWARDS,
    ("GET", "/v1/audit"): frozenset({AUDITOR, SUPERVISOR}),
    # Privacy rights: a person's whole file leaves only through a supervisor or an auditor; erasure is a
    # supervisor's; agents correct data they see at the counter (every change is kept with its reason).
    ("GET", "/v1/citizens/{citizen_id}/export"): frozenset({SUPERVISOR, AUDITOR}),
    ("POST", "/v1/citizens/{citizen_id}/rectifications"): frozenset({AGENT, SUPERVISOR}),
    ("POST", "/v1/citizens/{citizen_id}/erasure"): STEWARDS,
}


@dataclass(frozen=True)
class Caller:
    """The person or system behind a request: for audit entries and for `actor` fields."""

    actor: str
    roles: frozenset[str]
    client: str | None = None

    @property
    def role(self) -> str:
        for role in (SUPERVISOR, AGENT, AUDITOR, SERVICE):
            if role in self.roles:
                return role
        return "none"


def _groups(value: Any) -> set[str]:
    """`cognito:groups` as API Gateway passes it: "agent", "agent,supervisor" or "[agent supervisor]"."""
    if isinstance(value, list | tuple):
        return {str(v) for v in value}
    return {g for g in re.split(r"[\s,\[\]]+", str(value or "")) if g}


def caller_of(event: Mapping[str, Any]) -> Caller | None:
    """The caller from the authorizer's claims; None when the request carries none."""
    context = event.get("requestContext") or {}
    claims = (context.get("authorizer") or {}).get("claims") or {}
    if not isinstance(claims, Mapping) or not claims:
        return None
    roles = _groups(claims.get("cognito:groups")) & set(ROLES)
    scopes = set(str(claims.get("scope") or "").split())
    if SERVICE_SCOPE in scopes:
        roles.add(SERVICE)
    actor = claims.get("cognito:username") or claims.get("username") or claims.get("client_id") or claims.get("sub")
    client = (context.get("identity") or {}).get("apiKeyId")
    return Caller(actor=str(actor or "unknown"), roles=frozenset(roles), client=client)


def allowed(method: str, resource: str, roles: Collection[str]) -> bool:
    needed = PERMISSIONS.get((method.upper(), resource))
    if needed is None:
        needed = READERS if method.upper() == "GET" else STEWARDS  # unlisted writes: supervisors only
    return bool(needed & set(roles))


def operator_guard(key_ids: Callable[[], Collection[str]]) -> Guard:
    """The operator API's check: one of the operator clients' API keys, a signed-in caller, a role for the route."""

    def check(event: Mapping[str, Any]) -> ErrorResponse | None:
        identity = (event.get("requestContext") or {}).get("identity") or {}
        if identity.get("apiKeyId") not in set(key_ids()):
            return ErrorResponse(error="forbidden", message="API key is not valid for operators")
        caller = caller_of(event)
        if caller is None:
            return ErrorResponse(error="unauthorized", message="sign in: this API needs an operator's token")
        method = str(event.get("httpMethod") or "")
        resource = str(event.get("resource") or event.get("path") or "")
        if not allowed(method, resource, caller.roles):
            return ErrorResponse(error="forbidden", message=f"the {caller.role} role may not {method} {resource}")
        return None

    return check


def acting(event: Mapping[str, Any], claimed: str) -> str:
    """Who a change is recorded as done by: the signed-in person (not what the body claims); for a system, the
    system's client id with the person it says it acts for (an IVR passes its agent)."""
    caller = caller_of(event)
    if caller is None:
        return claimed
    if SERVICE in caller.roles and not caller.roles & set(ROLES):
        return f"{caller.actor}/{claimed}"
    return caller.actor
