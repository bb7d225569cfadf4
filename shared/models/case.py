"""Cases (*trámites*): one procedure followed for one citizen, whatever channels it passes through."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.models.procedure import CaseStatus
from shared.models.touchpoint import Channel

OPEN_STATUSES = frozenset({CaseStatus.RECEIVED, CaseStatus.IN_REVIEW, CaseStatus.AWAITING_CITIZEN})
REFERENCE_PATTERN = r"^[A-Z]{3}-\d{4}-\d{6}$"

HistoryKind = Literal[
    "opened",
    "step_completed",
    "status_changed",
    "documents_received",
    "touchpoint_attached",
    "touchpoint_detached",
    "citizen_changed",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Case(_Model):
    reference: str = Field(pattern=REFERENCE_PATTERN, examples=["LIC-2026-000123"])
    procedure: str
    citizen_id: str | None = Field(default=None, description="The citizen now (follows merges and splits)")
    status: CaseStatus = CaseStatus.RECEIVED
    current_step: str | None = Field(default=None, description="The next step to complete; None when all are done")
    completed_steps: tuple[str, ...] = ()
    documents: tuple[str, ...] = Field(default=(), description="Document codes delivered so far")
    language: str = "es"
    opened_at: datetime
    opened_channel: Channel
    updated_at: datetime
    step_due_at: datetime | None = Field(default=None, description="When the current step breaches its SLA")
    closed_at: datetime | None = None
    last_touchpoint_at: datetime | None = None
    moved_by_merge: str | None = Field(default=None, description="The merge that moved it to its citizen")
    previous_citizen_id: str | None = None
    version: int = 0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseHistoryEntry(_Model):
    at: datetime
    kind: HistoryKind
    channel: Channel | None = None
    actor: str = Field(description="Who did it: 'citizen', an operator id, or 'ventanilla' for inferences")
    from_status: CaseStatus | None = None
    to_status: CaseStatus | None = None
    step: str | None = None
    documents: tuple[str, ...] = ()
    touchpoint_id: str | None = None
    rule: str | None = Field(default=None, description="How a touchpoint was attached: reference, inferred, ...")
    note: str | None = None


class CaseChange(_Model):
    """A case after a command, with what happened to it (history entries; events are derived from them)."""

    case: Case
    history: tuple[CaseHistoryEntry, ...] = ()
