"""Recording a touchpoint: store it once. Plain Python over ports.

Storing is all the request path does. The stored item is the announcement (a transactional outbox): the table's
stream carries every new raw touchpoint to the announcer (functions/announcer, shared/ingest/announce.py), which
publishes TouchpointRecorded. A touchpoint is therefore never stored without being announced, and a retried
delivery, which stores nothing new, announces nothing again.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.models.touchpoint import Touchpoint
from shared.repositories.touchpoints import TouchpointRepository


@dataclass(frozen=True)
class RecordOutcome:
    touchpoint_id: str
    created: bool


def record_touchpoint(
    touchpoint: Touchpoint, repo: TouchpointRepository, correlation_id: str | None = None
) -> RecordOutcome:
    """Store the touchpoint idempotently (one conditional write), with the request's correlation id.

    A retried delivery (same channel message id, same content) stores nothing new and gets the same answer;
    other content under the same message id raises DuplicateMismatchError.
    """
    stored, created = repo.add(touchpoint, correlation_id=correlation_id)
    return RecordOutcome(touchpoint_id=stored.touchpoint_id, created=created)
