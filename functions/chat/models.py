"""What the web-chat platform sends when a chat session ends: one body per finished session."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints, model_validator

from shared.models.channel import CaseRef, ChannelRequest, PersonDetails
from shared.models.touchpoint import ShortText

ChatLineText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4_000)]


class ChatSender(StrEnum):
    CITIZEN = "citizen"
    AGENT = "agent"
    BOT = "bot"


class ChatLine(ChannelRequest):
    sender: ChatSender
    text: ChatLineText
    sent_at: AwareDatetime


class ChatVisitor(PersonDetails):
    """What the visitor typed into the pre-chat form, plus the SSO subject when they were signed in."""

    login_subject: ShortText | None = Field(
        default=None, description="Government single sign-on subject, when the visitor was signed in (verified)"
    )


class ChatTouchpointRequest(ChannelRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "session_id": "chat-20260306-8f41c2",
                    "started_at": "2026-03-06T12:02:11-06:00",
                    "ended_at": "2026-03-06T12:09:48-06:00",
                    "visitor": {"given_name": "Guadalupe", "family_name": "Torres Méndez", "phone": "+52 55 8765 4321"},
                    "transcript": [
                        {
                            "sender": "bot",
                            "text": "Hola, soy el asistente de Ventanilla. ¿En qué te ayudo?",
                            "sent_at": "2026-03-06T12:02:11-06:00",
                        },
                        {
                            "sender": "citizen",
                            "text": "Me registré al programa de apoyo a madres trabajadoras y no me han depositado.",
                            "sent_at": "2026-03-06T12:02:40-06:00",
                        },
                        {
                            "sender": "agent",
                            "text": "Con gusto reviso. Su registro está validado; el primer depósito es el 15.",
                            "sent_at": "2026-03-06T12:06:02-06:00",
                        },
                        {
                            "sender": "citizen",
                            "text": "Perfecto, muchas gracias.",
                            "sent_at": "2026-03-06T12:09:30-06:00",
                        },
                    ],
                    "bot_handled": False,
                    "agent_id": "agente-017",
                    "language": "es",
                    "case": {"procedure": "programa-social", "reference": "PS-2026-004512"},
                }
            ]
        }
    )

    session_id: ShortText = Field(description="The chat platform's session id; one touchpoint per finished session")
    started_at: AwareDatetime
    ended_at: AwareDatetime
    visitor: ChatVisitor | None = Field(default=None, description="What the visitor said about themselves")
    transcript: list[ChatLine] = Field(default_factory=list, max_length=500)
    bot_handled: bool = Field(default=False, description="True when no human agent joined the session")
    agent_id: ShortText | None = Field(default=None, description="The human agent who answered, if any")
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] | None = None
    case: CaseRef | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> ChatTouchpointRequest:
        if self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        return self
