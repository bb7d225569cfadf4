"""Benchmark suite, metering: who sent a request, DynamoDB's request-unit rules, and the small pure helpers."""

from __future__ import annotations

import pytest

from benchmarks.suite import meter
from benchmarks.suite.citizens import citizens
from benchmarks.suite.coldstart import heaviest_imports
from benchmarks.suite.stats import median, percentile, ratio
from shared.models.touchpoint import Touchpoint

pytestmark = pytest.mark.unit

UA = "Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux lang/python#3.11.7 exec-env/AWS_Lambda_python_local"
AUTH = "AWS4-HMAC-SHA256 Credential=local/20261129/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=x"
INDEXES = [meter.IndexKey("gsi1", "gsi1pk", "gsi1sk")]


def _item(size: int, **extra: str) -> meter.Item:
    """An item of exactly `size` bytes (names plus values) with `extra` string attributes."""
    item: meter.Item = {"pk": {"S": "p"}, "sk": {"S": "s"}, **{k: {"S": v} for k, v in extra.items()}}
    used = sum(len(k) + len(v["S"]) for k, v in item.items())
    item["d"] = {"S": "x" * (size - used - 1)}
    return item


def test_the_app_id_in_the_user_agent_names_the_caller() -> None:
    assert meter.caller_of(f"{UA} app/tracker") == "tracker"
    assert meter.caller_of(UA) == meter.HARNESS
    assert meter.caller_of("") == meter.HARNESS


def test_service_from_the_signature_and_operation_from_target_action_or_path() -> None:
    dynamodb = meter.call_of(
        f"{UA} app/identity", AUTH.format(service="dynamodb"), "DynamoDB_20120810.Query", None, "POST", "/"
    )
    assert dynamodb == meter.Call("identity", "dynamodb", "Query")
    sns = meter.call_of(UA, AUTH.format(service="sns"), "", "Publish", "POST", "/")
    assert sns == meter.Call(meter.HARNESS, "sns", "Publish")
    rest = meter.call_of(UA, AUTH.format(service="lambda"), "", None, "GET", "/2015-03-31/functions")
    assert rest.operation == "GET /2015-03-31/functions"


def test_read_units_round_up_per_4_kb_by_consistency() -> None:
    assert meter.read_units(0) == 1  # a missing item still costs the minimum
    assert meter.read_units(4096) == 1
    assert meter.read_units(4097) == 2
    assert meter.read_units(4097, "eventual") == 1
    assert meter.read_units(100, "transactional") == 2


def test_write_units_take_the_larger_of_before_and_after_per_1_kb() -> None:
    assert meter.write_units(0, 100) == 1
    assert meter.write_units(1500, 500) == 2
    assert meter.write_units(0, 2049) == 3
    assert meter.write_units(0, 100, transactional=True) == 2


def test_an_item_entering_an_index_costs_one_index_write() -> None:
    before, after = _item(300), _item(300, gsi1pk="REVIEW#open", gsi1sk="1")
    assert meter.index_write_units(before, after, INDEXES) == 1
    assert meter.index_write_units(None, None, INDEXES) == 0
    assert meter.index_write_units(_item(300), _item(400), INDEXES) == 0  # not in the index


def test_an_index_key_change_costs_a_delete_and_a_put() -> None:
    before = _item(2000, gsi1pk="REVIEW#open", gsi1sk="1")
    after = _item(500, gsi1pk="REVIEW#done", gsi1sk="1")
    assert meter.index_write_units(before, after, INDEXES) == 2 + 1
    same_key = _item(500, gsi1pk="REVIEW#open", gsi1sk="1")
    assert meter.index_write_units(before, same_key, INDEXES) == 2  # an update: the larger of the two


def test_get_item_reads_are_sized_from_the_item_returned() -> None:
    request = {"ConsistentRead": True}
    assert meter.read_units_of("GetItem", request, {"Item": _item(5000)}) == 2
    assert meter.read_units_of("GetItem", request, {}) == 1
    assert meter.read_units_of("GetItem", {}, {}) == 0.5


def test_batch_get_charges_found_items_and_the_minimum_for_missing_keys() -> None:
    request = {"RequestItems": {"t": {"Keys": [{}, {}, {}], "ConsistentRead": True}}}
    response = {"Responses": {"t": [_item(100), _item(5000)]}}
    assert meter.read_units_of("BatchGetItem", request, response) == 1 + 2 + 1


def test_a_query_costs_what_it_read_together_including_what_a_filter_dropped() -> None:
    request = {"ConsistentRead": True}
    assert meter.read_units_of("Query", request, {"Items": [_item(3000), _item(3000)]}) == 2
    assert meter.read_units_of("Query", request, {"Items": []}) == 1
    filtered = {"Items": [_item(3000)], "Count": 1, "ScannedCount": 3}
    assert meter.read_units_of("Query", request, filtered) == 3


def test_percentiles_interpolate_between_ranks() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert median(values) == 2.5
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == pytest.approx(4.8)
    assert ratio(3.0, 2.0) == 1.5
    assert ratio(3.0, 0.0) is None
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_heaviest_imports_come_from_the_outermost_import_of_each_package() -> None:
    trace = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       500 |        800 |     pydantic.fields",
            "import time:      1000 |      30000 |   pydantic",
            "import time:      2000 |     200000 | aws_xray_sdk.core",
            "import time:       100 |     250000 | functions.phone.handler",
        ]
    )
    assert heaviest_imports(trace, top=2) == [("functions", 0.25), ("aws_xray_sdk", 0.2)]


def test_the_fast_population_is_deterministic_valid_and_channel_typical() -> None:
    first, again = list(citizens(300, seed=5)), list(citizens(300, seed=5))
    assert first == again
    touchpoints = [Touchpoint.model_validate(line) for line in first]
    assert {t.channel.value for t in touchpoints} == {
        "phone", "messaging", "office", "web", "email", "chat", "social", "mobile"
    }  # fmt: skip
    calls = [t for t in touchpoints if t.channel.value == "messaging"]
    assert all(t.citizen.phone and not t.citizen.national_id for t in calls)
    visits = [t for t in touchpoints if t.channel.value == "office"]
    assert all(t.citizen.national_id and t.citizen.birth_date for t in visits)
    assert len({t.citizen.national_id for t in visits}) == len(visits)


def test_an_item_is_known_by_its_type_else_by_its_partition_key_prefix() -> None:
    assert meter.item_kind({"pk": {"S": "CASE#TRM-1"}, "sk": {"S": "CASE"}, "type": {"S": "case"}}) == "case"
    assert meter.item_kind({"pk": {"S": "MET#2026-03-01"}, "sk": {"S": 'G#["phone"]'}}) == "MET"
    assert meter.item_kind({"pk": {"S": "SEQ"}}) == "SEQ"
