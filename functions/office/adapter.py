"""In-person office visit -> canonical Touchpoint (pure).

Ticket numbers restart in every office and, in most queue systems, every morning, so the key is
office + local check-in date + ticket. The touchpoint text is the purpose, then the clerk's notes.
"""

from __future__ import annotations

from functions.office.models import DocumentType, OfficeTouchpointRequest
from shared.models.channel import PersonDetails
from shared.models.touchpoint import Channel, Touchpoint, touchpoint_id_for


def _national_id(request: OfficeTouchpointRequest) -> str | None:
    # The document read at the desk beats what was typed in; a CURP card's number is the CURP itself.
    document = request.presented_document
    if document is not None:
        if document.national_id:
            return document.national_id
        if document.type is DocumentType.CURP and document.number:
            return document.number
    return None


def to_touchpoint(request: OfficeTouchpointRequest) -> Touchpoint:
    visit_date = request.checked_in_at.date().isoformat()
    source_message_id = f"{request.office_id}:{visit_date}:{request.ticket_id}"
    person = request.person or PersonDetails()
    document = request.presented_document
    wait = None
    if request.served_at is not None:
        wait = max(0, int((request.served_at - request.checked_in_at).total_seconds()))
    text = "\n\n".join(part for part in (request.purpose, request.notes) if part)
    return Touchpoint(
        touchpoint_id=touchpoint_id_for(Channel.OFFICE, source_message_id),
        channel=Channel.OFFICE,
        occurred_at=request.checked_in_at,
        source_message_id=source_message_id,
        citizen=person.to_claims(national_id=_national_id(request)),
        case=request.case,
        text=text or None,
        language=request.language,
        details={
            "office_id": request.office_id,
            "office_name": request.office_name,
            "ticket_id": request.ticket_id,
            "service_desk": request.service_desk,
            "clerk_id": request.clerk_id,
            "purpose": request.purpose,
            "served_at": request.served_at.isoformat() if request.served_at else None,
            "wait_seconds": wait,
            "outcome": request.outcome.value if request.outcome else None,
            "document_type": document.type.value if document else None,
            "document_number": document.number if document else None,
        },
    )
