"""What the social-media listening / inbox tool sends for each comment or direct message."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field, HttpUrl, StringConstraints

from shared.models.channel import CaseRef, ChannelRequest, PersonDetails
from shared.models.touchpoint import MessageText, ShortText

# Room for the network prefix the adapter adds, within the 200 characters of a source message id.
MessageId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=180)]


class SocialPlatform(StrEnum):
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    X = "x"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    THREADS = "threads"


class SocialTouchpointRequest(ChannelRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "platform": "facebook",
                    "message_id": "m_5KzQ1f9Yb0u2cN7rA3d8Lw",
                    "handle": "lupita.torres.m",
                    "display_name": "Lupita Torres",
                    "sent_at": "2026-03-04T19:15:22-06:00",
                    "text": (
                        "Hola, me inscribí al programa social en febrero y no sé si ya me aceptaron. "
                        "Mi cel es 55 8765 4321."
                    ),
                    "is_public": False,
                    "language": "es",
                    "sender": {"given_name": "Guadalupe", "family_name": "Torres Méndez", "phone": "55 8765 4321"},
                    "case": {"procedure": "programa-social"},
                }
            ]
        }
    )

    platform: SocialPlatform
    message_id: MessageId = Field(description="The platform's id of the comment or message; retries reuse it")
    handle: ShortText = Field(description="The author's account name on the platform, with or without @")
    display_name: ShortText | None = Field(default=None, description="The author's chosen display name")
    sent_at: AwareDatetime
    text: MessageText | None = Field(default=None, description="Comment or message text; absent for bare media")
    is_public: bool = Field(description="True for a public comment or mention, false for a direct message")
    post_url: HttpUrl | None = Field(default=None, description="The agency post a public comment answers")
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] | None = None
    sender: PersonDetails | None = Field(
        default=None, description="What the author said about themselves in the conversation, as noted by the team"
    )
    case: CaseRef | None = None
