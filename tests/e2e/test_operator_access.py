"""The operator API checks who is calling: a signed-in operator's token, the role for the route, and it logs every
view of a citizen record (who, when, which citizen) for auditors."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import pytest
import requests

from tests.e2e.conftest import Running, operator_headers
from tests.e2e.test_cases_api import eventually, post_touchpoint

pytestmark = pytest.mark.e2e


def maria(app: Running) -> str:
    answer = requests.get(
        f"{app.url}/v1/context", params={"phone": "55 1234 5678"}, headers=operator_headers(app), timeout=30
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["citizen_id"])


def test_without_a_token_the_operator_api_answers_401_and_the_channel_api_is_unchanged(ventanilla: Running) -> None:
    bare = requests.get(
        f"{ventanilla.url}/v1/context",
        params={"phone": "5512345678"},
        headers={"x-api-key": ventanilla.keys["operator"]},
        timeout=30,
    )
    assert bare.status_code == 401 and bare.json()["error"] == "unauthorized"
    forged = requests.get(
        f"{ventanilla.url}/v1/context",
        params={"phone": "5512345678"},
        headers={"x-api-key": ventanilla.keys["operator"], "Authorization": "eyJhbGciOiJub25lIn0.e30."},
        timeout=30,
    )
    assert forged.status_code == 401
    wrong_password = requests.post(
        f"{ventanilla.url}/__ventanilla/cognito",
        json={
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": "local-console",
            "AuthParameters": {"USERNAME": "supervisora", "PASSWORD": "not-the-password"},
        },
        timeout=30,
    )
    assert wrong_password.status_code == 400 and wrong_password.json()["__type"] == "NotAuthorizedException"


def test_roles_auditor_reads_agent_works_cases_only_supervisor_merges(ventanilla: Running) -> None:
    citizen_id = maria(ventanilla)
    merge = f"{ventanilla.url}/v1/citizens/{citizen_id}/merge"
    body = {"citizen_id": "cit-" + "0" * 32, "actor": "x", "reason": "prueba de permisos"}
    for user in ("auditora", "agente"):
        read = requests.get(
            f"{ventanilla.url}/v1/citizens/{citizen_id}", headers=operator_headers(ventanilla, user), timeout=30
        )
        assert read.status_code == 200, (user, read.text)
        refused = requests.post(merge, json=body, headers=operator_headers(ventanilla, user), timeout=30)
        assert refused.status_code == 403 and "may not POST" in refused.json()["message"], (user, refused.text)
    steps = f"{ventanilla.url}/v1/cases/LIC-2026-000123/steps"
    as_auditor = requests.post(
        steps,
        json={"documents": ["ine"], "channel": "office", "actor": "a"},
        headers=operator_headers(ventanilla, "auditora"),
        timeout=30,
    )
    assert as_auditor.status_code == 403
    # the supervisor's merge gets past the role check (and fails on the unknown citizen instead)
    as_supervisor = requests.post(merge, json=body, headers=operator_headers(ventanilla), timeout=30)
    assert as_supervisor.status_code == 404


def test_every_view_of_a_citizen_is_in_the_audit_log_with_who_and_when(ventanilla: Running) -> None:
    citizen_id = maria(ventanilla)
    viewed = requests.get(
        f"{ventanilla.url}/v1/citizens/{citizen_id}", headers=operator_headers(ventanilla, "agente"), timeout=30
    )
    assert viewed.status_code == 200
    today = datetime.now(UTC).date().isoformat()
    log = requests.get(
        f"{ventanilla.url}/v1/audit",
        params={"day": today},
        headers=operator_headers(ventanilla, "auditora"),
        timeout=30,
    )
    assert log.status_code == 200, log.text
    mine = [e for e in log.json()["entries"] if e["citizen_id"] == citizen_id and e["actor"] == "agente"]
    assert any(e["action"] == "viewed_record" and e["role"] == "agent" for e in mine)
    assert all(e["at"].startswith(today) for e in log.json()["entries"])
    denied = requests.get(
        f"{ventanilla.url}/v1/audit", params={"day": today}, headers=operator_headers(ventanilla, "agente"), timeout=30
    )
    assert denied.status_code == 403


def test_a_change_is_recorded_as_made_by_the_signed_in_operator_not_the_claimed_actor(ventanilla: Running) -> None:
    run = uuid.uuid4().hex[:8]
    phone = f"44{random.randint(10_000_000, 99_999_999)}"
    post_touchpoint(
        ventanilla,
        "office",
        {
            "ticket_id": f"A-{run}",
            "office_id": "GTO-LEON-01",
            "checked_in_at": "2026-03-09T10:00:00-06:00",
            "person": {"given_name": "Ofelia", "family_name": f"Actora {run}", "phone": phone},
            "case": {"procedure": "predial"},
        },
    )

    def reference() -> str | None:
        context = requests.get(
            f"{ventanilla.url}/v1/context", params={"phone": phone}, headers=operator_headers(ventanilla), timeout=30
        ).json()
        return next(iter(c["reference"] for c in context.get("open_cases", [])), None)

    case = eventually(reference, "the case")
    changed = requests.post(
        f"{ventanilla.url}/v1/cases/{case}/status",
        json={"status": "in_review", "channel": "office", "actor": "alguien-mas"},
        headers=operator_headers(ventanilla, "agente"),
        timeout=30,
    )
    assert changed.status_code == 200, changed.text
    history = changed.json()["history"]
    assert history[-1]["to_status"] == "in_review" and history[-1]["actor"] == "agente"
