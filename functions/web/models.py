"""What the citizen portal sends for each event worth recording (a step of a procedure, not every page view)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints

from shared.models.channel import CaseRef, ChannelRequest, PersonDetails
from shared.models.touchpoint import ShortText

PagePath = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]


class PortalAction(StrEnum):
    PROCEDURE_STARTED = "procedure_started"
    FORM_SUBMITTED = "form_submitted"
    DOCUMENT_UPLOADED = "document_uploaded"
    STATUS_CHECKED = "status_checked"
    PAYMENT_MADE = "payment_made"
    APPOINTMENT_BOOKED = "appointment_booked"
    DOCUMENT_DOWNLOADED = "document_downloaded"


class WebTouchpointRequest(ChannelRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "web-evt-01JNQ3T7W9K2M4P6R8S0V1X3Z5",
                    "login_subject": "sso|7c1e9a52-3b4d-4f0e-9a61-2d8f5b0c3e11",
                    "session_id": "s-4b7d2e90a1c3",
                    "occurred_at": "2026-03-04T09:31:07-06:00",
                    "action": "form_submitted",
                    "page": "/tramites/predial/aclaracion-cuenta",
                    "person": {
                        "given_name": "Jorge Alberto",
                        "family_name": "Ramírez Soto",
                        "email": "Jorge.Ramirez@example.com",
                    },
                    "case": {"procedure": "predial", "reference": "PRED-045-123-07"},
                }
            ]
        }
    )

    event_id: ShortText = Field(description="The portal's id of the event; retries reuse it")
    login_subject: ShortText | None = Field(
        default=None, description="Government single sign-on subject (verified); absent for anonymous visits"
    )
    session_id: ShortText | None = Field(default=None, description="The portal's browser session id")
    occurred_at: AwareDatetime
    action: PortalAction
    page: PagePath | None = Field(default=None, description="Path of the page where the event happened")
    person: PersonDetails | None = Field(default=None, description="What the visitor typed into the form")
    case: CaseRef | None = None
    language: (
        Annotated[str, Field(pattern=r"^[a-z]{2}$", description="The portal's language (the visitor's choice)")] | None
    ) = None
