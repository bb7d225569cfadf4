"""SMS / WhatsApp message -> canonical Touchpoint (pure)."""

from __future__ import annotations

from functions.messaging.models import MessagingTouchpointRequest
from shared.models.channel import PersonDetails
from shared.models.touchpoint import Channel, Touchpoint, touchpoint_id_for


def to_touchpoint(request: MessagingTouchpointRequest) -> Touchpoint:
    # SMS gateways and WhatsApp number their messages independently, so the network is part of the key.
    source_message_id = f"{request.network.value}:{request.message_id}"
    person = request.sender or PersonDetails()
    return Touchpoint(
        touchpoint_id=touchpoint_id_for(Channel.MESSAGING, source_message_id),
        channel=Channel.MESSAGING,
        occurred_at=request.sent_at,
        source_message_id=source_message_id,
        citizen=person.to_claims(phone=request.from_number),
        case=request.case,
        text=request.text,
        language=request.language,
        details={
            "network": request.network.value,
            "to_number": request.to_number,
            "profile_name": request.profile_name,
            "media_count": len(request.media),
            "media_content_types": ",".join(item.content_type for item in request.media) or None,
        },
    )
