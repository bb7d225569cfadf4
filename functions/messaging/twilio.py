"""Twilio Programmable Messaging webhooks -> touchpoints and delivery statuses (pure).

Twilio posts `application/x-www-form-urlencoded` forms to the number's "a message comes in" URL (an inbound
SMS: `MessageSid`, `From`, `To`, `Body`, `NumMedia`, `MediaContentType<N>`/`MediaUrl<N>`, `FromCity`…) and to
the status callback URL of a message Ventanilla sent (`MessageSid`, `MessageStatus`, `ErrorCode`). Each request
carries `X-Twilio-Signature`: HMAC-SHA1 with the account's auth token of the URL Twilio called followed by the
POST parameters sorted by name, so the function must rebuild the public URL of its route (`public_url`).
Twilio sends no timestamp: an inbound message happened when it arrives.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import ValidationError

from shared.models.delivery import DeliveryState, DeliveryStatus
from shared.models.touchpoint import Channel, CitizenClaims, Touchpoint, touchpoint_id_for
from shared.webhooks.recording import ParsedWebhook

PROVIDER: Final = "twilio"
EMPTY_TWIML: Final = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MAX_FORM_FIELDS: Final = 200  # Twilio sends ~20 fields plus two per media item (at most 10)
MAX_MEDIA: Final = 10
_LOCAL_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_WHATSAPP_PREFIX: Final = "whatsapp:"

# Twilio's message statuses -> the delivery states Ventanilla records. `receiving`/`received` describe inbound
# messages, not deliveries; an unknown status is reported as unusable rather than guessed.
STATUS_MAP: Final[dict[str, DeliveryState]] = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sent",
    "sent": "sent",
    "partially_delivered": "sent",
    "delivered": "delivered",
    "read": "read",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}

Form = dict[str, list[str]]


class FormError(ValueError):
    """The body is not a readable form (bad base64, not UTF-8, too many fields); never echoes the body."""


class MissingFieldError(ValueError):
    """A field Twilio always sends is missing or empty (the message names the field, never a value)."""


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """A request header by name, whatever its case (API Gateway keeps the client's, the local runtime lowers)."""
    wanted = name.lower()
    for key, value in (headers or {}).items():
        if key.lower() == wanted and value is not None:
            return str(value)
    return None


def public_url(
    headers: Mapping[str, Any] | None,
    stage: str | None,
    path: str,
    query: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The URL Twilio called (and signed), rebuilt from what API Gateway hands the function.

    `{X-Forwarded-Proto or https}://{Host}{/stage}{path}`: the stage is part of an execute-api URL unless it is
    `$default`; a local runtime (Host 127.0.0.1/localhost) serves without a stage, over plain http unless a proxy
    says otherwise. A query string, if the URL had one, is appended in the order API Gateway reports it.
    Raises ValueError without a Host header (nothing to rebuild the URL from).
    """
    host = (header(headers, "host") or "").strip()
    if not host:
        raise ValueError("the request has no Host header")
    local = (urlsplit(f"//{host}").hostname or "").lower() in _LOCAL_HOSTS
    forwarded = (header(headers, "x-forwarded-proto") or "").split(",")[0].strip().lower()
    scheme = forwarded or ("http" if local else "https")
    prefix = f"/{stage}" if stage and stage != "$default" and not local else ""
    url = f"{scheme}://{host}{prefix}{path}"
    if query:
        url += "?" + urlencode([(name, value) for name, values in query.items() for value in values])
    return url


def signed_url_candidates(url: str) -> list[str]:
    """The URL as rebuilt, and the same URL with the default port added or removed.

    Twilio's own validators accept either form, because whether the signed URL carries `:443` depends on how the
    webhook URL was written in the console; API Gateway's Host never carries the port.
    """
    parts = urlsplit(url)
    default = _DEFAULT_PORTS.get(parts.scheme)
    hostname = parts.hostname or ""
    host = f"[{hostname}]" if ":" in hostname else hostname
    if default is None:
        return [url]
    try:
        port = parts.port
    except ValueError:
        return [url]
    if port is None:
        other = urlunsplit(parts._replace(netloc=f"{host}:{default}"))
    elif port == default:
        other = urlunsplit(parts._replace(netloc=host))
    else:
        return [url]
    return [url, other]


def parse_form(body: str | None, is_base64_encoded: bool = False) -> Form:
    """An application/x-www-form-urlencoded body -> {name: [values, in order]} (blank values kept)."""
    if not body:
        return {}
    try:
        raw = base64.b64decode(body, validate=True) if is_base64_encoded else body.encode("utf-8")
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeError, binascii.Error) as error:
        raise FormError("the request body is not UTF-8 form-encoded text") from error
    except ValueError as error:  # parse_qsl: more than max_num_fields
        raise FormError(f"the request body has more than {MAX_FORM_FIELDS} fields") from error
    form: Form = {}
    for name, value in pairs:
        form.setdefault(name, []).append(value)
    return form


def _first(form: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = form.get(name) or []
    value = values[0].strip() if values else ""
    return value or None


def _required(form: Mapping[str, Sequence[str]], name: str) -> str:
    value = _first(form, name)
    if value is None:
        raise MissingFieldError(f"{name} is required")
    return value


def is_status_callback(form: Mapping[str, Sequence[str]]) -> bool:
    """A status callback reports on a message Ventanilla sent: it has MessageStatus and no Body."""
    return "MessageStatus" in form and "Body" not in form


def _network_and_number(value: str) -> tuple[str, str]:
    """Twilio prefixes WhatsApp addresses (`whatsapp:+52…`); plain numbers are SMS/MMS."""
    if value.lower().startswith(_WHATSAPP_PREFIX):
        return "whatsapp", value[len(_WHATSAPP_PREFIX) :].strip()
    return "sms", value


def _media_types(form: Mapping[str, Sequence[str]]) -> tuple[int, list[str]]:
    try:
        declared = int(_first(form, "NumMedia") or 0)
    except ValueError:
        declared = 0
    count = max(0, min(declared, MAX_MEDIA))
    types = [t for i in range(count) if (t := _first(form, f"MediaContentType{i}"))]
    return max(count, len(types)), types


def message_to_touchpoint(form: Mapping[str, Sequence[str]], received_at: datetime) -> Touchpoint:
    """An inbound message -> touchpoint keyed like the generic route's (`sms:<MessageSid>`).

    `received_at` (aware, UTC) is when the webhook arrived: Twilio's request carries no time of its own.
    Raises MissingFieldError without MessageSid or From, ValueError (pydantic) for values the model refuses.
    """
    message_sid = _required(form, "MessageSid")
    network, phone = _network_and_number(_required(form, "From"))
    to_number = _first(form, "To")
    if to_number is not None:
        to_number = _network_and_number(to_number)[1]
    source_message_id = f"{network}:{message_sid}"
    media_count, media_types = _media_types(form)
    body = (form.get("Body") or [""])[0]
    return Touchpoint(
        touchpoint_id=touchpoint_id_for(Channel.MESSAGING, source_message_id),
        channel=Channel.MESSAGING,
        occurred_at=received_at,
        source_message_id=source_message_id,
        citizen=CitizenClaims(phone=phone),
        text=body if body.strip() else None,
        details={
            "provider": PROVIDER,
            "network": network,
            "to_number": to_number,
            "media_count": media_count,
            "media_content_types": ",".join(media_types) or None,
            "from_country": _first(form, "FromCountry"),
            "from_state": _first(form, "FromState"),
            "from_city": _first(form, "FromCity"),
        },
    )


def status_to_delivery(form: Mapping[str, Sequence[str]], received_at: datetime) -> DeliveryStatus:
    """A status callback -> DeliveryStatus; ValueError for a status that is not a delivery state."""
    message_sid = _required(form, "MessageSid")
    reported = (_first(form, "MessageStatus") or "").lower()
    state = STATUS_MAP.get(reported)
    if state is None:
        raise ValueError(f"message status {reported[:40] or '(empty)'!r} is not a delivery state")
    return DeliveryStatus(
        provider=PROVIDER,
        provider_message_id=message_sid,
        status=state,
        at=received_at,
        error=_first(form, "ErrorCode"),
    )


def parse_webhook(form: Mapping[str, Sequence[str]], received_at: datetime) -> ParsedWebhook:
    """One Twilio request -> what to record: one touchpoint, or one delivery status, or one rejected entry.

    Raises MissingFieldError when MessageSid (or, for a message, From) is missing: the request is not Twilio's.
    """
    parsed = ParsedWebhook()
    _required(form, "MessageSid")
    if is_status_callback(form):
        try:
            parsed.statuses.append(status_to_delivery(form, received_at))
        except ValueError as error:
            parsed.rejected.append((0, str(error)))
        return parsed
    _required(form, "From")
    try:
        parsed.touchpoints.append(message_to_touchpoint(form, received_at))
    except ValidationError as error:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors()) or "message"
        parsed.rejected.append((0, f"invalid values: {fields}"))
    return parsed


def keep_first_arrival(touchpoint: Touchpoint, first_occurred_at: datetime | None) -> Touchpoint:
    """A retried webhook keeps the arrival time stored the first time, so the retry matches the stored content.

    Twilio retries a webhook that timed out with the same MessageSid; `occurred_at` is the only field that
    differs between the attempts, and the store refuses a reused id whose content differs.
    """
    if first_occurred_at is None or first_occurred_at == touchpoint.occurred_at:
        return touchpoint
    return touchpoint.model_copy(update={"occurred_at": first_occurred_at})
