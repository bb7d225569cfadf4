"""Journey measurements, kept as aggregates while events arrive (never computed by scanning touchpoints).

Each measured fact adds to the daily counters of its combination of groups — its `channel`, `procedure`,
`region` and `language` together — one small item per day and combination, so a fact costs one write however
many dimensions it is counted under. `GET /v1/metrics/journeys?by=…` reads a day's combinations and sums them
by the dimension asked for (`all`: every combination). Rates are derived when read; the equity gap is the spread
of a rate between the best- and the worst-served group.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

DIMENSIONS = ("channel", "procedure", "region", "language")
COUNTERS = (
    "contacts",
    "cases_opened",
    "cases_resolved",
    "resolution_hours",
    "first_contact_resolutions",
    "channel_switches",
    "repeat_contacts",
    "sla_breaches",
    "steps_completed",
    "negative_sentiment",
)
UNKNOWN = "desconocida"


@dataclass(frozen=True)
class Fact:
    """One thing that happened, with the groups it belongs to and what it adds."""

    day: date
    groups: Mapping[str, str]  # dimension -> value (missing dimensions are not counted under them)
    adds: Mapping[str, float]


@dataclass
class GroupFigures:
    group: str
    counters: dict[str, float] = field(default_factory=dict)

    def add(self, counters: Mapping[str, float]) -> None:
        for name, value in counters.items():
            self.counters[name] = self.counters.get(name, 0.0) + float(value)

    def rates(self) -> dict[str, float | None]:
        c = self.counters
        resolved, contacts, cases = c.get("cases_resolved", 0.0), c.get("contacts", 0.0), c.get("cases_opened", 0.0)
        steps = c.get("steps_completed", 0.0) + c.get("sla_breaches", 0.0)
        return {
            "first_contact_resolution_rate": _ratio(c.get("first_contact_resolutions", 0.0), resolved),
            "repeat_contact_rate": _ratio(c.get("repeat_contacts", 0.0), contacts),
            "channel_switches_per_case": _ratio(c.get("channel_switches", 0.0), cases),
            "contacts_per_case": _ratio(contacts, cases),
            "mean_hours_to_resolution": _ratio(c.get("resolution_hours", 0.0), resolved),
            "sla_compliance": None if not steps else 1 - c.get("sla_breaches", 0.0) / steps,
            "negative_sentiment_rate": _ratio(c.get("negative_sentiment", 0.0), contacts),
        }


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def combination_of(fact: Fact) -> dict[str, str]:
    """The groups the fact is counted under, one per dimension it has (a missing dimension is not counted)."""
    return {dimension: fact.groups[dimension] for dimension in DIMENSIONS if fact.groups.get(dimension)}


def combination_key(combination: Mapping[str, str]) -> str:
    """A stable key for a combination of groups (values may hold any character: JSON keeps them apart)."""
    return json.dumps([combination.get(dimension) for dimension in DIMENSIONS], ensure_ascii=False)


def group_of(combination: Mapping[str, str], by: str) -> str | None:
    """The group a combination's counters are summed under when reading `by` a dimension (`all`: one group)."""
    if by == "all":
        return "all"
    return combination.get(by) or None


def summed(combinations: Iterable[tuple[Mapping[str, str], Mapping[str, float]]], by: str) -> dict[str, GroupFigures]:
    """A day's (combination, counters) summed per group of dimension `by`."""
    groups: dict[str, GroupFigures] = {}
    for combination, counters in combinations:
        group = group_of(combination, by)
        if group is not None:
            groups.setdefault(group, GroupFigures(group)).add(counters)
    return groups


def equity_gaps(groups: Iterable[GroupFigures]) -> dict[str, float | None]:
    """Best minus worst group for each rate where higher is better (and worst minus best where lower is)."""
    higher_is_better = {"first_contact_resolution_rate", "sla_compliance"}
    by_rate: dict[str, list[float]] = {}
    for figures in groups:
        for name, value in figures.rates().items():
            if value is not None:
                by_rate.setdefault(name, []).append(value)
    return {
        name: round((max(values) - min(values)), 4) if len(values) > 1 else None
        for name, values in by_rate.items()
        if name in higher_is_better or name in ("repeat_contact_rate", "mean_hours_to_resolution")
    }
