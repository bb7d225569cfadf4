"""What a contact-centre platform (IVR / CTI) sends when a call ends."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field

from shared.models.channel import CaseRef, ChannelRequest, PersonDetails
from shared.models.touchpoint import MessageText, ShortText


class CallDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallDisposition(StrEnum):
    RESOLVED = "resolved"
    TRANSFERRED = "transferred"
    CALLBACK_SCHEDULED = "callback_scheduled"
    ABANDONED = "abandoned"
    DROPPED = "dropped"


class PhoneTouchpointRequest(ChannelRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "call_id": "CC-20260302-000451",
                    "caller_number": "55 1234 5678",
                    "dialed_number": "800 000 1234",
                    "direction": "inbound",
                    "started_at": "2026-03-02T15:04:05-06:00",
                    "ended_at": "2026-03-02T15:09:47-06:00",
                    "queue": "licencias",
                    "agent_id": "agente-042",
                    "ivr_path": ["menu-principal", "tramites", "licencias"],
                    "disposition": "resolved",
                    "summary": "Pregunta por el estado de su licencia; se le indicó el siguiente paso.",
                    "language": "es",
                    "caller": {"given_name": "María José", "family_name": "Hernández García"},
                    "case": {"procedure": "licencia-conducir", "reference": "LIC-2026-000123"},
                }
            ]
        }
    )

    call_id: ShortText = Field(description="The contact centre's id of the call; retries reuse it")
    caller_number: ShortText = Field(description="Caller's number (ANI) in any format")
    dialed_number: ShortText | None = Field(default=None, description="Number the caller dialled (DNIS)")
    direction: CallDirection = CallDirection.INBOUND
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    duration_seconds: Annotated[int, Field(ge=0, le=86_400)] | None = None
    queue: ShortText | None = None
    agent_id: ShortText | None = None
    ivr_path: list[ShortText] = Field(default_factory=list, max_length=50)
    disposition: CallDisposition | None = None
    summary: MessageText | None = Field(default=None, description="Agent notes or transcript summary")
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] | None = None
    caller: PersonDetails | None = Field(default=None, description="What the caller said about themselves")
    case: CaseRef | None = None
