"""The local runtime's stream mappings (ventanilla_local/streams.py) and dead-letter tooling (dlq.py), on stand-ins
for the function, the queue and the stream: Lambda's filter, retry, bisection and on-failure semantics."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.streams import STREAM_ARN, a_touchpoint, new_touchpoint_records, other_items, raw_item, stream_record
from ventanilla_local import dlq
from ventanilla_local.emulator import Physical
from ventanilla_local.functions import FunctionError
from ventanilla_local.stream_sources import DynamoDBSource
from ventanilla_local.streams import StreamPoller, record_filter
from ventanilla_local.template import DYNAMODB, StreamMapping

pytestmark = pytest.mark.unit

# The announcer mapping's filter, as the template carries it (tests/infra/test_stack.py checks the template's)
NEW_TOUCHPOINTS = {
    "eventName": ["INSERT"],
    "dynamodb": {
        "Keys": {"pk": {"S": [{"prefix": "TP#"}]}, "sk": {"S": ["TOUCHPOINT"]}},
        "NewImage": {"imported": {"BOOL": [{"exists": False}]}},
    },
}


def test_the_filter_lets_through_only_inserts_of_raw_touchpoints_not_imported() -> None:
    passes = record_filter((NEW_TOUCHPOINTS,))
    touchpoint = raw_item(a_touchpoint())
    assert passes(stream_record("INSERT", touchpoint, 1))
    assert not passes(stream_record("MODIFY", touchpoint, 2))
    assert not passes(stream_record("REMOVE", touchpoint, 3))
    assert not passes(stream_record("INSERT", raw_item(a_touchpoint(), imported=True), 4))
    for name, item in other_items().items():
        assert not passes(stream_record("INSERT", item, 5)), name
    assert record_filter(())(stream_record("REMOVE", touchpoint, 6))  # no criteria: every record
    # several patterns: a record passes if one matches (Lambda ORs them)
    either = record_filter(({"eventName": ["REMOVE"]}, NEW_TOUCHPOINTS))
    assert either(stream_record("REMOVE", touchpoint, 7)) and not either(stream_record("MODIFY", touchpoint, 8))


@dataclass
class Spec:
    name: str = "announcer"


@dataclass
class FakePool:
    """The function: `script` answers each invocation in turn (a dict, or an exception to raise)."""

    script: list[Any] = field(default_factory=list)
    batches: list[list[str]] = field(default_factory=list)
    spec: Spec = field(default_factory=Spec)

    def invoke(self, event: dict[str, Any]) -> Any:
        self.batches.append([r["dynamodb"]["SequenceNumber"] for r in event["Records"]])
        answer = self.script.pop(0) if self.script else {"batchItemFailures": []}
        if isinstance(answer, Exception):
            raise answer
        return answer


@dataclass
class FakeQueue:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send_message(self, QueueUrl: str, MessageBody: str) -> None:
        self.sent.append(json.loads(MessageBody))


def poller(pool: FakePool, queue: FakeQueue, retries: int = 2, bisect: bool = True, faults: Any = None) -> StreamPoller:
    mapping = StreamMapping(
        logical_id="AnnouncerTableStream",
        function="AnnouncerFunction",
        source="DataTable",
        kind=DYNAMODB,
        batch_size=3,
        max_retries=retries,
        bisect=bisect,
        reports_item_failures=True,
        on_failure="DeadLetterQueue",
        filters=(NEW_TOUCHPOINTS,),
    )
    physical = Physical(
        refs={"DeadLetterQueue": "http://queue/dlq"},
        attrs={
            ("AnnouncerFunction", "Arn"): "arn:aws:lambda:us-east-1:123456789012:function:vtl-announcer",
            ("DataTable", "StreamArn"): STREAM_ARN,
        },
    )
    source = DynamoDBSource.__new__(DynamoDBSource)  # no client: the test hands the records over itself
    source.arn = STREAM_ARN
    return StreamPoller(mapping, source, pool, queue, physical, faults, retry_delay=0.0)  # type: ignore[arg-type]


def failures(*sequences: str) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": s} for s in sequences]}


def test_records_are_filtered_then_delivered_in_batches_of_the_mappings_size() -> None:
    pool, queue = FakePool(), FakeQueue()
    raw = new_touchpoint_records(5, first_sequence=10)
    mixed = [raw[0], stream_record("MODIFY", raw_item(a_touchpoint()), 99), *raw[1:]]
    poller(pool, queue)._deliver_all("shard-1", mixed)
    assert pool.batches == [["10", "11", "12"], ["13", "14"]]  # the MODIFY (99) was filtered out
    assert queue.sent == []


def test_reported_failures_are_retried_from_the_first_then_parked_with_their_shard_positions() -> None:
    # Given a function that keeps reporting the second record of its batch as failed
    pool = FakePool(script=[failures("2"), failures("2"), failures("2")])
    queue = FakeQueue()
    raw = new_touchpoint_records(3, first_sequence=1)
    # When the batch is delivered with two retries
    stream = poller(pool, queue, retries=2)
    stream._deliver("shard-1", raw)
    # Then the retries start at that record (no bisection for reported failures), and then it and the rest are
    # parked: Lambda's on-failure record, with the shard positions only
    assert pool.batches == [["1", "2", "3"], ["2", "3"], ["2", "3"]]
    (parked,) = queue.sent
    info = parked["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == ("2", "3", 2)
    assert info["streamArn"] == STREAM_ARN and info["shardId"] == "shard-1"
    assert parked["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert parked["requestContext"]["functionArn"].endswith(":function:vtl-announcer")
    assert stream.delivered == 1 and stream.dead_lettered == 2


def test_a_function_error_bisects_the_batch() -> None:
    error = FunctionError("announcer", {"errorType": "Boom", "errorMessage": "boom"})
    pool = FakePool(script=[error])
    poller(pool, FakeQueue(), bisect=True)._deliver("shard-1", new_touchpoint_records(3, first_sequence=1))
    assert pool.batches == [["1", "2", "3"], ["1"], ["2", "3"]]


def test_an_injected_lambda_fault_fails_the_invocation_before_the_function_runs() -> None:
    pool, queue = FakePool(), FakeQueue()
    injected = iter(["ServiceException", "ServiceException", None])
    poller(pool, queue, bisect=False, faults=lambda name: next(injected))._deliver(
        "shard-1", new_touchpoint_records(2, first_sequence=1)
    )
    assert pool.batches == [["1", "2"]]  # only the third attempt reached the function
    assert queue.sent == []


@dataclass
class FakeSqs:
    messages: list[dict[str, Any]]
    deleted: list[str] = field(default_factory=list)

    def receive_message(self, **_: Any) -> dict[str, Any]:
        waiting = [m for m in self.messages if m["ReceiptHandle"] not in self.deleted]
        self.messages = []  # what was not deleted stays invisible for this redrive
        return {"Messages": waiting}

    def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> None:
        self.deleted.append(ReceiptHandle)


@dataclass
class FakeStreams:
    """DynamoDB Streams with one shard of `records` (boto3's shape), or trimmed (`trimmed`)."""

    records: list[dict[str, Any]]
    trimmed: bool = False

    def get_shard_iterator(self, **request: Any) -> dict[str, Any]:
        if self.trimmed:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "TrimmedDataAccessException"}}, "GetShardIterator")
        assert request["ShardIteratorType"] == "AT_SEQUENCE_NUMBER"
        return {"ShardIterator": request["SequenceNumber"]}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        found = [r for r in self.records if int(r["dynamodb"]["SequenceNumber"]) >= int(ShardIterator)][:Limit]
        following = str(int(found[-1]["dynamodb"]["SequenceNumber"]) + 1) if found else ShardIterator
        return {"Records": found, "NextShardIterator": following}


@dataclass
class FakeEvents:
    entries: list[dict[str, Any]] = field(default_factory=list)

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.entries += Entries
        return {"FailedEntryCount": 0, "Entries": [{"EventId": str(i)} for i in range(len(Entries))]}


def _boto3_record(record: dict[str, Any]) -> dict[str, Any]:
    """A Lambda-shaped record back in GetRecords' shape (binary values as bytes), as boto3 returns them."""
    import base64

    def decode(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: base64.b64decode(v) if k == "B" else decode(v) for k, v in value.items()}
        return value

    return {"eventID": record["eventID"], "eventName": record["eventName"], "dynamodb": decode(record["dynamodb"])}


def _parked_batch(first: str, last: str, size: int) -> dict[str, Any]:
    body = {
        "requestContext": {"functionArn": "arn:aws:lambda:us-east-1:1:function:vtl-announcer", "condition": "x"},
        "DDBStreamBatchInfo": {
            "shardId": "shard-1",
            "startSequenceNumber": first,
            "endSequenceNumber": last,
            "batchSize": size,
            "streamArn": STREAM_ARN,
        },
    }
    return {"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": json.dumps(body)}


def test_a_parked_table_stream_batch_is_listed_re_read_and_announced_again() -> None:
    # Given a parked batch of two touchpoints (sequences 2 and 4) whose range also holds another item's record (3)
    touchpoints = new_touchpoint_records(5, first_sequence=0)
    stream = [_boto3_record(r) for r in touchpoints]
    stream[3] = _boto3_record(stream_record("INSERT", other_items()["case attachment"], 3))
    message = _parked_batch("2", "4", 2)
    listed = dlq._classify(message)
    assert (listed.kind, listed.detail_type, listed.target) == ("stream-batch", "table stream x2", "vtl-announcer")
    sqs, events = FakeSqs([message]), FakeEvents()
    # When the dead-letter queue is redriven
    report = dlq.redrive(sqs, events, "http://queue/dlq", "ventanilla-bus", streams=FakeStreams(stream))
    # Then the batch's touchpoints are announced again, only they, and the message is gone
    announced = [json.loads(e["Detail"])["touchpoint_id"] for e in events.entries]
    assert announced == [a_touchpoint(2).touchpoint_id, a_touchpoint(4).touchpoint_id]
    assert (report.events, report.announced, report.batches, report.left) == (2, 2, 1, 0)
    assert sqs.deleted == ["r-1"]


def test_a_batch_past_the_streams_retention_is_left_and_says_why() -> None:
    sqs = FakeSqs([_parked_batch("2", "4", 2)])
    report = dlq.redrive(sqs, FakeEvents(), "http://queue/dlq", "bus", streams=FakeStreams([], trimmed=True))
    assert (report.left, sqs.deleted) == (1, [])
    assert "TrimmedDataAccessException" in report.reasons[0] and "unresolved" in report.reasons[0]
