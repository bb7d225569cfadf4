"""What readers see of a case: the same summary (and the same status text) for every channel and API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.cases.rules import missing_documents
from shared.cases.status import next_action, status_text
from shared.models.case import Case
from shared.models.procedure import CaseStatus, Procedure
from shared.models.touchpoint import Channel


class CaseSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    reference: str = Field(examples=["LIC-2026-000123"])
    procedure: str
    procedure_name: str
    status: CaseStatus
    status_text: str = Field(description="What the citizen is told, identical in every channel")
    current_step: str | None
    current_step_name: str | None
    next_action: str | None
    missing_documents: list[str] = Field(description="Names of the documents the current step still needs")
    completed_steps: list[str]
    opened_at: datetime
    opened_channel: Channel
    updated_at: datetime
    step_due_at: datetime | None
    language: str


def summarise(case: Case, procedure: Procedure, language: str | None = None) -> CaseSummary:
    lang = language if language in ("es", "en") else case.language
    step = procedure.step(case.current_step or "")
    missing = missing_documents(case, procedure, step) if step and case.is_open else []
    return CaseSummary(
        reference=case.reference,
        procedure=procedure.id,
        procedure_name=procedure.name.in_language(lang),
        status=case.status,
        status_text=status_text(case, procedure, lang),
        current_step=case.current_step,
        current_step_name=step.name.in_language(lang) if step else None,
        next_action=next_action(case, procedure, lang),
        missing_documents=[d.name.in_language(lang) for code in missing if (d := procedure.document(code))],
        completed_steps=list(case.completed_steps),
        opened_at=case.opened_at,
        opened_channel=case.opened_channel,
        updated_at=case.updated_at,
        step_due_at=case.step_due_at,
        language=lang,
    )
