"""Everything held on one citizen beyond the repositories' own reads: their partition as a whole, the index
entries that point at them, rectifications, and the deletes erasure needs.

- the citizen's partition `CIT#<id>`: profile, timeline, case copies, merges, sent log, consent, preferences and
  `RECT#<at UTC>#<id>` rectifications (who changed which field, from what to what, why);
- identifier index `IDX#<digest>` / `CIT#<id>` and the first claim `IDX#<digest>` / `#FIRST`; blocking index
  `BLK#<digest>` / `CIT#<id>` (shared/repositories/identity.py);
- a sent message's provider partition `NOTIFMSG#<provider>#<message id>` (pointer and delivery statuses).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from shared.exceptions import ConflictError
from shared.repositories.dynamodb import deserialise, key, query_all, serialise, translate_errors

RECTIFICATION = "RECT#"
KEPT_ON_ERASURE = ("PROFILE", "CASE#", "MRG#")  # no personal data: the tombstone, case copies, merge history


class FieldChange(BaseModel):
    field: str
    before: Any = None
    after: Any = None


class Rectification(BaseModel):
    rectification_id: str
    citizen_id: str
    at: datetime
    actor: str
    reason: str
    changes: list[FieldChange]


class DynamoDBPersonalDataRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _query(self, pk: str, prefix: str = "") -> list[dict[str, Any]]:
        request = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)" if prefix else "pk = :pk",
            "ExpressionAttributeValues": serialise({":pk": pk, ":p": prefix} if prefix else {":pk": pk}),
            "ConsistentRead": True,
        }
        return query_all(self._client, request)

    def citizen_items(self, citizen_id: str) -> list[dict[str, Any]]:
        """Every item of the citizen's partition, in key order."""
        return self._query(f"CIT#{citizen_id}")

    # -- rectification ----------------------------------------------------------------------------

    def add_rectification(self, citizen_id: str, actor: str, reason: str, changes: list[FieldChange]) -> Rectification:
        at = datetime.now(UTC)
        rectification = Rectification(
            rectification_id=f"rct-{uuid.uuid4().hex}",
            citizen_id=citizen_id,
            at=at,
            actor=actor,
            reason=reason,
            changes=changes,
        )
        item = {
            "pk": f"CIT#{citizen_id}",
            "sk": f"{RECTIFICATION}{at.isoformat()}#{rectification.rectification_id}",
            "type": "rectification",
            "rectification": rectification.model_dump_json(),
        }
        with translate_errors():
            self._client.put_item(TableName=self._table, Item=serialise(item))
        return rectification

    def rectifications(self, citizen_ids: Iterable[str]) -> list[Rectification]:
        found = [
            Rectification.model_validate_json(item["rectification"])
            for citizen_id in dict.fromkeys(citizen_ids)
            for item in self._query(f"CIT#{citizen_id}", RECTIFICATION)
        ]
        return sorted(found, key=lambda r: r.at)

    # -- erasure ----------------------------------------------------------------------------------

    def unindex(self, citizen_id: str, identifier_digests: Iterable[str], block_digests: Iterable[str]) -> int:
        """Delete the index entries that point at the citizen, and their first claims; returns how many went."""
        holder = f"CIT#{citizen_id}"
        keys = [(f"IDX#{d}", holder) for d in dict.fromkeys(identifier_digests)]
        keys += [(f"BLK#{d}", holder) for d in dict.fromkeys(block_digests)]
        removed = self._delete_existing(keys)
        for digest in dict.fromkeys(identifier_digests):
            try:
                with translate_errors():
                    self._client.delete_item(
                        TableName=self._table,
                        Key=key(f"IDX#{digest}", "#FIRST"),
                        ConditionExpression="citizen_id = :c",
                        ExpressionAttributeValues=serialise({":c": citizen_id}),
                    )
                removed += 1
            except ConflictError:  # the claim is someone else's, or already gone
                pass
        return removed

    def delete_citizen_items(self, citizen_id: str) -> int:
        """Delete the partition's personal items (timeline, sent log, consent, preferences, rectifications);
        keep the profile (rewritten as a tombstone), the case copies and the merge history."""
        doomed = [
            (item["pk"], item["sk"])
            for item in self.citizen_items(citizen_id)
            if not any(item["sk"].startswith(kept) for kept in KEPT_ON_ERASURE)
        ]
        self._batch_delete(doomed)
        return len(doomed)

    def delete_partition(self, pk: str) -> int:
        doomed = [(item["pk"], item["sk"]) for item in self._query(pk)]
        self._batch_delete(doomed)
        return len(doomed)

    def _delete_existing(self, keys: Sequence[tuple[str, str]]) -> int:
        """Delete the keys that exist; returns how many did (each checked with a keys-only read first)."""
        existing = self._existing(keys)
        self._batch_delete(existing)
        return len(existing)

    def _existing(self, keys: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        unique = list(dict.fromkeys(keys))
        found: list[tuple[str, str]] = []
        for start in range(0, len(unique), 100):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [key(pk, sk) for pk, sk in unique[start : start + 100]],
                    "ProjectionExpression": "pk, sk",
                    "ConsistentRead": True,
                }
            }
            while request:
                with translate_errors():
                    response = self._client.batch_get_item(RequestItems=request)
                found += [
                    (i["pk"], i["sk"]) for i in map(deserialise, response.get("Responses", {}).get(self._table, []))
                ]
                request = response.get("UnprocessedKeys") or {}
        return found

    def _batch_delete(self, keys: Sequence[tuple[str, str]]) -> None:
        requests = [{"DeleteRequest": {"Key": key(pk, sk)}} for pk, sk in dict.fromkeys(keys)]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self._table: requests[start : start + 25]}
            while pending:
                with translate_errors():
                    response = self._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
