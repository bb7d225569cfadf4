"""`python -m benchmarks.identity report`: accuracy, throughput and scale of the identity engine, measured.

Every dataset goes through `ventanilla import` / `export-links` code against the embedded emulator (moto in
its own process, with keyed queries), then is scored. Scale: citizens are loaded through the same engine,
then a fixed probe of new touchpoints is resolved while counting AWS requests and this process's CPU time.
Results are printed and written to benchmarks/results/identity.json and identity.md.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.identity import febrl, population, scoring
from benchmarks.identity.interchange import DEFAULT_SEED
from benchmarks.identity.runner import EngineRun, local_stack, run_engine

RESULTS = Path(__file__).resolve().parents[1] / "results"
PROBE = 200


def _accuracy(name: str, interchange: Path, truth: Path, work: Path) -> dict[str, Any]:
    links = work / f"{name}.links.jsonl"
    with local_stack() as runtime:
        run = run_engine(interchange, links, runtime)
    scores = scoring.score(scoring.load_truth(truth), scoring.load_links(links))
    return {
        "dataset": name,
        "touchpoints": run.touchpoints,
        "pairwise": asdict(scores.pairwise),
        "bcubed": asdict(scores.bcubed),
        "wrong_merges": scores.wrong_merges,
        "missed_links": scores.missed_links,
        "touchpoints_per_second": round(run.touchpoints / run.seconds, 1) if run.seconds else None,
        "requests_per_touchpoint": run.per_touchpoint,
        "outcomes": dict(run.outcomes),
    }


def _scale(sizes: list[int], work: Path) -> list[dict[str, Any]]:
    """Per-touchpoint requests and CPU for a probe resolved after `size` citizens are known."""
    rows = []
    for size in sizes:
        generated = population.generate(people=size + PROBE, seed=DEFAULT_SEED + size)
        by_person: dict[str, list[Any]] = {}
        for touchpoint in generated.touchpoints:
            by_person.setdefault(generated.truth[touchpoint["touchpoint_id"]], []).append(touchpoint)
        people = list(by_person)
        load = [tp for p in people[:size] for tp in by_person[p][:1]]  # one touchpoint per citizen to load
        probe = [tp for p in people[size:] for tp in by_person[p]][:PROBE]
        load_path, probe_path = work / f"scale-{size}.jsonl", work / f"scale-{size}-probe.jsonl"
        load_path.write_text("".join(json.dumps(tp, ensure_ascii=False) + "\n" for tp in load))
        probe_path.write_text("".join(json.dumps(tp, ensure_ascii=False) + "\n" for tp in probe))
        with local_stack() as runtime:
            loaded = run_engine(load_path, work / "scale-load.links.jsonl", runtime)
            measured: EngineRun = run_engine(probe_path, work / "scale-probe.links.jsonl", runtime)
        rows.append(
            {
                "citizens_loaded": size,
                "load_touchpoints_per_second": round(loaded.touchpoints / loaded.seconds, 1),
                "probe_touchpoints": measured.touchpoints,
                "requests_per_touchpoint": round(sum(measured.requests.values()) / max(measured.touchpoints, 1), 2),
                "requests_by_operation": measured.per_touchpoint,
                "cpu_ms_per_touchpoint": round(1000 * measured.cpu_seconds / max(measured.touchpoints, 1), 2),
            }
        )
    return rows


def _markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Identity benchmark",
        "",
        f"{report['when']} · {report['machine']} · seed {report['seed']}",
        "",
        "| dataset | touchpoints | pairwise P | pairwise R | pairwise F1 | B³ P | B³ R | B³ F1 | wrong merges | tp/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["accuracy"]:
        p, b = row["pairwise"], row["bcubed"]
        lines.append(
            f"| {row['dataset']} | {row['touchpoints']} | {p['precision']:.4f} | {p['recall']:.4f} | {p['f1']:.4f} "
            f"| {b['precision']:.4f} | {b['recall']:.4f} | {b['f1']:.4f} | {row['wrong_merges']} "
            f"| {row['touchpoints_per_second']} |"
        )
    if report["scale"]:
        lines += [
            "",
            "| citizens known | requests / touchpoint | CPU ms / touchpoint | load tp/s |",
            "|---|---|---|---|",
        ]
        for row in report["scale"]:
            lines.append(
                f"| {row['citizens_loaded']} | {row['requests_per_touchpoint']} | {row['cpu_ms_per_touchpoint']} "
                f"| {row['load_touchpoints_per_second']} |"
            )
    return "\n".join(lines) + "\n"


def run(datasets: list[str], people: int, scale: list[int], work: Path, name: str = "identity") -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    files = {}
    if any(d.startswith("febrl") for d in datasets):
        files.update({f.name: f for f in febrl.write_all(work, DEFAULT_SEED)})
    if "population" in datasets:
        written, _ = population.write_population(work, people, DEFAULT_SEED)
        files[written.name] = written
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} · Python {platform.python_version()}",
        "seed": DEFAULT_SEED,
        "accuracy": [],
        "scale": [],
    }
    for name in datasets:
        started = time.perf_counter()
        row = _accuracy(name, files[name].interchange, files[name].truth, work)
        report["accuracy"].append(row)
        p = row["pairwise"]
        print(
            f"{name:<12} {row['touchpoints']:>6} tp  pairwise P {p['precision']:.4f} R {p['recall']:.4f} "
            f"F1 {p['f1']:.4f}  B3 F1 {row['bcubed']['f1']:.4f}  {row['touchpoints_per_second']} tp/s "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    report["scale"] = _scale(scale, work)
    for row in report["scale"]:
        print(
            f"scale {row['citizens_loaded']:>7} citizens: {row['requests_per_touchpoint']} requests/tp, "
            f"{row['cpu_ms_per_touchpoint']} ms CPU/tp",
            flush=True,
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / f"{name}.md").write_text(_markdown(report))
    print(_markdown(report))
    return report
