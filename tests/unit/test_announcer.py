"""The announcer (shared/ingest/announce.py, functions/announcer): new touchpoints in the table's stream become
TouchpointRecorded, ten per PutEvents call; what could not be published is reported for Lambda to retry."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from botocore.exceptions import ClientError

from shared.events import EventBridgePublisher
from shared.ingest.announce import announce, touchpoint_recorded
from shared.models.events import TouchpointRecorded
from shared.models.touchpoint import Channel
from shared.repositories import touchpoints as repository
from tests.streams import (
    REQUEST_ID,
    a_touchpoint,
    new_touchpoint_records,
    other_items,
    raw_item,
    stream_record,
)

pytestmark = pytest.mark.unit

BUS = "ventanilla-bus"


@dataclass
class FakeEventsClient:
    """EventBridge's PutEvents: `answers` scripts the calls in order (None: all entries put; a set: those entry
    indexes fail; an exception: the whole call fails)."""

    answers: list[Any] = field(default_factory=list)
    calls: list[list[dict[str, Any]]] = field(default_factory=list)

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        answer = self.answers.pop(0) if self.answers else None
        if isinstance(answer, Exception):
            raise answer
        failing = answer or set()
        return {
            "FailedEntryCount": len(failing),
            "Entries": [
                {"ErrorCode": "InternalFailure", "ErrorMessage": "x"} if i in failing else {"EventId": f"e{i}"}
                for i in range(len(Entries))
            ],
        }

    def published(self) -> list[dict[str, Any]]:
        return [json.loads(e["Detail"]) for call in self.calls for e in call]


def records(raw: list[dict[str, Any]]) -> list[DynamoDBRecord]:
    return [DynamoDBRecord(r) for r in raw]


def test_a_new_touchpoint_is_announced_with_its_channel_time_and_the_requests_id() -> None:
    # Given a raw touchpoint stored by a request (its id kept as 16 bytes) and read back from the stream
    touchpoint = a_touchpoint(7, Channel.OFFICE)
    record = DynamoDBRecord(stream_record("INSERT", raw_item(touchpoint), 101))
    # When the announcer reads it
    event = touchpoint_recorded(record)
    # Then it is the touchpoint's TouchpointRecorded, the time taken from the stored body, ids only
    assert isinstance(event, TouchpointRecorded)
    assert (event.touchpoint_id, event.channel, event.occurred_at) == (
        touchpoint.touchpoint_id,
        Channel.OFFICE,
        touchpoint.occurred_at,
    )
    assert event.correlation_id == REQUEST_ID
    assert "María" not in event.model_dump_json() and "5215512345678" not in event.model_dump_json()


@pytest.mark.parametrize("correlation_id", ["req-1", "7D4C2B1A-0F9E-4D8C-B7A6-5E4D3C2B1A0F", None])
def test_a_correlation_id_that_is_not_a_lowercase_uuid_reads_back_as_it_was(correlation_id: str | None) -> None:
    item = raw_item(a_touchpoint(), correlation_id=correlation_id)
    event = touchpoint_recorded(DynamoDBRecord(stream_record("INSERT", item, 5)))
    assert event is not None and event.correlation_id == correlation_id


def test_a_request_id_keeps_the_stored_touchpoint_within_one_write_unit() -> None:
    from benchmarks.identity.capacity import item_size
    from benchmarks.suite.bodies import first_of
    from functions.phone.adapter import to_touchpoint
    from functions.phone.models import PhoneTouchpointRequest

    # The UUID is stored as its 16 bytes under a short name, not its 36 characters
    item = raw_item(a_touchpoint(), correlation_id=REQUEST_ID)
    assert item[repository.CORRELATION_ATTRIBUTE] == {"B": bytes.fromhex(REQUEST_ID.replace("-", ""))}
    # so the sample's phone call, as the ingest benchmark stores it, is still one write unit (1 KB)
    call = first_of("phone").renewed("ingest-999").body
    stored = raw_item(to_touchpoint(PhoneTouchpointRequest.model_validate(call)), correlation_id=REQUEST_ID)
    assert item_size(stored) <= 1024


def test_only_new_raw_touchpoints_are_announced() -> None:
    # Given what else the stream carries: a touchpoint's later updates and its deletion by the retention TTL, a bulk
    # import's touchpoint, and new items of other key shapes (a case's attachment CASE#…/TP#…, a delivery status…)
    touchpoint = raw_item(a_touchpoint(1))
    raw = [
        stream_record("MODIFY", {**touchpoint, "resolution": {"S": "created"}}, 1),
        stream_record("REMOVE", touchpoint, 2),
        stream_record("INSERT", raw_item(a_touchpoint(2), imported=True), 3),
        *[stream_record("INSERT", item, 4 + n) for n, item in enumerate(other_items().values())],
    ]
    client = FakeEventsClient()
    # When they reach the announcer (as they may when a parked batch's range is re-read)
    outcome = announce(records(raw), EventBridgePublisher(client, BUS))
    # Then nothing is published and nothing is to retry
    assert client.calls == [] and outcome.announced == [] and outcome.failed == []
    assert outcome.skipped == len(raw)


def test_a_batch_is_published_ten_events_per_call_in_stream_order() -> None:
    client = FakeEventsClient()
    raw = new_touchpoint_records(23)
    outcome = announce(records(raw), EventBridgePublisher(client, BUS))
    assert [len(call) for call in client.calls] == [10, 10, 3]
    assert {e["EventBusName"] for call in client.calls for e in call} == {BUS}
    assert {(e["Source"], e["DetailType"]) for call in client.calls for e in call} == {
        ("ventanilla.ingest", "TouchpointRecorded")
    }
    assert [d["touchpoint_id"] for d in client.published()] == [e.touchpoint_id for e in outcome.announced]
    assert [e.touchpoint_id for e in outcome.announced] == [a_touchpoint(n).touchpoint_id for n in range(23)]
    assert outcome.batch_item_failures() == {"batchItemFailures": []}


def test_failed_entries_are_reported_and_later_calls_wait_for_the_retry() -> None:
    # Given PutEvents fails two entries of the second call
    client = FakeEventsClient(answers=[None, {2, 5}])
    raw = new_touchpoint_records(25, first_sequence=1000)
    # When a batch of 25 is announced
    outcome = announce(records(raw), EventBridgePublisher(client, BUS))
    # Then the failed entries' records, and those of the call never made, are reported for a retry, in order
    sequences = [r["dynamodb"]["SequenceNumber"] for r in raw]
    assert len(client.calls) == 2
    assert outcome.failed == [sequences[12], sequences[15], *sequences[20:]]
    assert outcome.batch_item_failures()["batchItemFailures"][0] == {"itemIdentifier": sequences[12]}
    assert len(outcome.announced) == 18 and outcome.errors == ["InternalFailure", "InternalFailure"]


def test_a_whole_call_failure_reports_its_records_and_every_later_one() -> None:
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "PutEvents")
    client = FakeEventsClient(answers=[throttled])
    raw = new_touchpoint_records(12)
    outcome = announce(records(raw), EventBridgePublisher(client, BUS))
    assert outcome.failed == [r["dynamodb"]["SequenceNumber"] for r in raw]
    assert outcome.announced == [] and "ThrottlingException" in outcome.errors[0]


def test_an_unreadable_new_touchpoint_is_retried_not_skipped() -> None:
    # Given a batch whose third record is a new raw touchpoint without a readable body
    raw = new_touchpoint_records(5)
    del raw[2]["dynamodb"]["NewImage"]["body"]
    client = FakeEventsClient()
    outcome = announce(records(raw), EventBridgePublisher(client, BUS))
    # Then the two before it are published, and it and everything after it are reported (retried, then parked)
    assert len(outcome.announced) == 2 and outcome.unreadable == 1
    assert outcome.failed == [r["dynamodb"]["SequenceNumber"] for r in raw[2:]]


def test_the_mapping_filters_on_the_key_shape_and_marker_the_repository_writes() -> None:
    from infra.config import IMPORTED_ATTRIBUTE, RAW_TOUCHPOINT_PK_PREFIX, RAW_TOUCHPOINT_SK

    assert (RAW_TOUCHPOINT_PK_PREFIX, RAW_TOUCHPOINT_SK, IMPORTED_ATTRIBUTE) == (
        repository.PK_PREFIX,
        repository.SK,
        repository.IMPORTED_ATTRIBUTE,
    )


def test_the_handler_answers_with_the_records_to_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.announcer import handler
    from shared.config import get_announcer_settings
    from shared.observability import metrics

    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "ventanilla-announcer")
    monkeypatch.setenv("EVENT_BUS_NAME", BUS)
    get_announcer_settings.cache_clear()
    client = FakeEventsClient(answers=[{1}])
    monkeypatch.setattr(handler, "get_publisher", lambda: EventBridgePublisher(client, BUS))
    monkeypatch.setattr(metrics, "namespace", "VentanillaTest")
    raw = new_touchpoint_records(3)

    @dataclass
    class Context:
        function_name: str = "ventanilla-announcer"
        memory_limit_in_mb: int = 512
        invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ventanilla-announcer"
        aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"

    answer = handler.lambda_handler({"Records": raw}, Context())
    assert answer == {"batchItemFailures": [{"itemIdentifier": raw[1]["dynamodb"]["SequenceNumber"]}]}
    get_announcer_settings.cache_clear()
