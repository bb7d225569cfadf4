"""What the agency's mail gateway sends for each inbound email (parsed, generic JSON)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints

from shared.models.channel import CaseRef, ChannelRequest
from shared.models.touchpoint import MessageText, ShortText

# RFC 5322 caps a header line at 998 characters; a subject may legitimately be empty.
Subject = Annotated[str, StringConstraints(strip_whitespace=True, max_length=998)]
# Something besides the angle brackets, so the id left after removing them is never empty.
MessageId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"[^<>]")]


class EmailAttachment(ChannelRequest):
    """Only what describes the file: the content stays in the mail store."""

    filename: ShortText
    size_bytes: Annotated[int, Field(ge=0, le=100_000_000)]


class EmailTouchpointRequest(ChannelRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "message_id": "<CAF3xq9R2m7d8Q@mail.example.com>",
                    "from_address": "jorge.ramirez@example.com",
                    "from_name": "Jorge Alberto Ramírez Soto",
                    "to_address": "atencion.ciudadana@tesoreria.example.mx",
                    "subject": "Duda sobre el pago del predial 2026",
                    "text_body": (
                        "Buenas tardes. Quiero pagar el predial 2026 con el descuento de enero a marzo, "
                        "pero el portal no reconoce mi cuenta catastral 045-123-07. ¿Me pueden ayudar?"
                    ),
                    "received_at": "2026-03-03T17:42:10-06:00",
                    "references": [],
                    "attachments": [{"filename": "boleta-predial-2025.pdf", "size_bytes": 184320}],
                    "language": "es",
                    "case": {"procedure": "predial", "reference": "PRED-045-123-07"},
                }
            ]
        }
    )

    message_id: MessageId = Field(description="RFC 5322 Message-ID, with or without angle brackets")
    from_address: ShortText = Field(description="Sender's address (From); the citizen's email")
    from_name: ShortText | None = Field(default=None, description="Display name of the From header")
    to_address: ShortText = Field(description="The agency mailbox that received the email")
    subject: Subject = ""
    text_body: MessageText = Field(default="", description="Plain-text body (or the HTML body turned to text)")
    received_at: AwareDatetime
    in_reply_to: ShortText | None = Field(default=None, description="In-Reply-To header: the message answered")
    references: list[ShortText] = Field(
        default_factory=list, max_length=50, description="References header: earlier messages of the thread"
    )
    attachments: list[EmailAttachment] = Field(default_factory=list, max_length=50)
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] | None = None
    case: CaseRef | None = None
