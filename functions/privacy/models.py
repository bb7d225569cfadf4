"""Requests and responses of the privacy-rights API (export, rectification, erasure)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.models.citizen import Reason
from shared.models.touchpoint import Address
from shared.repositories.personal_data import Rectification

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class RectifyRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "family_name": "Hernández García",
                    "birth_date": "1987-04-12",
                    "reason": "La ciudadana presentó su acta de nacimiento en ventanilla (folio 2231)",
                }
            ]
        },
    )

    given_name: Name | None = None
    family_name: Name | None = None
    birth_date: date | None = None
    address: Address | None = None
    reason: Reason = Field(description="Why the data is corrected (the evidence seen); kept in the history")

    def corrections(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(exclude={"reason"}, exclude_unset=True).items() if v is not None}


class RectificationResponse(BaseModel):
    citizen_id: str
    rectification: Rectification


class RectificationHistoryResponse(BaseModel):
    citizen_id: str
    rectifications: list[Rectification]


class EraseRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "Solicitud ARCO de cancelación folio UT-2026-0412, identidad verificada"}]
        },
    )

    reason: Reason = Field(description="The request being honoured (e.g. its folio); kept in the audit log")
    confirm: bool = Field(description="Must be true: erasure cannot be undone")


class ErasureResponse(BaseModel):
    citizen_id: str
    erased_at: datetime
    records: int = Field(description="Records of the person made tombstones (the survivor and those merged into it)")
    index_entries_removed: int
    touchpoints_anonymised: int
    items_deleted: int = Field(description="Timeline entries, consent, preferences, sent log, rectifications")
    notifications_erased: int
    case_notes_removed: int


class CitizenExport(BaseModel):
    """Everything held on a person: see docs/trust.md for each section."""

    model_config = ConfigDict(extra="allow")

    format: str
    citizen_id: str
    requested_id: str
    exported_at: datetime
    profile: dict[str, Any]
    identifiers: list[dict[str, Any]]
    records: list[dict[str, Any]]
    touchpoints: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    cases: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    consent: list[dict[str, Any]]
    preferences: dict[str, Any]
    merges: list[dict[str, Any]]
    rectifications: list[dict[str, Any]]
    access_log: list[dict[str, Any]]
