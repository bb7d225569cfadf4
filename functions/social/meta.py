"""Messenger and Instagram messaging webhooks -> touchpoints and delivery statuses (pure).

Meta posts `{"object": "page" | "instagram", "entry": [{"id": <page or account>, "time": …, "messaging": [event,
…]}]}`. An event names the person (`sender.id`, the page-scoped id: the only identifier the webhook gives), the
agency's page or account (`recipient.id`), a time in epoch milliseconds and one of `message`, `delivery`, `read`,
`postback`, `reaction`, ….

A `message` becomes a direct-message touchpoint keyed `<platform>:<mid>` (platform `facebook` for Messenger,
`instagram`), the key the generic social route uses, so a message gets the same touchpoint whichever route
delivers it. The agency's own messages (`is_echo`) and unsent ones (`is_deleted`) are skipped; a `delivery`
records a status per message id; every other event is skipped, none is an error. An event without sender, id or
time is rejected by index (its position among all events of the webhook); the others are kept.

Also here, because the function ships only its own folder: Meta's GET verification and the raw body.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from shared.models.delivery import DeliveryStatus
from shared.models.touchpoint import (
    Channel,
    CitizenClaims,
    DetailValue,
    SocialAccount,
    Touchpoint,
    touchpoint_id_for,
)
from shared.webhooks.recording import ParsedWebhook, UnreadableWebhookError, json_object

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PLATFORM_BY_OBJECT = {"page": "facebook", "instagram": "instagram"}


class _Rejected(Exception):
    """One event of the webhook cannot be used; the reason names fields, never their values."""


# -- the webhook -----------------------------------------------------------------------------------------------


def read_meta(raw: bytes) -> ParsedWebhook:
    """Parse a verified body. Raises UnreadableWebhookError when it is not JSON or not a messaging webhook."""
    return parse_meta(json_object(raw))


def parse_meta(payload: dict[str, Any]) -> ParsedWebhook:
    kind = payload.get("object")
    platform = PLATFORM_BY_OBJECT.get(kind) if isinstance(kind, str) else None
    if platform is None:
        raise UnreadableWebhookError('not a Messenger or Instagram webhook: "object" is neither "page" nor "instagram"')
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise UnreadableWebhookError('not a Messenger or Instagram webhook: "entry" is not a list')
    parsed = ParsedWebhook()
    events = [e for entry in entries if isinstance(entry, dict) for e in _list(entry.get("messaging"))]
    for index, event in enumerate(events):
        try:
            if not isinstance(event, dict):
                raise _Rejected("not an object")
            if isinstance(event.get("message"), dict):
                touchpoint = _touchpoint(platform, event, event["message"])
                if touchpoint is not None:
                    parsed.touchpoints.append(touchpoint)
            elif isinstance(event.get("delivery"), dict):
                parsed.statuses.extend(_deliveries(event, event["delivery"]))
        except _Rejected as why:
            parsed.rejected.append((index, f"event: {why}"))
    return parsed


def _touchpoint(platform: str, event: dict[str, Any], message: dict[str, Any]) -> Touchpoint | None:
    if message.get("is_echo") is True or message.get("is_deleted") is True:
        return None
    sender, mid = _text(_dict(event.get("sender")).get("id")), _text(message.get("mid"))
    if not sender:
        raise _Rejected("missing sender.id")
    if not mid:
        raise _Rejected("missing message.mid")
    occurred_at = _epoch_millis(event.get("timestamp"))
    attachments = [a for a in _list(message.get("attachments")) if isinstance(a, dict)]
    kinds = list(dict.fromkeys(_text(a.get("type")) or "unknown" for a in attachments))
    text = _text(message.get("text"))
    unsupported = not text and not attachments
    source_message_id = f"{platform}:{mid}"
    details: dict[str, DetailValue] = {
        "platform": platform,
        "message_type": ",".join(kinds) if kinds else "text" if text else "unsupported",
        "attachment_count": len(attachments),
        "is_public": False,
        "recipient_id": _text(_dict(event.get("recipient")).get("id")),
        "context_message_id": _text(_dict(message.get("reply_to")).get("mid")),
        "reply_id": _text(_dict(message.get("quick_reply")).get("payload")),
        "unsupported": True if unsupported else None,
    }
    try:
        return Touchpoint(
            touchpoint_id=touchpoint_id_for(Channel.SOCIAL, source_message_id),
            channel=Channel.SOCIAL,
            occurred_at=occurred_at,
            citizen=CitizenClaims(social=SocialAccount(platform=platform, handle=sender)),
            text=text,
            source_message_id=source_message_id,
            details={k: v for k, v in details.items() if v is not None},
        )
    except ValidationError as error:
        raise _Rejected(f"not a valid touchpoint ({_fields(error)})") from error


def _deliveries(event: dict[str, Any], delivery: dict[str, Any]) -> list[DeliveryStatus]:
    """One status per delivered message id; a delivery with only a watermark (older clients) records nothing."""
    mids = [m for m in (_text(m) for m in _list(delivery.get("mids"))) if m]
    if not mids:
        return []
    at = _epoch_millis(event.get("timestamp") if event.get("timestamp") is not None else delivery.get("watermark"))
    return [DeliveryStatus(provider="meta", provider_message_id=mid, status="delivered", at=at) for mid in mids]


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


def _epoch_millis(value: Any) -> datetime:
    text = _text(value)
    if text is None:
        raise _Rejected("missing timestamp")
    try:
        return EPOCH + timedelta(milliseconds=int(text))
    except (ValueError, OverflowError, OSError) as error:
        raise _Rejected("timestamp is not epoch milliseconds") from error


def _fields(error: ValidationError) -> str:
    return ", ".join(sorted({".".join(str(p) for p in e["loc"]) or "value" for e in error.errors()}))
