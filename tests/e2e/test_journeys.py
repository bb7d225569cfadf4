"""A scripted journey (office -> WhatsApp -> phone -> web) and the signals it produces, time driven by the clock."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Running
from tests.e2e.test_cases_api import eventually, post_touchpoint
from tests.e2e.test_identity_api import operator

pytestmark = pytest.mark.e2e


def signals_of(app: Running, citizen_id: str) -> Counter[str]:
    citizen = operator(app, "GET", f"/v1/citizens/{citizen_id}", params={"limit": 100}).json()
    return Counter(e["details"]["signal"] for e in citizen["timeline"] if "signal" in (e.get("details") or {}))


def channel_counters(app: Running) -> dict[str, dict[str, float]]:
    answer = operator(
        app, "GET", "/v1/metrics/journeys", params={"from": "2026-03-01", "to": "2026-03-31", "by": "channel"}
    )
    assert answer.status_code == 200, answer.text
    return {g["group"]: g["counters"] for g in answer.json()["groups"]}


def delta(before: dict[str, dict[str, float]], after: dict[str, dict[str, float]], channel: str, name: str) -> float:
    return after.get(channel, {}).get(name, 0.0) - before.get(channel, {}).get(name, 0.0)


def test_office_whatsapp_phone_web_journey_signals_and_sla_breach(ventanilla: Running) -> None:
    before = channel_counters(ventanilla)
    run = uuid.uuid4().hex[:8]
    phone = f"81{random.randint(10_000_000, 99_999_999)}"
    person = {"given_name": "Araceli", "family_name": f"Ontiveros {run}", "birth_date": "1984-02-17"}
    # Office: she starts her licence and hands in both documents
    post_touchpoint(
        ventanilla,
        "office",
        {
            "ticket_id": f"J-{run}",
            "office_id": "NL-MTY-01",
            "checked_in_at": "2026-03-02T09:00:00-06:00",
            "person": {**person, "phone": phone},
            "case": {
                "procedure": "licencia-conducir",
                "step": "solicitud",
                "documents": ["ine", "comprobante-domicilio"],
            },
        },
    )

    def context() -> dict[str, Any]:
        return operator(ventanilla, "GET", "/v1/context", params={"phone": phone}).json()

    opened = eventually(lambda: context()["open_cases"] and context(), "the case")
    citizen_id, reference = opened["citizen_id"], opened["open_cases"][0]["reference"]
    # WhatsApp, then a call from the same mobile: nothing moved in between
    post_touchpoint(
        ventanilla,
        "messaging",
        {
            "message_id": f"wamid.{run}",
            "network": "whatsapp",
            "from_number": f"521{phone}",
            "to_number": "+52 55 5000 1234",
            "sent_at": "2026-03-03T10:00:00-06:00",
            "text": "Llevo semanas esperando y nadie me contesta, es una burla.",
        },
    )
    eventually(lambda: signals_of(ventanilla, citizen_id)["ChannelSwitched"] >= 1, "the switch to WhatsApp")
    post_touchpoint(
        ventanilla,
        "phone",
        {"call_id": f"CC-{run}", "caller_number": phone, "started_at": "2026-03-04T11:00:00-06:00"},
    )
    eventually(lambda: signals_of(ventanilla, citizen_id)["ChannelSwitched"] >= 2, "the switch to the phone")
    # Web: she pays (progress)
    post_touchpoint(
        ventanilla,
        "web",
        {
            "event_id": f"web-{run}",
            "login_subject": f"sso|{uuid.uuid4()}",
            "occurred_at": "2026-03-05T19:00:00-06:00",
            "action": "payment_made",
            "person": person,
            "case": {"procedure": "licencia-conducir", "reference": reference, "step": "pago"},
        },
    )
    paid = eventually(
        lambda: (
            (c := operator(ventanilla, "GET", f"/v1/cases/{reference}").json())["case"]["current_step"] == "examen"
            and c
        ),
        "the payment",
    )
    signals = eventually(lambda: (s := signals_of(ventanilla, citizen_id))["ChannelSwitched"] >= 3 and s, "signals")
    assert signals["RepeatContact"] >= 1
    assert signals["NegativeSentiment"] == 1  # her WhatsApp complaint (the local lexicon scorer)
    assert signals["SlaBreached"] == 0
    # The measurements followed, by channel: one contact each, a switch into each later channel, the repeats
    after = eventually(
        lambda: (a := channel_counters(ventanilla)) and delta(before, a, "web", "channel_switches") >= 1 and a,
        "the measurements",
    )
    assert [delta(before, after, c, "contacts") for c in ("office", "messaging", "phone", "web")] == [1, 1, 1, 1]
    assert [delta(before, after, c, "channel_switches") for c in ("messaging", "phone", "web")] == [1, 1, 1]
    assert delta(before, after, "messaging", "negative_sentiment") == 1
    assert delta(before, after, "phone", "repeat_contacts") == 1
    # When 16 days pass with no exam (its step's SLA is 15 days)
    moved = requests.post(f"{ventanilla.url}/__ventanilla/clock", json={"advance": "16d"}, timeout=120)
    assert moved.status_code == 200, moved.text
    # Then the SLA breach and the stall are signalled once each, on her timeline
    after = eventually(lambda: (s := signals_of(ventanilla, citizen_id))["SlaBreached"] >= 1 and s, "the breach")
    assert after["SlaBreached"] == 1 and after["CaseStalled"] == 1
    assert paid["case"]["status"] == "awaiting_citizen"
    # And advancing again does not signal the same breach twice
    requests.post(f"{ventanilla.url}/__ventanilla/clock", json={"advance": "1h"}, timeout=120)
    assert signals_of(ventanilla, citizen_id)["SlaBreached"] == 1
