"""Announcing new touchpoints from the table's stream: the transactional outbox's relay. Plain Python over a port.

A channel function only stores the raw touchpoint; its INSERT in the table's stream is the announcement to make.
The announcer (functions/announcer) gets the stream's records in batches — the event source mapping's filter lets
through only INSERTs of raw touchpoints that were not bulk-imported — and turns each into TouchpointRecorded,
published in calls of up to ten entries. What it could not publish is reported as batch item failures, so Lambda
retries from the first of them (then, after the mapping's retries, parks the batch in the dead-letter queue).

Every record is checked again here (the mapping's filter is the first line, not the only one): anything but a new
raw touchpoint — an update, a deletion, a case's attachment item `CASE#…`/`TP#…`, a delivery status, an imported
touchpoint — is skipped. So the same code can re-read a parked batch's range of the stream (`ventanilla dlq
redrive`), which holds every item's records, and announce just what the batch held.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from shared.events import EntryPublisher
from shared.models.events import TouchpointRecorded
from shared.repositories.touchpoints import is_raw_touchpoint, new_touchpoint


class UnreadableRecordError(ValueError):
    """A stream record of a new raw touchpoint that cannot be read (never skipped: it is retried, then parked)."""


@dataclass
class Announcement:
    """What one batch came to: events published, records skipped, and the records to retry (sequence numbers)."""

    announced: list[TouchpointRecorded] = field(default_factory=list)
    skipped: int = 0
    unreadable: int = 0
    failed: list[str] = field(default_factory=list)  # sequence numbers, in stream order
    errors: list[str] = field(default_factory=list)

    def batch_item_failures(self) -> dict[str, list[dict[str, str]]]:
        """The partial batch response Lambda reads (ReportBatchItemFailures): it retries from the first one."""
        return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in self.failed]}


def touchpoint_recorded(record: DynamoDBRecord) -> TouchpointRecorded | None:
    """The event a stream record announces, or None when it announces nothing (not a new raw touchpoint, or one a
    bulk import stored). UnreadableRecordError for a new raw touchpoint whose image cannot be read."""
    if record.event_name != DynamoDBRecordEventName.INSERT or record.dynamodb is None:
        return None
    stream = record.dynamodb.raw_event  # DynamoDB JSON, as the stream carries it
    if not is_raw_touchpoint(stream.get("Keys") or {}):
        return None
    try:
        stored = new_touchpoint(stream.get("NewImage") or {})
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableRecordError(f"{type(error).__name__} reading a new touchpoint") from error
    if stored.imported:
        return None
    return TouchpointRecorded(
        touchpoint_id=stored.touchpoint_id,
        channel=stored.channel,
        occurred_at=stored.occurred_at,
        correlation_id=stored.correlation_id,
    )


def announce(records: Iterable[DynamoDBRecord], publisher: EntryPublisher) -> Announcement:
    """Publish TouchpointRecorded for each new raw touchpoint among `records` (in stream order).

    Reported for a retry: the records whose events were not put on the bus (after a PutEvents call that failed,
    the later calls are not made), and a record that could not be read with every record after it. Lambda retries
    from the first reported record; an event of the same batch put after it is published again then (consumers
    are idempotent).
    """
    outcome = Announcement()
    pending: list[tuple[str, TouchpointRecorded]] = []
    stopped_at: int | None = None
    ordered = list(records)
    for index, record in enumerate(ordered):
        try:
            event = touchpoint_recorded(record)
        except UnreadableRecordError as error:
            outcome.unreadable += 1
            outcome.errors.append(str(error))
            stopped_at = index
            break
        if event is None:
            outcome.skipped += 1
            continue
        pending.append((_sequence(record), event))
    put = publisher.put([event for _, event in pending]) if pending else None
    not_put = set(put.not_put) if put is not None else set()
    if put is not None:
        outcome.errors += put.errors
    for index, (sequence, event) in enumerate(pending):
        if index in not_put:
            outcome.failed.append(sequence)
        else:
            outcome.announced.append(event)
    if stopped_at is not None:  # the unreadable record and everything after it, for Lambda to deliver again
        outcome.failed += [_sequence(r) for r in ordered[stopped_at:]]
    return outcome


def _sequence(record: DynamoDBRecord) -> str:
    sequence = record.dynamodb.sequence_number if record.dynamodb is not None else None
    if not sequence:
        raise UnreadableRecordError("a stream record without a sequence number")
    return sequence
