"""Journey aggregates: a fact is one combination of groups, summed per dimension when read."""

from __future__ import annotations

from datetime import date

import pytest

from shared.journeys.measures import Fact, combination_key, combination_of, summed

pytestmark = pytest.mark.unit

DAY = date(2026, 3, 2)


def test_a_fact_is_counted_under_the_dimensions_it_has_only() -> None:
    fact = Fact(DAY, {"channel": "phone", "procedure": "licencia", "region": "", "language": "es"}, {"contacts": 1})
    assert combination_of(fact) == {"channel": "phone", "procedure": "licencia", "language": "es"}


def test_combination_keys_keep_values_apart_whatever_they_hold() -> None:
    first = combination_key({"channel": "a#b", "procedure": "c"})
    second = combination_key({"channel": "a", "procedure": "b#c"})
    third = combination_key({"channel": "a|b", "procedure": "c"})
    assert len({first, second, third}) == 3
    assert combination_key({"procedure": "c", "channel": "a#b"}) == first  # the order of the mapping is irrelevant


def test_a_day_is_summed_by_the_dimension_asked_for() -> None:
    day = [
        ({"channel": "phone", "procedure": "licencia", "region": "MX-JAL"}, {"contacts": 2, "repeat_contacts": 1}),
        ({"channel": "phone", "procedure": "pasaporte"}, {"contacts": 1}),
        ({"channel": "office", "procedure": "licencia", "region": "MX-JAL"}, {"contacts": 4}),
    ]
    by_channel = summed(day, "channel")
    assert {g: f.counters for g, f in by_channel.items()} == {
        "phone": {"contacts": 3.0, "repeat_contacts": 1.0},
        "office": {"contacts": 4.0},
    }
    assert {g: f.counters["contacts"] for g, f in summed(day, "procedure").items()} == {"licencia": 6, "pasaporte": 1}
    # a combination without a region is not counted under any region, but is under `all`
    assert {g: f.counters["contacts"] for g, f in summed(day, "region").items()} == {"MX-JAL": 6}
    assert summed(day, "all")["all"].counters == {"contacts": 7.0, "repeat_contacts": 1.0}
    assert summed(day, "language") == {}
