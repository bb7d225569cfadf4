"""Cases that need an operator: the stalls and SLA breaches the journey monitor raised, by day.

`ATTN#<day>` / `<at UTC>#<reference>#<kind>`: the console's "act on these" list reads the last days' partitions
newest first (a few keyed Queries, never a Scan); each case's current state is read when the list is shown.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.models.events import CaseStalled, SlaBreached
from shared.repositories.dynamodb import deserialise, serialise, translate_errors

DAYS = 14


class DynamoDBAttentionRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def add(self, signal: CaseStalled | SlaBreached) -> None:
        at = signal.at.astimezone(UTC)
        item = {
            "pk": f"ATTN#{at.date().isoformat()}",
            "sk": f"{at.isoformat()}#{signal.reference}#{signal.detail_type()}",
            "type": "attention",
            "reference": signal.reference,
            "procedure": signal.procedure,
            "citizen_id": signal.citizen_id,
            "kind": signal.detail_type(),
            "step": signal.step,
            "at": at.isoformat(),
        }
        with translate_errors():
            self._client.put_item(TableName=self._table, Item=serialise({k: v for k, v in item.items() if v}))

    def recent(self, today: date, limit: int, days: int = DAYS) -> list[dict[str, Any]]:
        """The newest signals of the last `days` days (today included), at most `limit`."""
        found: list[dict[str, Any]] = []
        for back in range(days):
            day = today - timedelta(days=back)
            with translate_errors():
                response = self._client.query(
                    TableName=self._table,
                    KeyConditionExpression="pk = :pk",
                    ExpressionAttributeValues=serialise({":pk": f"ATTN#{day.isoformat()}"}),
                    ScanIndexForward=False,
                    Limit=limit - len(found),
                )
            found += [deserialise(i) for i in response.get("Items", [])]
            if len(found) >= limit:
                break
        return [
            {k: item.get(k) for k in ("reference", "procedure", "citizen_id", "kind", "step", "at")} for item in found
        ]


def today_utc() -> date:
    return datetime.now(UTC).date()
