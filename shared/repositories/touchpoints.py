"""Where touchpoints are kept: a port and its DynamoDB adapter."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from shared.exceptions import ConflictError, DuplicateMismatchError
from shared.models.touchpoint import StoredTouchpoint, Touchpoint
from shared.repositories.dynamodb import deserialise, key, serialise, translate_errors

SK = "TOUCHPOINT"
TTL_ATTRIBUTE = "expires_at"  # the table's DynamoDB time-to-live attribute (infra/constructs/data.py)


class TouchpointRepository(Protocol):
    def add(self, touchpoint: Touchpoint) -> tuple[StoredTouchpoint, bool]:
        """Store once. Returns the stored touchpoint and whether this call created it.

        Raises DuplicateMismatchError when the id is taken by a touchpoint with other content.
        """
        ...

    def get(self, touchpoint_id: str) -> StoredTouchpoint | None: ...

    def link_citizen(self, touchpoint_id: str, citizen_id: str | None, resolution: str) -> None:
        """Record how the touchpoint was resolved (citizen_id None: nobody to link, e.g. anonymous)."""
        ...


def _pk(touchpoint_id: str) -> str:
    return f"TP#{touchpoint_id}"


class DynamoDBTouchpointRepository:
    """`retention_days`: the raw touchpoint (message text and the claims as received) is deleted by DynamoDB's
    time to live that many days after it was received; what was learnt from it (the citizen, the timeline entry,
    the case) stays. None keeps it (tests, migrations that set their own)."""

    def __init__(self, client: Any, table_name: str, retention_days: int | None = None) -> None:
        self._client = client
        self._table = table_name
        self._retention = timedelta(days=retention_days) if retention_days else None

    def add(self, touchpoint: Touchpoint) -> tuple[StoredTouchpoint, bool]:
        stored = StoredTouchpoint(
            touchpoint=touchpoint, received_at=datetime.now(UTC), fingerprint=touchpoint.fingerprint()
        )
        item: dict[str, Any] = {
            "pk": _pk(touchpoint.touchpoint_id),
            "sk": SK,
            "type": "touchpoint",
            "channel": touchpoint.channel.value,  # the body holds the time it occurred: one copy keeps the item
            "received_at": stored.received_at.isoformat(),  # under 1 KB (one write unit) with its expiry
            "fingerprint": stored.fingerprint,
            "body": touchpoint.model_dump_json(),
        }
        if self._retention is not None:
            item[TTL_ATTRIBUTE] = int((stored.received_at + self._retention).timestamp())
        try:
            with translate_errors():
                self._client.put_item(
                    TableName=self._table,
                    Item=serialise(item),
                    ConditionExpression="attribute_not_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ConflictError as error:
            existing = self._existing_from(error)
            if existing is None:
                existing = self.get(touchpoint.touchpoint_id)
            if existing is None:  # pragma: no cover - deleted between the two calls
                raise
            if existing.fingerprint != stored.fingerprint:
                raise DuplicateMismatchError(
                    f"message id of touchpoint {touchpoint.touchpoint_id} was already used for other content"
                ) from error
            return existing, False
        return stored, True

    def get(self, touchpoint_id: str) -> StoredTouchpoint | None:
        with translate_errors():
            response = self._client.get_item(
                TableName=self._table, Key=key(_pk(touchpoint_id), SK), ConsistentRead=True
            )
        item = response.get("Item")
        return _from_item(deserialise(item)) if item else None

    def link_citizen(self, touchpoint_id: str, citizen_id: str | None, resolution: str) -> None:
        values = {":r": resolution, ":c": citizen_id}
        with translate_errors():
            self._client.update_item(
                TableName=self._table,
                Key=key(_pk(touchpoint_id), SK),
                UpdateExpression="SET resolution = :r" + (", citizen_id = :c" if citizen_id else ""),
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=serialise(values),
            )

    def get_many(self, touchpoint_ids: Sequence[str]) -> dict[str, StoredTouchpoint]:
        """The stored touchpoints of these ids that still exist (retention may have deleted some)."""
        ids = list(dict.fromkeys(touchpoint_ids))
        found: dict[str, StoredTouchpoint] = {}
        for start in range(0, len(ids), 100):
            request: dict[str, Any] = {
                self._table: {"Keys": [key(_pk(i), SK) for i in ids[start : start + 100]], "ConsistentRead": True}
            }
            while request:
                with translate_errors():
                    response = self._client.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._table, []):
                    stored = _from_item(deserialise(raw))
                    found[stored.touchpoint_id] = stored
                request = response.get("UnprocessedKeys") or {}
        return found

    def anonymise(self, stored: StoredTouchpoint) -> bool:
        """Erasure: keep only the channel, the time, the fingerprint and the links (so a provider's redelivery is
        still recognised as a duplicate and creates nobody), drop what the person said and claimed. False when the
        touchpoint is gone meanwhile (its retention ended)."""
        bare = Touchpoint(
            touchpoint_id=stored.touchpoint.touchpoint_id,
            channel=stored.touchpoint.channel,
            occurred_at=stored.touchpoint.occurred_at,
        )
        try:
            with translate_errors():
                self._client.update_item(
                    TableName=self._table,
                    Key=key(_pk(stored.touchpoint_id), SK),
                    UpdateExpression="SET body = :b, erased = :t",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues=serialise({":b": bare.model_dump_json(), ":t": True}),
                )
        except ConflictError:
            return False
        return True

    @staticmethod
    def _existing_from(error: ConflictError) -> StoredTouchpoint | None:
        cause = error.__cause__
        item = getattr(cause, "response", {}).get("Item") if cause is not None else None
        return _from_item(deserialise(item)) if item else None


def _from_item(item: dict[str, Any]) -> StoredTouchpoint:
    return StoredTouchpoint(
        touchpoint=Touchpoint.model_validate(json.loads(item["body"])),
        received_at=datetime.fromisoformat(item["received_at"]),
        fingerprint=item["fingerprint"],
        citizen_id=item.get("citizen_id"),
        resolution=item.get("resolution"),
        case_reference=item.get("case_reference"),
    )
