"""Finished web-chat session -> canonical Touchpoint (pure).

The touchpoint text is what the citizen wrote, one line per message, cut at the canonical text
limit; agent and bot lines only count towards the details.
"""

from __future__ import annotations

from functions.chat.models import ChatSender, ChatTouchpointRequest, ChatVisitor
from shared.models.touchpoint import Channel, Touchpoint, touchpoint_id_for

MAX_TEXT = 20_000


def to_touchpoint(request: ChatTouchpointRequest) -> Touchpoint:
    citizen_lines = [line.text for line in request.transcript if line.sender is ChatSender.CITIZEN and line.text]
    visitor = request.visitor or ChatVisitor()
    return Touchpoint(
        touchpoint_id=touchpoint_id_for(Channel.CHAT, request.session_id),
        channel=Channel.CHAT,
        occurred_at=request.started_at,
        source_message_id=request.session_id,
        citizen=visitor.to_claims(),
        case=request.case,
        text="\n".join(citizen_lines)[:MAX_TEXT] or None,
        language=request.language,
        details={
            "ended_at": request.ended_at.isoformat(),
            "duration_seconds": int((request.ended_at - request.started_at).total_seconds()),
            "bot_handled": request.bot_handled,
            "agent_id": request.agent_id,
            "message_count": len(request.transcript),
            "citizen_message_count": len(citizen_lines),
        },
    )
