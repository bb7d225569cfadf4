"""Scale: does a touchpoint cost the same with 1,000, 10,000 or 100,000 citizens known?

For each size a fresh stack is loaded with that many citizens (`citizens.py`, written by the repositories'
own mapping, a quarter of them with an open case: `bulkload.py`), then the same 200-touchpoint probe — the
stream of a small population of its own, with creations, links, reviews and merges, and namesakes among the
loaded — is imported through the real import path (what `ventanilla import` runs) while the local runtime plays
everything downstream. Per probe touchpoint:

- identity resolution (the import: store, resolve, publish): requests and request units from the metered
  emulator (caller `import`), CPU of the importing thread; and the most requests any one line made (the lines go
  one at a time, in order, as one file would);
- case tracking (the `tracker` function, following each CitizenResolved): requests and request units (caller
  `tracker`), CPU of its worker process.

Flat is the target: the same requests at every size and CPU within 1.25x of the smallest size's. The mean
requests move when more probe touchpoints find a namesake (a touchpoint without candidates skips their read); the
most any one touchpoint made shows whether the work per touchpoint is bounded.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.identity import population
from benchmarks.identity.interchange import DEFAULT_SEED
from benchmarks.suite.bulkload import load_population
from benchmarks.suite.citizens import citizens
from benchmarks.suite.figures import Figure, Section, Table, at_most
from benchmarks.suite.stack import Stack, app_id, metered_stack
from benchmarks.suite.stats import ratio
from shared.identity.engine import IdentityEngine
from ventanilla_local import bulk
from ventanilla_local.template import TABLE

SIZES = (1_000, 10_000, 100_000)
PROBE = 200
PROBE_PEOPLE = 75  # the identity benchmark's scale probe population (benchmarks/identity/scale.py)
WARMUP = 30  # touchpoints of another population imported before the probe, outside the window
CPU_GROWTH = 1.25
IMPORT = "import"
TRACKER = "tracker"
DOWNSTREAM = ("identity", "tracker", "journeys", "notifications")


def probe_lines(probe: int = PROBE) -> list[dict[str, Any]]:
    """The same probe at every size: the first touchpoints of the identity benchmark's scale probe stream."""
    generated = population.generate(people=max(PROBE_PEOPLE, probe // 4), seed=DEFAULT_SEED + 1)
    return generated.touchpoints[:probe]


def _import_line_by_line(
    stack: Stack, engine: IdentityEngine, paths: Sequence[Path]
) -> tuple[bulk.ImportReport, float, float, int]:
    """The probe through the import, one line at a time, in order (as one file would go): the report, the importing
    thread's CPU seconds and the wall seconds of the imports alone, and the most requests one line made."""
    report, cpu, wall, most = bulk.ImportReport(), 0.0, 0.0, 0
    counted = stack.emulator.readings().count(IMPORT)
    for path in paths:
        started, started_cpu = time.perf_counter(), time.thread_time()
        line = bulk.import_file(path, engine, progress=False)
        cpu, wall = cpu + time.thread_time() - started_cpu, wall + time.perf_counter() - started
        report.lines += line.lines
        report.outcomes.update(line.outcomes)
        report.errors += line.errors
        now = stack.emulator.readings().count(IMPORT)
        most, counted = max(most, int(now - counted)), now
    report.seconds = wall
    return report, cpu, wall, most


def measure(cdk_out: Path, size: int, probe_paths: Sequence[Path], warmup_path: Path) -> dict[str, Any]:
    with metered_stack(cdk_out, warm=DOWNSTREAM) as stack:
        with app_id(IMPORT):
            engine = bulk.engine_for(bulk.local_target(stack.runtime.state_dir))
        started = time.perf_counter()
        table = stack.runtime.resource_name(TABLE)
        items = load_population(stack.emulator, stack.runtime.state_dir, citizens(size), table)
        load_seconds = time.perf_counter() - started
        bulk.import_file(warmup_path, engine, progress=False)  # clients, caches, each function's set-up
        stack.runtime.wait_idle(timeout=300)
        before = stack.snapshot()
        report, cpu, wall, most = _import_line_by_line(stack, engine, probe_paths)
        stack.runtime.wait_idle(timeout=600)
        window = stack.snapshot().window(before)
    n = max(report.imported, 1)
    readings = window.requests

    def per_tp(caller: str, cpu_seconds: float) -> dict[str, Any]:
        return {
            "requests": round(readings.count(caller) / n, 3),
            "read_units": round(readings.unit(caller, "read_units") / n, 3),
            "write_units": round(
                (readings.unit(caller, "write_units") + readings.unit(caller, "index_write_units")) / n, 3
            ),
            "cpu_ms": round(1000 * cpu_seconds / n, 2),
            "operations": {k: round(v / n, 3) for k, v in readings.operations(caller).items()},
        }

    return {
        "citizens": size,
        "items_loaded": items,
        "load_seconds": round(load_seconds, 1),
        "probe_touchpoints": report.imported,
        "probe_errors": len(report.errors),
        "outcomes": dict(report.outcomes),
        "import_touchpoints_per_second": round(report.imported / wall, 1) if wall else None,
        "identity": {**per_tp(IMPORT, cpu), "most_requests": most},
        "tracker": per_tp(TRACKER, window.cpu_seconds.get(TRACKER, 0.0)),
    }


def _write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def run(cdk_out: Path, sizes: Sequence[int] = SIZES, probe: int = PROBE) -> Section:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as work:
        probe_paths = [_write(Path(work) / f"probe-{n:04d}.jsonl", [line]) for n, line in enumerate(probe_lines(probe))]
        warmup = population.generate(people=population.MIN_PEOPLE, seed=DEFAULT_SEED + 3).touchpoints[:WARMUP]
        warmup_path = _write(Path(work) / "warmup.jsonl", warmup)
        for size in sizes:
            started = time.perf_counter()
            row = measure(cdk_out, size, probe_paths, warmup_path)
            rows.append(row)
            print(
                f"  scale {size:>7,} citizens: identity {row['identity']['requests']} req/tp "
                f"{row['identity']['cpu_ms']} ms CPU/tp; tracker {row['tracker']['requests']} req/tp "
                f"{row['tracker']['cpu_ms']} ms CPU/tp (loaded {row['items_loaded']:,} items in "
                f"{row['load_seconds']} s; {time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    return _section(rows)


def _section(rows: list[dict[str, Any]]) -> Section:
    section = Section("scale")
    first = rows[0]
    for row in rows[1:]:
        for part, label in (("identity", "identity resolution"), ("tracker", "case tracking")):
            now, then = row[part], first[part]
            size = f"{row['citizens']:,}"
            section.figures += [
                Figure(
                    f"{label}: requests per touchpoint at {size}",
                    now["requests"],
                    "requests",
                    then["requests"],
                    f"at {first['citizens']:,} citizens",
                    "identical",
                    abs(now["requests"] - then["requests"]) < 0.005,
                ),
            ]
            if part == "identity":
                section.figures.append(
                    Figure(
                        f"{label}: most requests one touchpoint made at {size}",
                        now["most_requests"],
                        "requests",
                        then["most_requests"],
                        f"at {first['citizens']:,} citizens",
                        "identical",
                        now["most_requests"] == then["most_requests"],
                    )
                )
            section.figures += [
                Figure(
                    f"{label}: read units per touchpoint at {size}",
                    now["read_units"],
                    "RRU",
                    then["read_units"],
                    f"at {first['citizens']:,}",
                ),
                Figure(
                    f"{label}: write units per touchpoint at {size}",
                    now["write_units"],
                    "WRU",
                    then["write_units"],
                    f"at {first['citizens']:,}",
                ),
                Figure(
                    f"{label}: CPU per touchpoint at {size}",
                    now["cpu_ms"],
                    "ms",
                    then["cpu_ms"],
                    f"at {first['citizens']:,}",
                    f"≤ {CPU_GROWTH:g}x baseline",
                    at_most(ratio(now["cpu_ms"], then["cpu_ms"]), CPU_GROWTH),
                ),
            ]
    section.tables.append(
        Table(
            "Per probe touchpoint at each size",
            (
                "citizens",
                "items loaded",
                "identity req",
                "identity most req (one tp)",
                "identity RRU",
                "identity WRU",
                "identity CPU ms",
                "tracker req",
                "tracker RRU",
                "tracker WRU",
                "tracker CPU ms",
                "import tp/s",
            ),
            tuple(
                (
                    f"{r['citizens']:,}",
                    f"{r['items_loaded']:,}",
                    r["identity"]["requests"],
                    r["identity"]["most_requests"],
                    r["identity"]["read_units"],
                    r["identity"]["write_units"],
                    r["identity"]["cpu_ms"],
                    r["tracker"]["requests"],
                    r["tracker"]["read_units"],
                    r["tracker"]["write_units"],
                    r["tracker"]["cpu_ms"],
                    r["import_touchpoints_per_second"],
                )
                for r in rows
            ),
        )
    )
    section.details = {"rows": rows}
    last = rows[-1]
    for part in ("identity", "tracker"):
        changed = {
            op: (first[part]["operations"].get(op, 0), last[part]["operations"].get(op, 0))
            for op in set(first[part]["operations"]) | set(last[part]["operations"])
            if first[part]["operations"].get(op, 0) != last[part]["operations"].get(op, 0)
        }
        if changed:
            diff = ", ".join(f"{op} {a} → {b}" for op, (a, b) in sorted(changed.items()))
            section.notes.append(
                f"{part}: operations per touchpoint that differ, {first['citizens']:,} → {last['citizens']:,}: {diff}"
            )
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(first["outcomes"].items()))
    section.notes[:0] = [
        f"Probe: {first['probe_touchpoints']} touchpoints ({outcomes}); known citizens loaded straight into the "
        "emulator's store (the repositories' own items), a quarter with an open case.",
        "Identity requests include the touchpoint's own write and its events (what the import does per line).",
    ]
    return section
