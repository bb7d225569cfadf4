"""The canonical touchpoint: what every channel adapter produces, whatever the channel speaks.

Field names follow the interchange format in docs/interchange-format.md, so one JSON line of a bulk
import, a channel adapter's output and the stored item all mean the same thing.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
MessageText = Annotated[str, StringConstraints(max_length=20_000)]
DetailValue = str | int | float | bool | None


class Channel(StrEnum):
    PHONE = "phone"
    MESSAGING = "messaging"
    EMAIL = "email"
    CHAT = "chat"
    SOCIAL = "social"
    WEB = "web"
    MOBILE = "mobile"
    OFFICE = "office"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Address(_Model):
    line1: ShortText | None = None
    line2: ShortText | None = None
    locality: ShortText | None = None
    region: ShortText | None = None
    postal_code: ShortText | None = None


class SocialAccount(_Model):
    platform: ShortText
    handle: ShortText


class CitizenClaims(_Model):
    """What a touchpoint says about the person; only `login_subject` (from the government SSO) is verified."""

    given_name: ShortText | None = None
    family_name: ShortText | None = None
    birth_date: date | None = None
    national_id: ShortText | None = None
    phone: ShortText | None = None
    email: ShortText | None = None
    address: Address | None = None
    social: SocialAccount | None = None
    login_subject: ShortText | None = None


class CaseRef(_Model):
    """The procedure a contact is about; with `step`, the step it performs (and `documents` it delivers)."""

    procedure: ShortText | None = None
    reference: ShortText | None = None
    step: ShortText | None = Field(default=None, description="Step of the procedure this contact completes")
    documents: tuple[ShortText, ...] = Field(default=(), max_length=20, description="Document codes delivered")


class Touchpoint(_Model):
    touchpoint_id: ShortText
    channel: Channel
    occurred_at: AwareDatetime
    citizen: CitizenClaims = Field(default_factory=CitizenClaims)
    case: CaseRef | None = None
    text: MessageText | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] | None = None
    source_message_id: ShortText | None = None
    details: dict[str, DetailValue] = Field(default_factory=dict)

    def fingerprint(self) -> str:
        """Digest of the content, to tell a retried delivery from a different message reusing an id."""
        return hashlib.sha256(self.model_dump_json(exclude={"details"}).encode()).hexdigest()


def touchpoint_id_for(channel: Channel, source_message_id: str) -> str:
    """Deterministic id: the same channel message always becomes the same touchpoint."""
    digest = hashlib.sha256(f"{channel.value}\x1f{source_message_id}".encode()).hexdigest()
    return f"tp-{digest[:32]}"


class StoredTouchpoint(_Model):
    """A touchpoint as held by Ventanilla: the canonical content plus what the platform learnt about it."""

    touchpoint: Touchpoint
    received_at: datetime
    fingerprint: str
    citizen_id: str | None = None
    resolution: str | None = None
    case_reference: str | None = None

    @property
    def touchpoint_id(self) -> str:
        return self.touchpoint.touchpoint_id


def example_touchpoint(**overrides: Any) -> dict[str, Any]:
    """A realistic example, used in OpenAPI documents and docs."""
    data: dict[str, Any] = {
        "touchpoint_id": "tp-9f2c1a0b3d4e5f60718293a4b5c6d7e8",
        "channel": "office",
        "occurred_at": "2026-03-02T15:04:05Z",
        "citizen": {"given_name": "María José", "family_name": "Hernández García", "phone": "55 1234 5678"},
        "case": {"procedure": "licencia-conducir", "reference": "LIC-2026-000123"},
        "text": "Quiero saber el estado de mi trámite",
    }
    data.update(overrides)
    return data
