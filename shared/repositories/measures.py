"""Journey aggregates: `MET#<day>` / `<dimension>#<value>`, counters added atomically (UpdateItem ADD)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.journeys.measures import COUNTERS, Fact, GroupFigures, items_of
from shared.repositories.dynamodb import deserialise, key, serialise, translate_errors

MAX_DAYS = 92


class DynamoDBMeasureRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def add(self, fact: Fact) -> None:
        adds = {name: value for name, value in fact.adds.items() if name in COUNTERS and value}
        if not adds:
            return
        names = {f"#{n}": n for n in adds}
        expression = "ADD " + ", ".join(f"#{n} :{n}" for n in adds)
        values = serialise({f":{n}": v for n, v in adds.items()})
        for day, group, _ in items_of(fact):
            with translate_errors():
                self._client.update_item(
                    TableName=self._table,
                    Key=key(f"MET#{day}", group),
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
            with translate_errors():
                response = self._client.query(
                    TableName=self._table,
                    KeyConditionExpression="pk = :pk AND begins_with(sk, :by)",
                    ExpressionAttributeValues=serialise({":pk": f"MET#{day.isoformat()}", ":by": f"{by}#"}),
                )
            for item in map(deserialise, response.get("Items", [])):
                value = item["sk"].split("#", 1)[1]
                figures = days.setdefault(day, {}).setdefault(value, GroupFigures(value))
                figures.add({n: float(item[n]) for n in COUNTERS if n in item})
            day += timedelta(days=1)
        return days
