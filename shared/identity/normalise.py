"""Turn what people type into comparable identifiers. Pure functions, no I/O.

Phones become E.164 with `phonenumbers` (legacy Mexican prefixes such as 044/045 and the old
mobile `1` after +52 included); emails are trimmed and lower-cased; national ids are upper-cased
without spaces; social handles become `platform:handle`.
"""

from __future__ import annotations

import re

import phonenumbers

from shared.models.citizen import Identifier, IdentifierKind
from shared.models.touchpoint import CitizenClaims

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_phone(raw: str, default_region: str = "MX") -> str | None:
    """E.164 form of a phone number, or None when it cannot be a valid number."""
    digits = re.sub(r"[^\d+]", "", raw.strip())
    if not digits:
        return None
    if default_region == "MX" or digits.startswith(("+52", "52")):
        # Mexico dropped the 044/045 and +52 1 mobile prefixes in 2019; people and WhatsApp still send them.
        if digits.startswith(("044", "045")) and len(digits) == 13:
            digits = digits[3:]
        elif digits.startswith(("+521", "521")) and len(digits.lstrip("+")) == 13:
            digits = "+52" + digits.lstrip("+")[3:]
        elif digits.startswith("52") and len(digits) == 12:
            digits = "+" + digits
    try:
        parsed = phonenumbers.parse(digits, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str | None:
    value = raw.strip().lower()
    return value if _EMAIL.match(value) else None


def normalise_national_id(raw: str) -> str | None:
    value = re.sub(r"[\s-]", "", raw).upper()
    return value if 10 <= len(value) <= 20 and value.isalnum() else None


def normalise_handle(platform: str, handle: str) -> str | None:
    name = handle.strip().lstrip("@").lower()
    network = platform.strip().lower()
    return f"{network}:{name}" if name and network else None


def normalise_login_subject(raw: str) -> str | None:
    value = raw.strip()
    return value or None


def identifiers_from_claims(claims: CitizenClaims, default_region: str = "MX") -> list[Identifier]:
    """Every identifier a touchpoint carries, strongest first; values that do not normalise are dropped."""
    found: list[Identifier] = []

    def add(kind: IdentifierKind, value: str | None) -> None:
        if value:
            found.append(Identifier(kind=kind, value=value))

    if claims.login_subject:
        add(IdentifierKind.LOGIN_SUBJECT, normalise_login_subject(claims.login_subject))
    if claims.national_id:
        add(IdentifierKind.NATIONAL_ID, normalise_national_id(claims.national_id))
    if claims.email:
        add(IdentifierKind.EMAIL, normalise_email(claims.email))
    if claims.phone:
        add(IdentifierKind.PHONE, normalise_phone(claims.phone, default_region))
    if claims.social:
        add(IdentifierKind.SOCIAL, normalise_handle(claims.social.platform, claims.social.handle))
    return found


def normalise_identifier(kind: IdentifierKind, raw: str, default_region: str = "MX") -> Identifier | None:
    """One identifier from a search query (`?phone=…`); social handles are given as `platform:handle`."""
    value: str | None
    if kind is IdentifierKind.PHONE:
        value = normalise_phone(raw, default_region)
    elif kind is IdentifierKind.EMAIL:
        value = normalise_email(raw)
    elif kind is IdentifierKind.NATIONAL_ID:
        value = normalise_national_id(raw)
    elif kind is IdentifierKind.SOCIAL:
        platform, _, handle = raw.partition(":")
        value = normalise_handle(platform, handle) if handle else None
    else:
        value = normalise_login_subject(raw)
    return Identifier(kind=kind, value=value) if value else None
