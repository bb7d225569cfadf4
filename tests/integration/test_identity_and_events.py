"""Identity resolution through the bus, the dead-letter queue, and the identity repository against the emulator."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.exceptions import ConflictError, ValidationFailedError
from shared.identity.features import Features
from shared.identity.records import CitizenRecord
from shared.models.citizen import LinkExplanation, ReviewCandidate, ReviewTask
from shared.models.touchpoint import Channel, Touchpoint
from shared.repositories.identity import DynamoDBIdentityRepository
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
    office["presented_document"]["type"] = "ine"
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
    assert [e["touchpoint_id"] for e in citizen["timeline"]] == list(reversed(ids))


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


def _record(citizen_id: str) -> CitizenRecord:
    now = datetime.now(UTC)
    return CitizenRecord(citizen_id=citizen_id, created_at=now, updated_at=now, own=Features(given=("ana",)))


def test_first_claim_lets_only_one_new_citizen_hold_an_identifier(dynamodb: Any, table_name: str) -> None:
    identity = DynamoDBIdentityRepository(dynamodb, table_name)
    identity.create(_record("cit-race-1"), ["digest-race"])
    with pytest.raises(ConflictError):
        identity.create(_record("cit-race-2"), ["digest-race", "digest-other"])
    # the losing transaction left nothing behind, and the winner is visible as holder before any index entry
    assert identity.get("cit-race-2") is None
    assert [h.citizen_id for h in identity.holders(["digest-race"])["digest-race"]] == ["cit-race-1"]
    assert identity.holders(["digest-other"])["digest-other"] == []


def test_stale_version_is_refused(dynamodb: Any, table_name: str) -> None:
    identity = DynamoDBIdentityRepository(dynamodb, table_name)
    identity.create(_record("cit-version"), [])
    first = identity.get("cit-version")
    identity.save([first.model_copy(update={"version": 1, "given_name": "Ana"})])
    with pytest.raises(ConflictError):
        identity.save([first.model_copy(update={"version": 1, "given_name": "Otra"})])
    assert identity.get("cit-version").given_name == "Ana"


def test_timeline_pages_newest_first_across_merged_records(dynamodb: Any, table_name: str) -> None:
    identity = DynamoDBIdentityRepository(dynamodb, table_name)
    link = LinkExplanation(rule="test")
    for day in range(1, 6):
        owner = "cit-page-a" if day % 2 else "cit-page-b"
        touchpoint = Touchpoint(
            touchpoint_id=f"tp-page-{day}", channel=Channel.WEB, occurred_at=datetime(2026, 5, day, tzinfo=UTC)
        )
        identity.add_to_timeline(owner, touchpoint, link)
    first = identity.timeline(["cit-page-a", "cit-page-b"], limit=3)
    second = identity.timeline(["cit-page-a", "cit-page-b"], limit=3, cursor=first.next_cursor)
    assert [i.entry.touchpoint_id for i in first.items + second.items] == [f"tp-page-{d}" for d in range(5, 0, -1)]
    assert second.next_cursor is None
    with pytest.raises(ValidationFailedError):
        identity.timeline(["cit-page-a"], limit=3, cursor="%%%garbage")


def test_open_reviews_come_from_the_index_and_leave_it_when_decided(dynamodb: Any, table_name: str) -> None:
    identity = DynamoDBIdentityRepository(dynamodb, table_name)
    task = ReviewTask(
        review_id="rev-" + "a" * 32,
        kind="possible_match",
        touchpoint_id="tp-x",
        citizen_id="cit-x",
        candidates=(ReviewCandidate(citizen_id="cit-y", score=8.0),),
        created_at=datetime.now(UTC),
    )
    identity.put_review(task)
    assert task.review_id in [t.review_id for t in identity.open_reviews(100)[0]]
    identity.decide_review(task.model_copy(update={"status": "rejected"}))
    assert task.review_id not in [t.review_id for t in identity.open_reviews(100)[0]]
    with pytest.raises(ConflictError):
        identity.decide_review(task.model_copy(update={"status": "accepted"}))
