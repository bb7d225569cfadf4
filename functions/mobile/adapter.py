"""Mobile-app event -> canonical Touchpoint (pure). An app event has no free text."""

from __future__ import annotations

from functions.mobile.models import MobileTouchpointRequest
from shared.models.channel import PersonDetails
from shared.models.touchpoint import Channel, Touchpoint, touchpoint_id_for


def to_touchpoint(request: MobileTouchpointRequest) -> Touchpoint:
    person = request.person or PersonDetails()
    return Touchpoint(
        touchpoint_id=touchpoint_id_for(Channel.MOBILE, request.event_id),
        channel=Channel.MOBILE,
        occurred_at=request.occurred_at,
        source_message_id=request.event_id,
        citizen=person.to_claims(login_subject=request.login_subject),
        case=request.case,
        language=request.language,
        details={
            "action": request.action.value,
            "screen": request.screen,
            "platform": request.platform.value,
            "app_version": request.app_version,
            "device_id": request.device_id,
            "signed_in": request.login_subject is not None,
        },
    )
