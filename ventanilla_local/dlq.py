"""`ventanilla dlq list|redrive`: what was parked after its retries, and sending it through again.

The stack's one dead-letter queue receives events a rule could not deliver (the event itself, with the
error in message attributes), failed asynchronous invocations (Lambda's destination record, the event in
`requestPayload`) and Kinesis batches that exhausted their retries (the shard positions only: the records
stay in the stream for its retention; replay them from there). Redrive puts events back on the bus, where
the same rules route them again; consumers are idempotent, so a redriven event never duplicates anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PEEK = 10


@dataclass(frozen=True)
class Parked:
    message_id: str
    kind: str  # "event" | "invocation" | "stream-batch" | "unknown"
    detail_type: str | None
    target: str | None
    error: str | None
    event: dict[str, Any] | None
    receipt_handle: str


def _classify(message: dict[str, Any]) -> Parked:
    attributes = {k: v.get("StringValue") for k, v in (message.get("MessageAttributes") or {}).items()}
    try:
        body = json.loads(message["Body"])
    except ValueError:
        body = None
    event: dict[str, Any] | None = None
    kind = "unknown"
    if isinstance(body, dict) and "detail-type" in body and "detail" in body:
        kind, event = "event", body
    elif isinstance(body, dict) and isinstance(body.get("requestPayload"), dict):
        payload = body["requestPayload"]
        if "detail-type" in payload:
            kind, event = "invocation", payload
        attributes.setdefault("ERROR_MESSAGE", str((body.get("responsePayload") or {}).get("errorMessage")))
    elif isinstance(body, dict) and "KinesisBatchInfo" in body:
        kind = "stream-batch"
    return Parked(
        message_id=message["MessageId"],
        kind=kind,
        detail_type=event.get("detail-type") if event else None,
        target=attributes.get("TARGET"),
        error=attributes.get("ERROR_MESSAGE") or attributes.get("ERROR_CODE"),
        event=event,
        receipt_handle=message["ReceiptHandle"],
    )


def peek(sqs: Any, queue_url: str) -> list[Parked]:
    """Up to ten parked messages, left in the queue (visibility unchanged for others)."""
    response = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=PEEK, VisibilityTimeout=0, MessageAttributeNames=["All"]
    )
    return [_classify(m) for m in response.get("Messages", [])]


def redrive(sqs: Any, events: Any, queue_url: str, bus_name: str) -> tuple[int, int]:
    """Put every parked event back on the bus and delete it from the queue; (redriven, left) counts."""
    redriven = left = 0
    while True:
        response = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=PEEK, VisibilityTimeout=60, MessageAttributeNames=["All"]
        )
        messages = response.get("Messages", [])
        if not messages:
            return redriven, left
        for parked in map(_classify, messages):
            if parked.event is None:
                left += 1  # stream batches and unknown bodies stay for a person to look at
                continue
            entry = {
                "Source": parked.event["source"],
                "DetailType": parked.event["detail-type"],
                "Detail": json.dumps(parked.event["detail"]),
                "EventBusName": bus_name,
            }
            result = events.put_events(Entries=[entry])
            if result.get("FailedEntryCount"):
                left += 1
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=parked.receipt_handle)
            redriven += 1
        # messages left are invisible for a minute, so the next receive returns only the rest
