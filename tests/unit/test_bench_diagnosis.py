"""The benchmark's own arithmetic: DynamoDB capacity sizing and the missed-link diagnosis."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from benchmarks.identity.capacity import CapacityMeter, item_size
from benchmarks.identity.diagnosis import missed_link_reasons

pytestmark = pytest.mark.unit


def test_item_size_follows_dynamodb_rules() -> None:
    assert item_size({"pk": {"S": "a" * 10}}) == 2 + 10
    assert item_size({"n": {"N": "12345"}}) == 1 + (1 + 3)
    assert item_size({"ok": {"BOOL": True}, "m": {"M": {"k": {"S": "v"}}}}) == (2 + 1) + (1 + 3 + 1 + 1)
    assert item_size({"name": {"S": "José"}}) == 4 + 5  # UTF-8 bytes, not characters


def test_capacity_meter_counts_units_not_calls() -> None:
    meter = CapacityMeter()
    big = {"pk": {"S": "x"}, "body": {"S": "y" * 1500}}
    meter._request(params={"Item": big}, model=SimpleNamespace(name="PutItem"))
    meter._request(
        params={"TransactItems": [{"Put": {"Item": {"pk": {"S": "a"}}}}, {"Put": {"Item": {"pk": {"S": "b"}}}}]},
        model=SimpleNamespace(name="TransactWriteItems"),
    )
    items = [{"pk": {"S": "z" * 3000}}, {"pk": {"S": "z" * 3000}}]
    meter._response(parsed={"Items": items}, model=SimpleNamespace(name="Query"))
    meter._response(parsed={"Responses": {"t": items}}, model=SimpleNamespace(name="BatchGetItem"))
    assert meter.units["write"] == 2 + 2 * 2  # 1.5 KB is two units; a transaction doubles each item
    assert meter.units["read"] == 2 + 2  # a query sums its items (6 KB: 2 units); a batch get rounds each


def test_missed_links_are_explained_by_the_rule_that_kept_them_apart() -> None:
    def line(tid: str, **citizen: str) -> dict:
        return {"touchpoint_id": tid, "citizen": citizen}

    person = {"family_name": "Luna Vega", "birth_date": "1970-01-01", "phone": "5520001000"}
    lines = [
        line("a1", given_name="Rosa", **person),
        line("a2", given_name="Rosa", **person),
        line("a3", given_name="Ana", **person),  # truth says Rosa too: the given-name veto kept it apart
        line("a4", phone="5520001000"),  # nameless: contact only
    ]
    truth = {"a1": "rosa", "a2": "rosa", "a3": "rosa", "a4": "rosa"}
    links = {"a1": "c1", "a2": "c1", "a3": "c2", "a4": None}
    reasons = missed_link_reasons(lines, truth, links)
    assert reasons == {"veto: different given names": 1, "contact only": 1}
