"""Building blocks the channel request models share (what a person tells a channel about themselves)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from shared.models.touchpoint import Address, CaseRef, CitizenClaims, ShortText


class ChannelRequest(BaseModel):
    """Base of every channel body: unknown fields are refused so typos are caught, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PersonDetails(ChannelRequest):
    """What a person said about themselves on this contact; none of it is verified."""

    given_name: ShortText | None = None
    family_name: ShortText | None = None
    birth_date: date | None = None
    national_id: ShortText | None = None
    phone: ShortText | None = None
    email: ShortText | None = None
    address: Address | None = None

    def to_claims(self, **overrides: object) -> CitizenClaims:
        data = self.model_dump(exclude_none=True)
        data.update({k: v for k, v in overrides.items() if v is not None})
        return CitizenClaims.model_validate(data)


__all__ = ["Address", "CaseRef", "ChannelRequest", "PersonDetails"]
