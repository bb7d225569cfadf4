"""Nobody gets in where they do not belong: every route of the synthesized template, called through `ventanilla up`
with a missing, a wrong and (on operator routes) a wrong-role credential, is refused, and nothing is stored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import Running, operator_headers
from ventanilla_local.template import Route, load

pytestmark = pytest.mark.e2e

SAMPLE_PARAMS = {
    "citizen_id": "cit-" + "0" * 32,
    "review_id": "rev-" + "0" * 32,
    "reference": "LIC-2026-000123",
    "touchpoint_id": "tp-" + "0" * 32,
    "service_file": "predial.json",
    "request_file": "PRE-2026-000001.json",
}
# Open311's service list, service definitions and request status are public by the standard (no personal data).
PUBLIC = {("GET", p) for p in ("/open311/v2/services.json", "/open311/v2/services.xml")} | {
    ("GET", "/open311/v2/services/{service_file}"),
    ("GET", "/open311/v2/requests.json"),
    ("GET", "/open311/v2/requests.xml"),
    ("GET", "/open311/v2/requests/{request_file}"),
}
# What each role may not do (the route needs more): checked with that role's token.
SUPERVISOR_ONLY = {
    ("POST", "/v1/citizens/{citizen_id}/merge"),
    ("POST", "/v1/citizens/{citizen_id}/split"),
    ("POST", "/v1/reviews/{review_id}/decision"),
}
AUDITOR_OR_SUPERVISOR = {("GET", "/v1/audit")}


def url_of(app: Running, route: Route) -> str:
    return app.url + re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PARAMS.get(m.group(1), "x"), route.path)


def call(app: Running, route: Route, headers: dict[str, str], form: str | None = None) -> requests.Response:
    body = None if route.method == "GET" else (form.encode() if form is not None else b"{}")
    content = "application/x-www-form-urlencoded" if form is not None else "application/json"
    return requests.request(
        route.method, url_of(app, route), data=body, headers={"content-type": content, **headers}, timeout=30
    )


def test_every_route_refuses_missing_wrong_and_wrong_role_credentials(ventanilla: Running, cdk_out: Path) -> None:
    template = load(cdk_out)
    checked: dict[str, int] = {"missing": 0, "wrong": 0, "wrong role": 0, "public": 0}
    failures = []
    other_channel = ventanilla.keys["office"]
    auditor, agent = operator_headers(ventanilla, "auditora"), operator_headers(ventanilla, "agente")
    for route in template.routes:
        name = f"{route.method} {route.path}"
        if (route.method, route.path) in PUBLIC:
            checked["public"] += 1
            continue
        attempts: list[tuple[str, dict[str, str], set[int]]] = [("missing", {}, {401, 403})]
        form = None
        if route.path.startswith("/open311/"):  # the standard's form, with its `api_key` field
            form = "service_code=predial&address_string=Av.%20Ju%C3%A1rez%2012"
            attempts = [("missing", {}, {400, 403}), ("wrong", {"x-form-api-key": "wrong"}, {400, 403})]
        elif route.cognito:  # operator API: key + token + role
            attempts += [
                ("wrong", {**operator_headers(ventanilla), "x-api-key": other_channel}, {403}),
                ("wrong", {"x-api-key": ventanilla.keys["operator"], "Authorization": "not-a-token"}, {401}),
            ]
            if route.method != "GET":
                attempts.append(("wrong role", auditor, {403}))
            if (route.method, route.path) in SUPERVISOR_ONLY | AUDITOR_OR_SUPERVISOR:
                attempts.append(("wrong role", agent, {403}))
        elif route.api_key_required:  # a channel's own API key
            key_for = route.path.split("/")[3] if route.path.startswith("/v1/channels/") else "operator"
            wrong = "web" if key_for != "web" else "phone"
            attempts.append(("wrong", {"x-api-key": ventanilla.keys[wrong]}, {403}))
        else:  # a provider's signed webhook
            attempts += [
                ("wrong", {"x-hub-signature-256": "sha256=" + "0" * 64}, {401, 403}),
                ("wrong", {"x-twilio-signature": "AAAA", "authorization": "Basic d3Jvbmc6d3Jvbmc="}, {401, 403}),
            ]
        for kind, headers, expected in attempts:
            sent_form = form
            if form is not None and headers.pop("x-form-api-key", None):
                sent_form = f"{form}&api_key=wrong-key"
            answer = call(ventanilla, route, headers, sent_form)
            checked[kind] += 1
            if answer.status_code not in expected:
                failures.append(f"{name} with {kind} credential: {answer.status_code} {answer.text[:120]}")
    print(
        f"{len(template.routes)} routes: {checked['missing']} missing, {checked['wrong']} wrong and "
        f"{checked['wrong role']} wrong-role credentials refused; {checked['public']} public by design (Open311)"
    )
    assert len(template.routes) >= 40 and checked["wrong role"] >= 10
    assert failures == []
