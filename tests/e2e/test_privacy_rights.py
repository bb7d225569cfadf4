"""Privacy rights through `ventanilla up`: export (API and CLI), rectification with history, erasure.

One person writes from three channels (office with her CURP, WhatsApp, email) and has a case with an operator's
note. The export holds everything; a correction keeps who changed what; erasure leaves nothing that names her —
the whole table is scanned for her phone, email, CURP, names and message texts — and a later contact from the
same number starts a new, unrelated record.
"""

from __future__ import annotations

import base64
import json
import random
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from stdnum.mx import curp

from tests.conftest import ROOT
from tests.e2e.conftest import Running, operator_headers
from tests.e2e.test_cases_api import eventually, post_touchpoint
from ventanilla_local.bulk import local_target

pytestmark = pytest.mark.e2e


def _curp() -> str:
    a, b, c = (random.choice("BCDFGHJKLMNPRSTVZ") for _ in range(3))
    born = f"9{random.randint(0, 9)}0{random.randint(1, 9)}1{random.randint(0, 9)}"
    base = f"P{a}G{b}{born}MGTR{c}S0"
    return base + curp.calc_check_digit(base)


@pytest.fixture(scope="module")
def person(ventanilla: Running) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    number = f"{random.randint(10_000_000, 99_999_999)}"
    person = {
        "run": run,
        "phone": f"47{number}",
        "whatsapp": f"52147{number}",
        "email": f"olga.{run}@example.com",
        "curp": _curp(),
        "given": "Olga Lidia",
        "family": f"Privacidad{run.capitalize()}",
        "texts": [f"Quiero saber si ya está mi constancia {run}", f"Les escribo por correo sobre la constancia {run}"],
    }

    def resolved(entries: int) -> dict[str, Any] | None:
        found = requests.get(
            f"{ventanilla.url}/v1/citizens",
            params={"phone": person["phone"]},
            headers=operator_headers(ventanilla),
            timeout=30,
        ).json()["citizens"]
        if len(found) != 1:
            return None
        record = requests.get(
            f"{ventanilla.url}/v1/citizens/{found[0]['citizen_id']}", headers=operator_headers(ventanilla), timeout=30
        ).json()
        return record if len(record["timeline"]) >= entries else None

    post_touchpoint(
        ventanilla,
        "office",
        {
            "ticket_id": f"P-{run}",
            "office_id": "GTO-LEON-01",
            "checked_in_at": "2026-11-02T10:00:00-06:00",
            "purpose": f"Constancia de residencia {run}",
            "presented_document": {"type": "ine", "national_id": person["curp"]},
            "person": {
                "given_name": person["given"],
                "family_name": person["family"],
                "birth_date": "1990-01-15",
                "phone": person["phone"],
                "email": person["email"],
            },
            "case": {"procedure": "predial"},
        },
    )
    eventually(lambda: resolved(1), "contact 1 on her record", timeout=120)
    post_touchpoint(
        ventanilla,
        "messaging",
        {
            "message_id": f"wamid.{run}",
            "network": "whatsapp",
            "from_number": person["whatsapp"],
            "to_number": "+52 55 5000 1234",
            "sent_at": "2026-11-03T09:00:00-06:00",
            "text": person["texts"][0],
        },
    )
    eventually(lambda: resolved(2), "contact 2 on her record", timeout=120)
    post_touchpoint(
        ventanilla,
        "email",
        {
            "message_id": f"<{run}@mail.example.com>",
            "from_address": person["email"],
            "from_name": f"{person['given']} {person['family']}",
            "to_address": "atencion.ciudadana@tesoreria.example.mx",
            "subject": "Constancia",
            "text_body": person["texts"][1],
            "received_at": "2026-11-03T12:00:00-06:00",
        },
    )
    record = eventually(lambda: resolved(3), "contact 3 on her record", timeout=120)
    person["citizen_id"] = record["citizen_id"]

    def open_case() -> str | None:
        context = requests.get(
            f"{ventanilla.url}/v1/context",
            params={"phone": person["phone"]},
            headers=operator_headers(ventanilla),
            timeout=30,
        ).json()
        return str(context["open_cases"][0]["reference"]) if context.get("open_cases") else None

    person["case"] = eventually(open_case, "her case")
    note = f"Vive en calle Privada {run}, entregó copia"
    person["note"] = note
    changed = requests.post(
        f"{ventanilla.url}/v1/cases/{person['case']}/status",
        json={"status": "in_review", "channel": "office", "note": note, "actor": "agente"},
        headers=operator_headers(ventanilla, "agente"),
        timeout=30,
    )
    assert changed.status_code == 200, changed.text
    return person


def _export(app: Running, citizen_id: str, user: str = "supervisora") -> requests.Response:
    return requests.get(f"{app.url}/v1/citizens/{citizen_id}/export", headers=operator_headers(app, user), timeout=60)


def test_export_holds_everything_on_the_person_and_is_itself_audited(
    ventanilla: Running, person: dict[str, Any]
) -> None:
    refused = _export(ventanilla, person["citizen_id"], "agente")
    assert refused.status_code == 403, refused.text
    answer = _export(ventanilla, person["citizen_id"])
    assert answer.status_code == 200, answer.text
    document = answer.json()
    kinds = {(i["kind"], i["value"]) for i in document["identifiers"]}
    assert ("email", person["email"]) in kinds and ("national_id", person["curp"]) in kinds
    assert any(kind == "phone" and value.endswith(person["phone"][-8:]) for kind, value in kinds)
    texts = json.dumps(document["touchpoints"], ensure_ascii=False)
    assert all(text in texts for text in person["texts"])
    assert {t["touchpoint"]["channel"] for t in document["touchpoints"]} == {"office", "messaging", "email"}
    assert document["profile"]["family_name"] == person["family"]
    (case,) = document["cases"]
    assert case["case"]["reference"] == person["case"]
    assert any(h.get("note") == person["note"] for h in case["history"])
    actions = [entry["action"] for entry in document["access_log"]]
    assert "viewed_record" in actions and "exported" in actions
    # An auditor may take the export too; an agent may not (above).
    assert _export(ventanilla, person["citizen_id"], "auditora").status_code == 200
    print(
        f"export: {len(document['identifiers'])} identifiers, {len(document['touchpoints'])} touchpoints, "
        f"{len(document['timeline'])} timeline entries, {len(document['cases'])} case, "
        f"{len(document['access_log'])} access-log entries in one document of {len(answer.content)} bytes"
    )


def test_the_cli_exports_the_same_person(ventanilla: Running, person: dict[str, Any], tmp_path: Any) -> None:
    out = tmp_path / "export.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ventanilla_local.cli",
            "citizen",
            "export",
            person["citizen_id"],
            "--out",
            str(out),
            "--state-dir",
            str(ventanilla.state_dir),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["citizen_id"] == person["citizen_id"] and len(document["touchpoints"]) == 3
    assert document["access_log"][-1]["action"] == "exported" and document["access_log"][-1]["actor"].startswith("cli:")
    print(f"cli: {done.stdout.strip()}")


def test_rectification_changes_the_record_and_keeps_who_changed_what_and_why(
    ventanilla: Running, person: dict[str, Any]
) -> None:
    url = f"{ventanilla.url}/v1/citizens/{person['citizen_id']}/rectifications"
    corrected = person["family"] + " Ruiz"
    body = {"family_name": corrected, "reason": "Presentó acta de nacimiento en ventanilla"}
    assert (
        requests.post(url, json=body, headers=operator_headers(ventanilla, "auditora"), timeout=30).status_code == 403
    )
    empty = requests.post(url, json={"reason": "nada"}, headers=operator_headers(ventanilla, "agente"), timeout=30)
    assert empty.status_code == 400 and "say what to correct" in empty.text
    made = requests.post(url, json=body, headers=operator_headers(ventanilla, "agente"), timeout=30)
    assert made.status_code == 201, made.text
    (change,) = made.json()["rectification"]["changes"]
    assert change == {"field": "family_name", "before": person["family"], "after": corrected}
    record = requests.get(
        f"{ventanilla.url}/v1/citizens/{person['citizen_id']}", headers=operator_headers(ventanilla), timeout=30
    ).json()
    assert record["family_name"] == corrected
    history = requests.get(url, headers=operator_headers(ventanilla, "auditora"), timeout=30).json()["rectifications"]
    assert history[-1]["actor"] == "agente" and history[-1]["reason"] == body["reason"]
    person["family_rectified"] = corrected


def _binary_text(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _table_text(app: Running) -> list[str]:
    """Every item of the table, as JSON text (the emulator behind `ventanilla up`)."""
    target = local_target(app.state_dir)
    dynamodb = target.client("dynamodb")
    items: list[str] = []
    request: dict[str, Any] = {"TableName": target.table_name}
    while True:
        page = dynamodb.scan(**request)
        # (binary attributes, e.g. a touchpoint's `cid`, as their base64 text)
        items += [json.dumps(i, ensure_ascii=False, default=_binary_text) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_erasure_leaves_nothing_that_names_the_person(ventanilla: Running, person: dict[str, Any]) -> None:
    citizen_id = person["citizen_id"]
    url = f"{ventanilla.url}/v1/citizens/{citizen_id}/erasure"
    body = {"reason": "Solicitud ARCO de cancelación UT-2026-0412", "confirm": True}
    assert requests.post(url, json=body, headers=operator_headers(ventanilla, "agente"), timeout=30).status_code == 403
    unconfirmed = requests.post(url, json={**body, "confirm": False}, headers=operator_headers(ventanilla), timeout=30)
    assert unconfirmed.status_code == 400 and "confirm" in unconfirmed.text
    needles = [
        person["phone"],
        person["email"],
        person["curp"],
        person["family"],
        *person["texts"],
        person["note"],
    ]
    before = _table_text(ventanilla)
    found_before = {n: sum(n in item for item in before) for n in needles}
    assert all(found_before.values()), found_before  # the scan can see her before

    erased = requests.post(url, json=body, headers=operator_headers(ventanilla), timeout=120)
    assert erased.status_code == 200, erased.text
    report = erased.json()
    assert report["touchpoints_anonymised"] == 3 and report["index_entries_removed"] > 0

    after = _table_text(ventanilla)
    left = {n: [item[:160] for item in after if n in item] for n in needles}
    assert not any(left.values()), left
    pointing = [
        i for i in after if f'"{citizen_id}"' in i and any(f'"{t}"' in i for t in ("identifier", "block", "claim"))
    ]
    assert not pointing, pointing[:3]
    # The record answers 410; nobody finds her by any identifier; the audit log keeps the erasure and who did it.
    gone = requests.get(f"{ventanilla.url}/v1/citizens/{citizen_id}", headers=operator_headers(ventanilla), timeout=30)
    assert gone.status_code == 410 and "erased" in gone.text
    assert _export(ventanilla, citizen_id).status_code == 410
    assert requests.post(url, json=body, headers=operator_headers(ventanilla), timeout=30).status_code == 410
    for query in ({"phone": person["phone"]}, {"email": person["email"]}, {"national_id": person["curp"]}):
        found = requests.get(
            f"{ventanilla.url}/v1/citizens", params=query, headers=operator_headers(ventanilla), timeout=30
        ).json()["citizens"]
        assert found == [], (query, found)
    audit = requests.get(
        f"{ventanilla.url}/v1/audit",
        params={"day": datetime.now(UTC).date().isoformat(), "limit": 500},
        headers=operator_headers(ventanilla, "auditora"),
        timeout=30,
    ).json()["entries"]
    (entry,) = [e for e in audit if e["citizen_id"] == citizen_id and e["action"] == "erased"]
    assert entry["actor"] == "supervisora" and entry["note"] == body["reason"]
    print(
        f"erasure: {report['records']} record(s), {report['index_entries_removed']} index entries, "
        f"{report['touchpoints_anonymised']} touchpoints anonymised, {report['items_deleted']} items deleted, "
        f"{report['case_notes_removed']} case note(s); table scanned for {len(needles)} values across "
        f"{len(after)} items: {sum(found_before.values())} occurrences before, 0 after"
    )


def test_after_erasure_a_redelivery_creates_nobody_and_a_new_contact_starts_afresh(
    ventanilla: Running, person: dict[str, Any]
) -> None:
    if "family_rectified" not in person:
        pytest.skip("runs after the erasure test")
    again = requests.post(
        f"{ventanilla.url}/v1/channels/messaging/touchpoints",
        json={
            "message_id": f"wamid.{person['run']}",
            "network": "whatsapp",
            "from_number": person["whatsapp"],
            "to_number": "+52 55 5000 1234",
            "sent_at": "2026-11-03T09:00:00-06:00",
            "text": person["texts"][0],
        },
        headers={"x-api-key": ventanilla.keys["messaging"]},
        timeout=30,
    )
    # The provider's redelivery is recognised (the anonymised touchpoint keeps its fingerprint): nothing re-created.
    assert again.status_code in (200, 202), again.text
    assert (
        requests.get(
            f"{ventanilla.url}/v1/citizens",
            params={"phone": person["phone"]},
            headers=operator_headers(ventanilla),
            timeout=30,
        ).json()["citizens"]
        == []
    )
    post_touchpoint(
        ventanilla,
        "messaging",
        {
            "message_id": f"wamid.new-{person['run']}",
            "network": "whatsapp",
            "from_number": person["whatsapp"],
            "to_number": "+52 55 5000 1234",
            "sent_at": "2026-11-20T09:00:00-06:00",
            "text": "Hola de nuevo",
        },
    )

    def fresh() -> list[dict[str, Any]]:
        return requests.get(
            f"{ventanilla.url}/v1/citizens",
            params={"phone": person["phone"]},
            headers=operator_headers(ventanilla),
            timeout=30,
        ).json()["citizens"]

    (new,) = eventually(fresh, "a new record for the new contact")
    assert new["citizen_id"] != person["citizen_id"]
