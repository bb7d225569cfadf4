"""What every section returns: figures beside their baselines, plus tables of detail, as plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from benchmarks.suite.stats import ratio


@dataclass(frozen=True)
class Figure:
    """One measured figure; `baseline` is measured in the same run on the same machine (or a fixed floor)."""

    name: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    target: str = ""
    met: bool | None = None  # None: reported, no target
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return ratio(self.value, self.baseline)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": None if self.ratio is None else round(self.ratio, 3)}


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass
class Section:
    name: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seconds": round(self.seconds, 1),
            "figures": [f.as_dict() for f in self.figures],
            "tables": [
                {"title": t.title, "headers": list(t.headers), "rows": [list(r) for r in t.rows]} for t in self.tables
            ],
            "notes": self.notes,
            "details": self.details,
        }


def at_most(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit
