"""Benchmark suite, money: the price table, the Lambda duration estimate, X-Ray sampling and the breakdown."""

from __future__ import annotations

import math

import pytest

from benchmarks.suite.costs import safe_memory
from benchmarks.suite.money import (
    MILLION,
    SERVICES,
    FunctionUsage,
    TouchpointUsage,
    billed_ms,
    breakdown,
    cheapest_memory,
    lambda_usd,
    load_prices,
    storage_usd_per_month,
    xray_sampled_fraction,
)

pytestmark = pytest.mark.unit

PRICES = load_prices()


def test_price_table_is_dated_and_every_price_names_its_source() -> None:
    # Given the one price file of the suite
    # Then it has a date and a region, and every price a positive value, a unit and an https source
    assert PRICES.as_of and PRICES.region.startswith("us-east-1")
    for key, price in PRICES.prices.items():
        assert price.usd > 0 and price.per > 0, key
        assert price.unit and price.source.startswith("https://"), key


def test_price_table_holds_the_documented_on_demand_list_prices() -> None:
    # Then the us-east-1 list prices the report quotes are the ones in the file
    assert PRICES.each("apigateway_rest_call") * MILLION == pytest.approx(3.50)
    assert PRICES.each("lambda_request") * MILLION == pytest.approx(0.20)
    assert PRICES.each("lambda_arm_gb_second") == pytest.approx(0.0000133334)
    assert PRICES.each("dynamodb_write_request_unit") * MILLION == pytest.approx(0.625)
    assert PRICES.each("dynamodb_read_request_unit") * MILLION == pytest.approx(0.125)
    assert PRICES.each("eventbridge_custom_event") * MILLION == pytest.approx(1.00)


def test_per_country_message_prices_are_marked_as_assumptions() -> None:
    assert PRICES.prices["sms_mexico"].assumption
    assert PRICES.prices["whatsapp_utility_mexico"].assumption
    assert not PRICES.prices["dynamodb_write_request_unit"].assumption


def test_billed_duration_stretches_cpu_to_the_vcpu_share_of_the_memory_size() -> None:
    # Given an invocation that used 10 ms of CPU here and waited 5 ms on AWS
    function = FunctionUsage("f", invocations=1, cpu_ms=10, wait_ms=5)
    # Then at 512 MB (512/1769 of a vCPU) the CPU part takes 1769/512 as long; waiting does not change
    assert billed_ms(function, 512) == math.ceil(5 + 10 * 1769 / 512)
    # and from one vCPU on, a single-threaded handler is no faster
    assert billed_ms(function, 1769) == 15
    assert billed_ms(function, 3008) == 15


def test_lambda_cost_is_requests_plus_gigabyte_seconds() -> None:
    # Given two invocations per touchpoint of 40 ms at 512 MB
    function = FunctionUsage("f", invocations=2, cpu_ms=0, wait_ms=40)
    # Then the cost per touchpoint is two requests plus 2 x 0.04 s x 0.5 GB of arm64 duration
    expected = 2 * (0.20 / MILLION + 0.040 * 0.5 * 0.0000133334)
    assert lambda_usd(function, 512, PRICES) == pytest.approx(expected)


def test_smallest_memory_is_cheapest_when_only_cpu_and_waiting_are_billed() -> None:
    # Given a handler that mostly waits on AWS
    function = FunctionUsage("f", invocations=1, cpu_ms=5, wait_ms=30)
    # Then, by this model, the smallest size costs least (CPU cost is flat below one vCPU, waiting gets dearer)
    size, usd = cheapest_memory(function, PRICES, (128, 256, 512, 1024))
    assert size == 128
    assert usd == pytest.approx(MILLION * lambda_usd(function, 128, PRICES))


@pytest.mark.parametrize(
    ("per_second", "expected"),
    [(0.0, 0.0), (0.5, 1.0), (1.0, 1.0), (21.0, (1 + 0.05 * 20) / 21), (1000.0, (1 + 0.05 * 999) / 1000)],
)
def test_xray_default_rule_records_the_reservoir_then_five_percent(per_second: float, expected: float) -> None:
    assert xray_sampled_fraction(per_second) == pytest.approx(expected)


def _usage(**changes: object) -> TouchpointUsage:
    values: dict[str, object] = {
        "api_calls": 1.0,
        "functions": (FunctionUsage("phone", 1.0, cpu_ms=8, wait_ms=20, log_bytes=700),),
        "read_units": 0.0,
        "write_units": 1.0,
        "events": 1.0,
        "traces": 0.0,
    }
    values.update(changes)
    return TouchpointUsage(**values)  # type: ignore[arg-type]


def test_breakdown_of_the_ingest_floor_by_service() -> None:
    # Given one API call, one invocation, one write unit and one event per touchpoint
    cost = breakdown(_usage(), 512, PRICES)
    # Then a million of them cost the list prices of each, and the services add up to the total
    assert set(cost.services) == set(SERVICES)
    assert cost.services["API Gateway"] == pytest.approx(3.50)
    assert cost.services["DynamoDB"] == pytest.approx(0.625)
    assert cost.services["EventBridge"] == pytest.approx(1.00)
    assert cost.services["Notifications"] == 0
    assert cost.services["Lambda"] == pytest.approx(MILLION * lambda_usd(_usage().functions[0], 512, PRICES))
    logged = 700 + PRICES.assumptions["lambda_platform_log_bytes_per_invocation"]
    assert cost.services["CloudWatch Logs"] == pytest.approx(MILLION * logged * 0.50 / 1e9)
    assert cost.total == pytest.approx(sum(cost.services.values()))
    assert cost.dominant()[0][0] == "API Gateway"


def test_messages_to_citizens_are_priced_per_message() -> None:
    cost = breakdown(_usage(emails=0.5, sms=0.1, whatsapp=0.2), 512, PRICES)
    expected = MILLION * (
        0.5 * 0.10 / 1000 + 0.1 * PRICES.each("sms_mexico") + 0.2 * PRICES.each("whatsapp_utility_mexico")
    )
    assert cost.services["Notifications"] == pytest.approx(expected)


def test_memory_can_be_given_per_function() -> None:
    usage = _usage(functions=(FunctionUsage("a", 1, 10, 10), FunctionUsage("b", 1, 10, 10)))
    cost = breakdown(usage, {"a": 128, "b": 1024}, PRICES)
    assert cost.lambda_by_function["a"] < cost.lambda_by_function["b"]


def test_storage_per_month_for_a_million_touchpoints_kept() -> None:
    # Given 2,000 bytes kept per touchpoint: 2 GB per million, at storage + point-in-time recovery prices
    assert storage_usd_per_month(_usage(stored_bytes=2000), PRICES) == pytest.approx(2 * (0.25 + 0.20))


@pytest.mark.parametrize(("peak_rss_mb", "size"), [(80, 128), (102.4, 128), (103, 256), (250, 384), (5000, 1769)])
def test_safe_memory_holds_the_peak_resident_set_with_a_quarter_to_spare(peak_rss_mb: float, size: int) -> None:
    assert safe_memory(peak_rss_mb) == size
