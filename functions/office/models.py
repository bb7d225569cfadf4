"""What an office's queue / front-desk system sends for an in-person visit (check-in, and service if it happened)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints

from shared.models.channel import CaseRef, ChannelRequest, PersonDetails
from shared.models.touchpoint import MessageText, ShortText

# Short enough that office, date and ticket together fit the 200 characters of a source message id.
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class DocumentType(StrEnum):
    INE = "ine"
    PASSPORT = "passport"
    CURP = "curp"
    LICENCIA = "licencia"
    OTHER = "other"


class VisitOutcome(StrEnum):
    RESOLVED = "resolved"
    DOCUMENTS_MISSING = "documents_missing"
    APPOINTMENT_SCHEDULED = "appointment_scheduled"
    REFERRED = "referred"
    LEFT_BEFORE_SERVICE = "left_before_service"


class PresentedDocument(ChannelRequest):
    """The identity document the citizen showed at the desk, as the clerk recorded it."""

    type: DocumentType
    number: ShortText | None = Field(default=None, description="Document number (INE: clave de elector or CIC)")
    national_id: ShortText | None = Field(default=None, description="The CURP printed on the document, if any")


class OfficeTouchpointRequest(ChannelRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ticket_id": "A-017",
                    "office_id": "CDMX-CUAUH-01",
                    "office_name": "Módulo de Licencias Cuauhtémoc",
                    "checked_in_at": "2026-03-02T09:12:40-06:00",
                    "served_at": "2026-03-02T09:31:05-06:00",
                    "service_desk": "ventanilla-4",
                    "clerk_id": "func-0231",
                    "purpose": "Renovación de licencia de conducir tipo A",
                    "presented_document": {
                        "type": "ine",
                        "number": "HRGRMR87041209M700",
                        "national_id": "HEGM870412MDFRRR02",
                    },
                    "person": {
                        "given_name": "María José",
                        "family_name": "Hernández García",
                        "birth_date": "1987-04-12",
                        "phone": "55 1234 5678",
                    },
                    "outcome": "documents_missing",
                    "notes": "Falta comprobante de domicilio reciente; puede enviarlo por WhatsApp.",
                    "case": {"procedure": "licencia-conducir", "reference": "LIC-2026-000123"},
                }
            ]
        }
    )

    ticket_id: Code = Field(description="Queue ticket; numbers repeat across offices and days")
    office_id: Code = Field(description="The agency's code of the office")
    office_name: ShortText | None = None
    checked_in_at: AwareDatetime = Field(description="When the ticket was issued (office local time with offset)")
    served_at: AwareDatetime | None = Field(default=None, description="When a clerk called the ticket")
    service_desk: ShortText | None = None
    clerk_id: ShortText | None = None
    purpose: ShortText | None = Field(default=None, description="Why the citizen came, as chosen at the kiosk or desk")
    presented_document: PresentedDocument | None = None
    person: PersonDetails | None = Field(default=None, description="What the clerk typed in about the citizen")
    outcome: VisitOutcome | None = None
    notes: MessageText | None = Field(default=None, description="The clerk's notes")
    case: CaseRef | None = None
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$", description="Language the citizen was served in")] | None = (
        None
    )
