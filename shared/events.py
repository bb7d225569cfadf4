"""Publishing domain events: the ports and their EventBridge adapter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import ClientError

from shared.exceptions import PublishError
from shared.models.events import DomainEvent

MAX_ENTRIES_PER_CALL = 10


@dataclass(frozen=True)
class PutOutcome:
    """What one `put` did: the indexes (in the events given) that are not on the bus, and why, by error code."""

    not_put: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.not_put


class EventPublisher(Protocol):
    def publish(self, events: Sequence[DomainEvent]) -> None: ...


class EntryPublisher(Protocol):
    """A publisher that says which events it could not put (for a caller that retries just those)."""

    def put(self, events: Sequence[DomainEvent]) -> PutOutcome: ...


class EventBridgePublisher:
    """Puts events on the bus, at most ten per call, in order, checking `FailedEntryCount`.

    `publish` raises PublishError when any event is not on the bus; `put` says which are not.
    """

    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus = bus_name

    def publish(self, events: Sequence[DomainEvent]) -> None:
        outcome = self.put(events)
        if not outcome.complete:
            codes = sorted(set(outcome.errors))
            raise PublishError(f"{len(outcome.not_put)} of {len(events)} events not published: {codes}")

    def put(self, events: Sequence[DomainEvent]) -> PutOutcome:
        """Calls of up to ten entries, in order; after a call that failed, wholly or for some entries, the later
        events are not sent (a caller retrying from its first failure would send them again)."""
        for start in range(0, len(events), MAX_ENTRIES_PER_CALL):
            batch = events[start : start + MAX_ENTRIES_PER_CALL]
            entries = [
                {
                    "EventBusName": self._bus,
                    "Source": event.SOURCE,
                    "DetailType": event.detail_type(),
                    "Detail": event.model_dump_json(),
                }
                for event in batch
            ]
            later = list(range(start + len(batch), len(events)))
            try:
                response = self._client.put_events(Entries=entries)
            except ClientError as error:
                code = str(error.response.get("Error", {}).get("Code", "?"))
                return PutOutcome(list(range(start, start + len(batch))) + later, [f"PutEvents failed: {code}"])
            if response.get("FailedEntryCount", 0):
                answers = response.get("Entries", [])
                failed = [start + i for i, answer in enumerate(answers) if answer.get("ErrorCode")]
                if not failed:  # a count without per-entry codes: take the whole call as failed
                    failed = list(range(start, start + len(batch)))
                codes = [str(a.get("ErrorCode")) for a in answers if a.get("ErrorCode")] or ["?"]
                return PutOutcome(failed + later, codes)
        return PutOutcome()
