"""Identity resolution through the bus, the dead-letter queue, and the repositories against the emulator."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.exceptions import ConflictError, ValidationFailedError
from shared.models.citizen import Identifier, IdentifierKind
from shared.models.touchpoint import Channel, Touchpoint
from shared.repositories.citizens import DynamoDBCitizenRepository, ProfileFacts
from tests.channels import fresh_body
from tests.integration.conftest import api_event, key_id
from tests.integration.test_channel_handlers import post
from ventanilla_local.runtime import LocalRuntime
from ventanilla_local.template import BUS, QUEUE

pytestmark = pytest.mark.integration


def test_one_person_across_three_channels_and_number_formats_is_one_citizen(runtime: LocalRuntime) -> None:
    # Given a new person (a number nobody used) visits the office, calls, then writes on WhatsApp
    office = fresh_body("office")
    office["presented_document"]["national_id"] = None
    office["person"] = {"given_name": "Rosa", "family_name": "Luna Vega", "phone": "33 1111 2222"}
    call = {**fresh_body("phone"), "caller_number": "044 33 1111 2222", "caller": None}
    whatsapp = {**fresh_body("messaging"), "from_number": "5213311112222", "sender": None}
    ids = [
        json.loads(post(runtime, ch, body)["body"])["touchpoint_id"]
        for ch, body in (("office", office), ("phone", call), ("messaging", whatsapp))
    ]
    assert runtime.wait_idle(timeout=30)
    # When an operator looks the number up in yet another format
    event = api_event(
        "GET", "/v1/citizens", query={"phone": "+52 33 1111 2222"}, api_key_id=key_id(runtime, "operator")
    )
    result = runtime.invoke("citizens", event)
    # Then there is exactly one citizen whose timeline holds all three touchpoints, newest first
    assert result["statusCode"] == 200, result["body"]
    (citizen,) = json.loads(result["body"])["citizens"]
    assert citizen["given_name"] == "Rosa"
    assert [e["touchpoint_id"] for e in citizen["timeline"]] == sorted(
        ids, key=lambda i: next(e["occurred_at"] for e in citizen["timeline"] if e["touchpoint_id"] == i), reverse=True
    )
    assert {e["channel"] for e in citizen["timeline"]} == {"office", "phone", "messaging"}


def test_event_that_keeps_failing_is_parked_in_the_dead_letter_queue(runtime: LocalRuntime) -> None:
    # Given a TouchpointRecorded for a touchpoint that does not exist (the function will fail every time)
    events, sqs = runtime.emulator.client("events"), runtime.emulator.client("sqs")
    detail = {"touchpoint_id": "tp-does-not-exist", "channel": "phone", "occurred_at": "2026-03-02T15:04:05Z"}
    response = events.put_events(
        Entries=[
            {
                "EventBusName": runtime.resource_name(BUS),
                "Source": "ventanilla.ingest",
                "DetailType": "TouchpointRecorded",
                "Detail": json.dumps(detail),
            }
        ]
    )
    assert response["FailedEntryCount"] == 0
    # Then after the retries it lands in the dead-letter queue, with the reason, instead of being lost
    queue_url = runtime.resource_name(QUEUE)
    deadline, parked = time.monotonic() + 30, []
    while time.monotonic() < deadline and not parked:
        parked = sqs.receive_message(QueueUrl=queue_url, MessageAttributeNames=["All"], WaitTimeSeconds=1).get(
            "Messages", []
        )
    assert parked, "event was not dead-lettered"
    assert json.loads(parked[0]["Body"])["detail"]["touchpoint_id"] == "tp-does-not-exist"
    assert "NotFoundError" in parked[0]["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]


def test_concurrent_creation_of_the_same_identifier_yields_one_owner(dynamodb: Any, table_name: str) -> None:
    citizens = DynamoDBCitizenRepository(dynamodb, table_name)
    phone = Identifier(kind=IdentifierKind.PHONE, value="+528112345678")
    first = citizens.create([phone], ProfileFacts(given_name="Uno"))
    with pytest.raises(ConflictError):
        citizens.create([phone, Identifier(kind=IdentifierKind.EMAIL, value="dos@example.mx")], ProfileFacts())
    assert citizens.owners([phone]) == {phone: first.citizen_id}
    # the losing transaction left nothing behind: the email is free
    assert citizens.owners([Identifier(kind=IdentifierKind.EMAIL, value="dos@example.mx")]) == {}


def test_timeline_pages_newest_first_with_opaque_cursor(dynamodb: Any, table_name: str) -> None:
    citizens = DynamoDBCitizenRepository(dynamodb, table_name)
    citizen = citizens.create([Identifier(kind=IdentifierKind.EMAIL, value="pag@example.mx")], ProfileFacts())
    for day in range(1, 6):
        citizens.add_to_timeline(
            citizen.citizen_id,
            Touchpoint(
                touchpoint_id=f"tp-page-{day}",
                channel=Channel.WEB,
                occurred_at=datetime(2026, 5, day, tzinfo=UTC),
            ),
        )
    first = citizens.timeline(citizen.citizen_id, limit=3)
    second = citizens.timeline(citizen.citizen_id, limit=3, cursor=first.next_cursor)
    assert [e.touchpoint_id for e in first.entries + second.entries] == [f"tp-page-{d}" for d in range(5, 0, -1)]
    with pytest.raises(ValidationFailedError):
        citizens.timeline("cit-someone-else", limit=3, cursor=first.next_cursor)
    with pytest.raises(ValidationFailedError):
        citizens.timeline(citizen.citizen_id, limit=3, cursor="%%%garbage")
