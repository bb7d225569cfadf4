"""Citizen records and the identifiers that link touchpoints to them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.models.touchpoint import CaseRef, Channel, DetailValue

# Why an operator changes what is known about a person (a merge, a split, a rectification, an erasure): kept in
# the record of the change, so it must say something.
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]


class IdentifierKind(StrEnum):
    # Ordered from strongest to weakest evidence.
    LOGIN_SUBJECT = "login_subject"
    NATIONAL_ID = "national_id"
    EMAIL = "email"
    PHONE = "phone"
    SOCIAL = "social"


class Identifier(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: IdentifierKind
    value: str

    @property
    def key(self) -> str:
        return f"{self.kind.value}#{self.value}"


class TimelineEntry(BaseModel):
    """One touchpoint as it appears on a citizen's timeline across channels."""

    model_config = ConfigDict(frozen=True)

    touchpoint_id: str
    channel: Channel
    occurred_at: datetime
    text: str | None = None
    case: CaseRef | None = None
    details: dict[str, DetailValue] = Field(default_factory=dict)


class LinkExplanation(BaseModel):
    """Why a touchpoint (or identifier) belongs to a citizen: the rule that decided, its score and evidence."""

    model_config = ConfigDict(frozen=True)

    rule: str
    score: float | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


class IdentifierRecord(BaseModel):
    """An identifier a citizen holds, with where it came from."""

    model_config = ConfigDict(frozen=True)

    kind: IdentifierKind
    value: str
    verified: bool = False
    personal: bool = Field(
        default=False,
        description="Seen in personal use: a number that wrote on WhatsApp/SMS, an email naming its holder",
    )
    touchpoint_id: str | None = None
    rule: str
    since: datetime


class MergeRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    merge_id: str
    survivor: str
    absorbed: str
    absorbed_members: tuple[str, ...] = ()
    rule: str
    score: float | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    touchpoint_id: str | None = None
    actor: str | None = None
    reason: str | None = None
    at: datetime
    status: Literal["active", "split"] = "active"
    split_at: datetime | None = None
    split_reason: str | None = None
    split_by: str | None = None


class ReviewCandidate(BaseModel):
    model_config = ConfigDict(frozen=True)

    citizen_id: str
    score: float
    evidence: dict[str, Any] = Field(default_factory=dict)


class ReviewTask(BaseModel):
    """A decision the engine leaves to an operator: a grey-band match, or an identifier several people share."""

    model_config = ConfigDict(frozen=True)

    review_id: str
    kind: Literal["possible_match", "shared_identifier"]
    touchpoint_id: str
    citizen_id: str | None = None  # the provisional citizen created for the touchpoint (possible_match)
    candidates: tuple[ReviewCandidate, ...]
    status: Literal["open", "accepted", "rejected"] = "open"
    created_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None
    chosen_citizen_id: str | None = None
    reason: str | None = None
