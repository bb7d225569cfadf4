"""Domain events on the Ventanilla bus: one model per detail-type, shared by producers and consumers.

Events are thin on purpose: they carry ids, not personal data, so the bus, its archive and its
dead-letter queue never hold a citizen's name, phone or message. Consumers read what they need by key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.models.touchpoint import Channel


def _now() -> datetime:
    return datetime.now(UTC)


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    SOURCE: ClassVar[str]
    version: str = "1"
    correlation_id: str | None = None
    emitted_at: datetime = Field(default_factory=_now)

    @classmethod
    def detail_type(cls) -> str:
        return cls.__name__


class TouchpointRecorded(DomainEvent):
    SOURCE: ClassVar[str] = "ventanilla.ingest"

    touchpoint_id: str
    channel: Channel
    occurred_at: datetime


class DeliveryReported(DomainEvent):
    """A provider's report on a message Ventanilla sent (delivered, read, failed...)."""

    SOURCE: ClassVar[str] = "ventanilla.ingest"

    provider: str
    provider_message_id: str
    status: str
    at: datetime
    error: str | None = None


class CitizenResolved(DomainEvent):
    SOURCE: ClassVar[str] = "ventanilla.identity"

    touchpoint_id: str
    citizen_id: str
    outcome: Literal["created", "matched"]
    rule: str
    score: float | None = None


class CitizensMerged(DomainEvent):
    SOURCE: ClassVar[str] = "ventanilla.identity"

    survivor_id: str
    absorbed_id: str
    merge_id: str
    rule: str
    score: float | None = None


class CitizenSplit(DomainEvent):
    SOURCE: ClassVar[str] = "ventanilla.identity"

    citizen_id: str
    restored_citizen_id: str
    merge_id: str


class ReviewOpened(DomainEvent):
    SOURCE: ClassVar[str] = "ventanilla.identity"

    review_id: str
    kind: str
    touchpoint_id: str


class CaseOpened(DomainEvent):
    SOURCE: ClassVar[str] = "ventanilla.cases"

    reference: str
    procedure: str
    citizen_id: str | None = None
    channel: Channel
    touchpoint_id: str | None = None


class CaseStepCompleted(DomainEvent):
    SOURCE: ClassVar[str] = "ventanilla.cases"

    reference: str
    procedure: str
    step: str
    channel: Channel | None = None
    next_step: str | None = None
    touchpoint_id: str | None = None  # the contact that completed it; None for an operator or the agency


class CaseStatusChanged(DomainEvent):
    SOURCE: ClassVar[str] = "ventanilla.cases"

    reference: str
    procedure: str
    from_status: str
    to_status: str
    channel: Channel | None = None
    touchpoint_id: str | None = None


class CaseClosed(DomainEvent):
    SOURCE: ClassVar[str] = "ventanilla.cases"

    reference: str
    procedure: str
    status: str  # closed or abandoned


class CaseTouchpointAttached(DomainEvent):
    """A contact joined a case (the tracker): the journey monitor's input for switches and repeats."""

    SOURCE: ClassVar[str] = "ventanilla.cases"

    reference: str
    procedure: str
    citizen_id: str | None = None
    touchpoint_id: str
    channel: Channel
    occurred_at: datetime
    rule: str
    progressed: bool = Field(description="The contact completed a step or delivered documents")
    refused_step: bool = Field(default=False, description="It tried a step the catalogue refused in that channel")


class JourneySignal(DomainEvent):
    """Base of the journey signals: which case and citizen, and the evidence that triggered it."""

    SOURCE: ClassVar[str] = "ventanilla.journeys"

    reference: str
    procedure: str
    citizen_id: str | None = None
    at: datetime
    evidence: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class ChannelSwitched(JourneySignal):
    from_channel: Channel
    to_channel: Channel
    forced: bool = Field(description="The previous channel refused the step the citizen tried")


class RepeatContact(JourneySignal):
    channel: Channel
    contacts_without_progress: int


class CaseStalled(JourneySignal):
    step: str | None = None


class SlaBreached(JourneySignal):
    step: str | None = None
    due_at: datetime


class CaseAbandoned(JourneySignal):
    pass


class ResolvedFirstContact(JourneySignal):
    channel: Channel | None = None


class NegativeSentiment(JourneySignal):
    touchpoint_id: str
    channel: Channel
    score: float
    source: str
