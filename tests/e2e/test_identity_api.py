"""Identity through the HTTP API and the bulk commands, against `ventanilla up`."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ROOT
from tests.e2e.conftest import Running, operator_headers

pytestmark = pytest.mark.e2e


def operator(app: Running, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{app.url}{path}", headers=operator_headers(app), timeout=30, **kwargs)


def ventanilla_cli(app: Running, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ventanilla_local.cli", *args, "--state-dir", str(app.state_dir), "--quiet"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def line(touchpoint_id: str, channel: str, day: int, **citizen: Any) -> str:
    return json.dumps(
        {
            "touchpoint_id": touchpoint_id,
            "channel": channel,
            "occurred_at": f"2025-02-{day:02d}T10:00:00Z",
            "citizen": citizen,
        }
    )


def test_import_then_export_links_round_trip(ventanilla: Running, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    source = tmp_path / "history.jsonl"
    source.write_text(
        "\n".join(
            [
                line(
                    f"{run}-1",
                    "office",
                    1,
                    given_name="Elena",
                    family_name="Ríos Paz",
                    birth_date="1975-06-30",
                    phone="81 4444 1234",
                ),
                line(f"{run}-2", "messaging", 2, phone="+52 81 4444 1234"),
                "{not json",
                line(
                    f"{run}-3",
                    "email",
                    3,
                    given_name="Elena",
                    family_name="Rios Paz",
                    birth_date="1975-06-30",
                    email=f"elena{run}@example.mx",
                ),
                json.dumps({"touchpoint_id": f"{run}-4", "channel": "fax", "occurred_at": "2025-02-04T10:00:00Z"}),
                line(
                    f"{run}-5",
                    "office",
                    5,
                    given_name="Tomás",
                    family_name="Ríos Paz",
                    birth_date="2001-01-09",
                    phone="81 4444 1234",
                ),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    # When the file is imported
    imported = ventanilla_cli(ventanilla, "import", str(source))
    # Then good lines are stored and resolved in order, and each bad line is reported by number and skipped
    assert imported.returncode == 0, imported.stderr
    assert "6 lines: 4 imported" in imported.stdout and "2 skipped" in imported.stdout
    assert "line 3:" in imported.stderr and "line 5: channel" in imported.stderr
    # When the links are exported
    out = tmp_path / "links.jsonl"
    exported = ventanilla_cli(ventanilla, "export-links", str(out))
    assert exported.returncode == 0, exported.stderr
    links = {row["touchpoint_id"]: row["citizen_id"] for row in map(json.loads, out.read_text().splitlines())}
    # Then Elena's three touchpoints share one citizen and her son is another; bad lines were never stored
    assert links[f"{run}-1"] == links[f"{run}-2"] == links[f"{run}-3"] is not None
    assert links[f"{run}-5"] not in (None, links[f"{run}-1"])
    assert f"{run}-4" not in links
    # And importing the same file again stores nothing new
    again = ventanilla_cli(ventanilla, "import", str(source))
    assert "replayed 4" in again.stdout


def test_merge_then_split_through_the_api_restores_both_citizens_exactly(ventanilla: Running) -> None:
    run = uuid.uuid4().hex[:6]
    a = requests.post(
        f"{ventanilla.url}/v1/channels/email/touchpoints",
        json={
            "message_id": f"<{run}-a@example.mx>",
            "from_address": f"luis{run}@example.mx",
            "from_name": "Luis Castillo",
            "to_address": "atencion@agencia.gob.mx",
            "received_at": "2026-03-02T10:00:00-06:00",
            "subject": "Consulta",
            "text_body": "Hola",
        },
        headers={"x-api-key": ventanilla.keys["email"]},
        timeout=30,
    )
    b = requests.post(
        f"{ventanilla.url}/v1/channels/social/touchpoints",
        json={
            "platform": "instagram",
            "message_id": f"ig-{run}",
            "handle": f"luis_{run}",
            "sent_at": "2026-03-03T10:00:00-06:00",
            "text": "Hola",
            "is_public": False,
        },
        headers={"x-api-key": ventanilla.keys["social"]},
        timeout=30,
    )
    assert a.status_code == b.status_code == 202

    def citizen(query: dict[str, str]) -> dict[str, Any]:
        for _ in range(60):
            found = operator(ventanilla, "GET", "/v1/citizens", params=query).json()["citizens"]
            if found:
                return dict(found[0])
        raise AssertionError(f"no citizen for {query}")

    first, second = citizen({"email": f"luis{run}@example.mx"}), citizen({"handle": f"instagram:luis_{run}"})
    assert first["citizen_id"] != second["citizen_id"]
    # When an operator merges them
    merged = operator(
        ventanilla,
        "POST",
        f"/v1/citizens/{first['citizen_id']}/merge",
        json={"citizen_id": second["citizen_id"], "reason": "confirmado por teléfono", "actor": "supervisor-1"},
    )
    assert merged.status_code == 200, merged.text
    merge_id = merged.json()["merge_id"]
    # Then the absorbed id resolves to the survivor, with both timelines
    survivor = operator(ventanilla, "GET", f"/v1/citizens/{second['citizen_id']}").json()
    assert survivor["citizen_id"] == first["citizen_id"] and survivor["merged_ids"] == [second["citizen_id"]]
    assert len(survivor["timeline"]) == 2
    explained = operator(ventanilla, "GET", f"/v1/citizens/{first['citizen_id']}/identity").json()
    assert [m["merge_id"] for m in explained["merges"]] == [merge_id]
    # When the operator splits them with a reason
    split = operator(
        ventanilla,
        "POST",
        f"/v1/citizens/{first['citizen_id']}/split",
        json={"merge_id": merge_id, "reason": "eran dos personas", "actor": "supervisor-1"},
    )
    assert split.status_code == 200, split.text
    # Then both citizens are exactly as before the merge
    keep = ("citizen_id", "merged_ids", "identifiers", "timeline", "given_name", "family_name")
    after_first = operator(ventanilla, "GET", f"/v1/citizens/{first['citizen_id']}").json()
    after_second = operator(ventanilla, "GET", f"/v1/citizens/{second['citizen_id']}").json()
    assert {k: after_first[k] for k in keep} == {k: first[k] for k in keep}
    assert {k: after_second[k] for k in keep} == {k: second[k] for k in keep}
    # And a second split of the same merge is a conflict
    again = operator(
        ventanilla,
        "POST",
        f"/v1/citizens/{first['citizen_id']}/split",
        json={"merge_id": merge_id, "reason": "otra vez", "actor": "supervisor-1"},
    )
    assert again.status_code == 409


def test_reviews_list_and_bad_decisions_are_refused(ventanilla: Running) -> None:
    listed = operator(ventanilla, "GET", "/v1/reviews")
    assert listed.status_code == 200
    missing = operator(
        ventanilla, "POST", f"/v1/reviews/rev-{'0' * 32}/decision", json={"decision": "accept", "actor": "x"}
    )
    assert missing.status_code == 404
    bad = operator(ventanilla, "POST", f"/v1/reviews/rev-{'0' * 32}/decision", json={"decision": "maybe", "actor": "x"})
    assert bad.status_code == 422
    # a signed-in operator still needs an operator client's key: a channel's key is refused
    channel_key = requests.get(
        f"{ventanilla.url}/v1/reviews",
        headers={**operator_headers(ventanilla), "x-api-key": ventanilla.keys["web"]},
        timeout=30,
    )
    assert channel_key.status_code == 403
