"""Cold start: how long importing each function's handler takes in a fresh interpreter, versus bare Powertools.

Each function is imported as Lambda would: its synthesized code first on `sys.path`, then this virtualenv's
packages (the same pins as the layer, built for this machine), then the layer's `python/` (for `shared`); with the
environment the template gives it (references replaced by placeholders: nothing is read at import) and Lambda's
own variables, so the tracer does in AWS what it does here (the X-Ray SDK only where `trace_aws_calls` is on).
Bytecode is compiled first (`compileall` plus one unmeasured import each, into a private PYTHONPYCACHEPREFIX:
neither cdk.out nor the virtualenv is written to). Then every round imports the baseline
(`from aws_lambda_powertools.event_handler import APIGatewayRestResolver; import boto3`), two references (that
plus pydantic and one model; that plus Powertools' Tracer) and each handler, each in a fresh process, timing the
import only; medians over the rounds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from benchmarks.suite import stats
from benchmarks.suite.figures import Figure, Section, Table, at_most
from ventanilla_local.template import AppTemplate, FunctionSpec, load

TARGET_RATIO = 1.3
BASELINE = "-"
WITH_PYDANTIC = "+"  # the baseline plus pydantic and one model: what any function validating with pydantic v2 pays
WITH_TRACER = "*"  # the baseline plus Powertools' Tracer (the X-Ray SDK): what `trace_aws_calls` adds
REFERENCES = (WITH_PYDANTIC, WITH_TRACER)
PROBE = """
import importlib, os, sys, time
code_dir, layer_dir, module = sys.argv[1:4]
here = {"", os.getcwd()}
sys.path[:] = [p for p in (code_dir,) if p] + [p for p in sys.path if p not in here] + [p for p in (layer_dir,) if p]
started = time.perf_counter()
if module in "-+*":
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    import boto3
    if module == "+":
        from pydantic import BaseModel
        class Probe(BaseModel):
            name: str
    if module == "*":
        from aws_lambda_powertools import Tracer
        Tracer()
else:
    importlib.import_module(module)
print(time.perf_counter() - started)
"""
PASSED = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")


def _environment(spec: FunctionSpec | None, cache: Path) -> dict[str, str]:
    environment = {name: os.environ[name] for name in PASSED if name in os.environ}
    environment["PYDANTIC_DISABLE_PLUGINS"] = "__all__"  # as the functions run (infra/constructs/function.py)
    environment.update(
        {
            "PYTHONPYCACHEPREFIX": str(cache),
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name if spec else "baseline",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory if spec else 512),
        }
    )
    if spec is not None:
        for name, value in spec.environment.items():
            environment[name] = value if isinstance(value, str) else f"bench-{name.lower()}"
    return environment  # PYTHONDONTWRITEBYTECODE is deliberately absent: bytecode is written and read


def _module(spec: FunctionSpec) -> str:
    return spec.handler.rpartition(".")[0]


def _import_seconds(
    spec: FunctionSpec | None, cache: Path, cwd: Path, importtime: bool = False, baseline: str = BASELINE
) -> tuple[float, str]:
    layer = str(spec.layer_dirs[0]) if spec and spec.layer_dirs else ""
    argv = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", PROBE]
    argv += [str(spec.code_dir) if spec else "", layer, _module(spec) if spec else baseline]
    done = subprocess.run(  # noqa: S603 - our own interpreter
        argv, env=_environment(spec, cache), cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {_module(spec) if spec else 'the baseline'} failed: {done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1]), done.stderr


def _compile(template: AppTemplate, cache: Path, cwd: Path) -> None:
    directories = {str(spec.code_dir) for spec in template.functions.values()}
    directories |= {str(layer / "shared") for spec in template.functions.values() for layer in spec.layer_dirs}
    subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "compileall", "-q", *sorted(directories)],
        env=_environment(None, cache),
        cwd=cwd,
        capture_output=True,
        check=True,
    )


def heaviest_imports(importtime_output: str, top: int = 8) -> list[tuple[str, float]]:
    """Top-level packages by the cumulative import time of their outermost import (`-X importtime` lines)."""
    by_package: dict[str, float] = defaultdict(float)
    for line in importtime_output.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if not cumulative.isdigit():
            continue
        package = name.split(".")[0]
        by_package[package] = max(by_package[package], int(cumulative) / 1e6)
    return sorted(by_package.items(), key=lambda kv: kv[1], reverse=True)[:top]


def run(cdk_out: Path, rounds: int = 5) -> Section:
    template = load(cdk_out)
    specs = sorted(template.functions.values(), key=lambda s: s.name)
    samples: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="bench-pyc-") as cache_dir, tempfile.TemporaryDirectory() as cwd_dir:
        cache, cwd = Path(cache_dir), Path(cwd_dir)
        _compile(template, cache, cwd)
        for spec in specs:  # unmeasured: writes the bytecode of everything each handler imports
            _import_seconds(spec, cache, cwd)
        _import_seconds(None, cache, cwd)
        for reference in REFERENCES:
            _import_seconds(None, cache, cwd, baseline=reference)
        third = max(1, len(specs) // 3)
        for _ in range(rounds):
            for n, spec in enumerate(specs):
                if n % third == 0:
                    samples[BASELINE].append(_import_seconds(None, cache, cwd)[0])
                    for reference in REFERENCES:
                        samples[reference].append(_import_seconds(None, cache, cwd, baseline=reference)[0])
                samples[spec.name].append(_import_seconds(spec, cache, cwd)[0])
        medians = {name: stats.median(values) * 1000 for name, values in samples.items()}
        slowest = max((s for s in specs), key=lambda s: medians[s.name])
        _, trace = _import_seconds(slowest, cache, cwd, importtime=True)
    return _section(specs, medians, samples, slowest, heaviest_imports(trace), rounds)


def _section(
    specs: list[FunctionSpec],
    medians: dict[str, float],
    samples: dict[str, list[float]],
    slowest: FunctionSpec,
    heavy: list[tuple[str, float]],
    rounds: int,
) -> Section:
    baseline = medians[BASELINE]
    section = Section("cold start")
    for reference, name in (
        (WITH_PYDANTIC, "reference: the baseline plus pydantic v2 and one model"),
        (WITH_TRACER, "reference: the baseline plus Powertools' Tracer (X-Ray SDK; trace_aws_calls)"),
    ):
        section.figures.append(
            Figure(name, round(medians[reference], 1), "ms", round(baseline, 1), "bare APIGatewayRestResolver + boto3")
        )
    for spec in specs:
        value = medians[spec.name]
        section.figures.append(
            Figure(
                f"handler import: {spec.name}",
                round(value, 1),
                "ms",
                round(baseline, 1),
                "bare APIGatewayRestResolver + boto3 import (median)",
                f"≤ {TARGET_RATIO:g}x baseline",
                at_most(stats.ratio(value, baseline), TARGET_RATIO),
            )
        )
    section.tables.append(
        Table(
            f"What {slowest.name}'s import spends its time on (-X importtime, cumulative, one run)",
            ("package", "ms"),
            tuple((name, round(seconds * 1000, 1)) for name, seconds in heavy),
        )
    )
    section.details = {
        "rounds": rounds,
        "baseline_samples_ms": [round(v * 1000, 1) for v in samples[BASELINE]],
        "median_ms": {k: round(v, 1) for k, v in medians.items()},
        "python": sys.version.split()[0],
    }
    section.notes = [
        f"{rounds} rounds, one fresh interpreter per import, bytecode compiled; Python {sys.version.split()[0]} on "
        "this machine (Lambda runs 3.13 on arm64 with a fraction of a vCPU at 512 MB: absolute times differ there, "
        "the ratio is what carries over).",
        "The functions run with the environment the template gives them: POWERTOOLS_TRACE_DISABLED=true unless the "
        "environment's trace_aws_calls is on (then add the Tracer reference's difference), PYDANTIC_DISABLE_PLUGINS.",
    ]
    return section
