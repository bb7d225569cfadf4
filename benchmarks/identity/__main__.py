"""`python -m benchmarks.identity prepare | score`: build the benchmark datasets, score an engine's links."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.identity import febrl, population, scoring
from benchmarks.identity.interchange import DEFAULT_DATA_DIR, DEFAULT_SEED, DatasetFiles


def _manifest_entry(files: DatasetFiles) -> dict[str, object]:
    return {
        "interchange": files.interchange.name,
        "truth": files.truth.name,
        "touchpoints": files.touchpoints,
        "entities": files.entities,
        "seconds": round(files.seconds, 2),
    }


def _line(files: DatasetFiles) -> str:
    return f"{files.name:<12} {files.touchpoints:>7} touchpoints {files.entities:>6} entities {files.seconds:6.2f} s"


def command_prepare(args: argparse.Namespace) -> int:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    manifest: dict[str, object] = {
        "seed": args.seed,
        "people": args.people,
        "febrl4_order": args.febrl4_order,
        "febrl_noid": args.febrl_noid,
    }
    datasets: dict[str, object] = {}
    if not args.skip_febrl:
        for files in febrl.write_all(
            out, args.seed, febrl4_order=args.febrl4_order, without_national_id=args.febrl_noid
        ):
            datasets[files.name] = _manifest_entry(files)
            print(_line(files))
    files, generated = population.write_population(out, args.people, args.seed)
    datasets[files.name] = _manifest_entry(files) | {"stats": generated.stats}
    print(_line(files))
    print(population.format_summary(generated.stats))
    manifest["datasets"] = datasets
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out} in {time.perf_counter() - started:.1f} s")
    return 0


def command_score(args: argparse.Namespace) -> int:
    return scoring.main(["--truth", str(args.truth), "--links", str(args.links)] + (["--json"] if args.json else []))


def command_report(args: argparse.Namespace) -> int:
    from benchmarks.identity import report

    scale = [int(n) for n in args.scale.split(",") if n.strip()]
    report.run([d for d in args.datasets.split(",") if d], args.people, scale, args.work, args.name)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.identity", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare", help="write the FEBRL conversions and the synthetic population")
    prepare.add_argument("--out", type=Path, default=DEFAULT_DATA_DIR, help=f"default {DEFAULT_DATA_DIR}")
    prepare.add_argument("--people", type=int, default=2000, help="size of the synthetic population")
    prepare.add_argument("--seed", type=int, default=DEFAULT_SEED)
    prepare.add_argument("--febrl4-order", choices=("interleave", "concat"), default="interleave")
    prepare.add_argument("--skip-febrl", action="store_true", help="only the synthetic population")
    prepare.add_argument("--febrl-noid", action="store_true", help="also write FEBRL variants without national_id")
    prepare.set_defaults(run=command_prepare)
    score = commands.add_parser("score", help="score a links file against a truth file")
    score.add_argument("--truth", type=Path, required=True)
    score.add_argument("--links", type=Path, required=True)
    score.add_argument("--json", action="store_true")
    score.set_defaults(run=command_score)
    report = commands.add_parser("report", help="run the engine on the datasets, score, measure scale")
    report.add_argument(
        "--datasets", default="febrl1,febrl2,febrl3,febrl4,population", help="comma-separated dataset names"
    )
    report.add_argument("--people", type=int, default=2000)
    report.add_argument(
        "--scale", default="1000,10000", help="citizen counts for the scale probe (100000: slow to generate)"
    )
    report.add_argument("--work", type=Path, default=DEFAULT_DATA_DIR)
    report.add_argument("--name", default="identity", help="results file name under benchmarks/results/")
    report.set_defaults(run=command_report)
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
