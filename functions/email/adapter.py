"""Inbound email -> canonical Touchpoint (pure).

The touchpoint text is the subject, a blank line, then the body (either may be absent), cut at the
canonical text limit: the subject is often the only summary a citizen writes. The From display name
("Jorge Alberto Ramírez Soto") is the sender's name as they set it: it becomes the given names and surnames
claimed, which also tells the engine whether the address is one person's (`jorge.ramirez@…`) or a household's.
"""

from __future__ import annotations

from functions.email.models import EmailTouchpointRequest
from shared.identity.normalise import split_display_name
from shared.models.touchpoint import Channel, CitizenClaims, Touchpoint, touchpoint_id_for

MAX_TEXT = 20_000


def _message_id(raw: str) -> str:
    # Gateways differ on whether they keep the angle brackets; the same email must get the same key.
    return raw.strip().removeprefix("<").removesuffix(">")


def _text(subject: str, body: str) -> str | None:
    text = "\n\n".join(part for part in (subject, body.strip()) if part)
    return text[:MAX_TEXT] or None


def to_touchpoint(request: EmailTouchpointRequest) -> Touchpoint:
    source_message_id = _message_id(request.message_id)
    attachments = request.attachments
    given_name, family_name = split_display_name(request.from_name)
    return Touchpoint(
        touchpoint_id=touchpoint_id_for(Channel.EMAIL, source_message_id),
        channel=Channel.EMAIL,
        occurred_at=request.received_at,
        source_message_id=source_message_id,
        citizen=CitizenClaims(email=request.from_address, given_name=given_name, family_name=family_name),
        case=request.case,
        text=_text(request.subject, request.text_body),
        language=request.language,
        details={
            "from_name": request.from_name,
            "to_address": request.to_address,
            "subject": request.subject or None,
            "in_reply_to": request.in_reply_to,
            "references": " ".join(request.references) or None,
            "attachment_count": len(attachments),
            "attachment_names": "; ".join(item.filename for item in attachments) or None,
            "attachment_bytes": sum(item.size_bytes for item in attachments),
        },
    )
