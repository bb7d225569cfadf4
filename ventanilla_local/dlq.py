"""`ventanilla dlq list|redrive`: what was parked after its retries, and sending it through again.

The stack's one dead-letter queue receives:

- events a rule could not deliver (the event itself, with the error in message attributes) and failed asynchronous
  invocations (Lambda's destination record, the event in `requestPayload`): redrive puts each event back on the bus,
  where the same rules route it again;
- stream batches that exhausted their retries (Lambda's on-failure record: the shard positions, never the records).
  A batch of the table's stream (`DDBStreamBatchInfo`: new touchpoints the announcer could not publish) is re-read
  from the stream, from its first to its last sequence number, and announced again with the announcer's own code
  (shared/ingest/announce.py, which skips every record of that range that is not a new, non-imported raw
  touchpoint); the message is deleted only when every touchpoint in it is on the bus. DynamoDB keeps stream records
  24 hours: a batch parked longer ago cannot be re-read, is left in the queue, and is reported as such (its
  touchpoints are stored; they are the ones without a `resolution`, to announce by hand). A Kinesis batch
  (`KinesisBatchInfo`, Connect contact records) is left for a person: replay its records from the stream.

Consumers are idempotent, so a redriven event or announcement never duplicates anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from botocore.exceptions import ClientError

from shared.events import EventBridgePublisher
from shared.ingest.announce import announce
from ventanilla_local.stream_sources import READ_LIMIT, dynamodb_record

PEEK = 10
TABLE_STREAM_BATCH = "DDBStreamBatchInfo"
KINESIS_BATCH = "KinesisBatchInfo"


@dataclass(frozen=True)
class Parked:
    message_id: str
    kind: str  # "event" | "invocation" | "stream-batch" | "unknown"
    detail_type: str | None  # an event's; for a stream batch, what it holds ("table stream", "Kinesis")
    target: str | None
    error: str | None
    event: dict[str, Any] | None
    receipt_handle: str
    batch: dict[str, Any] | None = None  # a stream batch's shard positions
    batch_kind: str | None = None  # TABLE_STREAM_BATCH or KINESIS_BATCH


@dataclass
class RedriveReport:
    events: int = 0  # events put back on the bus
    announced: int = 0  # of them, touchpoints announced again from parked table-stream batches
    batches: int = 0  # parked table-stream batches announced in full (deleted from the queue)
    left: int = 0  # messages left in the queue
    reasons: list[str] = field(default_factory=list)  # why, for those left


def _function_name(arn: Any) -> str | None:
    return str(arn).rsplit(":", 1)[-1] if arn else None


def _classify(message: dict[str, Any]) -> Parked:
    attributes = {k: v.get("StringValue") for k, v in (message.get("MessageAttributes") or {}).items()}
    try:
        body = json.loads(message["Body"])
    except ValueError:
        body = None
    event: dict[str, Any] | None = None
    kind = "unknown"
    batch: dict[str, Any] | None = None
    batch_kind: str | None = None
    detail_type: str | None = None
    if isinstance(body, dict) and "detail-type" in body and "detail" in body:
        kind, event = "event", body
    elif isinstance(body, dict) and isinstance(body.get("requestPayload"), dict):
        payload = body["requestPayload"]
        if "detail-type" in payload:
            kind, event = "invocation", payload
        attributes.setdefault("ERROR_MESSAGE", str((body.get("responsePayload") or {}).get("errorMessage")))
    elif isinstance(body, dict) and (TABLE_STREAM_BATCH in body or KINESIS_BATCH in body):
        kind = "stream-batch"
        batch_kind = TABLE_STREAM_BATCH if TABLE_STREAM_BATCH in body else KINESIS_BATCH
        batch = body[batch_kind]
        detail_type = f"{'table stream' if batch_kind == TABLE_STREAM_BATCH else 'Kinesis'} x{batch.get('batchSize')}"
        context = body.get("requestContext") or {}
        attributes.setdefault("TARGET", _function_name(context.get("functionArn")) or "")
        attributes.setdefault("ERROR_MESSAGE", str(context.get("condition") or ""))
    return Parked(
        message_id=message["MessageId"],
        kind=kind,
        detail_type=event.get("detail-type") if event else detail_type,
        target=attributes.get("TARGET") or None,
        error=attributes.get("ERROR_MESSAGE") or attributes.get("ERROR_CODE"),
        event=event,
        receipt_handle=message["ReceiptHandle"],
        batch=batch,
        batch_kind=batch_kind,
    )


def peek(sqs: Any, queue_url: str) -> list[Parked]:
    """Up to ten parked messages, left in the queue (visibility unchanged for others)."""
    response = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=PEEK, VisibilityTimeout=0, MessageAttributeNames=["All"]
    )
    return [_classify(m) for m in response.get("Messages", [])]


def read_batch(streams: Any, batch: dict[str, Any]) -> list[dict[str, Any]]:
    """Every record of a table stream's shard from the batch's first to its last sequence number, as Lambda
    delivers them (the range also holds other items' records, which the mapping's filter had left out)."""
    arn, last = batch["streamArn"], int(batch["endSequenceNumber"])
    iterator: str | None = streams.get_shard_iterator(
        StreamArn=arn,
        ShardId=batch["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=batch["startSequenceNumber"],
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    while iterator:
        response = streams.get_records(ShardIterator=iterator, Limit=READ_LIMIT)
        for record in response["Records"]:
            if int(record["dynamodb"]["SequenceNumber"]) > last:
                return records
            records.append(dynamodb_record(record, arn))
        if not response["Records"]:
            return records  # caught up with the shard
        iterator = response.get("NextShardIterator")
    return records


def _announce_batch(streams: Any, publisher: EventBridgePublisher, batch: dict[str, Any]) -> tuple[int, str | None]:
    """(touchpoints announced, why not all of them: None when they all are)."""
    try:
        records = read_batch(streams, batch)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "?")
        return 0, f"cannot re-read the stream ({code}: kept 24 h): its touchpoints are stored, unresolved"
    outcome = announce([DynamoDBRecord(r) for r in records], publisher)
    if outcome.failed:
        return len(outcome.announced), f"{len(outcome.failed)} not published ({', '.join(sorted(set(outcome.errors)))})"
    return len(outcome.announced), None


def redrive(sqs: Any, events: Any, queue_url: str, bus_name: str, streams: Any | None = None) -> RedriveReport:
    """Put every parked event back on the bus, announce every parked table-stream batch again (`streams`: a
    DynamoDB Streams client), delete what went through from the queue; leave the rest."""
    report = RedriveReport()
    publisher = EventBridgePublisher(events, bus_name)
    while True:
        response = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=PEEK, VisibilityTimeout=60, MessageAttributeNames=["All"]
        )
        messages = response.get("Messages", [])
        if not messages:
            return report
        for parked in map(_classify, messages):
            if parked.batch_kind == TABLE_STREAM_BATCH and parked.batch is not None and streams is not None:
                announced, problem = _announce_batch(streams, publisher, parked.batch)
                report.events += announced
                report.announced += announced
                if problem:
                    report.left += 1
                    report.reasons.append(f"{parked.message_id}: {problem}")
                    continue
                report.batches += 1
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=parked.receipt_handle)
                continue
            if parked.event is None:
                report.left += 1  # Kinesis batches and unknown bodies stay for a person to look at
                continue
            entry = {
                "Source": parked.event["source"],
                "DetailType": parked.event["detail-type"],
                "Detail": json.dumps(parked.event["detail"]),
                "EventBusName": bus_name,
            }
            result = events.put_events(Entries=[entry])
            if result.get("FailedEntryCount"):
                report.left += 1
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=parked.receipt_handle)
            report.events += 1
        # messages left are invisible for a minute, so the next receive returns only the rest
