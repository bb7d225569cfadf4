"""A fast synthetic population for the scale runs: each citizen's first contact, 100,000 in seconds.

`benchmarks.identity.population` models whole journeys, typos and planted hard cases, and takes minutes at
100,000 people; the scale runs only need the citizens that are known before the probe arrives, i.e. what each
person's first contact told. Each person has a full identity — given names and both surnames drawn with the same
Zipf weights over the same name tables (so namesakes and blocking partitions grow with N as in the population), a
birth date, a CURP with its check digit, a mobile in the home area code, an email, an address, an SSO subject, a
social handle — and their first contact comes through one channel, carrying what that channel carries (`CLAIMS`):
a call or a WhatsApp message only the number, an office visit the CURP, name, birth date, phone and address.
Deterministic for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from benchmarks.identity import mexico

_SURNAMES = mexico.Weighted.zipf(mexico.SURNAMES, 0.75)
_MALE = mexico.Weighted.zipf(mexico.MALE_NAMES, 1.0)
_FEMALE = mexico.Weighted.zipf(mexico.FEMALE_NAMES, 1.0)
_PLACES = mexico.Weighted([m for m in mexico.MUNICIPALITIES], [m.weight for m in mexico.MUNICIPALITIES])
_DOMAINS = mexico.Weighted.pairs(mexico.EMAIL_DOMAINS)
_FIRST_DAY = date(1940, 1, 1)
_DAYS = (date(2007, 12, 31) - _FIRST_DAY).days
_REGISTERED = datetime(2019, 1, 2, 15, 0, tzinfo=UTC)
# First-contact channels (weights) and the claims each carries; `name?`: the name in 40 % of them.
CLAIMS: dict[str, tuple[float, tuple[str, ...]]] = {
    "phone": (25, ("phone", "name?")),
    "messaging": (20, ("phone",)),
    "office": (15, ("name", "birth_date", "national_id", "phone", "address")),
    "web": (15, ("login_subject", "name", "email")),
    "email": (10, ("email", "name")),
    "chat": (5, ("name", "email", "phone")),
    "social": (5, ("social",)),
    "mobile": (5, ("login_subject",)),
}
_CHANNELS = mexico.Weighted.pairs([(channel, weight) for channel, (weight, _) in CLAIMS.items()])


def _given(rng: random.Random, sex: str) -> str:
    first = (_MALE if sex == "H" else _FEMALE).pick(rng)
    if rng.random() < 0.35:
        second = rng.choice(mexico.MALE_SECOND if sex == "H" else mexico.FEMALE_SECOND)
        if second != first:
            return f"{first} {second}"
    return first


def _mobile(rng: random.Random, area: str, taken: set[str]) -> str:
    while True:
        number = area + str(rng.randint(2, 9)) + "".join(str(rng.randrange(10)) for _ in range(9 - len(area)))
        if number not in taken:
            taken.add(number)
            return number


def _claims(channel: str, person: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    for claim in CLAIMS[channel][1]:
        if claim in ("name", "name?"):
            if claim == "name" or rng.random() < 0.4:
                claims.update(given_name=person["given_name"], family_name=person["family_name"])
        else:
            claims[claim] = person[claim]
    return claims


def citizens(count: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    """`count` first-contact touchpoints in the interchange format (one per citizen)."""
    rng = random.Random(seed)
    curps: set[str] = set()
    phones: set[str] = set()
    for n in range(count):
        sex = "H" if rng.random() < 0.49 else "M"
        given, paternal, maternal = _given(rng, sex), _SURNAMES.pick(rng), _SURNAMES.pick(rng)
        born = _FIRST_DAY + timedelta(days=rng.randrange(_DAYS))
        place = _PLACES.pick(rng)
        base = mexico.curp_base(given, paternal, maternal, born, sex, place.state_code)
        for homonymy in mexico.homonymy_characters(born):
            curp = mexico.complete_curp(base, homonymy)
            if curp not in curps:
                curps.add(curp)
                break
        colonia, postal_code = rng.choice(place.colonias)
        local = mexico.strip_accents(f"{given.split()[0]}.{paternal}".lower(), keep_enye=False).replace(" ", "")
        person = {
            "given_name": given,
            "family_name": f"{paternal} {maternal}",
            "birth_date": born.isoformat(),
            "national_id": curp,
            "phone": _mobile(rng, place.area_code, phones),
            "email": f"{local}{n}@{_DOMAINS.pick(rng)}",
            "login_subject": f"sso|load-{seed}-{n}",
            "social": {"platform": "facebook", "handle": f"{local}{n}"},
            "address": {
                "line1": f"{rng.choice(mexico.STREETS)} {rng.randint(1, 400)}",
                "line2": f"Col. {colonia}",
                "locality": place.name,
                "region": mexico.STATES[place.state_code].names[0] if place.state_code in mexico.STATES else None,
                "postal_code": postal_code,
            },
        }
        channel = _CHANNELS.pick(rng)
        yield {
            "touchpoint_id": f"load-{seed}-{n}",
            "channel": channel,
            "occurred_at": (_REGISTERED + timedelta(minutes=n)).isoformat().replace("+00:00", "Z"),
            "citizen": _claims(channel, person, rng),
        }
