"""What a touchpoint, or a citizen, says about a person, normalised for comparison and blocking.

A citizen's features are the union of what their touchpoints said (several spellings, numbers and
addresses over time); a touchpoint's features are what that one contact said.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.identity.normalise import (
    is_valid_curp,
    normalise_address_line,
    normalise_email,
    normalise_family_names,
    normalise_given_names,
    normalise_handle,
    normalise_locality,
    normalise_login_subject,
    normalise_national_id,
    normalise_phone,
    normalise_postal_code,
    phonetic_key,
)
from shared.models.citizen import Identifier, IdentifierKind
from shared.models.touchpoint import Channel, CitizenClaims

MAX_VALUES = 12  # per field; the most recent win (bounds item size and comparison cost)
MAX_BLOCKING_KEYS = 10  # per touchpoint: bounds the reads of a resolution
NAME_SEPARATOR = "|"


class Features(BaseModel):
    model_config = ConfigDict(frozen=True)

    given: tuple[str, ...] = ()  # each: name tokens joined by "|"
    family: tuple[str, ...] = ()
    birth_dates: tuple[date, ...] = ()
    national_ids: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    logins: tuple[str, ...] = ()
    postal_codes: tuple[str, ...] = ()
    localities: tuple[str, ...] = ()
    streets: tuple[str, ...] = ()

    def union(self, other: Features) -> Features:
        """Values of both, newest (other's) first, without repeats, at most MAX_VALUES per field."""
        merged: dict[str, Any] = {}
        for name in type(self).model_fields:
            values = list(dict.fromkeys((*getattr(other, name), *getattr(self, name))))
            merged[name] = tuple(values[:MAX_VALUES])
        return Features(**merged)

    @property
    def descriptive(self) -> bool:
        """Does it say who the person is (name, birth date, national id), not only how to reach them?"""
        return bool(self.given or self.family or self.birth_dates or self.national_ids)

    @property
    def valid_curps(self) -> tuple[str, ...]:
        return tuple(n for n in self.national_ids if is_valid_curp(n))

    def given_tokens(self) -> list[tuple[str, ...]]:
        return [tuple(v.split(NAME_SEPARATOR)) for v in self.given]

    def family_tokens(self) -> list[tuple[str, ...]]:
        return [tuple(v.split(NAME_SEPARATOR)) for v in self.family]


def features_from_claims(claims: CitizenClaims, default_region: str = "MX") -> Features:
    given = normalise_given_names(claims.given_name)
    family = normalise_family_names(claims.family_name)
    address = claims.address
    phone = normalise_phone(claims.phone, default_region) if claims.phone else None
    email = normalise_email(claims.email) if claims.email else None
    national_id = normalise_national_id(claims.national_id) if claims.national_id else None
    handle = normalise_handle(claims.social.platform, claims.social.handle) if claims.social else None
    login = normalise_login_subject(claims.login_subject) if claims.login_subject else None
    postal = normalise_postal_code(address.postal_code, default_region) if address and address.postal_code else None
    locality = normalise_locality(address.locality) if address and address.locality else None
    street = normalise_address_line(address.line1) if address and address.line1 else None

    def one(value: str | None) -> tuple[str, ...]:
        return (value,) if value else ()

    return Features(
        given=one(NAME_SEPARATOR.join(given)),
        family=one(NAME_SEPARATOR.join(family)),
        birth_dates=(claims.birth_date,) if claims.birth_date else (),
        national_ids=one(national_id),
        phones=one(phone),
        emails=one(email),
        handles=one(handle),
        logins=one(login),
        postal_codes=one(postal),
        localities=one(locality),
        streets=one(street),
    )


def identifiers_of(features: Features) -> list[Identifier]:
    """The values looked up in the identifier index, strongest first."""
    found: list[Identifier] = []
    for kind, values in (
        (IdentifierKind.LOGIN_SUBJECT, features.logins),
        (IdentifierKind.NATIONAL_ID, features.national_ids),
        (IdentifierKind.EMAIL, features.emails),
        (IdentifierKind.PHONE, features.phones),
        (IdentifierKind.SOCIAL, features.handles),
    ):
        found += [Identifier(kind=kind, value=value) for value in values]
    return found


def is_verified(identifier: Identifier, channel: Channel) -> bool:
    """Verified identifiers link directly: the SSO subject, and a valid CURP read from an ID at an office."""
    if identifier.kind is IdentifierKind.LOGIN_SUBJECT:
        return True
    return (
        identifier.kind is IdentifierKind.NATIONAL_ID and channel is Channel.OFFICE and is_valid_curp(identifier.value)
    )


def blocking_keys(features: Features) -> list[str]:
    """Keys under which look-alike records meet, so typos in one field still find the candidate.

    Each key combines two or three fields (phonetic keys of the first given name and first surname,
    birth date, postal code, street): specific enough that a block stays small, varied enough that one
    corrupted field leaves another key intact. Name keys are order-free, so swapped given and family
    names still meet.
    """
    keys: list[str] = []  # most specific first; at most MAX_BLOCKING_KEYS are used
    givens = [tokens[0] for tokens in features.given_tokens() if tokens and tokens[0]]
    families = [tokens[0] for tokens in features.family_tokens() if tokens and tokens[0]]
    g_keys = sorted({phonetic_key(g) for g in givens if len(g) > 1} - {""})
    f_keys = sorted({phonetic_key(f) for f in families if len(f) > 1} - {""})
    name_keys = sorted({*g_keys, *f_keys})
    name_pairs = sorted({"+".join(sorted((g, f))) for g in g_keys for f in f_keys})
    initials = sorted({name[0] for name in (*givens, *families) if name})
    for born in features.birth_dates:
        keys += [f"bn|{born.isoformat()}|{n}" for n in name_keys]
        keys += [f"bi|{born.isoformat()}|{i}" for i in initials]
        keys += [f"bp|{born.isoformat()}|{postal}" for postal in features.postal_codes]
        keys += [f"py|{pair}|{born.year}" for pair in name_pairs]
    for postal in features.postal_codes:
        keys += [f"pp|{pair}|{postal}" for pair in name_pairs]
        keys += [f"fs|{f}|{postal}|{street}" for f in f_keys for street in features.streets]
        keys += [f"np|{n}|{postal}" for n in name_keys]
    return list(dict.fromkeys(keys))[:MAX_BLOCKING_KEYS]
