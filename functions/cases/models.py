"""Requests and responses of the case API."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.cases.views import CaseSummary
from shared.models.case import CaseHistoryEntry
from shared.models.procedure import CaseStatus
from shared.models.touchpoint import Channel

Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$")]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenCaseRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "procedure": "licencia-conducir",
                    "citizen_id": "cit-3f7a0c2e9b8d4e51a6c0f1d2e3b4a596",
                    "channel": "office",
                    "actor": "ventanilla-07",
                    "step": "solicitud",
                    "documents": ["ine", "comprobante-domicilio"],
                }
            ]
        },
    )

    procedure: Code
    citizen_id: str | None = Field(default=None, pattern=r"^cit-[0-9a-f]{32}$")
    channel: Channel
    actor: Actor = Field(description="Who opens it: an operator id, or 'citizen'")
    language: str = Field(default="es", pattern=r"^(es|en)$")
    step: Code | None = Field(default=None, description="The first step, when this contact already completes it")
    documents: list[Code] = Field(default_factory=list, max_length=20)


class AdvanceCaseRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"step": "pago", "channel": "web", "actor": "citizen"}]},
    )

    step: Code | None = Field(default=None, description="The step completed (must be the case's current step)")
    documents: list[Code] = Field(default_factory=list, max_length=20, description="Document codes delivered")
    channel: Channel
    actor: Actor


class SetStatusRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "closed", "channel": "office", "actor": "supervisor-03"}]},
    )

    status: CaseStatus
    channel: Channel
    actor: Actor
    note: Note | None = None


class MoveTouchpointRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reference": "PRE-2026-000042", "actor": "agente-042", "reason": "La llamada era del predial"}
            ]
        },
    )

    reference: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}-\d{4}-\d{6}$", description="The right case, or null for none"
    )
    actor: Actor
    reason: Note


class AttachedTouchpoint(BaseModel):
    touchpoint_id: str
    rule: str = Field(description="How it was attached: opened, reference, inferred:…, operator")
    at: str


class CaseResponse(BaseModel):
    case: CaseSummary
    citizen_id: str | None
    history: list[CaseHistoryEntry]
    touchpoints: list[AttachedTouchpoint]


class MoveTouchpointResponse(BaseModel):
    touchpoint_id: str
    from_reference: str | None
    to_reference: str | None


class ProcedureStep(BaseModel):
    id: str
    name: str
    actor: str
    sla_hours: int
    channels: list[Channel]
    documents: list[str]


class ProcedureResponse(BaseModel):
    id: str
    name: str
    description: str
    reference_prefix: str
    steps: list[ProcedureStep]


class ProcedureListResponse(BaseModel):
    procedures: list[ProcedureResponse]


class GroupMetrics(BaseModel):
    group: str = Field(description="The channel, procedure, region or language (or `all`)")
    counters: dict[str, float]
    rates: dict[str, float | None]


class DayMetrics(BaseModel):
    day: str
    groups: list[GroupMetrics]


class AttentionItem(BaseModel):
    reference: str
    procedure: str
    citizen_id: str | None = None
    kind: str = Field(description="SlaBreached or CaseStalled")
    step: str | None = None
    at: str
    status: str | None = Field(default=None, description="The case's status now")


class AttentionResponse(BaseModel):
    items: list[AttentionItem] = Field(description="Open cases that stalled or breached an SLA, newest first")
    dead_letters: int | None = Field(description="Messages parked in the dead-letter queue (None: not readable)")


class JourneyMetricsResponse(BaseModel):
    start: str
    end: str
    by: str
    groups: list[GroupMetrics]
    days: list[DayMetrics] | None = Field(default=None, description="With daily=true: the same groups per day")
    equity_gap: dict[str, float | None] = Field(
        description="Per rate, the spread between the best- and the worst-served group (None with one group)"
    )
