"""Recording a touchpoint: store it once, announce it on the bus. Plain Python over ports."""

from __future__ import annotations

from dataclasses import dataclass

from shared.events import EventPublisher
from shared.models.events import TouchpointRecorded
from shared.models.touchpoint import Touchpoint
from shared.repositories.touchpoints import TouchpointRepository


@dataclass(frozen=True)
class RecordOutcome:
    touchpoint_id: str
    created: bool


def record_touchpoint(
    touchpoint: Touchpoint,
    repo: TouchpointRepository,
    publisher: EventPublisher,
    correlation_id: str | None = None,
) -> RecordOutcome:
    """Store the touchpoint idempotently and publish TouchpointRecorded.

    A retried delivery (same channel message id, same content) stores nothing new. While the
    touchpoint is not yet resolved the event is published again, so a publish that failed
    on an earlier attempt is healed by the caller's retry; consumers are idempotent.
    """
    stored, created = repo.add(touchpoint)
    if created or stored.resolution is None:
        publisher.publish(
            [
                TouchpointRecorded(
                    touchpoint_id=touchpoint.touchpoint_id,
                    channel=touchpoint.channel,
                    occurred_at=touchpoint.occurred_at,
                    correlation_id=correlation_id,
                )
            ]
        )
    return RecordOutcome(touchpoint_id=stored.touchpoint_id, created=created)
