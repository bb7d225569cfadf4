"""Phone call record -> canonical Touchpoint (pure)."""

from __future__ import annotations

from functions.phone.models import PhoneTouchpointRequest
from shared.models.channel import PersonDetails
from shared.models.touchpoint import Channel, Touchpoint, touchpoint_id_for


def to_touchpoint(request: PhoneTouchpointRequest) -> Touchpoint:
    duration = request.duration_seconds
    if duration is None and request.ended_at is not None:
        duration = max(0, int((request.ended_at - request.started_at).total_seconds()))
    person = request.caller or PersonDetails()
    return Touchpoint(
        touchpoint_id=touchpoint_id_for(Channel.PHONE, request.call_id),
        channel=Channel.PHONE,
        occurred_at=request.started_at,
        source_message_id=request.call_id,
        citizen=person.to_claims(phone=request.caller_number),
        case=request.case,
        text=request.summary,
        language=request.language,
        details={
            "direction": request.direction.value,
            "dialed_number": request.dialed_number,
            "queue": request.queue,
            "agent_id": request.agent_id,
            "duration_seconds": duration,
            "disposition": request.disposition.value if request.disposition else None,
            "ivr_path": "/".join(request.ivr_path) or None,
        },
    )
