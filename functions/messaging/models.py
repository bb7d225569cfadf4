"""What an SMS / WhatsApp gateway sends for each inbound message (generic JSON, not a provider's webhook)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field, HttpUrl, StringConstraints

from shared.models.channel import CaseRef, ChannelRequest, PersonDetails
from shared.models.touchpoint import MessageText, ShortText

# Room for the network prefix the adapter adds, within the 200 characters of a source message id.
MessageId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=180)]


class MessagingNetwork(StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"


class MessageMedia(ChannelRequest):
    content_type: ShortText = Field(description="MIME type, e.g. image/jpeg or application/pdf")
    url: HttpUrl = Field(description="Where the gateway keeps the file (often short-lived)")


class MessagingTouchpointRequest(ChannelRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "message_id": "wamid.HBgNNTIxNTUxMjM0NTY3OBUCABIYFjNFQjBDMEE1RjI3QTk1",
                    "network": "whatsapp",
                    "from_number": "5215512345678",
                    "to_number": "+52 55 5000 1234",
                    "sent_at": "2026-03-05T10:21:33-06:00",
                    "text": "Buenos días, ya subí mi comprobante de domicilio. ¿Cuándo puedo recoger mi licencia?",
                    "media": [{"content_type": "image/jpeg", "url": "https://media.example.mx/wa/3EB0C0A5F27A95.jpg"}],
                    "profile_name": "Majo Hernández",
                    "language": "es",
                    "case": {"procedure": "licencia-conducir", "reference": "LIC-2026-000123"},
                }
            ]
        }
    )

    message_id: MessageId = Field(description="The gateway's id of the message; retries reuse it")
    network: MessagingNetwork = Field(description="Which network the message came over")
    from_number: ShortText = Field(description="Sender's number in any format; the citizen's phone")
    to_number: ShortText = Field(description="The agency number that received the message")
    sent_at: AwareDatetime
    text: MessageText | None = Field(default=None, description="Message text or media caption; absent for bare media")
    media: list[MessageMedia] = Field(default_factory=list, max_length=10)
    profile_name: ShortText | None = Field(default=None, description="WhatsApp profile name; chosen by the user")
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] | None = None
    sender: PersonDetails | None = Field(default=None, description="What the sender said about themselves")
    case: CaseRef | None = None
