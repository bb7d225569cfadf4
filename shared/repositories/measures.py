"""Journey aggregates: `MET#<day>` / `G#<combination>`, one item per day and combination of groups (its channel,
procedure, region and language), counters added atomically (UpdateItem ADD): one write per measured fact."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.journeys.measures import COUNTERS, Fact, GroupFigures, combination_key, combination_of, summed
from shared.repositories.dynamodb import key, query_all, serialise, translate_errors

MAX_DAYS = 92
COMBINATION = "G#"


class DynamoDBMeasureRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def add(self, fact: Fact) -> None:
        adds = {name: value for name, value in fact.adds.items() if name in COUNTERS and value}
        if not adds:
            return
        combination = combination_of(fact)
        names = {f"#{n}": n for n in adds} | {"#groups": "groups"}
        expression = "SET #groups = :groups ADD " + ", ".join(f"#{n} :{n}" for n in adds)
        values = serialise({f":{n}": v for n, v in adds.items()} | {":groups": combination})
        with translate_errors():
            self._client.update_item(
                TableName=self._table,
                Key=key(f"MET#{fact.day.isoformat()}", COMBINATION + combination_key(combination)),
                UpdateExpression=expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )

    def figures(self, start: date, end: date, by: str) -> dict[str, GroupFigures]:
        """Summed counters per group of dimension `by` (or `all`) over [start, end]: one Query per day."""
        groups: dict[str, GroupFigures] = {}
        for day_groups in self.daily(start, end, by).values():
            for name, figures in day_groups.items():
                groups.setdefault(name, GroupFigures(name)).add(figures.counters)
        return groups

    def daily(self, start: date, end: date, by: str) -> dict[date, dict[str, GroupFigures]]:
        """Counters per day and group of dimension `by` over [start, end] (days without data are left out)."""
        if (end - start).days >= MAX_DAYS or end < start:
            raise ValueError(f"the period must be 1 to {MAX_DAYS} days")
        days: dict[date, dict[str, GroupFigures]] = {}
        day = start
        while day <= end:
            items = query_all(
                self._client,
                {
                    "TableName": self._table,
                    "KeyConditionExpression": "pk = :pk AND begins_with(sk, :g)",
                    "ExpressionAttributeValues": serialise({":pk": f"MET#{day.isoformat()}", ":g": COMBINATION}),
                },
            )
            groups = summed(
                ((item.get("groups", {}), {n: float(item[n]) for n in COUNTERS if n in item}) for item in items), by
            )
            if groups:
                days[day] = groups
            day += timedelta(days=1)
        return days
