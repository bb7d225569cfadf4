"""Amazon SES inbound mail, delivered by an SNS HTTPS subscription -> touchpoints (pure, no I/O).

A receipt rule with an SNS action publishes every email the agency receives to a topic; the topic's HTTPS
subscription posts to `/v1/channels/email/ses`. SNS posts `text/plain` JSON envelopes (`Type`, `MessageId`,
`TopicArn`, `Message`, `Timestamp`, and for a subscription confirmation `Token`/`SubscribeURL`), the type
also in the `x-amz-sns-message-type` header. A `Notification`'s `Message` is SES's receipt notification:
`notificationType: "Received"`, `mail` (SES's own id, timestamp, destination, common headers), `receipt`
(recipients, spam/virus/SPF/DKIM/DMARC verdicts, the action with its `encoding`: UTF-8 or BASE64) and
`content`, the raw MIME message.

The raw message is read with the standard library and becomes exactly the touchpoint the generic email
route makes of the same mail: it goes through the same request model and adapter, so the id (the Message-ID
without angle brackets), claims and text are the same whichever route delivered it.

Threads: a reply is attached to its case when its subject or body names a case reference; otherwise when it
answers (In-Reply-To, or the last of References) an earlier email touchpoint that is attached to a case. That
lookup is a port (`TouchpointLookup`, the touchpoint repository's `get`). A mail already stored (SNS redelivers;
the generic route may have had it) is recorded again exactly as stored, so a retry whose thread lookup now
finds a case, or the other route's wording, never looks like a different message reusing the id (a 409).

A mail whose virus verdict is FAIL is still a contact: it is stored without its text, marked `quarantined`.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from functions.email.adapter import MAX_TEXT, to_touchpoint
from functions.email.adapter import _message_id as bare_message_id
from functions.email.models import EmailTouchpointRequest
from shared.models.case import REFERENCE_PATTERN
from shared.models.touchpoint import CaseRef, Channel, StoredTouchpoint, Touchpoint, touchpoint_id_for
from shared.webhooks.recording import ParsedWebhook

PROVIDER: Final = "ses"
MAX_SUBJECT: Final = 998  # RFC 5322 line limit, as the generic request model
MAX_SHORT: Final = 200  # ShortText / MessageId limit of the generic request model
MAX_REFERENCES: Final = 50
FAIL: Final = "FAIL"

TouchpointLookup = Callable[[str], StoredTouchpoint | None]
"""The stored touchpoint with this id, or None (the touchpoint repository's `get`)."""

_REFERENCE = re.compile(r"\b" + REFERENCE_PATTERN.removeprefix("^").removesuffix("$") + r"\b")
_MESSAGE_ID_TOKEN = re.compile(r"<[^<>\s]+>")
_ARN_REGION = re.compile(r"^arn:[a-z0-9-]+:sns:([a-z0-9-]+):\d{12}:[\w-]+$")
_DROPPED_HTML = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_LINE_BREAK_HTML = re.compile(r"<\s*(br|/li|/tr)\b[^>]*>", re.IGNORECASE)
_PARAGRAPH_END_HTML = re.compile(r"<\s*/(p|div|h[1-6]|blockquote|table|ul|ol)\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


# --- the SNS envelope -------------------------------------------------------------------------------------


class SnsMessageType(StrEnum):
    SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
    NOTIFICATION = "Notification"
    UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"


class SnsEnvelopeError(ValueError):
    """The body is not an SNS message this route can act on (the message names the problem, never a value)."""


class SnsEnvelope(BaseModel):
    """The fields of an SNS HTTP(S) message this route uses (the signature fields are not needed: the
    subscription URL's basic credentials authenticate the request)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    type: SnsMessageType = Field(alias="Type")
    message_id: str = Field(alias="MessageId", min_length=1)
    topic_arn: str = Field(alias="TopicArn", min_length=1)
    message: str = Field(default="", alias="Message")
    timestamp: str | None = Field(default=None, alias="Timestamp")
    token: str | None = Field(default=None, alias="Token")


def parse_sns_envelope(body: str | None, message_type_header: str | None) -> SnsEnvelope:
    """The SNS message posted to the route; the `x-amz-sns-message-type` header must agree with its `Type`."""
    if not body:
        raise SnsEnvelopeError("request body is empty")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise SnsEnvelopeError("request body is not an SNS message (not JSON)") from error
    if not isinstance(data, dict):
        raise SnsEnvelopeError("request body is not an SNS message (not a JSON object)")
    try:
        envelope = SnsEnvelope.model_validate(data)
    except ValidationError as error:
        fields = sorted({str(e["loc"][0]) for e in error.errors() if e.get("loc")})
        raise SnsEnvelopeError(f"request body is not an SNS message ({', '.join(fields)})") from error
    if message_type_header and message_type_header.strip() != envelope.type.value:
        raise SnsEnvelopeError("x-amz-sns-message-type does not match the message Type")
    if envelope.type is SnsMessageType.SUBSCRIPTION_CONFIRMATION and not envelope.token:
        raise SnsEnvelopeError("subscription confirmation without Token")
    return envelope


def topic_region(topic_arn: str) -> str | None:
    """The region of an SNS topic ARN: ConfirmSubscription must be called there (SES receives mail only in
    some regions, which need not be the function's)."""
    match = _ARN_REGION.match(topic_arn)
    return match.group(1) if match else None


# --- the SES receipt notification -------------------------------------------------------------------------


class _SesModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class SesVerdict(_SesModel):
    status: str | None = None


class SesAction(_SesModel):
    type: str | None = None
    topic_arn: str | None = Field(default=None, alias="topicArn")
    encoding: str | None = None


class SesReceipt(_SesModel):
    timestamp: AwareDatetime | None = None
    recipients: list[str] = Field(default_factory=list)
    spam_verdict: SesVerdict = Field(default_factory=SesVerdict, alias="spamVerdict")
    virus_verdict: SesVerdict = Field(default_factory=SesVerdict, alias="virusVerdict")
    spf_verdict: SesVerdict = Field(default_factory=SesVerdict, alias="spfVerdict")
    dkim_verdict: SesVerdict = Field(default_factory=SesVerdict, alias="dkimVerdict")
    dmarc_verdict: SesVerdict = Field(default_factory=SesVerdict, alias="dmarcVerdict")
    action: SesAction = Field(default_factory=SesAction)


class SesMail(_SesModel):
    timestamp: AwareDatetime | None = None
    source: str | None = None
    message_id: str = Field(alias="messageId", min_length=1, max_length=MAX_SHORT)
    destination: list[str] = Field(default_factory=list)


class SesReceivedNotification(_SesModel):
    notification_type: Literal["Received"] = Field(alias="notificationType")
    mail: SesMail
    receipt: SesReceipt = Field(default_factory=SesReceipt)
    content: str | None = None

    @property
    def quarantined(self) -> bool:
        return (self.receipt.virus_verdict.status or "").upper() == FAIL


class MailParseError(ValueError):
    """The email content is missing or unreadable (the message names the problem, never a value)."""


def raw_content(notification: SesReceivedNotification) -> bytes:
    """The raw MIME message, decoded as the SNS action's `encoding` says (UTF-8 by default, or BASE64)."""
    if not notification.content:
        raise MailParseError("the notification carries no email content (the receipt action is not SNS)")
    if (notification.receipt.action.encoding or "").replace("-", "").upper() == "BASE64":
        try:
            return base64.b64decode(notification.content)
        except (binascii.Error, ValueError) as error:
            raise MailParseError("the email content is not valid base64") from error
    return notification.content.encode("utf-8", errors="replace")


# --- the MIME message -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailAttachment:
    filename: str | None
    size_bytes: int


@dataclass(frozen=True)
class InboundMail:
    """What a raw email says, headers decoded (RFC 2047/2231), nothing validated yet."""

    message_id: str | None  # as written, usually with angle brackets
    from_address: str | None
    from_name: str | None
    to_address: str | None
    subject: str
    text_body: str  # the first text/plain body, else the HTML body turned to text
    in_reply_to: str | None
    references: tuple[str, ...]
    attachments: tuple[MailAttachment, ...]
    date: datetime | None


def html_to_text(markup: str) -> str:
    """A crude plain text of an HTML body: scripts and styles dropped, block ends as line breaks, tags
    removed, entities decoded, blank runs collapsed. Enough for a touchpoint's text, not for display."""
    text = _DROPPED_HTML.sub(" ", markup)
    text = _PARAGRAPH_END_HTML.sub("\n\n", _LINE_BREAK_HTML.sub("\n", text))
    text = html.unescape(_TAG.sub(" ", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _short(value: str | None) -> str | None:
    text = " ".join((value or "").split())[:MAX_SHORT]
    return text or None


def _header(message: EmailMessage, name: str) -> str | None:
    value = message.get(name)
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def _first_address(message: EmailMessage, name: str) -> Address | None:
    header = message.get(name)
    addresses: tuple[Address, ...] = getattr(header, "addresses", ()) if header is not None else ()
    return next((a for a in addresses if a.addr_spec and "@" in a.addr_spec), None)


def _message_ids(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    found = _MESSAGE_ID_TOKEN.findall(raw)
    return tuple(found) if found else tuple(raw.split())


def _text_of(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):  # unknown charset, broken transfer encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    text = content if isinstance(content, str) else ""
    return text.replace("\r\n", "\n").replace("\r", "\n")  # SMTP's CRLF: one line break, as in a JSON body


def _leaves(part: MIMEPart) -> Iterator[MIMEPart]:
    payload = part.get_payload()
    if part.get_content_maintype() == "multipart" and isinstance(payload, list):
        for sub in payload:
            if isinstance(sub, MIMEPart):  # always, with policy.default
                yield from _leaves(sub)
    else:
        yield part  # an attached message/rfc822 is one leaf: its own parts are not ours


def _size(part: MIMEPart) -> int:
    payload = part.get_payload(decode=True)
    return len(payload) if isinstance(payload, bytes) else len(part.as_bytes())


def _attachments(message: EmailMessage, bodies: tuple[MIMEPart | None, ...]) -> tuple[MailAttachment, ...]:
    found = []
    for part in _leaves(message):
        if any(part is body for body in bodies):
            continue
        filename = part.get_filename()
        if part.is_attachment() or filename:
            name = " ".join(str(filename).split())[:MAX_SHORT] if filename else ""
            found.append(MailAttachment(filename=name or None, size_bytes=_size(part)))
    return tuple(found)


def parse_mime(raw: bytes) -> InboundMail:
    """The parts of a raw email the touchpoint needs; MailParseError when it cannot be read at all."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        sender = _first_address(message, "From")
        recipient = _first_address(message, "To")
        plain = message.get_body(preferencelist=("plain",))
        rich = None if plain is not None else message.get_body(preferencelist=("html",))
        if plain is not None:
            body = _text_of(plain)
        elif rich is not None:
            body = html_to_text(_text_of(rich))
        else:
            body = ""
        date_header = message.get("Date")
        date = getattr(date_header, "datetime", None) if date_header is not None else None
        in_reply_to = _message_ids(_header(message, "In-Reply-To"))
        return InboundMail(
            message_id=_header(message, "Message-ID"),
            from_address=sender.addr_spec if sender else None,
            from_name=_short(sender.display_name) if sender else None,
            to_address=recipient.addr_spec if recipient else None,
            subject=_header(message, "Subject") or "",
            text_body=body,
            in_reply_to=in_reply_to[0] if in_reply_to else None,
            references=_message_ids(_header(message, "References")),
            attachments=_attachments(message, (plain, rich)),
            date=date if isinstance(date, datetime) and date.tzinfo is not None else None,
        )
    except MailParseError:
        raise
    except Exception as error:  # untrusted input: whatever the email package trips on, the mail is unreadable
        raise MailParseError("the email content cannot be parsed") from error


# --- case references --------------------------------------------------------------------------------------


def case_reference_in(*texts: str) -> str | None:
    """The first case reference (LIC-2026-000123) named in these texts, in order."""
    for text in texts:
        match = _REFERENCE.search(text)
        if match:
            return match.group(0)
    return None


def _thread_case(mail: InboundMail, lookup: TouchpointLookup) -> CaseRef | None:
    """The case of the earlier email this one answers (In-Reply-To, else the last of References)."""
    answered = [m for m in (mail.in_reply_to, mail.references[-1] if mail.references else None) if m]
    for raw in dict.fromkeys(answered):
        message_id = bare_message_id(raw)
        if not message_id or len(message_id) > MAX_SHORT:
            continue
        earlier = lookup(touchpoint_id_for(Channel.EMAIL, message_id))
        if earlier is not None and earlier.case_reference:
            return CaseRef(reference=earlier.case_reference)
    return None


# --- receipt -> touchpoint --------------------------------------------------------------------------------


def _source_message_id(mail: InboundMail, notification: SesReceivedNotification) -> str:
    """The Message-ID as the generic route would key it; SES's own id when the mail has no usable one."""
    if mail.message_id and 0 < len(bare_message_id(mail.message_id)) <= MAX_SHORT:
        return mail.message_id
    return notification.mail.message_id


def _verdict(verdict: SesVerdict) -> str | None:
    return verdict.status.upper() if verdict.status else None


def to_ses_touchpoint(notification: SesReceivedNotification, mail: InboundMail, lookup: TouchpointLookup) -> Touchpoint:
    """The touchpoint of one received email (the stored one if this mail was already recorded); pydantic's
    ValidationError when the mail cannot be one."""
    message_id = _source_message_id(mail, notification)
    touchpoint_id = touchpoint_id_for(Channel.EMAIL, bare_message_id(message_id))
    body = mail.text_body.strip()[:MAX_TEXT]
    subject = mail.subject.strip()[:MAX_SUBJECT]
    earlier = lookup(touchpoint_id)
    if earlier is not None:  # a redelivery, or the generic route had it first: the same mail, as stored
        return earlier.touchpoint
    reference = case_reference_in(subject, body)
    case = CaseRef(reference=reference) if reference else _thread_case(mail, lookup)
    receipt = notification.receipt
    to_address = next(iter(receipt.recipients or notification.mail.destination), None) or mail.to_address
    references = [r for r in mail.references if len(r) <= MAX_SHORT][-MAX_REFERENCES:]
    request = EmailTouchpointRequest.model_validate(
        {
            "message_id": message_id,
            "from_address": mail.from_address,
            "from_name": _short(mail.from_name),
            "to_address": _short(to_address),
            "subject": subject,
            "text_body": body,
            "received_at": notification.mail.timestamp or receipt.timestamp or mail.date,
            "in_reply_to": mail.in_reply_to if mail.in_reply_to and len(mail.in_reply_to) <= MAX_SHORT else None,
            "references": references,
            "case": case,
        }
    )
    touchpoint = to_touchpoint(request)
    named = [a.filename for a in mail.attachments if a.filename]
    details: dict[str, Any] = {
        **touchpoint.details,
        "attachment_count": len(mail.attachments),
        "attachment_names": "; ".join(named) or None,
        "attachment_bytes": sum(a.size_bytes for a in mail.attachments),
        "ses_message_id": notification.mail.message_id,
        "spam_verdict": _verdict(receipt.spam_verdict),
        "virus_verdict": _verdict(receipt.virus_verdict),
        "dkim_verdict": _verdict(receipt.dkim_verdict),
        "spf_verdict": _verdict(receipt.spf_verdict),
        "quarantined": notification.quarantined,
    }
    text = None if notification.quarantined else touchpoint.text
    return touchpoint.model_copy(update={"text": text, "details": details})


def parse_notification(message: str, lookup: TouchpointLookup) -> ParsedWebhook:
    """What one SNS Notification carries: one touchpoint, or one rejected entry (index 0) saying why.

    Never raises for content: SNS retries failures, and an unreadable email would fail the same way forever.
    """
    parsed = ParsedWebhook()
    try:
        data = json.loads(message)
        notification = SesReceivedNotification.model_validate(data)
    except (ValueError, RecursionError):  # ValidationError is a ValueError
        parsed.rejected.append((0, "not an SES Received notification"))
        return parsed
    try:
        mail = parse_mime(raw_content(notification))
    except MailParseError as error:
        parsed.rejected.append((0, str(error)))
        return parsed
    if not mail.from_address:
        parsed.rejected.append((0, "the email has no sender address (From)"))
        return parsed
    try:
        parsed.touchpoints.append(to_ses_touchpoint(notification, mail, lookup))
    except ValidationError as error:
        fields = sorted({str(e["loc"][0]) for e in error.errors() if e.get("loc")})
        parsed.rejected.append((0, f"the email cannot be recorded ({', '.join(fields) or 'invalid'})"))
    return parsed
