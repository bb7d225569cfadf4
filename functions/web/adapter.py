"""Citizen-portal event -> canonical Touchpoint (pure). A portal event has no free text."""

from __future__ import annotations

from functions.web.models import WebTouchpointRequest
from shared.models.channel import PersonDetails
from shared.models.touchpoint import Channel, Touchpoint, touchpoint_id_for


def to_touchpoint(request: WebTouchpointRequest) -> Touchpoint:
    person = request.person or PersonDetails()
    return Touchpoint(
        touchpoint_id=touchpoint_id_for(Channel.WEB, request.event_id),
        channel=Channel.WEB,
        occurred_at=request.occurred_at,
        source_message_id=request.event_id,
        citizen=person.to_claims(login_subject=request.login_subject),
        case=request.case,
        language=request.language,
        details={
            "action": request.action.value,
            "page": request.page,
            "session_id": request.session_id,
            "signed_in": request.login_subject is not None,
        },
    )
