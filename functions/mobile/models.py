"""What the citizen mobile app sends for each event worth recording."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field

from shared.models.channel import CaseRef, ChannelRequest, PersonDetails
from shared.models.touchpoint import ShortText


class MobilePlatform(StrEnum):
    IOS = "ios"
    ANDROID = "android"


class AppAction(StrEnum):
    PROCEDURE_STARTED = "procedure_started"
    FORM_SUBMITTED = "form_submitted"
    DOCUMENT_UPLOADED = "document_uploaded"
    STATUS_CHECKED = "status_checked"
    PAYMENT_MADE = "payment_made"
    APPOINTMENT_BOOKED = "appointment_booked"
    PUSH_OPENED = "push_opened"


class MobileTouchpointRequest(ChannelRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "app-evt-3f9a1c7e-52b4-4d08-9e6a-0c2b7d5f8a14",
                    "login_subject": "sso|2d9b4f61-8a0e-4c37-b5d2-61f0e3a9c7b8",
                    "device_id": "sha256:6f1e0c2d9b8a7f3e4d5c6b7a8f9e0d1c",
                    "platform": "android",
                    "app_version": "3.4.1",
                    "occurred_at": "2026-03-07T08:45:19-06:00",
                    "action": "appointment_booked",
                    "screen": "citas/pasaporte/confirmacion",
                    "person": {
                        "given_name": "Luis Fernando",
                        "family_name": "Castillo Ortega",
                        "national_id": "CAOL920815HDFSRS03",
                    },
                    "case": {"procedure": "cita-pasaporte", "reference": "CITA-PAS-2026-031877"},
                }
            ]
        }
    )

    event_id: ShortText = Field(description="The app's id of the event; retries reuse it")
    login_subject: ShortText | None = Field(
        default=None, description="Government single sign-on subject (verified); absent before sign-in"
    )
    device_id: ShortText = Field(description="Hashed install id: tells devices apart, never the raw device id")
    platform: MobilePlatform
    app_version: ShortText
    occurred_at: AwareDatetime
    action: AppAction
    screen: ShortText | None = Field(default=None, description="Name of the app screen where the event happened")
    person: PersonDetails | None = Field(default=None, description="What the user typed into the form")
    case: CaseRef | None = None
    language: (
        Annotated[str, Field(pattern=r"^[a-z]{2}$", description="The app's language (the user's choice)")] | None
    ) = None
