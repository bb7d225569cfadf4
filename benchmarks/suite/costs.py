"""The money section: what a million touchpoints cost, by service, beside what the ingest alone costs.

The baseline is the ingest alone, measured in the same window: the API call, the channel function's invocation and
its conditional write, and the announcer's share (its invocations from the table's stream, each publishing a batch of
TouchpointRecorded events) — with their logs and traces. Everything else — identity, cases, journeys,
notifications — is what the platform adds on top. What-ifs are computed from the same measurement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from benchmarks.suite.figures import Figure, Section, Table, at_most
from benchmarks.suite.live import LiveRun, usage_of
from benchmarks.suite.meter import WRITTEN_KIND
from benchmarks.suite.money import (
    MILLION,
    SERVICES,
    Breakdown,
    PriceTable,
    TouchpointUsage,
    billed_ms,
    breakdown,
    lambda_usd,
    storage_usd_per_month,
    xray_sampled_fraction,
)

TARGET_USD = 10.0
MEMORY_SIZES = (128, 256, 384, 512, 768, 1024, 1536, 1769)
RSS_HEADROOM = 1.25


def safe_memory(peak_rss_mb: float, sizes: Sequence[int] = MEMORY_SIZES) -> int:
    """The smallest size that holds the measured peak resident set with 25 % headroom."""
    return next((size for size in sizes if size >= peak_rss_mb * RSS_HEADROOM), sizes[-1])


def _per_million(value: float) -> float:
    return round(value, 3)


def run(live: LiveRun, prices: PriceTable, memory: dict[str, int], channels: set[str], consumed: set[str]) -> Section:
    """`memory`: each function's configured size; `channels`: the ingest functions (the channels and the announcer);
    `consumed`: the detail-types some rule of the template matches."""
    usage = usage_of(live, prices)
    floor = usage_of(live, prices, only=channels)
    cost, floor_cost = breakdown(usage, memory, prices), breakdown(floor, memory, prices)
    section = Section("money")
    section.figures.append(
        Figure(
            "all-in cost per million touchpoints",
            _per_million(cost.total),
            "USD",
            _per_million(floor_cost.total),
            "the ingest alone (API call, channel function, one write; the announcer and one event)",
            f"≤ ${TARGET_USD:g}",
            at_most(cost.total, TARGET_USD),
        )
    )
    platform = replace(usage, sms=0.0, whatsapp=0.0)
    platform_cost = breakdown(platform, memory, prices)
    section.figures.append(
        Figure(
            "cost per million touchpoints without SMS / WhatsApp delivery fees",
            _per_million(platform_cost.total),
            "USD",
            _per_million(floor_cost.total),
            "the ingest alone",
            f"≤ ${TARGET_USD:g}",
            at_most(platform_cost.total, TARGET_USD),
            note="AWS services only (SES email kept): the carriers' and Meta's per-message fees left out",
        )
    )
    for service in SERVICES:
        section.figures.append(
            Figure(
                f"  {service}",
                _per_million(cost.services[service]),
                "USD / M",
                _per_million(floor_cost.services[service]),
                "ingest alone",
            )
        )
    section.figures += _quantities(usage, floor, live)
    rss = live.window.peak_rss_mb
    section.tables += [
        _services_table(cost),
        _dynamodb_table(live, usage, prices),
        _kinds_table(live, usage),
        _events_table(live, usage, consumed),
        _functions_table(usage, memory, rss, prices),
        _what_ifs(usage, memory, rss, prices, cost),
    ]
    section.details = {
        "touchpoints": live.touchpoints,
        "window_seconds": round(live.seconds, 1),
        "prices_as_of": prices.as_of,
        "region": prices.region,
        "usage_per_touchpoint": _usage_dict(usage),
        "operations": {
            f.name: {k: round(v / live.touchpoints, 3) for k, v in live.window.requests.operations(f.name).items()}
            for f in usage.functions
        },
        "storage_usd_per_month_per_million_kept": round(storage_usd_per_month(usage, prices), 2),
    }
    assumed = [k for k, p in prices.prices.items() if p.assumption]
    section.notes = [
        f"{live.touchpoints} touchpoints through the local gateway (the sample's 33 messages x "
        f"{live.touchpoints // 33} passes); prices {prices.region}, {prices.as_of} (benchmarks/suite/prices.json).",
        "Lambda duration is an estimate: CPU measured here x 1769 / memory MB (a vCPU share) + time waiting on the "
        "emulator, per invocation; memory sizes from the template.",
        f"X-Ray: the default sampling rule at {int(prices.assumptions['monthly_touchpoints']):,} touchpoints a month "
        f"records {usage.traces:.0%} of them.",
        f"Per-country prices taken as assumptions: {', '.join(assumed)}.",
        "The table's stream: the announcer's invocations, CPU, logs and PutEvents are counted (ingest alone); the "
        "stream reads Lambda makes for it are not billed by DynamoDB Streams.",
        f"Storage: {usage.stored_bytes:,.0f} bytes per touchpoint stay in the table: "
        f"${storage_usd_per_month(usage, prices):.2f} a month per million touchpoints kept (with PITR).",
    ]
    return section


def _quantities(usage: TouchpointUsage, floor: TouchpointUsage, live: LiveRun) -> list[Figure]:
    readings, n = live.window.requests, max(live.touchpoints, 1)
    callers = [f.name for f in usage.functions]
    channels = [f.name for f in floor.functions]

    def requests(names: list[str], service: str) -> float:
        return round(sum(readings.count(c, service) for c in names) / n, 2)

    def invocation_seconds(u: TouchpointUsage) -> float:
        return sum(f.invocations * (f.cpu_ms + f.wait_ms) for f in u.functions)

    label = "ingest alone"
    return [
        Figure(
            "DynamoDB requests per touchpoint",
            requests(callers, "dynamodb"),
            "requests",
            requests(channels, "dynamodb"),
            label,
        ),
        Figure(
            "DynamoDB read units per touchpoint", round(usage.read_units, 2), "RRU", round(floor.read_units, 2), label
        ),
        Figure(
            "DynamoDB write units per touchpoint (incl. indexes)",
            round(usage.write_units, 2),
            "WRU",
            round(floor.write_units, 2),
            label,
        ),
        Figure("EventBridge events per touchpoint", round(usage.events, 2), "events", round(floor.events, 2), label),
        Figure(
            "Lambda invocations per touchpoint",
            round(usage.invocations, 2),
            "invocations",
            round(floor.invocations, 2),
            label,
        ),
        Figure(
            "Lambda CPU + wait per touchpoint (this machine)",
            round(invocation_seconds(usage), 1),
            "ms",
            round(invocation_seconds(floor), 1),
            label,
        ),
        Figure(
            "messages to citizens per touchpoint",
            round(usage.emails + usage.sms + usage.whatsapp, 3),
            "messages",
            note=f"email {usage.emails:.3f}, SMS {usage.sms:.3f}, WhatsApp {usage.whatsapp:.3f}",
        ),
        Figure(
            "function log output per touchpoint",
            round(sum(f.invocations * f.log_bytes for f in usage.functions)),
            "bytes",
            round(sum(f.invocations * f.log_bytes for f in floor.functions)),
            label,
        ),
    ]


def _services_table(cost: Breakdown) -> Table:
    total = cost.total or 1.0
    rows = tuple((name, round(usd, 3), f"{usd / total:.0%}") for name, usd in cost.dominant())
    return Table("What dominates: USD per million touchpoints by service", ("service", "USD / M", "share"), rows)


def _dynamodb_table(live: LiveRun, usage: TouchpointUsage, prices: PriceTable) -> Table:
    readings, n = live.window.requests, max(live.touchpoints, 1)
    rows = []
    for f in usage.functions:
        reads = readings.unit(f.name, "read_units") / n
        writes = readings.unit(f.name, "write_units") / n
        index = readings.unit(f.name, "index_write_units") / n
        usd = MILLION * (
            reads * prices.each("dynamodb_read_request_unit")
            + (writes + index) * prices.each("dynamodb_write_request_unit")
        )
        rows.append(
            (
                f.name,
                round(readings.count(f.name, "dynamodb") / n, 2),
                round(reads, 2),
                round(writes, 2),
                round(index, 2),
                round(usd, 3),
            )
        )
    rows.sort(key=lambda r: -r[-1])
    return Table(
        "DynamoDB by function, per touchpoint",
        ("function", "requests", "RRU", "WRU (table)", "WRU (indexes)", "USD / M"),
        tuple(rows),
    )


def _kinds_table(live: LiveRun, usage: TouchpointUsage) -> Table:
    """Write units (table and indexes) by function and kind of item written, per touchpoint, largest first."""
    readings, n = live.window.requests, max(live.touchpoints, 1)
    names = {f.name for f in usage.functions}
    rows = []
    for name, value in readings.units.items():
        caller, _, metric = name.partition("|")
        if caller in names and metric.startswith(WRITTEN_KIND):
            rows.append((caller, metric.removeprefix(WRITTEN_KIND), round(value / n, 2)))
    rows.sort(key=lambda r: -r[2])
    return Table("DynamoDB write units by kind of item, per touchpoint", ("function", "item", "WRU"), tuple(rows))


def _events_table(live: LiveRun, usage: TouchpointUsage, consumed: set[str]) -> Table:
    """Events by publisher and detail-type, and whether any rule of the template matches that detail-type."""
    readings, n = live.window.requests, max(live.touchpoints, 1)
    rows = []
    for f in usage.functions:
        for name, value in readings.units.items():
            caller, _, metric = name.partition("|")
            if caller == f.name and metric.startswith("event:"):
                detail_type = metric.removeprefix("event:")
                rows.append((f.name, detail_type, round(value / n, 3), "yes" if detail_type in consumed else "NO"))
    rows.sort(key=lambda r: -r[2])
    return Table(
        "EventBridge events by publisher, per touchpoint (a rule consumes it?)",
        ("function", "detail-type", "events", "rule"),
        tuple(rows),
    )


def _functions_table(
    usage: TouchpointUsage, memory: dict[str, int], rss: dict[str, float], prices: PriceTable
) -> Table:
    vcpu = int(prices.assumptions["lambda_vcpu_at_mb"])
    rows = []
    for f in sorted(usage.functions, key=lambda f: -f.invocations * (f.cpu_ms + f.wait_ms)):
        size = memory.get(f.name, 512)
        safe = safe_memory(rss.get(f.name, 0.0))
        rows.append(
            (
                f.name,
                round(f.invocations, 3),
                round(f.cpu_ms, 1),
                round(f.wait_ms, 1),
                round(rss.get(f.name, 0.0)),
                f"{billed_ms(f, size, vcpu)} ms @ {size}",
                round(MILLION * lambda_usd(f, size, prices), 3),
                f"{billed_ms(f, safe, vcpu)} ms @ {safe}",
                round(MILLION * lambda_usd(f, safe, prices), 3),
            )
        )
    return Table(
        "Lambda by function (estimate): per invocation CPU here and wait on AWS; peak RSS; cost at the configured "
        "size and at the smallest size holding 1.25x the peak RSS",
        (
            "function",
            "invocations / tp",
            "CPU ms",
            "wait ms",
            "peak RSS MB",
            "billed",
            "USD / M",
            "billed (safe size)",
            "USD / M (safe size)",
        ),
        tuple(rows),
    )


def _what_ifs(
    usage: TouchpointUsage, memory: dict[str, int], rss: dict[str, float], prices: PriceTable, cost: Breakdown
) -> Table:
    rows: list[tuple[str, float, str]] = [("as measured", round(cost.total, 3), "")]
    safe = {f.name: safe_memory(rss.get(f.name, 0.0)) for f in usage.functions}
    by_size = breakdown(usage, safe, prices)
    rows.append(("memory per function by measurement (1.25x peak RSS)", round(by_size.total, 3), _sizes(safe)))
    month = 30 * 24 * 3600
    for monthly in (1_000_000, 100_000_000):
        fraction = xray_sampled_fraction(monthly / month)
        changed = breakdown(replace(usage, traces=fraction), memory, prices)
        rows.append(
            (
                f"X-Ray default sampling at {monthly:,} touchpoints a month",
                round(changed.total, 3),
                f"{fraction:.0%} traced",
            )
        )
    no_trace = breakdown(replace(usage, traces=0.0), memory, prices)
    rows.append(("X-Ray sampling rule of 0 % (errors still logged)", round(no_trace.total, 3), ""))
    quiet = replace(usage, functions=tuple(replace(f, log_bytes=f.metric_log_bytes) for f in usage.functions))
    rows.append(
        (
            "function logs at WARN (embedded metrics and platform lines kept)",
            round(breakdown(quiet, memory, prices).total, 3),
            "",
        )
    )
    platform = replace(usage, emails=0.0, sms=0.0, whatsapp=0.0)
    rows.append(
        ("without notification delivery (platform only)", round(breakdown(platform, memory, prices).total, 3), "")
    )
    return Table(
        "What would change it (computed from the same measurement)", ("what if", "USD / M", "detail"), tuple(rows)
    )


def _sizes(sizes: dict[str, int]) -> str:
    grouped: dict[int, list[str]] = {}
    for name, size in sorted(sizes.items()):
        grouped.setdefault(size, []).append(name)
    return "; ".join(f"{size} MB: {', '.join(names)}" for size, names in sorted(grouped.items()))


def _usage_dict(usage: TouchpointUsage) -> dict[str, object]:
    return {
        "api_calls": usage.api_calls,
        "read_units": round(usage.read_units, 3),
        "write_units": round(usage.write_units, 3),
        "events": round(usage.events, 3),
        "emails": round(usage.emails, 4),
        "sms": round(usage.sms, 4),
        "whatsapp": round(usage.whatsapp, 4),
        "stored_bytes": round(usage.stored_bytes),
        "traces": round(usage.traces, 3),
        "functions": {
            f.name: {
                "invocations": round(f.invocations, 3),
                "cpu_ms": round(f.cpu_ms, 2),
                "wait_ms": round(f.wait_ms, 2),
                "log_bytes": round(f.log_bytes),
            }
            for f in usage.functions
        },
    }
