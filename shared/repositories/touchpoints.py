"""Where touchpoints are kept: a port and its DynamoDB adapter."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

from shared.exceptions import ConflictError, DuplicateMismatchError
from shared.models.touchpoint import StoredTouchpoint, Touchpoint
from shared.repositories.dynamodb import deserialise, key, serialise, translate_errors

SK = "TOUCHPOINT"


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
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def add(self, touchpoint: Touchpoint) -> tuple[StoredTouchpoint, bool]:
        stored = StoredTouchpoint(
            touchpoint=touchpoint, received_at=datetime.now(UTC), fingerprint=touchpoint.fingerprint()
        )
        item = {
            "pk": _pk(touchpoint.touchpoint_id),
            "sk": SK,
            "type": "touchpoint",
            "channel": touchpoint.channel.value,
            "occurred_at": touchpoint.occurred_at.isoformat(),
            "received_at": stored.received_at.isoformat(),
            "fingerprint": stored.fingerprint,
            "body": touchpoint.model_dump_json(),
        }
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
