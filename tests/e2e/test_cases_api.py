"""A procedure started at the office, continued on WhatsApp and the web, with one answer in every channel."""

from __future__ import annotations

import random
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Running
from tests.e2e.test_identity_api import operator

pytestmark = pytest.mark.e2e


def post_touchpoint(app: Running, channel: str, body: dict[str, Any]) -> str:
    """One contact of a person, settled before the test goes on: a person's contacts are days apart, and contacts
    that arrive together are announced in one batch from the table's stream and resolved side by side (whether a
    nameless call is theirs depends on their number being known as a mobile first)."""
    response = requests.post(
        f"{app.url}/v1/channels/{channel}/touchpoints", json=body, headers={"x-api-key": app.keys[channel]}, timeout=30
    )
    assert response.status_code == 202, response.text
    assert requests.get(f"{app.url}/__ventanilla/idle", timeout=120).json()["idle"]
    return str(response.json()["touchpoint_id"])


def eventually(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def journey(ventanilla: Running) -> dict[str, Any]:
    """Rocío starts her driver's licence at the office, writes on WhatsApp and pays on the portal."""
    run = uuid.uuid4().hex[:8]
    phone = f"55{random.randint(10_000_000, 99_999_999)}"
    login = f"sso|{uuid.uuid4()}"
    person = {"given_name": "Rocío", "family_name": f"Villaseñor {run.capitalize()}", "birth_date": "1991-08-23"}
    post_touchpoint(
        ventanilla,
        "office",
        {
            "ticket_id": f"B-{run}",
            "office_id": "CDMX-CUAUH-01",
            "checked_in_at": "2026-03-02T09:12:40-06:00",
            "purpose": "Licencia de conducir por primera vez",
            "person": {**person, "phone": phone},
            "case": {
                "procedure": "licencia-conducir",
                "step": "solicitud",
                "documents": ["ine", "comprobante-domicilio"],
            },
        },
    )

    def open_case() -> dict[str, Any] | None:
        context = operator(ventanilla, "GET", "/v1/context", params={"phone": phone}).json()
        return context["open_cases"][0] if context.get("open_cases") else None

    opened = eventually(open_case, "the office visit to open a case")
    post_touchpoint(
        ventanilla,
        "messaging",
        {
            "message_id": f"wamid.{run}",
            "network": "whatsapp",
            "from_number": f"521{phone}",
            "to_number": "+52 55 5000 1234",
            "sent_at": "2026-03-03T10:21:33-06:00",
            "text": "Hola, ¿qué sigue con mi licencia?",
        },
    )

    def whatsapp_seen() -> dict[str, Any] | None:
        context = operator(ventanilla, "GET", "/v1/context", params={"phone": phone}).json()
        seen = any(t["channel"] == "messaging" for t in context["last_touchpoints"])
        # WhatsApp shows the number is her mobile: from then on the context is sure of who calls from it
        return context if seen and context["confidence"] == "high" else None

    after_whatsapp = eventually(whatsapp_seen, "the WhatsApp message to reach her timeline")
    post_touchpoint(
        ventanilla,
        "web",
        {
            "event_id": f"web-{run}",
            "login_subject": login,
            "occurred_at": "2026-03-04T19:52:40-06:00",
            "action": "payment_made",
            "person": person,
            "case": {"procedure": "licencia-conducir", "reference": opened["reference"], "step": "pago"},
        },
    )

    def paid() -> dict[str, Any] | None:
        case = operator(ventanilla, "GET", f"/v1/cases/{opened['reference']}").json()
        return case if case["case"]["current_step"] == "examen" else None

    return {
        "phone": phone,
        "login": login,
        "opened": opened,
        "after_whatsapp": after_whatsapp,
        "paid": eventually(paid, "the web payment to complete the step"),
    }


def test_office_case_is_found_by_phone_after_whatsapp_and_advanced_by_the_web(journey: dict[str, Any]) -> None:
    opened, after_whatsapp, paid = journey["opened"], journey["after_whatsapp"], journey["paid"]
    assert opened["reference"].startswith("LIC-2026-") and opened["status"] == "awaiting_citizen"
    assert opened["current_step"] == "pago" and opened["opened_channel"] == "office"
    assert [c["reference"] for c in after_whatsapp["open_cases"]] == [opened["reference"]]
    assert paid["case"]["completed_steps"] == ["solicitud", "pago"]
    assert {t["rule"] for t in paid["touchpoints"]} >= {"opened", "inferred:only-open-case", "reference"}
    assert [h["kind"] for h in paid["history"]].count("step_completed") == 2


def test_every_channel_reports_the_same_status_text(ventanilla: Running, journey: dict[str, Any]) -> None:
    reference = journey["paid"]["case"]["reference"]
    by_phone = operator(ventanilla, "GET", "/v1/context", params={"phone": journey["phone"]}).json()
    by_login = operator(ventanilla, "GET", "/v1/context", params={"login_subject": journey["login"]}).json()
    case = operator(ventanilla, "GET", f"/v1/cases/{reference}").json()
    open311 = requests.get(f"{ventanilla.url}/open311/v2/requests/{reference}.json", timeout=30).json()
    texts = {
        "ivr/whatsapp (context by phone)": by_phone["open_cases"][0]["status_text"],
        "web (context by login)": by_login["open_cases"][0]["status_text"],
        "office desk (case API)": case["case"]["status_text"],
        "civic apps (Open311)": open311[0]["status_notes"],
    }
    assert len(set(texts.values())) == 1, texts
    assert reference in texts["office desk (case API)"]
    english = operator(ventanilla, "GET", f"/v1/cases/{reference}", params={"language": "en"}).json()
    assert english["case"]["status_text"] != case["case"]["status_text"]


def test_an_invalid_transition_is_refused_and_changes_nothing(ventanilla: Running, journey: dict[str, Any]) -> None:
    reference = journey["paid"]["case"]["reference"]
    before = operator(ventanilla, "GET", f"/v1/cases/{reference}").json()
    closing = operator(
        ventanilla,
        "POST",
        f"/v1/cases/{reference}/status",
        json={"status": "closed", "channel": "office", "actor": "supervisor-1"},
    )
    assert closing.status_code == 409 and closing.json()["error"] == "invalid_transition"
    assert "awaiting_citizen to closed" in closing.json()["message"]
    skipping = operator(
        ventanilla,
        "POST",
        f"/v1/cases/{reference}/steps",
        json={"step": "entrega", "channel": "office", "actor": "ventanilla-4"},
    )
    assert skipping.status_code == 409 and "at step 'examen'" in skipping.json()["message"]
    unknown = operator(
        ventanilla, "POST", "/v1/cases", json={"procedure": "licencia-lunar", "channel": "web", "actor": "citizen"}
    )
    assert unknown.status_code == 404 and "licencia-lunar" in unknown.json()["message"]
    assert operator(ventanilla, "GET", f"/v1/cases/{reference}").json() == before


def test_open311_client_lists_services_files_a_request_and_tracks_it(ventanilla: Running) -> None:
    services = requests.get(f"{ventanilla.url}/open311/v2/services.json", timeout=30)
    assert services.status_code == 200
    codes = {s["service_code"] for s in services.json()}
    assert {"licencia-conducir", "acta-nacimiento", "cita-pasaporte", "predial", "programa-social"} <= codes
    xml_answer = requests.get(f"{ventanilla.url}/open311/v2/services.xml", timeout=30).content
    as_xml = ET.fromstring(xml_answer)  # noqa: S314 - the answer of the local server under test
    assert as_xml.tag == "services" and len(as_xml.findall("service")) == len(codes)
    definition = requests.get(f"{ventanilla.url}/open311/v2/services/predial.json", timeout=30).json()
    assert any(a["code"] == "cuenta-catastral" and a["required"] for a in definition["attributes"])
    # When a civic app files a request, form-encoded with its api_key
    form = {
        "api_key": ventanilla.keys["open311"],
        "service_code": "predial",
        "address_string": "Av. Juárez 12, Cuauhtémoc, CDMX",
        "first_name": "Jorge",
        "last_name": "Ramírez Soto",
        "email": f"jorge.{uuid.uuid4().hex[:6]}@example.com",
        "description": "No puedo pagar el predial en línea",
        "attribute[cuenta-catastral]": "045-123-07",
    }
    filed = requests.post(f"{ventanilla.url}/open311/v2/requests.json", data=form, timeout=30)
    assert filed.status_code in (200, 201), filed.text
    (answer,) = filed.json()
    reference = answer["service_request_id"]
    assert reference.startswith("PRE-") and reference in answer["service_notice"]
    # Then it can be tracked, with nothing personal in the public answer
    (tracked,) = requests.get(f"{ventanilla.url}/open311/v2/requests/{reference}.json", timeout=30).json()
    assert tracked["status"] == "open" and tracked["service_code"] == "predial"
    assert "Jorge" not in str(tracked) and form["email"] not in str(tracked)
    # And a request without a key, or for an unknown service, is refused in the standard's error format
    keyless = requests.post(f"{ventanilla.url}/open311/v2/requests.json", data={**form, "api_key": "nope"}, timeout=30)
    assert keyless.status_code == 403 and keyless.json()[0]["code"] == 403
    unknown = requests.post(
        f"{ventanilla.url}/open311/v2/requests.json", data={**form, "service_code": "ovnis"}, timeout=30
    )
    assert unknown.status_code == 400 and "ovnis" in unknown.json()[0]["description"]


def test_cases_follow_a_merge_and_go_back_when_it_is_split(ventanilla: Running) -> None:
    run = uuid.uuid4().hex[:8]
    phones = [f"33{random.randint(10_000_000, 99_999_999)}" for _ in range(2)]

    def office(n: int, procedure: str, given: str) -> None:
        post_touchpoint(
            ventanilla,
            "office",
            {
                "ticket_id": f"M-{run}-{n}",
                "office_id": "JAL-GDL-01",
                "checked_in_at": "2026-03-09T10:00:00-06:00",
                "person": {"given_name": given, "family_name": f"Quintero {run}", "phone": phones[n]},
                "case": {"procedure": procedure},
            },
        )

    def context(n: int) -> dict[str, Any]:
        return operator(ventanilla, "GET", "/v1/context", params={"phone": phones[n]}).json()

    # Given the same person known twice (two spellings, two numbers), each record with its own case
    office(0, "predial", "Socorro")
    office(1, "programa-social", "Ma. del Socorro")
    first = eventually(lambda: context(0) if context(0)["open_cases"] else None, "the first case")
    second = eventually(lambda: context(1) if context(1)["open_cases"] else None, "the second case")
    assert first["citizen_id"] != second["citizen_id"]
    # When an operator merges them
    merged = operator(
        ventanilla,
        "POST",
        f"/v1/citizens/{first['citizen_id']}/merge",
        json={"citizen_id": second["citizen_id"], "reason": "misma persona, confirmado", "actor": "supervisor-1"},
    )
    assert merged.status_code == 200, merged.text
    both = {first["open_cases"][0]["reference"], second["open_cases"][0]["reference"]}
    # Then either number finds one person with both cases
    eventually(lambda: {c["reference"] for c in context(1)["open_cases"]} == both, "the cases to follow the merge")
    # When the merge is split
    split = operator(
        ventanilla,
        "POST",
        f"/v1/citizens/{first['citizen_id']}/split",
        json={"merge_id": merged.json()["merge_id"], "reason": "eran dos personas", "actor": "supervisor-1"},
    )
    assert split.status_code == 200, split.text
    # Then each case is back with its own citizen
    eventually(
        lambda: [c["reference"] for c in context(1)["open_cases"]] == [second["open_cases"][0]["reference"]],
        "the case to go back on the split",
    )
    assert [c["reference"] for c in context(0)["open_cases"]] == [first["open_cases"][0]["reference"]]
