"""Responses of the citizen read API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.models.citizen import IdentifierKind, MergeRecord, TimelineEntry
from shared.models.touchpoint import Address
from shared.repositories.audit import AuditEntry


class IdentifierResponse(BaseModel):
    kind: IdentifierKind
    value: str
    verified: bool = False
    since: datetime | None = None
    rule: str | None = Field(default=None, description="The rule that attached it (see docs/identity.md)")
    touchpoint_id: str | None = Field(default=None, description="The touchpoint it first came with")
    held_by: str | None = Field(default=None, description="The record holding it (a merged record's own id)")


class CitizenResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "citizen_id": "cit-3f7a0c2e9b8d4e51a6c0f1d2e3b4a596",
                    "given_name": "María José",
                    "family_name": "Hernández García",
                    "birth_date": "1987-04-12",
                    "identifiers": [
                        {"kind": "national_id", "value": "HEGM870412MDFRRR02"},
                        {"kind": "phone", "value": "+525512345678"},
                    ],
                    "created_at": "2026-03-02T21:04:06Z",
                    "timeline": [
                        {
                            "touchpoint_id": "tp-9f2c1a0b3d4e5f60718293a4b5c6d7e8",
                            "channel": "phone",
                            "occurred_at": "2026-03-02T15:04:05-06:00",
                            "text": "Pregunta por el estado de su licencia",
                            "case": {"procedure": "licencia-conducir", "reference": "LIC-2026-000123"},
                            "details": {"queue": "licencias", "duration_seconds": 342},
                        }
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )

    citizen_id: str = Field(description="The current id: a merged id resolves to its survivor")
    merged_ids: list[str] = Field(default_factory=list, description="Ids of the records merged into this one")
    given_name: str | None = None
    family_name: str | None = None
    birth_date: date | None = None
    address: Address | None = None
    identifiers: list[IdentifierResponse]
    created_at: datetime
    updated_at: datetime | None = None
    timeline: list[TimelineEntry] = Field(description="Touchpoints across all channels, newest first")
    next_cursor: str | None = Field(default=None, description="Pass as ?cursor= for the next timeline page")


class CitizenSearchResponse(BaseModel):
    citizens: list[CitizenResponse]


class TouchpointLinkResponse(BaseModel):
    touchpoint_id: str
    channel: str
    occurred_at: datetime
    linked_to: str = Field(description="The record the touchpoint was attached to (before any merge)")
    rule: str
    score: float | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


class IdentityExplanationResponse(BaseModel):
    citizen_id: str
    requested_id: str
    merged_ids: list[str]
    identifiers: list[IdentifierResponse]
    touchpoints: list[TouchpointLinkResponse]
    merges: list[MergeRecord]
    next_cursor: str | None = None


class AuditResponse(BaseModel):
    day: str
    entries: list[AuditEntry] = Field(description="Newest first")
