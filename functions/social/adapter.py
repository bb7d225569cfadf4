"""Social-media comment or direct message -> canonical Touchpoint (pure)."""

from __future__ import annotations

from functions.social.models import SocialTouchpointRequest
from shared.models.channel import PersonDetails
from shared.models.touchpoint import Channel, SocialAccount, Touchpoint, touchpoint_id_for


def to_touchpoint(request: SocialTouchpointRequest) -> Touchpoint:
    # Each platform numbers its own messages, so the platform is part of the key.
    source_message_id = f"{request.platform.value}:{request.message_id}"
    person = request.sender or PersonDetails()
    return Touchpoint(
        touchpoint_id=touchpoint_id_for(Channel.SOCIAL, source_message_id),
        channel=Channel.SOCIAL,
        occurred_at=request.sent_at,
        source_message_id=source_message_id,
        citizen=person.to_claims(social=SocialAccount(platform=request.platform.value, handle=request.handle)),
        case=request.case,
        text=request.text,
        language=request.language,
        details={
            "platform": request.platform.value,
            "is_public": request.is_public,
            "display_name": request.display_name,
            "post_url": str(request.post_url) if request.post_url else None,
        },
    )
