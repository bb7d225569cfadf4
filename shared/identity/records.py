"""The citizen record as the identity engine keeps it."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from shared.identity.features import Features
from shared.models.citizen import Identifier, IdentifierRecord
from shared.models.touchpoint import Address


class CitizenRecord(BaseModel):
    """One citizen. Merges never delete: an absorbed record keeps its own data and points to its survivor.

    `own` is what this record's own touchpoints said; `features` (meaningful on a survivor) is `own` plus
    the `own` of every record merged into it, so a split can recompute both sides exactly.
    """

    model_config = ConfigDict(frozen=True)

    citizen_id: str
    version: int = 0
    created_at: datetime
    updated_at: datetime
    merged_into: str | None = None
    members: tuple[str, ...] = ()
    own: Features = Features()
    features: Features = Features()
    identifiers: tuple[IdentifierRecord, ...] = ()
    given_name: str | None = None
    family_name: str | None = None
    birth_date: date | None = None
    address: Address | None = None
    erased_at: datetime | None = None  # erasure (ARCO cancellation) left only this tombstone: no personal data

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def is_survivor(self) -> bool:
        return self.merged_into is None

    def holds(self, identifier: Identifier) -> bool:
        return any(i.kind == identifier.kind and i.value == identifier.value for i in self.identifiers)
