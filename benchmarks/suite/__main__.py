"""`python -m benchmarks.suite` (`make bench`): every section, one report, written to benchmarks/results/.

Needs a synthesized cloud assembly (`npx cdk synth --quiet`, which `make bench` runs first). Sections run in this
order, each timed: cold start and package sizes (no stack), ingest (a quiet stack), end to end and money (one
stack), scale (one stack per size). `--quick` runs every section with fewer samples (a smoke run, not a report).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.suite import coldstart, costs, endtoend, ingest, live, packages, report, scale
from benchmarks.suite.figures import Section
from benchmarks.suite.money import load_prices
from benchmarks.suite.stack import metered_stack
from ventanilla_local.template import DYNAMODB, load, stream_mappings

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
SECTIONS = ("coldstart", "packages", "ingest", "endtoend", "money", "scale")


def _timed(name: str, measure: Callable[[], Section]) -> Section:
    print(f"-> {name} ...", flush=True)
    started = time.perf_counter()
    section = measure()
    section.seconds = time.perf_counter() - started
    print(f"   {name}: {section.seconds:.0f} s", flush=True)
    return section


def run(cdk_out: Path, wanted: Sequence[str], quick: bool) -> list[Section]:
    sections: list[Section] = []
    if "coldstart" in wanted:
        sections.append(_timed("cold start", lambda: coldstart.run(cdk_out, rounds=1 if quick else 3)))
    if "packages" in wanted:
        sections.append(_timed("package size", lambda: packages.run(cdk_out)))
    if "ingest" in wanted:

        def measure_ingest() -> Section:
            with metered_stack(cdk_out, warm=False) as stack:
                stack.stop_deliveries()
                return ingest.run(stack, iterations=50 if quick else 300)

        sections.append(_timed("ingest", measure_ingest))
    if "endtoend" in wanted or "money" in wanted:
        started = time.perf_counter()
        print("-> starting the local stack for end to end and money ...", flush=True)
        with metered_stack(cdk_out) as stack:
            print(f"   started in {time.perf_counter() - started:.0f} s", flush=True)
            if "endtoend" in wanted:
                sections.append(
                    _timed(
                        "end to end",
                        lambda: endtoend.run(stack, count=60 if quick else 150, samples=5 if quick else 30),
                    )
                )
            if "money" in wanted:
                app = stack.runtime.template
                template = app.functions.values()
                memory = {spec.name: spec.memory for spec in template}
                # the ingest: the channel functions, and what announces what they store (the table stream's function)
                channels = {spec.name for spec in template if "CHANNEL" in spec.environment}
                channels |= {app.functions[m.function].name for m in stream_mappings(app) if m.kind == DYNAMODB}
                consumed = {t for rule in stack.runtime.template.rules for t in rule.pattern.get("detail-type", [])}

                def measure_money() -> Section:
                    run = live.post_sample(stack, passes=1 if quick else 3)
                    return costs.run(run, load_prices(), memory, channels, consumed)

                sections.append(_timed("money", measure_money))
    if "scale" in wanted:
        sizes = (300, 3_000) if quick else scale.SIZES
        sections.append(_timed("scale", lambda: scale.run(cdk_out, sizes, probe=60 if quick else scale.PROBE)))
    return sections


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suite", description=__doc__)
    parser.add_argument("--cdk-out", type=Path, default=ROOT / "cdk.out", help="synthesized cloud assembly")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}")
    parser.add_argument("--quick", action="store_true", help="fewer samples: a smoke run, not a report")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where bench.json and bench.md go")
    args = parser.parse_args(argv)
    wanted = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(wanted) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    load(args.cdk_out)  # fail fast without a synthesized assembly
    started = time.perf_counter()
    sections = run(args.cdk_out, wanted, args.quick)
    header = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} · {os.cpu_count()} cores · Python {platform.python_version()}",
        "wall_seconds": round(time.perf_counter() - started, 1),
        "quick": args.quick,
    }
    print()
    print(report.text(sections, header))
    name = "bench-quick" if args.quick else "bench"
    as_json, as_md = report.write(args.out, sections, header, name)
    print(f"wrote {as_json.relative_to(ROOT) if as_json.is_relative_to(ROOT) else as_json} and {as_md.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
