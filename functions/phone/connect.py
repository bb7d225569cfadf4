"""Amazon Connect contact records (CTRs) -> phone touchpoints, by HTTP and from the Kinesis export stream.

Connect writes one contact record per contact (a voice call, or a chat/task/email routed through the contact
centre) when it ends, and may deliver it again later (at least once; again when attributes are updated).
The touchpoint is keyed on `ContactId` exactly as the generic phone route keys on `call_id`, so a call reported
both ways is one touchpoint.

Where the record's fields go:
- `ContactId` -> touchpoint id and `source_message_id`; `InitiationTimestamp` -> `occurred_at` (both required).
- `CustomerEndpoint` {Type TELEPHONE_NUMBER} -> `citizen.phone` ({Type EMAIL_ADDRESS} -> `citizen.email`).
- `Attributes` (set by the contact flow or the agent): `summary` or `notes` -> `text`; `procedure` /
  `case_reference` -> `case`; `language` when Contact Lens names no locale.
- Contact Lens: `ContactLens.ConversationalAnalytics.Configuration.LanguageLocale` -> `language`; the customer's
  overall sentiment, when the record carries the analysis (`…OverallSentiment.CUSTOMER`, a score from -5 to +5
  as in Contact Lens output files, or a label) -> `customer_sentiment` and `customer_sentiment_score`.
- Everything else that describes the contact (channel, initiation method, queue, agent, durations, disconnect
  reason) -> `details`, as flat str/int/float/bool values.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, Literal

from pydantic import ValidationError

from shared.exceptions import DuplicateMismatchError
from shared.ingest.service import record_touchpoint
from shared.models.touchpoint import CaseRef, Channel, CitizenClaims, DetailValue, Touchpoint, touchpoint_id_for
from shared.observability import logger
from shared.repositories.touchpoints import TouchpointRepository
from shared.webhooks.recording import ParsedWebhook

PROVIDER: Final = "amazon-connect"
MAX_TEXT: Final = 20_000
SUMMARY_ATTRIBUTES: Final = ("summary", "notes")
SENTIMENT_LABELS: Final = frozenset({"POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"})
# Contact Lens scores run from -5 (negative) to +5 (positive); the band around zero reads as neutral.
SENTIMENT_THRESHOLD: Final = 1.0
_OUTBOUND_METHODS: Final = frozenset({"OUTBOUND", "EXTERNAL_OUTBOUND", "CALLBACK", "AGENT_REPLY"})
# Where a record enriched with the Contact Lens analysis carries the overall sentiment per participant role.
_SENTIMENT_PATHS: Final = (
    ("ContactLens", "ConversationalAnalytics", "ConversationCharacteristics", "Sentiment", "OverallSentiment"),
    ("ContactLens", "ConversationalAnalytics", "Sentiment", "OverallSentiment"),
    ("ConversationCharacteristics", "Sentiment", "OverallSentiment"),
)

StreamOutcome = Literal["stored", "replayed", "skipped", "conflict"]


class ContactRecordError(ValueError):
    """The record cannot become a touchpoint; the message names the field, never a value."""


def _dig(data: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(name)
    return data


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    return None


def _seconds(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return max(0, int(value))


def _timestamp(ctr: Mapping[str, Any], name: str) -> datetime | None:
    value = ctr.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ContactRecordError(f"{name} is not an ISO 8601 time")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ContactRecordError(f"{name} is not an ISO 8601 time") from None
    # Connect reports every timestamp in UTC.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _citizen(ctr: Mapping[str, Any]) -> CitizenClaims:
    endpoint = ctr.get("CustomerEndpoint")
    address = _text(_dig(endpoint, "Address"))
    kind = _text(_dig(endpoint, "Type"))
    if address and kind == "TELEPHONE_NUMBER":
        return CitizenClaims(phone=address)
    if address and kind == "EMAIL_ADDRESS":
        return CitizenClaims(email=address)
    return CitizenClaims()


def _attributes(ctr: Mapping[str, Any]) -> dict[str, str]:
    attributes = ctr.get("Attributes")
    if not isinstance(attributes, Mapping):
        return {}
    return {str(k): v.strip() for k, v in attributes.items() if isinstance(v, str) and v.strip()}


def _case(attributes: Mapping[str, str]) -> CaseRef | None:
    procedure, reference = attributes.get("procedure"), attributes.get("case_reference")
    if procedure is None and reference is None:
        return None
    try:
        return CaseRef(procedure=procedure, reference=reference)
    except ValidationError as error:
        names = {"procedure": "procedure", "reference": "case_reference"}
        fields = sorted({names.get(str(e["loc"][0]), "case") if e["loc"] else "case" for e in error.errors()})
        raise ContactRecordError("invalid case attributes: " + ", ".join(fields)) from None


def _language(ctr: Mapping[str, Any], attributes: Mapping[str, str]) -> str | None:
    configuration = _dig(ctr, "ContactLens", "ConversationalAnalytics", "Configuration")
    locale = _text(_dig(configuration, "LanguageLocale")) or attributes.get("language") or ""
    code = locale.replace("_", "-").split("-")[0].lower()
    return code if len(code) == 2 and code.isascii() and code.isalpha() else None


def sentiment_label(score: float) -> str:
    """A Contact Lens score (-5..+5) as a label: within ±SENTIMENT_THRESHOLD of zero is NEUTRAL."""
    if score >= SENTIMENT_THRESHOLD:
        return "POSITIVE"
    if score <= -SENTIMENT_THRESHOLD:
        return "NEGATIVE"
    return "NEUTRAL"


def customer_sentiment(ctr: Mapping[str, Any], attributes: Mapping[str, str]) -> tuple[str | None, float | None]:
    """(label, score) of the customer's overall sentiment, when the record carries Contact Lens analysis."""
    for path in _SENTIMENT_PATHS:
        value = _dig(ctr, *path, "CUSTOMER")
        if isinstance(value, int | float) and not isinstance(value, bool):
            score = round(float(value), 2)
            return sentiment_label(score), score
        if isinstance(value, str) and value.strip().upper() in SENTIMENT_LABELS:
            return value.strip().upper(), None
    label = attributes.get("customer_sentiment", "").upper()
    return (label, None) if label in SENTIMENT_LABELS else (None, None)


def _direction(method: str | None) -> str | None:
    if method == "INBOUND":
        return "inbound"
    if method in _OUTBOUND_METHODS:
        return "outbound"
    return None


def contact_record_to_touchpoint(ctr: Mapping[str, Any]) -> Touchpoint:
    """One Connect contact record -> the phone channel's touchpoint.

    Raises ContactRecordError (a ValueError) for a record without ContactId or InitiationTimestamp, and
    pydantic's ValidationError (also a ValueError) for values the touchpoint model refuses.
    """
    if not isinstance(ctr, Mapping):
        raise ContactRecordError("a contact record is a JSON object")
    contact_id = _text(ctr.get("ContactId"))
    if contact_id is None:
        raise ContactRecordError("contact record has no ContactId")
    started = _timestamp(ctr, "InitiationTimestamp")
    if started is None:
        raise ContactRecordError("contact record has no InitiationTimestamp")
    ended = _timestamp(ctr, "DisconnectTimestamp")
    attributes = _attributes(ctr)
    summary = next((attributes[name] for name in SUMMARY_ATTRIBUTES if name in attributes), None)
    label, score = customer_sentiment(ctr, attributes)
    method = _text(ctr.get("InitiationMethod"))
    initial_contact_id = _text(ctr.get("InitialContactId"))
    details: dict[str, DetailValue] = {
        "provider": PROVIDER,
        "contact_id": contact_id,
        "initial_contact_id": initial_contact_id if initial_contact_id != contact_id else None,
        "channel_type": _text(ctr.get("Channel")),
        "initiation_method": method,
        "direction": _direction(method),
        "dialed_number": _text(_dig(ctr, "SystemEndpoint", "Address")),
        "queue": _text(_dig(ctr, "Queue", "Name")),
        "queue_seconds": _seconds(_dig(ctr, "Queue", "Duration")),
        "agent_id": _text(_dig(ctr, "Agent", "Username")),
        "agent_interaction_seconds": _seconds(_dig(ctr, "Agent", "AgentInteractionDuration")),
        "duration_seconds": max(0, int((ended - started).total_seconds())) if ended else None,
        "disconnect_reason": _text(ctr.get("DisconnectReason")),
        "recorded": bool(ctr.get("Recording") or ctr.get("Recordings")),
        "customer_sentiment": label,
        "customer_sentiment_score": score,
    }
    return Touchpoint(
        touchpoint_id=touchpoint_id_for(Channel.PHONE, contact_id),
        channel=Channel.PHONE,
        occurred_at=started,
        source_message_id=contact_id,
        citizen=_citizen(ctr),
        case=_case(attributes),
        text=summary[:MAX_TEXT] if summary else None,
        language=_language(ctr, attributes),
        details=details,
    )


def rejection_reason(error: Exception) -> str:
    """Why a record was refused, for the caller and the logs: field names only, never the values."""
    if isinstance(error, ValidationError):
        fields = sorted({".".join(str(p) for p in e["loc"]) or "record" for e in error.errors()})
        return "invalid values: " + ", ".join(fields[:5])
    if isinstance(error, json.JSONDecodeError | RecursionError):
        return "not a JSON document"
    if isinstance(error, UnicodeError):
        return "not UTF-8 text"
    if isinstance(error, binascii.Error):
        return "not base64"
    if isinstance(error, ContactRecordError):
        return str(error)
    return "not a contact record"


def load_body(body: str | None, is_base64_encoded: bool = False) -> Any:
    """The JSON a request carried; ValueError (with a safe message) when it is not JSON."""
    if not body:
        raise ContactRecordError("the request has no body")
    try:
        raw = base64.b64decode(body, validate=True) if is_base64_encoded else body.encode("utf-8")
        return json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as error:
        raise ContactRecordError(f"the request body is {rejection_reason(error)}") from None


def parse_contact_records(payload: Any) -> ParsedWebhook:
    """One contact record (object) or a list of them -> touchpoints, and the indexes of unusable records."""
    if isinstance(payload, Mapping):
        records: list[Any] = [payload]
    elif isinstance(payload, list):
        records = payload
    else:
        raise ContactRecordError("send one contact record (a JSON object) or a list of them")
    parsed = ParsedWebhook()
    for index, record in enumerate(records):
        try:
            parsed.touchpoints.append(contact_record_to_touchpoint(record))
        except (ValueError, TypeError) as error:
            parsed.rejected.append((index, rejection_reason(error)))
    return parsed


def store_stream_record(
    data: str, repository: TouchpointRepository, correlation_id: str | None = None
) -> StreamOutcome:
    """One Kinesis record (base64 JSON of one contact record) -> stored touchpoint.

        A record that is not a usable contact record, or that conflicts with the one already stored (an update of
        the same contact), can never succeed: it is logged (no personal data) and counted as processed, so it does
        not block the shard. A failure to store propagates: the batch reports the record for a retry. (A stored
    touchpoint is announced from the table's stream.)
    """
    try:
        ctr = json.loads(base64.b64decode(data, validate=True).decode("utf-8"))
        touchpoint = contact_record_to_touchpoint(ctr)
    except (ValueError, TypeError, RecursionError) as error:
        logger.warning("contact record skipped", extra={"reason": rejection_reason(error)})
        return "skipped"
    try:
        outcome = record_touchpoint(touchpoint, repository, correlation_id=correlation_id)
    except DuplicateMismatchError:
        logger.warning(
            "contact record differs from the stored one; kept the first",
            extra={"touchpoint_id": touchpoint.touchpoint_id},
        )
        return "conflict"
    return "stored" if outcome.created else "replayed"
