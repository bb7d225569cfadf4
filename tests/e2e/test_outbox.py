"""Ingest is one write: a channel's POST stores the touchpoint, and the table's stream carries it to the announcer,
whose TouchpointRecorded reaches identity and the citizen's timeline (the transactional outbox)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Running
from tests.e2e.test_faults import stranger
from tests.e2e.test_local_runtime import post, timeline_ids

pytestmark = pytest.mark.e2e


def table_stream(app: Running) -> dict[str, Any]:
    """What the local runtime's player of the table stream's mapping did so far (after everything settled)."""
    answer = requests.get(f"{app.url}/__ventanilla/idle", timeout=120)
    assert answer.status_code == 200 and answer.json()["idle"], answer.text
    (stream,) = [s for name, s in answer.json()["streams"].items() if name.startswith("Announcer")]
    return dict(stream)


@pytest.mark.parametrize("channel", ["phone", "messaging", "office"])
def test_a_post_reaches_the_citizens_timeline_through_the_tables_stream(ventanilla: Running, channel: str) -> None:
    before = table_stream(ventanilla)
    sent = stranger(channel, uuid.uuid4().hex[:6], 1, case=False)  # a new person, found by what the channel knows
    body = sent.body
    # When a channel system posts a new message
    answer = post(ventanilla, channel, body, ventanilla.keys[channel])
    # Then it is accepted at once (one write), and its touchpoint reaches the person's timeline
    assert answer.status_code == 202, answer.text
    touchpoint_id = answer.json()["touchpoint_id"]
    assert touchpoint_id in timeline_ids(ventanilla, sent.lookup, expected=touchpoint_id)
    # And it got there through the table's stream: the announcer was handed the new touchpoint
    after = table_stream(ventanilla)
    assert after["delivered"] > before["delivered"]
    assert after["filtered_out"] > before["filtered_out"]  # the other items written meanwhile were not announced
    # When the channel system delivers the same message again
    again = post(ventanilla, channel, body, ventanilla.keys[channel])
    # Then it is a replay, and nothing new goes to the announcer
    assert again.status_code == 202 and again.headers["Idempotent-Replay"] == "true"
    assert table_stream(ventanilla)["delivered"] == after["delivered"]


def test_the_channel_routes_no_longer_answer_stored_but_not_announced(ventanilla: Running) -> None:
    document = requests.get(f"{ventanilla.url}/v1/openapi.json", timeout=30).json()
    for path, methods in document["paths"].items():
        if path.startswith("/v1/channels/"):
            for operation in methods.values():
                described = str(operation.get("responses", {}).get("503", {}).get("description", ""))
                assert "announced" not in described, (path, described)
