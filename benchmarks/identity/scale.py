"""Scale: does one touchpoint cost the same with 1,000, 10,000 or 100,000 citizens known?

For each size N a population of N people is generated and written straight to the table as the citizens
their first touchpoints start (`IdentityEngine.citizen_from`, then
`DynamoDBIdentityRepository.load` in BatchWriteItem calls): resolving 100,000 citizens one at a time through
the emulator would take hours and measures nothing the probe does not. Then the same probe at every size —
the touchpoint stream of a small population of its own — is resolved through the real import path
(`runner.run_engine`).

Per probe touchpoint: DynamoDB requests by operation, capacity units by DynamoDB's sizing rules
(`capacity.py`), and the CPU time of this process (engine and boto3; the emulator runs in its own process).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.identity import population
from benchmarks.identity.interchange import DEFAULT_SEED
from benchmarks.identity.runner import local_stack, run_engine
from shared.models.touchpoint import Touchpoint
from shared.repositories.identity import DynamoDBIdentityRepository

PROBE = 300
LOAD_CHUNK = 2000


def _load_lines(size: int) -> list[dict[str, Any]]:
    """One touchpoint per person of an N-person population: the citizens known before the probe."""
    generated = population.generate(people=size, seed=DEFAULT_SEED)
    first: dict[str, dict[str, Any]] = {}
    for line in generated.touchpoints:
        first.setdefault(generated.truth[line["touchpoint_id"]], line)
    return list(first.values())


def _probe_lines(probe: int) -> list[dict[str, Any]]:
    """The same probe at every size: the whole stream of a small population of its own (creations, links,
    reviews, merges among the probe's people, and namesakes among the loaded ones)."""
    generated = population.generate(people=max(probe // 4, 10), seed=DEFAULT_SEED + 1)
    return generated.touchpoints[:probe]


def measure(size: int, work: Path, probe: int = PROBE) -> dict[str, Any]:
    from ventanilla_local import bulk

    load, probe_lines = _load_lines(size), _probe_lines(probe)
    probe_path = work / f"scale-{size}-probe.jsonl"
    probe_path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in probe_lines))
    with local_stack() as runtime:
        engine = bulk.engine_for(bulk.local_target(runtime.state_dir))
        repository = engine.identity
        assert isinstance(repository, DynamoDBIdentityRepository)
        started = time.perf_counter()
        for start in range(0, len(load), LOAD_CHUNK):
            chunk = load[start : start + LOAD_CHUNK]
            repository.load([engine.citizen_from(Touchpoint.model_validate(line)) for line in chunk])
        load_seconds = time.perf_counter() - started
        measured = run_engine(probe_path, work / f"scale-{size}-probe.links.jsonl", runtime)
    n = max(measured.touchpoints, 1)
    return {
        "citizens_loaded": size,
        "load_seconds": round(load_seconds, 1),
        "probe_touchpoints": measured.touchpoints,
        "probe_outcomes": dict(measured.outcomes),
        "requests_per_touchpoint": round(sum(measured.requests.values()) / n, 2),
        "requests_by_operation": measured.per_touchpoint,
        "read_units_per_touchpoint": round(measured.capacity["read"] / n, 2),
        "write_units_per_touchpoint": round(measured.capacity["write"] / n, 2),
        "cpu_ms_per_touchpoint": round(1000 * measured.cpu_seconds / n, 2),
        "touchpoints_per_second": round(measured.touchpoints / measured.seconds, 1) if measured.seconds else None,
    }


def run(sizes: Sequence[int], work: Path, probe: int = PROBE) -> list[dict[str, Any]]:
    rows = []
    for size in sizes:
        row = measure(size, work, probe)
        rows.append(row)
        print(
            f"scale {size:>7} citizens: {row['requests_per_touchpoint']} requests/tp, "
            f"{row['read_units_per_touchpoint']} RCU/tp, {row['write_units_per_touchpoint']} WCU/tp, "
            f"{row['cpu_ms_per_touchpoint']} ms CPU/tp (loaded in {row['load_seconds']} s)",
            flush=True,
        )
    return rows
