"""Citizen records, their identifier claims and their cross-channel timeline: port and DynamoDB adapter."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from shared.exceptions import ConflictError
from shared.models.citizen import Citizen, Identifier, TimelineEntry
from shared.models.touchpoint import Address, Touchpoint
from shared.repositories.dynamodb import (
    decode_cursor,
    deserialise,
    encode_cursor,
    key,
    serialise,
    translate_errors,
)

PROFILE = "PROFILE"
CLAIM = "CITIZEN"
TIMELINE_PREFIX = "TL#"


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str | None


@dataclass(frozen=True)
class ProfileFacts:
    """Descriptive facts a touchpoint adds to a profile (only fills what is still unknown)."""

    given_name: str | None = None
    family_name: str | None = None
    birth_date: date | None = None
    address: Address | None = None


class CitizenRepository(Protocol):
    def owners(self, identifiers: Sequence[Identifier]) -> dict[Identifier, str]:
        """Which citizen holds each identifier (identifiers nobody holds are absent)."""
        ...

    def create(self, identifiers: Sequence[Identifier], facts: ProfileFacts) -> Citizen:
        """A new citizen holding all identifiers, atomically. ConflictError if one was claimed meanwhile."""
        ...

    def claim(self, citizen_id: str, identifier: Identifier) -> bool:
        """Add one identifier to a citizen; False when another citizen holds it already."""
        ...

    def complete_profile(self, citizen_id: str, facts: ProfileFacts) -> None: ...

    def get(self, citizen_id: str) -> Citizen | None: ...

    def add_to_timeline(self, citizen_id: str, touchpoint: Touchpoint) -> None: ...

    def timeline(self, citizen_id: str, limit: int, cursor: str | None = None) -> TimelinePage: ...


def _citizen_pk(citizen_id: str) -> str:
    return f"CIT#{citizen_id}"


def _claim_pk(identifier: Identifier) -> str:
    return f"IDN#{identifier.key}"


def new_citizen_id() -> str:
    return f"cit-{uuid.uuid4().hex}"


class DynamoDBCitizenRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def owners(self, identifiers: Sequence[Identifier]) -> dict[Identifier, str]:
        by_pk = {_claim_pk(i): i for i in identifiers}
        if not by_pk:
            return {}
        found: dict[Identifier, str] = {}
        request: dict[str, Any] = {self._table: {"Keys": [key(pk, CLAIM) for pk in by_pk], "ConsistentRead": True}}
        while request:
            with translate_errors():
                response = self._client.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(self._table, []):
                item = deserialise(raw)
                found[by_pk[item["pk"]]] = item["citizen_id"]
            request = response.get("UnprocessedKeys") or {}
        return found

    def create(self, identifiers: Sequence[Identifier], facts: ProfileFacts) -> Citizen:
        now = datetime.now(UTC)
        citizen = Citizen(
            citizen_id=new_citizen_id(),
            created_at=now,
            updated_at=now,
            given_name=facts.given_name,
            family_name=facts.family_name,
            birth_date=facts.birth_date,
            address=facts.address,
            identifiers=tuple(identifiers),
        )
        profile = {
            "pk": _citizen_pk(citizen.citizen_id),
            "sk": PROFILE,
            "type": "citizen",
            "created_at": now.isoformat(),
            "updated_at": now.isoformat(),
            "given_name": facts.given_name,
            "family_name": facts.family_name,
            "birth_date": facts.birth_date.isoformat() if facts.birth_date else None,
            "address": facts.address.model_dump_json(exclude_none=True) if facts.address else None,
            "identifiers": {i.key for i in identifiers},
        }
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": serialise(profile),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        writes += [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": serialise(self._claim_item(citizen.citizen_id, identifier, now)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for identifier in identifiers
        ]
        with translate_errors():
            self._client.transact_write_items(TransactItems=writes)
        return citizen

    def claim(self, citizen_id: str, identifier: Identifier) -> bool:
        now = datetime.now(UTC)
        try:
            with translate_errors():
                self._client.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": serialise(self._claim_item(citizen_id, identifier, now)),
                                "ConditionExpression": "attribute_not_exists(pk) OR citizen_id = :c",
                                "ExpressionAttributeValues": serialise({":c": citizen_id}),
                            }
                        },
                        {
                            "Update": {
                                "TableName": self._table,
                                "Key": key(_citizen_pk(citizen_id), PROFILE),
                                "UpdateExpression": "ADD identifiers :i SET updated_at = :now",
                                "ConditionExpression": "attribute_exists(pk)",
                                "ExpressionAttributeValues": {
                                    ":i": {"SS": [identifier.key]},
                                    ":now": {"S": now.isoformat()},
                                },
                            }
                        },
                    ]
                )
        except ConflictError:
            return False
        return True

    def complete_profile(self, citizen_id: str, facts: ProfileFacts) -> None:
        values = {
            "given_name": facts.given_name,
            "family_name": facts.family_name,
            "birth_date": facts.birth_date.isoformat() if facts.birth_date else None,
            "address": facts.address.model_dump_json(exclude_none=True) if facts.address else None,
        }
        present = {name: value for name, value in values.items() if value}
        if not present:
            return
        assignments = ", ".join(f"{name} = if_not_exists({name}, :{name})" for name in present)
        with translate_errors():
            self._client.update_item(
                TableName=self._table,
                Key=key(_citizen_pk(citizen_id), PROFILE),
                UpdateExpression=f"SET {assignments}",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=serialise({f":{name}": value for name, value in present.items()}),
            )

    def get(self, citizen_id: str) -> Citizen | None:
        with translate_errors():
            response = self._client.get_item(TableName=self._table, Key=key(_citizen_pk(citizen_id), PROFILE))
        raw = response.get("Item")
        if not raw:
            return None
        item = deserialise(raw)
        identifiers = []
        for claim_key in sorted(item.get("identifiers") or ()):
            kind, _, value = claim_key.partition("#")
            identifiers.append(Identifier.model_validate({"kind": kind, "value": value}))
        return Citizen(
            citizen_id=citizen_id,
            created_at=datetime.fromisoformat(item["created_at"]),
            updated_at=datetime.fromisoformat(item["updated_at"]),
            given_name=item.get("given_name"),
            family_name=item.get("family_name"),
            birth_date=date.fromisoformat(item["birth_date"]) if item.get("birth_date") else None,
            address=Address.model_validate_json(item["address"]) if item.get("address") else None,
            identifiers=tuple(identifiers),
        )

    def add_to_timeline(self, citizen_id: str, touchpoint: Touchpoint) -> None:
        entry = TimelineEntry(
            touchpoint_id=touchpoint.touchpoint_id,
            channel=touchpoint.channel,
            occurred_at=touchpoint.occurred_at,
            text=touchpoint.text,
            case=touchpoint.case,
            details={k: v for k, v in touchpoint.details.items() if v is not None},
        )
        occurred = touchpoint.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        item = {
            "pk": _citizen_pk(citizen_id),
            "sk": f"{TIMELINE_PREFIX}{occurred}#{touchpoint.touchpoint_id}",
            "type": "timeline",
            "entry": entry.model_dump_json(exclude_none=True),
        }
        with translate_errors():  # same key on a replay: an idempotent overwrite
            self._client.put_item(TableName=self._table, Item=serialise(item))

    def timeline(self, citizen_id: str, limit: int, cursor: str | None = None) -> TimelinePage:
        pk = _citizen_pk(citizen_id)
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": serialise({":pk": pk, ":prefix": TIMELINE_PREFIX}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = decode_cursor(cursor, expected_pk=pk)
        if start:
            request["ExclusiveStartKey"] = start
        with translate_errors():
            response = self._client.query(**request)
        entries = [
            TimelineEntry.model_validate(json.loads(deserialise(raw)["entry"])) for raw in response.get("Items", [])
        ]
        return TimelinePage(entries=entries, next_cursor=encode_cursor(response.get("LastEvaluatedKey")))

    @staticmethod
    def _claim_item(citizen_id: str, identifier: Identifier, now: datetime) -> dict[str, Any]:
        return {
            "pk": _claim_pk(identifier),
            "sk": CLAIM,
            "type": "identifier",
            "citizen_id": citizen_id,
            "kind": identifier.kind.value,
            "claimed_at": now.isoformat(),
        }
