"""Citizens are told what happens to their cases: once per status change, in their language, on the right channel.

Through `ventanilla up`: SES and SNS are the emulator's, WhatsApp is the local stand-in for the Cloud API;
`ventanilla outbox` lists what was sent, `ventanilla fault` makes WhatsApp fail, `ventanilla dlq` parks and redrives.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.e2e.conftest import Running
from tests.e2e.test_cases_api import eventually, post_touchpoint
from tests.e2e.test_dead_letters import ventanilla_cli
from tests.e2e.test_identity_api import operator

pytestmark = pytest.mark.e2e

MEXICO = ZoneInfo("America/Mexico_City")


def advance_to_local_noon(app: Running) -> None:
    """Move the stack's clock to the next 12:00 in Mexico City, so no message falls in the quiet hours."""
    now = datetime.fromisoformat(requests.get(f"{app.url}/__ventanilla/clock", timeout=30).json()["now"])
    local = now.astimezone(MEXICO)
    noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
    if noon <= local:
        noon += timedelta(days=1)
    minutes = int((noon - local).total_seconds() // 60) + 1
    moved = requests.post(f"{app.url}/__ventanilla/clock", json={"advance": f"{minutes}m"}, timeout=120)
    assert moved.status_code == 200, moved.text


def advance(app: Running, by: str) -> None:
    moved = requests.post(f"{app.url}/__ventanilla/clock", json={"advance": by}, timeout=120)
    assert moved.status_code == 200, moved.text


def outbox_for(app: Running, *addresses: str) -> list[dict[str, Any]]:
    answer = requests.get(f"{app.url}/__ventanilla/outbox", timeout=30)
    assert answer.status_code == 200, answer.text
    return [m for m in answer.json()["messages"] if m["to"] in addresses]


def at_least(app: Running, count: int, *addresses: str) -> list[dict[str, Any]] | None:
    found = outbox_for(app, *addresses)
    return found if len(found) >= count else None


def set_status(app: Running, reference: str, status: str) -> None:
    answer = operator(
        app, "POST", f"/v1/cases/{reference}/status", json={"status": status, "channel": "office", "actor": "sup-1"}
    )
    assert answer.status_code == 200, answer.text


def test_one_message_per_status_change_in_english_on_sms_then_whatsapp_and_a_failed_send_is_redriven(
    ventanilla: Running,
) -> None:
    advance_to_local_noon(ventanilla)
    run = uuid.uuid4().hex[:8]
    local = f"81{random.randint(10_000_000, 99_999_999)}"
    sms_to, whatsapp_to = f"+52{local}", f"52{local}"
    person = {"given_name": "Evelyn", "family_name": f"Navarro {run}", "birth_date": "1990-05-04", "phone": local}

    # Office: she asks for a birth certificate, served in English; only her phone is known: an SMS
    post_touchpoint(
        ventanilla,
        "office",
        {
            "ticket_id": f"N-{run}",
            "office_id": "NL-MTY-01",
            "checked_in_at": "2026-03-02T09:00:00-06:00",
            "person": person,
            "language": "en",
            "case": {"procedure": "acta-nacimiento"},
        },
    )

    def context() -> dict[str, Any]:
        return operator(ventanilla, "GET", "/v1/context", params={"phone": local}).json()

    reference = eventually(lambda: next(iter(c["reference"] for c in context().get("open_cases", [])), None), "case")
    first = eventually(lambda: outbox_for(ventanilla, sms_to), "the SMS that the case was received")
    assert len(first) == 1 and first[0]["channel"] == "sms"
    assert reference in first[0]["body"] and "We received your request" in first[0]["body"]

    # WhatsApp: she writes from the same number (her opt-in there); the phone and the portal carry no messages
    post_touchpoint(
        ventanilla,
        "messaging",
        {
            "message_id": f"wamid.{run}",
            "network": "whatsapp",
            "from_number": f"521{local}",
            "to_number": "+52 55 5000 1234",
            "sent_at": "2026-03-03T10:00:00-06:00",
            "text": f"Hello, any news about {reference}?",
            "language": "en",
            "case": {"reference": reference},
        },
    )
    post_touchpoint(
        ventanilla,
        "phone",
        {
            "call_id": f"CC-{run}",
            "caller_number": local,
            "dialed_number": "800 000 1234",
            "started_at": "2026-03-04T11:00:00-06:00",
            "language": "en",
            "case": {"reference": reference},
        },
    )
    post_touchpoint(
        ventanilla,
        "web",
        {
            "event_id": f"web-{run}",
            "occurred_at": "2026-03-05T12:00:00-06:00",
            "action": "status_checked",
            "language": "en",
            "person": person,
            "case": {"reference": reference},
        },
    )

    def contacts() -> list[str]:
        citizen_id = context()["citizen_id"]
        entries = operator(ventanilla, "GET", f"/v1/citizens/{citizen_id}", params={"limit": 100}).json()["timeline"]
        return [e["channel"] for e in entries if not {"notification", "signal"} & set(e.get("details") or {})]

    eventually(lambda: len(contacts()) >= 4, "the four contacts on her timeline")
    set_status(ventanilla, reference, "in_review")
    set_status(ventanilla, reference, "awaiting_citizen")
    sent = eventually(lambda: at_least(ventanilla, 3, sms_to, whatsapp_to), "3 sent")

    # Then exactly one message per status change: received (SMS), in review and action requested (WhatsApp)
    # (the bus does not promise order: the two WhatsApp messages may go out either way round)
    assert sorted(m["channel"] for m in sent) == ["sms", "whatsapp", "whatsapp"]
    whatsapp = [m["body"] for m in sent if m["channel"] == "whatsapp"]
    assert all(body.startswith("Hello Evelyn") for body in whatsapp)
    assert len([b for b in whatsapp if "under review" in b]) == 1
    assert len([b for b in whatsapp if "Deadline" in b]) == 1  # the action-requested template, in English

    # When WhatsApp fails, the status change is retried, then parked in the dead-letter queue
    advance(ventanilla, "2h")  # out of the hourly rate limit
    assert "every send fails" in ventanilla_cli(ventanilla, "fault", "whatsapp", "on")
    set_status(ventanilla, reference, "in_review")
    eventually(lambda: "CaseStatusChanged" in ventanilla_cli(ventanilla, "dlq", "list"), "the parked event", 90)
    assert len(outbox_for(ventanilla, sms_to, whatsapp_to)) == 3  # nothing sent, nothing sent twice
    # When WhatsApp works again and the queue is redriven, the message goes out once
    assert "working" in ventanilla_cli(ventanilla, "fault", "whatsapp", "off")
    assert "redriven " in ventanilla_cli(ventanilla, "dlq", "redrive")
    final = eventually(lambda: at_least(ventanilla, 4, sms_to, whatsapp_to), "resent")
    assert final[-1]["channel"] == "whatsapp" and "under review" in final[-1]["body"]  # WhatsApp's own order
    ventanilla_cli(ventanilla, "dlq", "redrive")  # a second redrive finds nothing to resend
    advance(ventanilla, "5m")
    assert len(outbox_for(ventanilla, sms_to, whatsapp_to)) == 4
    listed = ventanilla_cli(ventanilla, "outbox")
    assert whatsapp_to in listed and sms_to in listed

    # And the timeline shows each notification with its delivery state
    citizen_id = context()["citizen_id"]
    timeline = operator(ventanilla, "GET", f"/v1/citizens/{citizen_id}", params={"limit": 100}).json()["timeline"]
    notes = [e["details"] for e in timeline if "notification" in (e.get("details") or {})]
    assert sorted(n["via"] for n in notes) == ["sms", "whatsapp", "whatsapp", "whatsapp"]
    assert {n["delivery"] for n in notes} == {"sent"}


def test_baja_on_whatsapp_is_confirmed_and_later_messages_go_by_sms(ventanilla: Running) -> None:
    advance_to_local_noon(ventanilla)
    run = uuid.uuid4().hex[:8]
    local = f"33{random.randint(10_000_000, 99_999_999)}"
    sms_to, whatsapp_to = f"+52{local}", f"52{local}"
    message = {
        "network": "whatsapp",
        "from_number": f"521{local}",
        "to_number": "+52 55 5000 1234",
        "sender": {"given_name": "Tomás", "family_name": f"Ibarra {run}"},
    }
    post_touchpoint(
        ventanilla,
        "messaging",
        {
            **message,
            "message_id": f"wamid.a{run}",
            "sent_at": "2026-03-03T10:00:00-06:00",
            "text": "Quiero sacar mi acta de nacimiento",
            "case": {"procedure": "acta-nacimiento"},
        },
    )
    received = eventually(lambda: outbox_for(ventanilla, whatsapp_to), "the WhatsApp receipt")
    assert "Recibimos tu trámite" in received[0]["body"]
    reference = received[0]["body"].split("trámite ")[1].split(" ")[0]
    post_touchpoint(
        ventanilla,
        "messaging",
        {**message, "message_id": f"wamid.b{run}", "sent_at": "2026-03-03T10:05:00-06:00", "text": "BAJA"},
    )
    confirmed = eventually(lambda: at_least(ventanilla, 2, whatsapp_to), "confirmed")
    assert "Ya no te enviaremos mensajes" in confirmed[1]["body"]
    set_status(ventanilla, reference, "in_review")
    by_sms = eventually(lambda: outbox_for(ventanilla, sms_to), "the status change by SMS")
    assert "en revisión" in by_sms[0]["body"]
    assert len(outbox_for(ventanilla, whatsapp_to)) == 2


def test_an_agent_records_her_preferences_and_the_next_message_follows_them(ventanilla: Running) -> None:
    advance_to_local_noon(ventanilla)
    run = uuid.uuid4().hex[:8]
    local = f"55{random.randint(10_000_000, 99_999_999)}"
    email = f"lucia.{run}@example.com"
    person = {"given_name": "Lucía", "family_name": f"Pineda {run}", "phone": local, "email": email}
    post_touchpoint(
        ventanilla,
        "office",
        {
            "ticket_id": f"P-{run}",
            "office_id": "CDMX-CUAUH-01",
            "checked_in_at": "2026-03-02T09:00:00-06:00",
            "person": person,
            "case": {"procedure": "acta-nacimiento"},
        },
    )
    by_sms = eventually(lambda: outbox_for(ventanilla, f"+52{local}"), "the receipt by SMS (no preference yet)")
    assert "Recibimos tu trámite" in by_sms[0]["body"]
    context = operator(ventanilla, "GET", "/v1/context", params={"phone": local}).json()
    citizen_id, reference = context["citizen_id"], context["open_cases"][0]["reference"]

    path = f"/v1/citizens/{citizen_id}/preferences"
    refused = operator(ventanilla, "PUT", path, json={"channel": "fax"})
    assert refused.status_code == 422 and "channel" in refused.text
    missing = operator(ventanilla, "PUT", "/v1/citizens/cit-" + "0" * 32 + "/preferences", json={"language": "en"})
    assert missing.status_code == 404
    saved = operator(ventanilla, "PUT", path, json={"channel": "email", "language": "en"})
    assert saved.status_code == 200 and saved.json() == {"channel": "email", "language": "en", "notifications": True}

    set_status(ventanilla, reference, "in_review")
    (mail,) = eventually(lambda: outbox_for(ventanilla, email), "the email she asked for")
    assert "under review" in mail["body"] and reference in (mail["subject"] or "")
    assert len(outbox_for(ventanilla, f"+52{local}")) == 1  # nothing more by SMS
