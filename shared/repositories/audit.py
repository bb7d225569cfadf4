"""The access log of citizen records: who looked at which citizen, when, through which route.

`AUDIT#<day>` / `<at UTC>#<entry id>` per view, written before the record is returned (no view goes unlogged),
and read back by day for auditors (`GET /v1/audit?day=`). Entries name the citizen by id only. gsi1
`AUDITOF#<citizen>` / `<at UTC>#<entry id>` reads one citizen's entries back (their export). Exports,
rectifications and erasures are entries too, with the operator's reason as `note`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel

from shared.auth import Caller
from shared.repositories.dynamodb import deserialise, query_all, serialise, translate_errors


class AuditEntry(BaseModel):
    at: datetime
    actor: str
    role: str
    client: str | None = None
    citizen_id: str
    action: str
    route: str
    note: str | None = None


class DynamoDBAuditRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def viewed(self, caller: Caller | None, citizen_ids: list[str], action: str, route: str) -> None:
        """One entry per citizen viewed (a search result list counts as a view of each)."""
        at = datetime.now(UTC)
        for citizen_id in dict.fromkeys(citizen_ids):
            self.record(caller, citizen_id, action, route, at=at)

    def record(
        self,
        caller: Caller | None,
        citizen_id: str,
        action: str,
        route: str,
        *,
        note: str | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        at = at or datetime.now(UTC)
        entry = AuditEntry(
            at=at,
            actor=caller.actor if caller else "unknown",
            role=caller.role if caller else "none",
            client=caller.client if caller else None,
            citizen_id=citizen_id,
            action=action,
            route=route,
            note=note,
        )
        sort_key = f"{at.isoformat()}#{uuid.uuid4().hex}"
        item = {
            "pk": f"AUDIT#{at.date().isoformat()}",
            "sk": sort_key,
            "type": "audit",
            "gsi1pk": f"AUDITOF#{citizen_id}",
            "gsi1sk": sort_key,
            "entry": entry.model_dump_json(exclude_none=True),
        }
        with translate_errors():
            self._client.put_item(TableName=self._table, Item=serialise(item))
        return entry

    def of_citizen(self, citizen_id: str) -> list[AuditEntry]:
        """Every entry about one citizen, oldest first (paged through)."""
        request = {
            "TableName": self._table,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": serialise({":pk": f"AUDITOF#{citizen_id}"}),
        }
        return [AuditEntry.model_validate_json(i["entry"]) for i in query_all(self._client, request)]

    def day(self, day: date, limit: int) -> list[AuditEntry]:
        """A day's entries, newest first."""
        with translate_errors():
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=serialise({":pk": f"AUDIT#{day.isoformat()}"}),
                ScanIndexForward=False,
                Limit=limit,
            )
        return [AuditEntry.model_validate_json(deserialise(i)["entry"]) for i in response.get("Items", [])]
