"""Fellegi-Sunter match scoring of a touchpoint (or a citizen) against a candidate citizen. Pure.

Each field is compared to a level (exact, close, different, missing). A level's weight is
log2(m / u): m is the probability of that level when both records are the same person, u when they are
two different people. The score is the sum of the weights of the fields both sides know; missing fields
weigh 0. The m/u values below are configured from what the benchmark populations show and are
documented in docs/identity.md; `estimate` in benchmarks/ re-derives them from labelled data.

Conflicting strong evidence vetoes a link whatever the score: two different valid CURPs, two different
SSO subjects, different birth dates, or different given names (twins, siblings, a parent and child share
surnames, address, landline and email) — unless the same national id (or one typo away) says otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from shared.identity.compare import (
    Level,
    compare_addresses_line,
    compare_birth_dates,
    compare_exact,
    compare_family_names,
    compare_given_names,
    compare_localities,
    compare_national_ids,
    compare_postal_codes,
)
from shared.identity.features import Features

# m and u per field and level: P(level | same person), P(level | different people).
PARAMETERS: dict[str, dict[Level, tuple[float, float]]] = {
    "given": {Level.EXACT: (0.86, 0.015), Level.CLOSE: (0.135, 0.02), Level.DIFFERENT: (0.005, 0.965)},
    "family": {Level.EXACT: (0.86, 0.004), Level.CLOSE: (0.12, 0.01), Level.DIFFERENT: (0.02, 0.986)},
    "birth_date": {Level.EXACT: (0.90, 0.0004), Level.CLOSE: (0.08, 0.004), Level.DIFFERENT: (0.02, 0.9956)},
    "national_id": {Level.EXACT: (0.92, 0.00001), Level.CLOSE: (0.06, 0.0005), Level.DIFFERENT: (0.02, 0.99949)},
    "phone": {Level.EXACT: (0.70, 0.003), Level.DIFFERENT: (0.30, 0.997)},
    "email": {Level.EXACT: (0.75, 0.0005), Level.DIFFERENT: (0.25, 0.9995)},
    "social": {Level.EXACT: (0.80, 0.0001), Level.DIFFERENT: (0.20, 0.9999)},
    "login": {Level.EXACT: (0.97, 0.000001), Level.DIFFERENT: (0.03, 0.999999)},
    "postal_code": {Level.EXACT: (0.85, 0.02), Level.CLOSE: (0.08, 0.05), Level.DIFFERENT: (0.07, 0.93)},
    "locality": {Level.EXACT: (0.85, 0.03), Level.CLOSE: (0.08, 0.03), Level.DIFFERENT: (0.07, 0.94)},
    "street": {Level.EXACT: (0.75, 0.002), Level.CLOSE: (0.15, 0.01), Level.DIFFERENT: (0.10, 0.988)},
}

WEIGHTS: dict[str, dict[Level, float]] = {
    name: {level: math.log2(m / u) for level, (m, u) in levels.items()} for name, levels in PARAMETERS.items()
}

LINK_THRESHOLD = 10.0  # at or above (and corroborated): same person
REVIEW_THRESHOLD = 5.0  # between the two: an operator decides


# Names and an address alone never link: a parent and child can share both. A link also needs
# something personal to agree: the birth date, the national id, or a contact identifier.
CORROBORATING = {
    "birth_date": Level.CLOSE,
    "national_id": Level.CLOSE,
    "login": Level.EXACT,
    "email": Level.EXACT,
    "phone": Level.EXACT,
    "social": Level.EXACT,
}


@dataclass(frozen=True)
class Match:
    score: float
    levels: dict[str, Level] = field(default_factory=dict)
    veto: str | None = None

    @property
    def corroborated(self) -> bool:
        return any(self.levels.get(name, Level.MISSING) >= level for name, level in CORROBORATING.items())

    @property
    def links(self) -> bool:
        return self.veto is None and self.score >= LINK_THRESHOLD and self.corroborated

    @property
    def needs_review(self) -> bool:
        return self.veto is None and self.score >= REVIEW_THRESHOLD and not self.links

    def evidence(self) -> dict[str, Any]:
        """What decided it, for the explanation: each known field's level and weight."""
        return {
            "score": round(self.score, 2),
            "fields": {
                name: {"level": level.name.lower(), "weight": round(WEIGHTS[name][level], 2)}
                for name, level in self.levels.items()
            },
            **({"veto": self.veto} if self.veto else {}),
        }


Comparator = Callable[[Features, Features], Level]


def _best(compare: Callable[[Any, Iterable[Any]], Level], ours: Iterable[Any], theirs: Iterable[Any]) -> Level:
    theirs = list(theirs)
    levels = [compare(value, theirs) for value in ours]
    return max(levels, default=Level.MISSING)


COMPARATORS: dict[str, Comparator] = {
    "given": lambda a, b: _best(compare_given_names, a.given_tokens(), b.given_tokens()),
    "family": lambda a, b: _best(compare_family_names, a.family_tokens(), b.family_tokens()),
    "birth_date": lambda a, b: _best(compare_birth_dates, a.birth_dates, b.birth_dates),
    "national_id": lambda a, b: _best(compare_national_ids, a.national_ids, b.national_ids),
    "phone": lambda a, b: _best(compare_exact, a.phones, b.phones),
    "email": lambda a, b: _best(compare_exact, a.emails, b.emails),
    "social": lambda a, b: _best(compare_exact, a.handles, b.handles),
    "login": lambda a, b: _best(compare_exact, a.logins, b.logins),
    "postal_code": lambda a, b: _best(compare_postal_codes, a.postal_codes, b.postal_codes),
    "locality": lambda a, b: _best(compare_localities, a.localities, b.localities),
    "street": lambda a, b: _best(compare_addresses_line, a.streets, b.streets),
}


def _swapped_names(ours: Features, theirs: Features) -> bool:
    """Given and family name typed into each other's field."""
    swapped = Features(given=ours.family, family=ours.given)
    return (
        COMPARATORS["given"](swapped, theirs) >= Level.CLOSE and COMPARATORS["family"](swapped, theirs) >= Level.CLOSE
    )


def veto(ours: Features, theirs: Features, levels: dict[str, Level]) -> str | None:
    """Conflicting strong evidence: these are two people, whatever else agrees."""
    our_curps, their_curps = set(ours.valid_curps), set(theirs.valid_curps)
    if our_curps and their_curps and not our_curps & their_curps:
        return "different valid national ids"
    if levels.get("login") == Level.DIFFERENT:
        return "different single sign-on subjects"
    # The same id number (or one typo away, unless both are valid CURPs, which then truly differ) outweighs
    # a birth date or a given name typed differently.
    national = levels.get("national_id", Level.MISSING)
    strong_identity = (
        national == Level.EXACT
        or (national == Level.CLOSE and not (our_curps and their_curps))
        or levels.get("login") == Level.EXACT
    )
    if levels.get("birth_date") == Level.DIFFERENT and not strong_identity:
        return "different birth dates"
    if levels.get("given") == Level.DIFFERENT and not strong_identity:
        # Twins, siblings, a parent and child: households share surnames, address, landline and email.
        return "different given names"
    return None


def score(ours: Features, theirs: Features) -> Match:
    levels: dict[str, Level] = {}
    for name, compare in COMPARATORS.items():
        level = compare(ours, theirs)
        if level is not Level.MISSING:
            levels[name] = level
    if (
        levels.get("given") == Level.DIFFERENT
        and levels.get("family") == Level.DIFFERENT
        and _swapped_names(ours, theirs)
    ):
        levels["given"] = levels["family"] = Level.CLOSE
    total = sum(WEIGHTS[name][level] for name, level in levels.items())
    return Match(score=total, levels=levels, veto=veto(ours, theirs, levels))
