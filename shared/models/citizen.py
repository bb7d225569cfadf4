"""Citizen records and the identifiers that link touchpoints to them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.models.touchpoint import Address, CaseRef, Channel, DetailValue


class IdentifierKind(StrEnum):
    # Ordered from strongest to weakest evidence; the minimal linker trusts the first match.
    LOGIN_SUBJECT = "login_subject"
    NATIONAL_ID = "national_id"
    EMAIL = "email"
    PHONE = "phone"
    SOCIAL = "social"


IDENTIFIER_STRENGTH = list(IdentifierKind)


class Identifier(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: IdentifierKind
    value: str

    @property
    def key(self) -> str:
        return f"{self.kind.value}#{self.value}"


class Citizen(BaseModel):
    model_config = ConfigDict(frozen=True)

    citizen_id: str
    created_at: datetime
    updated_at: datetime
    given_name: str | None = None
    family_name: str | None = None
    birth_date: date | None = None
    address: Address | None = None
    identifiers: tuple[Identifier, ...] = ()


class TimelineEntry(BaseModel):
    """One touchpoint as it appears on a citizen's timeline across channels."""

    model_config = ConfigDict(frozen=True)

    touchpoint_id: str
    channel: Channel
    occurred_at: datetime
    text: str | None = None
    case: CaseRef | None = None
    details: dict[str, DetailValue] = Field(default_factory=dict)
