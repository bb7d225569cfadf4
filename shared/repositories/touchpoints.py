"""Where touchpoints are kept: a port and its DynamoDB adapter."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from shared.exceptions import ConflictError, DuplicateMismatchError
from shared.models.touchpoint import Channel, StoredTouchpoint, Touchpoint
from shared.repositories.dynamodb import deserialise, key, serialise, translate_errors

PK_PREFIX = "TP#"
SK = "TOUCHPOINT"
TTL_ATTRIBUTE = "expires_at"  # the table's DynamoDB time-to-live attribute (infra/constructs/data.py)
# Written only on a bulk import's items: the table stream's mapping (infra/stack.py) does not announce those, since
# the import resolves each line itself. The key shape and this name are the mapping's filter (infra/config.py).
IMPORTED_ATTRIBUTE = "imported"
# The storing request's correlation id, carried into TouchpointRecorded by the announcer so logs still correlate.
# API Gateway's request ids are UUIDs: kept as their 16 bytes under a short name (19 bytes in all), so a typical
# item stays within one write unit (1 KB; the sample's phone call is 1,000 bytes without it).
CORRELATION_ATTRIBUTE = "cid"


class TouchpointRepository(Protocol):
    def add(
        self, touchpoint: Touchpoint, *, correlation_id: str | None = None, imported: bool = False
    ) -> tuple[StoredTouchpoint, bool]:
        """Store once. Returns the stored touchpoint and whether this call created it.

        Storing a new touchpoint is what announces it: the table's stream carries the new item to the announcer,
        which publishes TouchpointRecorded (with `correlation_id`), unless it was `imported` (resolved by the
        import itself). Raises DuplicateMismatchError when the id is taken by a touchpoint with other content.
        """
        ...

    def new_item(
        self, touchpoint: Touchpoint, *, correlation_id: str | None = None, imported: bool = False
    ) -> tuple[StoredTouchpoint, dict[str, Any]]:
        """What `add` would write, for a repository that writes it in its own transaction (`CaseRepository.create`)."""
        ...

    def get(self, touchpoint_id: str) -> StoredTouchpoint | None: ...

    def link_citizen(self, touchpoint_id: str, citizen_id: str | None, resolution: str) -> None:
        """Record how the touchpoint was resolved (citizen_id None: nobody to link, e.g. anonymous)."""
        ...


def _pk(touchpoint_id: str) -> str:
    return f"{PK_PREFIX}{touchpoint_id}"


@dataclass(frozen=True)
class NewTouchpoint:
    """What a raw touchpoint item just stored says to whoever announces it (from the table's stream)."""

    touchpoint_id: str
    channel: Channel
    occurred_at: datetime
    correlation_id: str | None
    imported: bool


def is_raw_touchpoint(keys: Mapping[str, Any]) -> bool:
    """Whether an item's key, in DynamoDB JSON (`{"pk": {"S": …}, …}`), is a raw touchpoint's — not, e.g., a case's
    attachment item (`CASE#…` / `TP#…`) or a delivery status."""
    pk, sk = _string(keys.get("pk")), _string(keys.get("sk"))
    return pk is not None and pk.startswith(PK_PREFIX) and sk == SK


def new_touchpoint(image: Mapping[str, Any]) -> NewTouchpoint:
    """A raw touchpoint item's new image, in DynamoDB JSON as the table's stream carries it (binary values base64, as
    Lambda delivers them), -> what announcing it takes. The time it occurred is read from the stored body (the item
    keeps one copy of it). ValueError (or KeyError) when the image is not a raw touchpoint item as `add` writes it."""
    if not is_raw_touchpoint(image):
        raise ValueError("not a raw touchpoint item")
    body = json.loads(image["body"]["S"])
    return NewTouchpoint(
        touchpoint_id=image["pk"]["S"].removeprefix(PK_PREFIX),
        channel=Channel(image["channel"]["S"]),
        occurred_at=datetime.fromisoformat(body["occurred_at"]),
        correlation_id=_correlation_from(image.get(CORRELATION_ATTRIBUTE)),
        imported=bool((image.get(IMPORTED_ATTRIBUTE) or {}).get("BOOL", False)),
    )


def _string(value: Any) -> str | None:
    found = value.get("S") if isinstance(value, Mapping) else None
    return found if isinstance(found, str) else None


def _compact_correlation(correlation_id: str) -> str | bytes:
    try:
        parsed = uuid.UUID(correlation_id)
    except ValueError:
        return correlation_id
    return parsed.bytes if str(parsed) == correlation_id else correlation_id  # only what reads back the same


def _correlation_from(value: Any) -> str | None:
    """The correlation id from its attribute in DynamoDB JSON: a UUID's 16 bytes (base64 in a Lambda event, bytes
    from boto3), or any other id as a string."""
    if not isinstance(value, Mapping):
        return None
    if "S" in value:
        return str(value["S"])
    raw = value.get("B")
    if isinstance(raw, str):
        raw = base64.b64decode(raw)
    return str(uuid.UUID(bytes=bytes(raw))) if isinstance(raw, bytes | bytearray) else None


class DynamoDBTouchpointRepository:
    """`retention_days`: the raw touchpoint (message text and the claims as received) is deleted by DynamoDB's
    time to live that many days after it was received; what was learnt from it (the citizen, the timeline entry,
    the case) stays. None keeps it (tests, migrations that set their own)."""

    def __init__(self, client: Any, table_name: str, retention_days: int | None = None) -> None:
        self._client = client
        self._table = table_name
        self._retention = timedelta(days=retention_days) if retention_days else None

    def add(
        self, touchpoint: Touchpoint, *, correlation_id: str | None = None, imported: bool = False
    ) -> tuple[StoredTouchpoint, bool]:
        stored, item = self.new_item(touchpoint, correlation_id=correlation_id, imported=imported)
        try:
            with translate_errors():
                self._client.put_item(
                    TableName=self._table,
                    Item=item,
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

    def new_item(
        self, touchpoint: Touchpoint, *, correlation_id: str | None = None, imported: bool = False
    ) -> tuple[StoredTouchpoint, dict[str, Any]]:
        """The raw touchpoint item `add` writes (DynamoDB's wire format), for a caller that writes it in one
        transaction with what it belongs to (an Open311 request and the case it opens)."""
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
        if correlation_id:
            item[CORRELATION_ATTRIBUTE] = _compact_correlation(correlation_id)
        if imported:
            item[IMPORTED_ATTRIBUTE] = True
        return stored, serialise(item)

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
