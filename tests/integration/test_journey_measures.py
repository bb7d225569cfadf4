"""Journey aggregates in the table: one write per measured fact, summed per dimension when read."""

from __future__ import annotations

import math
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from benchmarks.identity.capacity import item_size
from shared.journeys.measures import Fact
from shared.repositories.measures import DynamoDBMeasureRepository

pytestmark = pytest.mark.integration


class CountingClient:
    """The emulator's client, counting the writes and the size of each item written (the emulator reports a flat
    capacity, so DynamoDB's write units are computed from the item, as the benchmark suite does)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.updates = 0
        self.write_units = 0

    def update_item(self, **request: Any) -> Any:
        self.updates += 1
        response = self._client.update_item(**request, ReturnValues="ALL_NEW")
        self.write_units += math.ceil(item_size(response["Attributes"]) / 1024)
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_each_fact_is_one_small_write_and_reads_sum_by_dimension(dynamodb: Any, table_name: str) -> None:
    # Given a day of its own (no other test's facts) and facts from two channels, one without a region
    day = date(1990, 1, 1) + timedelta(days=uuid.uuid4().int % 3000)
    client = CountingClient(dynamodb)
    measures = DynamoDBMeasureRepository(client, table_name)
    phone = {"channel": "phone", "procedure": "licencia", "region": "MX-JAL", "language": "es"}
    facts = [
        Fact(day, phone, {"contacts": 1, "repeat_contacts": 0}),
        Fact(day, phone, {"contacts": 1, "repeat_contacts": 1}),
        Fact(day, {"channel": "office", "procedure": "licencia", "language": "nah"}, {"contacts": 1}),
        Fact(day, {"channel": "phone", "procedure": "licencia", "language": "es"}, {"cases_opened": 1}),
    ]
    # When they are added
    for fact in facts:
        measures.add(fact)
    # Then each was one write of one unit (it used to be one per dimension: five)
    print(f"\n{len(facts)} facts: {client.updates} writes, {client.write_units:g} write units")
    assert client.updates == len(facts)
    assert client.write_units == len(facts)
    # And every dimension reads the same facts back, summed
    by = {dimension: measures.figures(day, day, dimension) for dimension in ("all", "channel", "region", "language")}
    assert by["all"]["all"].counters == {"contacts": 3, "repeat_contacts": 1, "cases_opened": 1}
    assert {g: f.counters for g, f in by["channel"].items()} == {
        "phone": {"contacts": 2, "repeat_contacts": 1, "cases_opened": 1},
        "office": {"contacts": 1},
    }
    assert {g: f.counters for g, f in by["region"].items()} == {"MX-JAL": {"contacts": 2, "repeat_contacts": 1}}
    assert set(by["language"]) == {"es", "nah"}
    assert measures.daily(day + timedelta(days=1), day + timedelta(days=2), "channel") == {}
