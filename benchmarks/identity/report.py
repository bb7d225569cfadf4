"""`python -m benchmarks.identity report`: accuracy, throughput and scale of the identity engine, measured.

Every dataset goes through `ventanilla import` / `export-links` code against the embedded emulator (moto in
its own process, with keyed queries), then is scored (pairwise and B-cubed) and its missed links are
explained (`diagnosis.py`). Scale (`scale.py`): the same probe is resolved with 1,000 to 100,000 citizens
known, counting AWS requests, DynamoDB capacity units and this process's CPU time.
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

from benchmarks.identity import diagnosis, febrl, population, scoring
from benchmarks.identity.interchange import DEFAULT_SEED, read_jsonl
from benchmarks.identity.runner import local_stack, run_engine
from benchmarks.identity.scale import run as scale_run

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _accuracy(name: str, interchange: Path, truth: Path, work: Path) -> dict[str, Any]:
    links = work / f"{name}.links.jsonl"
    with local_stack() as runtime:
        run = run_engine(interchange, links, runtime)
    truth_map, links_map = scoring.load_truth(truth), scoring.load_links(links)
    scores = scoring.score(truth_map, links_map)
    n = max(run.touchpoints, 1)
    return {
        "dataset": name,
        "touchpoints": run.touchpoints,
        "pairwise": asdict(scores.pairwise),
        "bcubed": asdict(scores.bcubed),
        "wrong_merges": scores.wrong_merges,
        "missed_links": scores.missed_links,
        "missed_link_reasons": dict(
            diagnosis.missed_link_reasons(read_jsonl(interchange), truth_map, links_map).most_common()
        ),
        "touchpoints_per_second": round(run.touchpoints / run.seconds, 1) if run.seconds else None,
        "requests_per_touchpoint": run.per_touchpoint,
        "read_units_per_touchpoint": round(run.capacity["read"] / n, 2),
        "write_units_per_touchpoint": round(run.capacity["write"] / n, 2),
        "outcomes": dict(run.outcomes),
    }


TARGETS = {"febrl_f1": 0.999, "population_precision": 0.995, "cpu_growth": 1.25}


def _markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Identity benchmark",
        "",
        f"{report['when']} · {report['machine']} · seed {report['seed']}",
        "",
        "## Accuracy (import + export-links through the embedded emulator)",
        "",
        "| dataset | touchpoints | pairwise P | pairwise R | pairwise F1 | B³ P | B³ R | B³ F1 | wrong merges "
        "| import tp/s | target |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["accuracy"]:
        p, b = row["pairwise"], row["bcubed"]
        if row["dataset"].startswith("febrl"):
            target = f"F1 ≥ {TARGETS['febrl_f1']}: {'met' if p['f1'] >= TARGETS['febrl_f1'] else 'NOT met'}"
        else:
            met = p["precision"] >= TARGETS["population_precision"]
            target = f"P ≥ {TARGETS['population_precision']}: {'met' if met else 'NOT met'}"
        lines.append(
            f"| {row['dataset']} | {row['touchpoints']} | {p['precision']:.4f} | {p['recall']:.4f} | {p['f1']:.4f} "
            f"| {b['precision']:.4f} | {b['recall']:.4f} | {b['f1']:.4f} | {row['wrong_merges']} "
            f"| {row['touchpoints_per_second']} | {target} |"
        )
    lines += ["", "### Why links were missed (touchpoints outside their person's main cluster)", ""]
    lines += ["| dataset | outcomes | missed-link reasons |", "|---|---|---|"]
    for row in report["accuracy"]:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(row["outcomes"].items()))
        reasons = ", ".join(f"{k} {v}" for k, v in row["missed_link_reasons"].items()) or "—"
        lines.append(f"| {row['dataset']} | {outcomes} | {reasons} |")
    if report["scale"]:
        first = report["scale"][0]["cpu_ms_per_touchpoint"]
        lines += [
            "",
            "## Scale (the same probe resolved with N citizens known)",
            "",
            "| citizens known | requests / tp | RCU / tp | WCU / tp | CPU ms / tp | CPU vs smallest "
            "| requests by operation |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in report["scale"]:
            ops = ", ".join(f"{k.split(':')[1]} {v}" for k, v in row["requests_by_operation"].items())
            lines.append(
                f"| {row['citizens_loaded']} | {row['requests_per_touchpoint']} | {row['read_units_per_touchpoint']} "
                f"| {row['write_units_per_touchpoint']} | {row['cpu_ms_per_touchpoint']} "
                f"| {row['cpu_ms_per_touchpoint'] / first:.2f}x | {ops} |"
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
    report["scale"] = scale_run(scale, work)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / f"{name}.md").write_text(_markdown(report))
    print(_markdown(report))
    return report
