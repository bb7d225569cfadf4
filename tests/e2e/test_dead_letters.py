"""Nothing is lost: an event whose consumer keeps failing is parked after its retries, listed, and redriven."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import boto3
import pytest
import requests

from shared.models.touchpoint import Channel, touchpoint_id_for
from tests.conftest import ROOT
from tests.e2e.conftest import Running

pytestmark = pytest.mark.e2e


def ventanilla_cli(app: Running, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ventanilla_local.cli", *args, "--state-dir", str(app.state_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    return done.stdout


def test_a_failing_event_is_parked_listed_and_redriven(ventanilla: Running) -> None:
    state = json.loads((ventanilla.state_dir / "state.json").read_text())
    env = state["identity_environment"]
    events = boto3.client(
        "events",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    # Given identity announces a touchpoint the case tracker cannot read yet (an injected failure)
    event_id = f"web-{uuid.uuid4().hex}"
    touchpoint_id = touchpoint_id_for(Channel.WEB, event_id)
    detail = {
        "touchpoint_id": touchpoint_id,
        "citizen_id": f"cit-{uuid.uuid4().hex}",
        "outcome": "created",
        "rule": "new",
    }
    events.put_events(
        Entries=[
            {
                "Source": "ventanilla.identity",
                "DetailType": "CitizenResolved",
                "Detail": json.dumps(detail),
                "EventBusName": env["EVENT_BUS_NAME"],
            }
        ]
    )
    # When the tracker's retries are exhausted, the event is parked and listed
    deadline = time.monotonic() + 60
    while touchpoint_id not in (listed := ventanilla_cli(ventanilla, "dlq", "list")) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "CitizenResolved" in listed and "event" in listed
    # When the cause is gone (the touchpoint now exists) and the queue is redriven
    body = {"event_id": event_id, "occurred_at": "2026-03-06T10:00:00-06:00", "action": "status_checked"}
    stored = requests.post(
        f"{ventanilla.url}/v1/channels/web/touchpoints",
        json=body,
        headers={"x-api-key": ventanilla.keys["web"]},
        timeout=30,
    )
    assert stored.status_code == 202 and stored.json()["touchpoint_id"] == touchpoint_id
    assert "redriven " in ventanilla_cli(ventanilla, "dlq", "redrive")
    # Then it is delivered this time and nothing is left parked
    time.sleep(2)
    assert touchpoint_id not in ventanilla_cli(ventanilla, "dlq", "list")
