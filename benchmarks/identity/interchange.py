"""Reading and writing benchmark datasets: interchange lines, ground truth and links, all JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Generated data never goes into git: `prepare` writes here unless told otherwise.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / "results" / "data"
DEFAULT_SEED = 7


def iso_z(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second: `2026-03-02T15:04:05Z`."""
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def interchange_path(out_dir: Path, name: str) -> Path:
    return out_dir / f"{name}.jsonl"


def truth_path(out_dir: Path, name: str) -> Path:
    return out_dir / f"{name}.truth.jsonl"


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write one compact JSON object per line (UTF-8, no ASCII escaping); returns the number of lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            handle.write("\n")
            count += 1
    return count


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{number}: expected a JSON object per line")
            yield row


def truth_rows(truth: dict[str, str]) -> Iterator[dict[str, str]]:
    for touchpoint_id, entity_id in truth.items():
        yield {"touchpoint_id": touchpoint_id, "entity_id": entity_id}


@dataclass(frozen=True)
class DatasetFiles:
    """What one `prepare` step wrote."""

    name: str
    interchange: Path
    truth: Path
    touchpoints: int
    entities: int
    seconds: float
