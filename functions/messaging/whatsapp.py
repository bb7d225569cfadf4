"""WhatsApp Business Cloud API webhook -> touchpoints and delivery statuses (pure).

Meta posts `{"object": "whatsapp_business_account", "entry": [{"id": <account>, "changes": [{"field": "messages",
"value": {...}}]}]}`. One `value` names the agency number (`metadata`), the senders' WhatsApp profiles
(`contacts`), the messages citizens sent (`messages`) and/or what became of messages the agency sent (`statuses`).

Every inbound message becomes one touchpoint keyed `whatsapp:<wamid>`, the key the generic messaging route uses
for `network: whatsapp`, so a message gets the same touchpoint whichever route delivers it. Types Ventanilla does
not read (stickers, reactions, contact cards, orders, `unsupported`, types Meta adds later) are still contacts of
the citizen: they are stored without text and marked `unsupported`. A message without id, sender or time is
rejected by index (its position among all messages of the webhook); the others are kept.

Also here, because the function ships only its own folder: Meta's GET verification and the raw body.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from shared.models.delivery import DeliveryState, DeliveryStatus
from shared.models.touchpoint import Channel, CitizenClaims, DetailValue, Touchpoint, touchpoint_id_for
from shared.webhooks.recording import ParsedWebhook, UnreadableWebhookError, json_object

WHATSAPP_OBJECT = "whatsapp_business_account"
NETWORK = "whatsapp"
MEDIA_TYPES = frozenset({"image", "video", "audio", "document"})
# What Meta reports about a message the agency sent; other values (e.g. `deleted`, `warning`) are skipped.
STATUS_STATES: dict[str, DeliveryState] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
}


class _Rejected(Exception):
    """One entry of the webhook cannot be used; the reason names fields, never their values."""


# -- the webhook -----------------------------------------------------------------------------------------------


def read_whatsapp(raw: bytes) -> ParsedWebhook:
    """Parse a verified body. Raises UnreadableWebhookError when it is not JSON or not a WhatsApp webhook."""
    return parse_whatsapp(json_object(raw))


def parse_whatsapp(payload: dict[str, Any]) -> ParsedWebhook:
    if payload.get("object") != WHATSAPP_OBJECT:
        raise UnreadableWebhookError(f'not a WhatsApp webhook: "object" is not "{WHATSAPP_OBJECT}"')
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise UnreadableWebhookError('not a WhatsApp webhook: "entry" is not a list')
    parsed = ParsedWebhook()
    message_index = status_index = 0
    for value in _message_values(entries):
        metadata = _dict(value.get("metadata"))
        profiles = _profile_names(value.get("contacts"))
        for message in _list(value.get("messages")):
            try:
                parsed.touchpoints.append(_touchpoint(message, metadata, profiles))
            except _Rejected as why:
                parsed.rejected.append((message_index, f"message: {why}"))
            message_index += 1
        for status in _list(value.get("statuses")):
            try:
                delivery = _delivery_status(status)
            except _Rejected as why:
                parsed.rejected.append((status_index, f"status: {why}"))
            else:
                if delivery is not None:
                    parsed.statuses.append(delivery)
            status_index += 1
    return parsed


def _message_values(entries: list[Any]) -> list[dict[str, Any]]:
    """The `value` of every `messages` change (other fields, e.g. template reviews, carry no messages)."""
    return [
        change["value"]
        for entry in entries
        if isinstance(entry, dict)
        for change in _list(entry.get("changes"))
        if isinstance(change, dict)
        and change.get("field", "messages") == "messages"
        and isinstance(change.get("value"), dict)
    ]


def _profile_names(contacts: Any) -> dict[str, str]:
    names: dict[str, str] = {}
    for contact in _list(contacts):
        if isinstance(contact, dict):
            wa_id, name = _text(contact.get("wa_id")), _text(_dict(contact.get("profile")).get("name"))
            if wa_id and name:
                names[wa_id] = name
    return names


def _touchpoint(message: Any, metadata: dict[str, Any], profiles: dict[str, str]) -> Touchpoint:
    if not isinstance(message, dict):
        raise _Rejected("not an object")
    wamid, sender = _text(message.get("id")), _text(message.get("from"))
    if not wamid:
        raise _Rejected("missing id")
    if not sender:
        raise _Rejected("missing from")
    occurred_at = _epoch_seconds(message.get("timestamp"))
    kind = _text(message.get("type")) or "unknown"
    text, content = _content(kind, message)
    source_message_id = f"{NETWORK}:{wamid}"
    details: dict[str, DetailValue] = {
        "network": NETWORK,
        "message_type": kind,
        "profile_name": profiles.get(sender),
        "phone_number_id": _text(metadata.get("phone_number_id")),
        "to_number": _text(metadata.get("display_phone_number")),
        "context_message_id": _text(_dict(message.get("context")).get("id")),
        **content,
    }
    try:
        return Touchpoint(
            touchpoint_id=touchpoint_id_for(Channel.MESSAGING, source_message_id),
            channel=Channel.MESSAGING,
            occurred_at=occurred_at,
            citizen=CitizenClaims(phone=sender),
            text=text,
            source_message_id=source_message_id,
            details={k: v for k, v in details.items() if v is not None},
        )
    except ValidationError as error:
        raise _Rejected(f"not a valid touchpoint ({_fields(error)})") from error


def _content(kind: str, message: dict[str, Any]) -> tuple[str | None, dict[str, DetailValue]]:
    """The text a person would read, and what else the type carries."""
    body = _dict(message.get(kind))
    if kind == "text":
        return _text(body.get("body")), {}
    if kind in MEDIA_TYPES:
        return _text(body.get("caption")), {"media_count": 1, "media_content_types": _text(body.get("mime_type"))}
    if kind == "location":
        place = ", ".join(p for p in (_text(body.get("name")), _text(body.get("address"))) if p)
        return place or None, {"latitude": _number(body.get("latitude")), "longitude": _number(body.get("longitude"))}
    if kind == "button":  # a quick-reply button of a template the agency sent
        return _text(body.get("text")), {"reply_id": _text(body.get("payload"))}
    if kind == "interactive":  # a reply button or list row of an interactive message the agency sent
        reply_type = _text(body.get("type"))
        reply = _dict(body.get(reply_type)) if reply_type else {}
        title = _text(reply.get("title"))
        if title:
            return title, {"interactive_type": reply_type, "reply_id": _text(reply.get("id"))}
    return None, {"unsupported": True, "provider_error": _first_error(message.get("errors"))}


def _delivery_status(status: Any) -> DeliveryStatus | None:
    if not isinstance(status, dict):
        raise _Rejected("not an object")
    message_id = _text(status.get("id"))
    if not message_id:
        raise _Rejected("missing id")
    state = STATUS_STATES.get(_text(status.get("status")) or "")
    if state is None:
        return None
    errors = [e for e in _list(status.get("errors")) if isinstance(e, dict)]
    try:
        return DeliveryStatus(
            provider="whatsapp",
            provider_message_id=message_id,
            status=state,
            at=_epoch_seconds(status.get("timestamp")),
            error="; ".join(filter(None, (_error_text(e) for e in errors))) or None,
        )
    except ValidationError as error:
        raise _Rejected(f"not a valid status ({_fields(error)})") from error


# -- reading loose JSON ----------------------------------------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    """A non-empty string (ids may come as numbers); anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) and value.strip() else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _epoch_seconds(value: Any) -> datetime:
    text = _text(value)
    if text is None:
        raise _Rejected("missing timestamp")
    try:
        return datetime.fromtimestamp(int(text), UTC)
    except (ValueError, OverflowError, OSError) as error:
        raise _Rejected("timestamp is not epoch seconds") from error


def _error_text(error: dict[str, Any]) -> str | None:
    return " ".join(filter(None, (_text(error.get("code")), _text(error.get("title"))))) or None


def _first_error(errors: Any) -> str | None:
    return next((t for e in _list(errors) if isinstance(e, dict) and (t := _error_text(e))), None)


def _fields(error: ValidationError) -> str:
    return ", ".join(sorted({".".join(str(p) for p in e["loc"]) or "value" for e in error.errors()}))
