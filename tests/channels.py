"""What the integration and end-to-end tests need to know about each channel's generic body."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import load_event

# The field a retry repeats and a new message changes (the channel's own message id).
ID_FIELD = {
    "phone": "call_id",
    "messaging": "message_id",
    "email": "message_id",
    "chat": "session_id",
    "social": "message_id",
    "web": "event_id",
    "mobile": "event_id",
    "office": "ticket_id",
}


def fresh_body(channel: str) -> dict[str, Any]:
    """The channel's example body as a new message (new message id), so tests never collide."""
    body = load_event(f"{channel}_touchpoint")
    body[ID_FIELD[channel]] = f"t{uuid.uuid4().hex[:20]}"
    return body


def lookup_query(channel: str, body: dict[str, Any]) -> dict[str, str]:
    """How an operator would find the sender of this body through GET /v1/citizens."""
    if channel == "phone":
        return {"phone": body["caller_number"]}
    if channel == "messaging":
        return {"phone": body["from_number"]}
    if channel == "email":
        return {"email": body["from_address"]}
    if channel == "chat":
        visitor = body["visitor"]
        kind = next(k for k in ("login_subject", "email", "phone") if visitor.get(k))
        return {kind: visitor[kind]}
    if channel == "social":
        return {"handle": f"{body['platform']}:{body['handle']}"}
    if channel in ("web", "mobile"):
        return {"login_subject": body["login_subject"]}
    document = body.get("presented_document") or {}
    return {"national_id": document.get("national_id") or body["person"]["national_id"]}
