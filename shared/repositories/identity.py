"""Citizens, their keyed identifier and blocking index, timelines, merges and review tasks.

Keys never hold personal data: identifier and blocking values are HMAC digests (shared/identity/hashing.py).
A touchpoint's timeline entry does not copy the message text: the text is read from the raw touchpoint, so it
goes when the raw touchpoint's retention ends (shared/repositories/touchpoints.py).

| item                    | pk                   | sk                                   |
|-------------------------|----------------------|--------------------------------------|
| citizen record          | CIT#<citizen_id>     | PROFILE                              |
| timeline entry          | CIT#<citizen_id>     | TL#<occurred_at UTC>#<touchpoint_id> |
| rectification           | CIT#<citizen_id>     | RECT#<at UTC>#<id>                   |
| merge (per survivor)    | CIT#<survivor>       | MRG#<merge_id>                       |
| identifier holder       | IDX#<digest>         | CIT#<citizen_id>                     |
| first claim of an id    | IDX#<digest>         | #FIRST                               |
| blocking entry          | BLK#<digest>         | CIT#<citizen_id>                     |
| merge                   | MRG#<merge_id>       | MERGE                                |
| review task             | REV#<review_id>      | TASK  (gsi1: REVIEW#<status> / <created>#<id>) |
| not the same people     | NS#<id a>|<id b>     | PAIR                                 |
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from shared.exceptions import ValidationFailedError
from shared.identity.records import CitizenRecord
from shared.models.citizen import LinkExplanation, MergeRecord, ReviewTask, TimelineEntry
from shared.models.touchpoint import Touchpoint
from shared.repositories.dynamodb import deserialise, key, serialise, transact_put, translate_errors
from shared.repositories.touchpoints import DynamoDBTouchpointRepository

PROFILE = "PROFILE"
TIMELINE = "TL#"
HOLDERS_PER_IDENTIFIER = 10
MEMBERS_PER_BLOCK = 25
GSI = "gsi1"


@dataclass(frozen=True)
class Holder:
    citizen_id: str
    last_seen: datetime


@dataclass(frozen=True)
class IndexEntry:
    digest: str
    kind: str
    verified: bool = False


@dataclass(frozen=True)
class TimelineItem:
    citizen_id: str
    entry: TimelineEntry
    link: LinkExplanation


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    next_cursor: str | None


class IdentityRepository(Protocol):
    def holders(self, digests: Sequence[str]) -> dict[str, list[Holder]]: ...
    def block_members(self, digests: Sequence[str]) -> dict[str, list[str]]: ...
    def get(self, citizen_id: str) -> CitizenRecord | None: ...
    def get_many(self, citizen_ids: Iterable[str]) -> dict[str, CitizenRecord]: ...
    def create(self, record: CitizenRecord, first_claims: Sequence[str]) -> None: ...
    def save(self, records: Sequence[CitizenRecord], extra: Sequence[MergeRecord] = ()) -> None: ...
    def index(self, citizen_id: str, entries: Sequence[IndexEntry], blocks: Sequence[str], seen: datetime) -> None: ...
    def add_to_timeline(self, citizen_id: str, touchpoint: Touchpoint, link: LinkExplanation) -> None: ...
    def timeline(self, citizen_ids: Sequence[str], limit: int, cursor: str | None = None) -> TimelinePage: ...
    def merges_of(self, survivor: str) -> list[MergeRecord]: ...
    def get_merge(self, merge_id: str) -> MergeRecord | None: ...
    def put_review(self, task: ReviewTask) -> None: ...
    def get_review(self, review_id: str) -> ReviewTask | None: ...
    def open_reviews(self, limit: int, cursor: str | None = None) -> tuple[list[ReviewTask], str | None]: ...
    def decide_review(self, task: ReviewTask) -> None: ...
    def mark_not_same(self, a: str, b: str) -> None: ...
    def not_same(self, a: str, b: str) -> bool: ...


def _cit(citizen_id: str) -> str:
    return f"CIT#{citizen_id}"


def _pair(a: str, b: str) -> str:
    return "NS#" + "|".join(sorted((a, b)))


def _profile_item(record: CitizenRecord) -> dict[str, Any]:
    return {
        "pk": _cit(record.citizen_id),
        "sk": PROFILE,
        "type": "citizen",
        "version": record.version,
        "merged_into": record.merged_into,
        "record": record.model_dump_json(),
    }


def _index_items(
    citizen_id: str, entries: Sequence[IndexEntry], blocks: Sequence[str], seen: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "pk": f"IDX#{e.digest}",
            "sk": _cit(citizen_id),
            "type": "identifier",
            "citizen_id": citizen_id,
            "kind": e.kind,
            "verified": e.verified,
            "last_seen": seen.isoformat(),
        }
        for e in entries
    ] + [{"pk": f"BLK#{b}", "sk": _cit(citizen_id), "type": "block", "citizen_id": citizen_id} for b in blocks]


def timeline_item(
    citizen_id: str, entry: TimelineEntry, link: LinkExplanation, *, text_in_touchpoint: bool = False
) -> dict[str, Any]:
    """The item of one timeline entry: the same entry (time and id) always has the same key.

    `text_in_touchpoint`: the entry is a touchpoint whose text stays in the raw touchpoint only (read back from it
    while it is kept), so the retention of raw text holds for the timeline too."""
    occurred = entry.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    item: dict[str, Any] = {
        "pk": _cit(citizen_id),
        "sk": f"{TIMELINE}{occurred}#{entry.touchpoint_id}",
        "type": "timeline",
        "entry": entry.model_dump_json(exclude_none=True),
        "link": link.model_dump_json(),
    }
    if text_in_touchpoint:
        item["text_in_touchpoint"] = True
    return item


def _record(item: dict[str, Any]) -> CitizenRecord:
    return CitizenRecord.model_validate_json(item["record"])


class DynamoDBIdentityRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # -- index ------------------------------------------------------------------------------------

    def _query_partition(self, pk: str, prefix: str, limit: int) -> list[dict[str, Any]]:
        with translate_errors():
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :p)" if prefix else "pk = :pk",
                ExpressionAttributeValues=serialise({":pk": pk, ":p": prefix} if prefix else {":pk": pk}),
                Limit=limit,
            )
        return [deserialise(item) for item in response.get("Items", [])]

    def holders(self, digests: Sequence[str]) -> dict[str, list[Holder]]:
        found: dict[str, list[Holder]] = {}
        for digest in dict.fromkeys(digests):
            # "#FIRST" sorts before "CIT#": the first claim counts even before its index entry is written.
            items = self._query_partition(f"IDX#{digest}", "", HOLDERS_PER_IDENTIFIER + 1)
            holders = {i["citizen_id"]: datetime.fromisoformat(i.get("last_seen") or i["at"]) for i in items}
            found[digest] = [Holder(c, seen) for c, seen in holders.items()]
        return found

    def block_members(self, digests: Sequence[str]) -> dict[str, list[str]]:
        return {
            digest: [i["citizen_id"] for i in self._query_partition(f"BLK#{digest}", "CIT#", MEMBERS_PER_BLOCK)]
            for digest in dict.fromkeys(digests)
        }

    def index(self, citizen_id: str, entries: Sequence[IndexEntry], blocks: Sequence[str], seen: datetime) -> None:
        self._batch_put(_index_items(citizen_id, entries, blocks, seen))

    def load(self, citizens: Sequence[tuple[CitizenRecord, Sequence[IndexEntry], Sequence[str]]]) -> None:
        """Bulk-write pre-resolved citizens nobody else is writing (a benchmark's or a migration's
        population): each profile, its first claims, identifier and blocking entries, in BatchWriteItem
        calls of 25 and without conditions. Live traffic goes through `create` / `save` / `index`."""
        items: list[dict[str, Any]] = []
        for record, entries, blocks in citizens:
            at = record.created_at.isoformat()
            items.append(_profile_item(record))
            items += [
                {"pk": f"IDX#{e.digest}", "sk": "#FIRST", "type": "claim", "citizen_id": record.citizen_id, "at": at}
                for e in entries
            ]
            items += _index_items(record.citizen_id, entries, blocks, record.created_at)
        self._batch_put(items)

    def _batch_put(self, items: Sequence[dict[str, Any]]) -> None:
        unique = {(i["pk"], i["sk"]): i for i in items}
        requests = [{"PutRequest": {"Item": serialise(item)}} for item in unique.values()]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self._table: requests[start : start + 25]}
            while pending:
                with translate_errors():
                    response = self._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}

    # -- citizen records --------------------------------------------------------------------------

    def get(self, citizen_id: str) -> CitizenRecord | None:
        with translate_errors():
            response = self._client.get_item(
                TableName=self._table, Key=key(_cit(citizen_id), PROFILE), ConsistentRead=True
            )
        item = response.get("Item")
        return _record(deserialise(item)) if item else None

    def get_many(self, citizen_ids: Iterable[str]) -> dict[str, CitizenRecord]:
        ids = list(dict.fromkeys(citizen_ids))
        found: dict[str, CitizenRecord] = {}
        for start in range(0, len(ids), 100):
            keys = [key(_cit(i), PROFILE) for i in ids[start : start + 100]]
            request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
            while request:
                with translate_errors():
                    response = self._client.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._table, []):
                    record = _record(deserialise(raw))
                    found[record.citizen_id] = record
                request = response.get("UnprocessedKeys") or {}
        return found

    def create(self, record: CitizenRecord, first_claims: Sequence[str]) -> None:
        """The new record and a first claim on each identifier nobody held, atomically.

        A concurrent resolution that saw the same identifiers unheld loses here (ConflictError) and
        looks again, so two touchpoints of one new person never create two citizens.
        """
        now = record.created_at.isoformat()
        writes: list[dict[str, Any]] = [transact_put(self._table, _profile_item(record), "attribute_not_exists(pk)")]
        writes += [
            transact_put(
                self._table,
                {"pk": f"IDX#{d}", "sk": "#FIRST", "type": "claim", "citizen_id": record.citizen_id, "at": now},
                "attribute_not_exists(pk)",
            )
            for d in dict.fromkeys(first_claims)
        ]
        with translate_errors():
            self._client.transact_write_items(TransactItems=writes)

    def save(self, records: Sequence[CitizenRecord], extra: Sequence[MergeRecord] = ()) -> None:
        """Write records whose `version` was bumped by one, each only if nobody changed it meanwhile."""
        writes = [
            transact_put(self._table, _profile_item(r), "version = :expected", {":expected": r.version - 1})
            for r in records
        ]
        for merge in extra:
            body = merge.model_dump_json()
            for pk, sk in ((f"MRG#{merge.merge_id}", "MERGE"), (_cit(merge.survivor), f"MRG#{merge.merge_id}")):
                writes.append(transact_put(self._table, {"pk": pk, "sk": sk, "type": "merge", "merge": body}))
        with translate_errors():
            if len(writes) == 1:
                self._client.put_item(**writes[0]["Put"])
            else:
                self._client.transact_write_items(TransactItems=writes)

    # -- timeline ---------------------------------------------------------------------------------

    def add_to_timeline(self, citizen_id: str, touchpoint: Touchpoint, link: LinkExplanation) -> None:
        entry = TimelineEntry(
            touchpoint_id=touchpoint.touchpoint_id,
            channel=touchpoint.channel,
            occurred_at=touchpoint.occurred_at,
            case=touchpoint.case,
            details={k: v for k, v in touchpoint.details.items() if v is not None},
        )
        item = timeline_item(citizen_id, entry, link, text_in_touchpoint=True)
        with translate_errors():
            self._client.put_item(TableName=self._table, Item=serialise(item))

    def add_entry(self, citizen_id: str, entry: TimelineEntry, link: LinkExplanation) -> None:
        """One timeline entry (a touchpoint, a journey signal or a notification about the citizen's cases)."""
        with translate_errors():
            self._client.put_item(TableName=self._table, Item=serialise(timeline_item(citizen_id, entry, link)))

    def timeline(self, citizen_ids: Sequence[str], limit: int, cursor: str | None = None) -> TimelinePage:
        """Newest first across the partitions of a survivor and the records merged into it.

        Timeline sort keys are unique across partitions (time + touchpoint id), so the cursor is simply
        the last key returned; each page reads at most `limit + 1` entries per partition.
        """
        upper = _decode_cursor(cursor) if cursor else TIMELINE + "\uffff"
        candidates: list[tuple[str, dict[str, Any]]] = []
        for citizen_id in dict.fromkeys(citizen_ids):
            with translate_errors():
                response = self._client.query(
                    TableName=self._table,
                    KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
                    ExpressionAttributeValues=serialise({":pk": _cit(citizen_id), ":lo": TIMELINE, ":hi": upper}),
                    ScanIndexForward=False,
                    Limit=limit + 1,
                )
            candidates += [
                (citizen_id, deserialise(i)) for i in response.get("Items", []) if deserialise(i)["sk"] != upper
            ]
        candidates.sort(key=lambda pair: pair[1]["sk"], reverse=True)
        taken = candidates[:limit]
        items = [
            TimelineItem(
                citizen_id=owner,
                entry=TimelineEntry.model_validate_json(item["entry"]),
                link=LinkExplanation.model_validate_json(item["link"]),
            )
            for owner, item in taken
        ]
        flagged = [i.entry.touchpoint_id for i, (_, r) in zip(items, taken, strict=True) if r.get("text_in_touchpoint")]
        items = self._with_texts(items, flagged)
        more = len(candidates) > limit
        return TimelinePage(items=items, next_cursor=_encode_cursor(taken[-1][1]["sk"]) if more and taken else None)

    def _with_texts(self, items: list[TimelineItem], touchpoint_ids: list[str]) -> list[TimelineItem]:
        """Fill in the text of touchpoint entries from their raw touchpoints (one BatchGetItem per page); an entry
        whose raw touchpoint is gone (retention, erasure) keeps no text."""
        if not touchpoint_ids:
            return items
        found = DynamoDBTouchpointRepository(self._client, self._table).get_many(touchpoint_ids)
        texts = {touchpoint_id: stored.touchpoint.text for touchpoint_id, stored in found.items()}
        return [
            replace(i, entry=i.entry.model_copy(update={"text": texts.get(i.entry.touchpoint_id)}))
            if i.entry.touchpoint_id in texts
            else i
            for i in items
        ]

    # -- merges -----------------------------------------------------------------------------------

    def merges_of(self, survivor: str) -> list[MergeRecord]:
        items = self._query_partition(_cit(survivor), "MRG#", 100)
        return [MergeRecord.model_validate_json(i["merge"]) for i in items]

    def get_merge(self, merge_id: str) -> MergeRecord | None:
        with translate_errors():
            item = self._client.get_item(TableName=self._table, Key=key(f"MRG#{merge_id}", "MERGE")).get("Item")
        return MergeRecord.model_validate_json(deserialise(item)["merge"]) if item else None

    # -- review tasks -----------------------------------------------------------------------------

    def _review_item(self, task: ReviewTask) -> dict[str, Any]:
        return {
            "pk": f"REV#{task.review_id}",
            "sk": "TASK",
            "type": "review",
            "gsi1pk": f"REVIEW#{task.status}",
            "gsi1sk": f"{task.created_at.isoformat()}#{task.review_id}",
            "task": task.model_dump_json(),
        }

    def put_review(self, task: ReviewTask) -> None:
        with translate_errors():
            self._client.put_item(
                TableName=self._table,
                Item=serialise(self._review_item(task)),
                ConditionExpression="attribute_not_exists(pk)",
            )

    def get_review(self, review_id: str) -> ReviewTask | None:
        with translate_errors():
            item = self._client.get_item(
                TableName=self._table, Key=key(f"REV#{review_id}", "TASK"), ConsistentRead=True
            ).get("Item")
        return ReviewTask.model_validate_json(deserialise(item)["task"]) if item else None

    def open_reviews(self, limit: int, cursor: str | None = None) -> tuple[list[ReviewTask], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": GSI,
            "KeyConditionExpression": "gsi1pk = :s",
            "ExpressionAttributeValues": serialise({":s": "REVIEW#open"}),
            "Limit": limit,
        }
        if cursor:
            request["ExclusiveStartKey"] = _decode_key(cursor)
        with translate_errors():
            response = self._client.query(**request)
        tasks = [ReviewTask.model_validate_json(deserialise(i)["task"]) for i in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return tasks, (_encode_key(last) if last else None)

    def decide_review(self, task: ReviewTask) -> None:
        """Record the decision, once: a second decision on the same task is a conflict."""
        with translate_errors():
            self._client.put_item(
                TableName=self._table,
                Item=serialise(self._review_item(task)),
                ConditionExpression="gsi1pk = :open",
                ExpressionAttributeValues=serialise({":open": "REVIEW#open"}),
            )

    def mark_not_same(self, a: str, b: str) -> None:
        with translate_errors():
            self._client.put_item(
                TableName=self._table, Item=serialise({"pk": _pair(a, b), "sk": "PAIR", "type": "not_same"})
            )

    def not_same(self, a: str, b: str) -> bool:
        with translate_errors():
            return "Item" in self._client.get_item(TableName=self._table, Key=key(_pair(a, b), "PAIR"))


def _encode_cursor(sort_key: str) -> str:
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        sort_key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise ValidationFailedError("cursor is not valid") from error
    if not sort_key.startswith(TIMELINE) or len(sort_key) > 300:
        raise ValidationFailedError("cursor is not valid")
    return sort_key


def _encode_key(last: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(deserialise(last)).encode()).decode().rstrip("=")


def _decode_key(cursor: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(data, dict) or not str(data.get("gsi1pk", "")).startswith("REVIEW#"):
            raise ValueError
        return serialise(data)
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise ValidationFailedError("cursor is not valid") from error
