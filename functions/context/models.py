"""The context response: what an IVR, a chatbot or an agent desktop needs when a contact arrives."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from shared.cases.views import CaseSummary
from shared.models.citizen import TimelineEntry

Confidence = Literal["verified", "high", "medium", "ambiguous", "unknown"]


class Candidate(BaseModel):
    citizen_id: str
    given_name: str | None
    family_name: str | None


class ContextResponse(BaseModel):
    confidence: Confidence = Field(
        description="verified: a verified id (SSO subject, CURP read at an office); high: one person's own contact "
        "point; medium: one holder of a contact point others could share; ambiguous: several people hold it "
        "(ask who is calling); unknown: nobody"
    )
    citizen_id: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    candidates: list[Candidate] = Field(default_factory=list, description="When ambiguous: who it could be")
    open_cases: list[CaseSummary] = Field(default_factory=list, description="Open cases, with the next action")
    recent_cases: list[CaseSummary] = Field(default_factory=list, description="Closed, resolved or abandoned ones")
    last_touchpoints: list[TimelineEntry] = Field(default_factory=list, description="Newest first, every channel")
