"""Publishing domain events: the port and its EventBridge adapter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from botocore.exceptions import ClientError

from shared.exceptions import PublishError
from shared.models.events import DomainEvent

MAX_ENTRIES_PER_CALL = 10


class EventPublisher(Protocol):
    def publish(self, events: Sequence[DomainEvent]) -> None: ...


class EventBridgePublisher:
    """Puts events on the bus, at most ten per call; any failed entry raises PublishError."""

    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus = bus_name

    def publish(self, events: Sequence[DomainEvent]) -> None:
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
            try:
                response = self._client.put_events(Entries=entries)
            except ClientError as error:
                raise PublishError(f"PutEvents failed: {error.response.get('Error', {}).get('Code')}") from error
            if response.get("FailedEntryCount", 0):
                codes = sorted({e.get("ErrorCode", "?") for e in response.get("Entries", []) if e.get("ErrorCode")})
                raise PublishError(f"{response['FailedEntryCount']} of {len(entries)} events failed: {codes}")
