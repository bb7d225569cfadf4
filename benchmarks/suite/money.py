"""Dollars per million touchpoints from what one touchpoint measurably uses (pure: no I/O but the price file).

Lambda duration is an estimate, labelled as such: the CPU a function used per invocation here (one full core)
stretched to the share of a vCPU its memory size buys (one vCPU at 1,769 MB), plus the time it waited on AWS
(the emulator's answer times stand in for DynamoDB's and EventBridge's), billed per 1 ms.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PRICES = Path(__file__).resolve().parent / "prices.json"
MILLION = 1_000_000
SECONDS_PER_MONTH = 30 * 24 * 3600
SERVICES = (
    "API Gateway",
    "Lambda",
    "DynamoDB",
    "EventBridge",
    "Notifications",
    "CloudWatch Logs",
    "X-Ray",
)


@dataclass(frozen=True)
class Price:
    usd: float
    per: float
    unit: str
    source: str
    assumption: bool = False

    @property
    def each(self) -> float:
        return self.usd / self.per


@dataclass(frozen=True)
class PriceTable:
    as_of: str
    region: str
    prices: dict[str, Price]
    assumptions: dict[str, Any]

    def each(self, key: str) -> float:
        return self.prices[key].each


def load_prices(path: Path = PRICES) -> PriceTable:
    raw = json.loads(path.read_text(encoding="utf-8"))
    prices = {key: Price(**{k: v for k, v in value.items()}) for key, value in raw["prices"].items()}
    return PriceTable(raw["as_of"], raw["region"], prices, raw["assumptions"])


@dataclass(frozen=True)
class FunctionUsage:
    """One function's share of a touchpoint: invocations per touchpoint, and per invocation what it used."""

    name: str
    invocations: float
    cpu_ms: float
    wait_ms: float
    log_bytes: float = 0.0
    metric_log_bytes: float = 0.0  # the embedded-metrics part of log_bytes


@dataclass(frozen=True)
class TouchpointUsage:
    """Everything one touchpoint uses, on average."""

    api_calls: float
    functions: tuple[FunctionUsage, ...]
    read_units: float
    write_units: float
    events: float
    emails: float = 0.0
    sms: float = 0.0
    whatsapp: float = 0.0
    stored_bytes: float = 0.0
    traces: float = 1.0

    @property
    def invocations(self) -> float:
        return sum(f.invocations for f in self.functions)


def billed_ms(function: FunctionUsage, memory_mb: int, vcpu_at_mb: int = 1769) -> int:
    """Estimated billed duration of one invocation at `memory_mb` (Lambda bills whole milliseconds)."""
    stretch = max(1.0, vcpu_at_mb / memory_mb)
    return max(1, math.ceil(function.wait_ms + function.cpu_ms * stretch))


def lambda_usd(function: FunctionUsage, memory_mb: int, prices: PriceTable) -> float:
    """Dollars per touchpoint for this function at `memory_mb`: requests plus GB-seconds."""
    vcpu = int(prices.assumptions["lambda_vcpu_at_mb"])
    seconds = billed_ms(function, memory_mb, vcpu) / 1000
    per_invocation = prices.each("lambda_request") + seconds * memory_mb / 1024 * prices.each("lambda_arm_gb_second")
    return function.invocations * per_invocation


def xray_sampled_fraction(per_second: float, reservoir: float = 1.0, fixed_rate: float = 0.05) -> float:
    """Share of requests the default sampling rule records at a steady rate: the reservoir, then a fixed rate."""
    if per_second <= 0:
        return 0.0
    return min(1.0, (min(per_second, reservoir) + fixed_rate * max(0.0, per_second - reservoir)) / per_second)


def traces_per_touchpoint(prices: PriceTable) -> float:
    """One trace per sampled touchpoint (the async functions join the ingest's trace) at the planning volume."""
    rate = float(prices.assumptions["monthly_touchpoints"]) / SECONDS_PER_MONTH
    return xray_sampled_fraction(
        rate, float(prices.assumptions["xray_reservoir_per_second"]), float(prices.assumptions["xray_fixed_rate"])
    )


@dataclass
class Breakdown:
    """Dollars per million touchpoints by service, and the Lambda part by function."""

    services: dict[str, float] = field(default_factory=dict)
    lambda_by_function: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.services.values())

    def dominant(self) -> list[tuple[str, float]]:
        return sorted(self.services.items(), key=lambda kv: kv[1], reverse=True)


def breakdown(usage: TouchpointUsage, memory_mb: int | dict[str, int], prices: PriceTable) -> Breakdown:
    """Dollars per million touchpoints. `memory_mb`: one size for every function, or a size per function."""

    def memory(name: str) -> int:
        return memory_mb if isinstance(memory_mb, int) else memory_mb[name]

    result = Breakdown()
    result.lambda_by_function = {
        f.name: MILLION * lambda_usd(f, memory(f.name), prices) for f in usage.functions if f.invocations
    }
    log_bytes = sum(
        f.invocations * (f.log_bytes + float(prices.assumptions["lambda_platform_log_bytes_per_invocation"]))
        for f in usage.functions
    )
    result.services = {
        "API Gateway": MILLION * usage.api_calls * prices.each("apigateway_rest_call"),
        "Lambda": sum(result.lambda_by_function.values()),
        "DynamoDB": MILLION
        * (
            usage.read_units * prices.each("dynamodb_read_request_unit")
            + usage.write_units * prices.each("dynamodb_write_request_unit")
        ),
        "EventBridge": MILLION * usage.events * prices.each("eventbridge_custom_event"),
        "Notifications": MILLION
        * (
            usage.emails * prices.each("ses_email")
            + usage.sms * prices.each("sms_mexico")
            + usage.whatsapp * prices.each("whatsapp_utility_mexico")
        ),
        "CloudWatch Logs": MILLION * log_bytes * prices.each("cloudwatch_logs_ingestion"),
        "X-Ray": MILLION * usage.traces * prices.each("xray_trace_recorded"),
    }
    return result


def storage_usd_per_month(usage: TouchpointUsage, prices: PriceTable) -> float:
    """Dollars a month for keeping a million touchpoints' items (table + point-in-time recovery)."""
    gigabytes = MILLION * usage.stored_bytes / 1e9
    return gigabytes * (prices.each("dynamodb_storage_gb_month") + prices.each("dynamodb_pitr_gb_month"))


def cheapest_memory(function: FunctionUsage, prices: PriceTable, sizes: Sequence[int]) -> tuple[int, float]:
    """The memory size with the lowest dollars per million touchpoints for this function, and that cost."""
    costs = {size: MILLION * lambda_usd(function, size, prices) for size in sizes}
    best = min(costs, key=lambda size: (costs[size], size))
    return best, costs[best]
