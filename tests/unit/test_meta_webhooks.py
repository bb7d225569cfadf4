"""Meta's native webhooks: WhatsApp Business Cloud API (messaging) and Messenger / Instagram (social).

Parsing is tested on the pure modules; handler tests drive `lambda_handler` with API Gateway REST proxy events
signed as Meta signs them (HMAC-SHA256 of the raw body with the app secret), over in-memory fakes: the touchpoint
store, the bus, the delivery statuses and the provider secrets are replaced, no AWS call is made.
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest

import shared.ingest.api as ingest_api
from functions.messaging import handler as messaging_handler
from functions.messaging.adapter import to_touchpoint as messaging_to_touchpoint
from functions.messaging.models import MessagingTouchpointRequest
from functions.messaging.whatsapp import UnreadableWebhookError as UnreadableWhatsApp
from functions.messaging.whatsapp import parse_whatsapp, read_whatsapp
from functions.social import handler as social_handler
from functions.social.adapter import to_touchpoint as social_to_touchpoint
from functions.social.meta import UnreadableWebhookError as UnreadableMeta
from functions.social.meta import parse_meta, read_meta
from functions.social.models import SocialTouchpointRequest
from shared.config import get_ingest_settings
from shared.ingest import meta as meta_envelope
from shared.models.delivery import DeliveryStatus
from shared.models.touchpoint import Channel, CitizenClaims, SocialAccount, Touchpoint, touchpoint_id_for
from shared.observability import metrics
from shared.webhooks.secrets import SecretNotConfiguredError
from shared.webhooks.signatures import meta_signature
from tests.conftest import load_event
from tests.fakes import FakePublisher, FakeTouchpointRepository

pytestmark = pytest.mark.unit

WHATSAPP_PATH = "/v1/channels/messaging/whatsapp"
META_PATH = "/v1/channels/social/meta"
SECRETS = {
    "whatsapp_app_secret": "wa-app-secret-4f1d9c2e",
    "whatsapp_verify_token": "wa-verify-7b3e",
    "meta_app_secret": "meta-app-secret-a83c51f0",
    "meta_verify_token": "meta-verify-2d6a",
}
CHANNEL_KEY_ID = "key-of-the-channel"
WAMIDS = [
    "wamid.HBgNNTIxNTUxMjM0NTY3OBUCABIYFDNBQTdDMkU5MUY0QjA2RDhFMTA1AA==",
    "wamid.HBgNNTIxNTUxMjM0NTY3OBUCABIYFDNBQjEyOUQ0RTdGNjA1QzJBOTg3AA==",
    "wamid.HBgNNTIxMzM5ODc2NTQzMhUCABIYFDNBRjcwQjI4RDZBMTQ1RTk5QzQyAA==",
    "wamid.HBgNNTIxMzM5ODc2NTQzMhUCABIYFDNBMDg1RTNDOUIyRjc0QTFENjYwAA==",
]


# -- fakes and events ------------------------------------------------------------------------------------------


@dataclass
class FakeDeliveryRepository:
    """Keyed like the DynamoDB adapter: a replayed status rewrites the same item."""

    items: dict[tuple[str, str, str, str], DeliveryStatus] = field(default_factory=dict)

    def record(self, status: DeliveryStatus) -> None:
        key = (status.provider, status.provider_message_id, status.at.isoformat(), status.status)
        self.items[key] = status

    def statuses(self, provider: str, provider_message_id: str) -> list[DeliveryStatus]:
        return [s for (p, m, _, _), s in sorted(self.items.items()) if (p, m) == (provider, provider_message_id)]


@dataclass
class FakeContext:
    function_name: str = "ventanilla-channel"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ventanilla-channel"
    aws_request_id: str = "0f3c9a2e-5b1d-4e8f-a7c6-2d9b1e4f6a80"


@dataclass
class World:
    touchpoints: FakeTouchpointRepository = field(default_factory=FakeTouchpointRepository)
    publisher: FakePublisher = field(default_factory=FakePublisher)
    deliveries: FakeDeliveryRepository = field(default_factory=FakeDeliveryRepository)
    secrets: dict[str, str] = field(default_factory=lambda: dict(SECRETS))

    def secret(self, name: str) -> str:
        value = self.secrets.get(name)
        if not value:
            raise SecretNotConfiguredError(f"{name} is not configured")
        return value

    def nothing_stored(self) -> bool:
        return not self.touchpoints.items and not self.publisher.published and not self.deliveries.items


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """Both channel functions wired to in-memory fakes, with every Meta secret configured."""
    built = World()
    for name, value in {
        "POWERTOOLS_SERVICE_NAME": "ventanilla-channel",
        "TABLE_NAME": "ventanilla-test",
        "EVENT_BUS_NAME": "ventanilla-bus",
        "CHANNEL": "messaging",
        "CHANNEL_API_KEY_ID": CHANNEL_KEY_ID,
        "CHANNEL_SECRETS_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:channel-secrets",
    }.items():
        monkeypatch.setenv(name, value)
    get_ingest_settings.cache_clear()
    monkeypatch.setattr(ingest_api, "get_repository", lambda: built.touchpoints)
    monkeypatch.setattr(ingest_api, "get_publisher", lambda: built.publisher)
    monkeypatch.setattr(ingest_api, "get_deliveries", lambda: built.deliveries)
    monkeypatch.setattr(meta_envelope, "provider_secret", built.secret)
    monkeypatch.setattr(metrics, "namespace", "VentanillaTest")
    yield built
    get_ingest_settings.cache_clear()


def api_event(
    method: str,
    path: str,
    *,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    base64_body: bool = False,
    api_key_id: str | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event, as the gateway delivers it to the channel function."""
    all_headers = {"Host": "api.ventanilla.example", "User-Agent": "facebookexternalua", **(headers or {})}
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "stage": "api",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "173.252.127.9", "apiKeyId": api_key_id},
        },
        "body": base64.b64encode(body.encode()).decode() if body is not None and base64_body else body,
        "isBase64Encoded": base64_body,
    }


def handler_for(path: str) -> ModuleType:
    return messaging_handler if path.startswith("/v1/channels/messaging/") else social_handler


def call(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response: dict[str, Any] = handler_for(path).lambda_handler(api_event(method, path, **kwargs), FakeContext())
    return response


def post_signed(
    path: str,
    payload: dict[str, Any] | str,
    *,
    secret: str | None = None,
    header: str = "X-Hub-Signature-256",
    base64_body: bool = False,
    tamper: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """POST the body as Meta does: signed over the exact bytes sent (unless `tamper` changes them afterwards)."""
    body = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    key = secret or SECRETS["whatsapp_app_secret" if path == WHATSAPP_PATH else "meta_app_secret"]
    signature = meta_signature(body.encode(), key)
    sent = tamper(body) if tamper else body
    headers = {"Content-Type": "application/json", header: signature}
    return call("POST", path, body=sent, headers=headers, base64_body=base64_body)


def json_body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def header_value(response: dict[str, Any], name: str) -> str:
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    multi = {k.lower(): v for k, v in (response.get("multiValueHeaders") or {}).items()}
    return str(headers.get(name.lower()) or multi[name.lower()][0])


def whatsapp_message(**fields: Any) -> dict[str, Any]:
    """A one-message WhatsApp webhook; `fields` replace or (with None) remove the message's fields."""
    message: dict[str, Any] = {
        "from": "5215512345678",
        "id": "wamid.HBgNNTIxNTUxMjM0NTY3OBUCABIYFDNBOUU0QzFCN0QyRjYwQTg1RTMxAA==",
        "timestamp": "1772727693",
        "type": "text",
        "text": {"body": "¿Ya está lista mi licencia?"},
    }
    for name, value in fields.items():
        if value is None:
            message.pop(name, None)
        else:
            message[name] = value
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "240118806237501",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "525550001234", "phone_number_id": "118240966530127"},
                            "contacts": [{"profile": {"name": "Majo Hernández"}, "wa_id": "5215512345678"}],
                            "messages": [message],
                        },
                    }
                ],
            }
        ],
    }


def only(parsed_touchpoints: list[Touchpoint]) -> Touchpoint:
    assert len(parsed_touchpoints) == 1
    return parsed_touchpoints[0]


# -- WhatsApp: parsing -----------------------------------------------------------------------------------------


def test_whatsapp_webhook_with_four_messages_from_two_contacts_becomes_four_touchpoints() -> None:
    # Given Meta's webhook with a text, an image, a location and a sticker from two people
    payload = load_event("whatsapp_message")

    # When it is parsed
    parsed = parse_whatsapp(payload)

    # Then each message is one touchpoint of the sender's phone, in Meta's order, nothing rejected
    assert parsed.rejected == [] and parsed.statuses == []
    assert [t.source_message_id for t in parsed.touchpoints] == [f"whatsapp:{w}" for w in WAMIDS]
    assert [t.citizen for t in parsed.touchpoints] == [
        CitizenClaims(phone="5215512345678"),
        CitizenClaims(phone="5215512345678"),
        CitizenClaims(phone="5213398765432"),
        CitizenClaims(phone="5213398765432"),
    ]
    assert {t.channel for t in parsed.touchpoints} == {Channel.MESSAGING}
    text, image, location, sticker = parsed.touchpoints
    assert text.occurred_at == datetime(2026, 3, 5, 16, 21, 33, tzinfo=UTC)
    assert text.text == "Buenos días, ya subí mi comprobante de domicilio. ¿Cuándo puedo recoger mi licencia?"
    assert text.details == {
        "network": "whatsapp",
        "message_type": "text",
        "profile_name": "Majo Hernández",
        "phone_number_id": "118240966530127",
        "to_number": "525550001234",
    }
    # the caption is what the person wrote; the file itself stays with Meta (media id, not downloaded)
    assert image.text == "Mi comprobante de domicilio"
    assert image.details["media_count"] == 1 and image.details["media_content_types"] == "image/jpeg"
    assert image.details["context_message_id"] == "wamid.HBgNNTIxNTUxMjM0NTY3OBUCABEYEjQ4QzNBRDE5NkI0RjcwMkU3MAA="
    assert location.text == "Bache frente a la escuela, Av. Juárez 812, Guadalajara, Jal."
    assert (location.details["latitude"], location.details["longitude"]) == (20.6736, -103.344)
    assert location.details["profile_name"] == "Beto R."
    assert sticker.text is None
    assert sticker.details["message_type"] == "sticker" and sticker.details["unsupported"] is True


def test_whatsapp_message_gets_the_same_touchpoint_as_through_the_generic_route() -> None:
    # Given a WhatsApp message delivered natively by Meta and the same message relayed by a gateway
    native = only(parse_whatsapp(whatsapp_message()).touchpoints)
    relayed = messaging_to_touchpoint(
        MessagingTouchpointRequest.model_validate(
            {
                "message_id": "wamid.HBgNNTIxNTUxMjM0NTY3OBUCABIYFDNBOUU0QzFCN0QyRjYwQTg1RTMxAA==",
                "network": "whatsapp",
                "from_number": "5215512345678",
                "to_number": "525550001234",
                "sent_at": "2026-03-05T16:21:33Z",
                "text": "¿Ya está lista mi licencia?",
            }
        )
    )

    # Then both routes name one touchpoint, with the same content (a retry, not a conflict)
    assert native.touchpoint_id == relayed.touchpoint_id
    assert native.touchpoint_id == touchpoint_id_for(Channel.MESSAGING, f"whatsapp:{native.source_message_id[9:]}")
    assert native.fingerprint() == relayed.fingerprint()


@pytest.mark.parametrize(
    ("fields", "text", "details"),
    [
        (
            {"type": "button", "text": None, "button": {"text": "Sí, confirmo mi cita", "payload": "cita-si"}},
            "Sí, confirmo mi cita",
            {"reply_id": "cita-si"},
        ),
        (
            {
                "type": "interactive",
                "text": None,
                "interactive": {"type": "button_reply", "button_reply": {"id": "tramite-1", "title": "Licencia"}},
            },
            "Licencia",
            {"interactive_type": "button_reply", "reply_id": "tramite-1"},
        ),
        (
            {
                "type": "interactive",
                "text": None,
                "interactive": {
                    "type": "list_reply",
                    "list_reply": {"id": "oficina-3", "title": "Oficina Centro", "description": "Lun a vie"},
                },
            },
            "Oficina Centro",
            {"interactive_type": "list_reply", "reply_id": "oficina-3"},
        ),
        (
            {
                "type": "document",
                "text": None,
                "document": {"filename": "acta.pdf", "mime_type": "application/pdf", "id": "4471920385561"},
            },
            None,
            {"media_count": 1, "media_content_types": "application/pdf"},
        ),
        (
            {"type": "audio", "text": None, "audio": {"mime_type": "audio/ogg; codecs=opus", "voice": True}},
            None,
            {"media_count": 1, "media_content_types": "audio/ogg; codecs=opus"},
        ),
    ],
    ids=["template-button", "reply-button", "list-row", "document", "voice-note"],
)
def test_whatsapp_replies_and_media_carry_what_the_person_chose_or_sent(
    fields: dict[str, Any], text: str | None, details: dict[str, Any]
) -> None:
    # Given a message of that type
    # When it is parsed
    touchpoint = only(parse_whatsapp(whatsapp_message(**fields)).touchpoints)

    # Then its text is what the person chose or wrote, and the details say what it was
    assert touchpoint.text == text
    assert touchpoint.details["message_type"] == fields["type"]
    assert details.items() <= touchpoint.details.items()
    assert "unsupported" not in touchpoint.details


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "reaction", "text": None, "reaction": {"message_id": "wamid.HBgNNTIx", "emoji": "\U0001f44d"}},
        {"type": "contacts", "text": None, "contacts": [{"name": {"formatted_name": "Tía Rosa"}}]},
        {"type": "order", "text": None, "order": {"catalog_id": "1", "product_items": []}},
        {"type": "hologram", "text": None, "hologram": {"id": "x"}},  # a type Meta may add one day
        {"type": None, "text": None},
    ],
    ids=["reaction", "contact-card", "order", "future-type", "no-type"],
)
def test_whatsapp_types_ventanilla_does_not_read_are_kept_as_unsupported_contacts(fields: dict[str, Any]) -> None:
    # Given a message of a type Ventanilla does not map
    # When it is parsed
    parsed = parse_whatsapp(whatsapp_message(**fields))

    # Then it is still a contact of that person (no text), marked unsupported, and not an error
    touchpoint = only(parsed.touchpoints)
    assert parsed.rejected == []
    assert touchpoint.text is None and touchpoint.citizen == CitizenClaims(phone="5215512345678")
    assert touchpoint.details["message_type"] == (fields["type"] or "unknown")
    assert touchpoint.details["unsupported"] is True


def test_whatsapp_unsupported_message_keeps_metas_error_for_the_operator() -> None:
    # Given Meta's "unsupported" message (a type the Cloud API cannot deliver), with its error
    errors = [{"code": 131051, "title": "Message type unknown", "message": "Message type unknown"}]
    parsed = parse_whatsapp(whatsapp_message(type="unsupported", text=None, errors=errors))

    # Then the contact is stored, with the code and title an operator would look up
    touchpoint = only(parsed.touchpoints)
    assert touchpoint.details["unsupported"] is True
    assert touchpoint.details["provider_error"] == "131051 Message type unknown"


def test_whatsapp_statuses_become_delivery_statuses_with_metas_error() -> None:
    # Given Meta's statuses of two messages the agency sent: one delivered, one failed
    payload = load_event("whatsapp_status")

    # When it is parsed
    parsed = parse_whatsapp(payload)

    # Then both are delivery statuses, the failure with Meta's code and title; no touchpoint
    assert parsed.touchpoints == [] and parsed.rejected == []
    assert parsed.statuses == [
        DeliveryStatus(
            provider="whatsapp",
            provider_message_id="wamid.HBgNNTIxNTUxMjM0NTY3OBUCABEYEjQ4QzNBRDE5NkI0RjcwMkU3MAA=",
            status="delivered",
            at=datetime(2026, 3, 5, 16, 20, 40, tzinfo=UTC),
        ),
        DeliveryStatus(
            provider="whatsapp",
            provider_message_id="wamid.HBgNNTIxMzM5ODc2NTQzMhUCABEYEkE3RDQ5QjJGMDY4QzE1RTNCMQA=",
            status="failed",
            at=datetime(2026, 3, 5, 16, 20, 55, tzinfo=UTC),
            error="131047 Re-engagement message",
        ),
    ]


def test_whatsapp_status_outside_the_delivery_states_is_skipped_and_a_status_without_id_rejected() -> None:
    # Given statuses Ventanilla does not record ("deleted") and one without the message id
    payload = load_event("whatsapp_status")
    statuses = payload["entry"][0]["changes"][0]["value"]["statuses"]
    statuses[0]["status"] = "deleted"
    del statuses[1]["id"]

    # When it is parsed
    parsed = parse_whatsapp(payload)

    # Then nothing is recorded; the one without id is reported by its position among the statuses
    assert parsed.statuses == []
    assert parsed.rejected == [(1, "status: missing id")]


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        (lambda m: m.pop("id"), "message: missing id"),
        (lambda m: m.pop("from"), "message: missing from"),
        (lambda m: m.pop("timestamp"), "message: missing timestamp"),
        (lambda m: m.update(timestamp="ayer"), "message: timestamp is not epoch seconds"),
        (lambda m: m.update(type="text", text={"body": "x" * 20_001}), "message: not a valid touchpoint (text)"),
    ],
    ids=["id", "from", "timestamp", "bad-timestamp", "text-too-long"],
)
def test_whatsapp_batch_with_one_broken_message_keeps_the_others(
    broken: Callable[[dict[str, Any]], object], reason: str
) -> None:
    # Given the four-message webhook whose second message is broken
    payload = load_event("whatsapp_message")
    broken(payload["entry"][0]["changes"][0]["value"]["messages"][1])

    # When it is parsed
    parsed = parse_whatsapp(payload)

    # Then the other three are touchpoints and the broken one is reported by index, without its content
    assert [t.source_message_id for t in parsed.touchpoints] == [f"whatsapp:{w}" for w in (WAMIDS[0], *WAMIDS[2:])]
    assert parsed.rejected == [(1, reason)]


def test_whatsapp_message_index_counts_across_entries_and_changes() -> None:
    # Given two entries, the second one's message broken
    first, second = whatsapp_message(), whatsapp_message(id=None)
    payload = {**first, "entry": first["entry"] + second["entry"]}

    # Then the index is the position among all messages of the webhook
    assert parse_whatsapp(payload).rejected == [(1, "message: missing id")]


def test_whatsapp_changes_of_other_fields_carry_nothing_to_store() -> None:
    # Given a template review notification (same object, another field)
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "240118806237501",
                "changes": [
                    {
                        "field": "message_template_status_update",
                        "value": {"event": "APPROVED", "message_template_id": 1181927361, "reason": "NONE"},
                    }
                ],
            }
        ],
    }

    # Then nothing is stored and nothing is an error
    parsed = parse_whatsapp(payload)
    assert (parsed.touchpoints, parsed.statuses, parsed.rejected) == ([], [], [])


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        json.dumps({"object": "page", "entry": []}).encode(),
        json.dumps({"object": "whatsapp_business_account", "entry": {}}).encode(),
    ],
    ids=["not-json", "array", "messenger-object", "entry-not-list"],
)
def test_body_that_is_not_a_whatsapp_webhook_is_unreadable(raw: bytes) -> None:
    with pytest.raises(UnreadableWhatsApp):
        read_whatsapp(raw)


# -- Messenger / Instagram: parsing ----------------------------------------------------------------------------


def test_messenger_messages_belong_to_the_facebook_page_scoped_id_and_echoes_are_skipped() -> None:
    # Given a Messenger webhook: a text, a photo, the page's own reply (echo), a delivery and a read receipt
    parsed = parse_meta(load_event("meta_messenger"))

    # Then the person's two messages are direct-message touchpoints of their page-scoped id
    assert parsed.rejected == []
    text, photo = parsed.touchpoints
    account = SocialAccount(platform="facebook", handle="7351046228937415")
    assert text.citizen == photo.citizen == CitizenClaims(social=account)
    assert text.channel == Channel.SOCIAL
    assert text.source_message_id == (
        "facebook:m_Xk2Rb8uQ1nT7vY4wE9pL3sD6fG0hJ5kZ2cV8bN1mA4qW7eR0tY3uI6oP9aS2dF5gH8jK1lZ4xC7vB0nM3qW6eR9t"
    )
    assert text.text == "Hola, me inscribí al programa social en febrero y no sé si ya me aceptaron."
    assert text.occurred_at == datetime(2026, 3, 4, 18, 55, 22, 913000, tzinfo=UTC)
    assert text.details == {
        "platform": "facebook",
        "message_type": "text",
        "attachment_count": 0,
        "is_public": False,
        "recipient_id": "104872213598806",
    }
    assert photo.text is None
    assert (photo.details["message_type"], photo.details["attachment_count"]) == ("image", 1)
    # and the delivery of the page's reply is a status; the read receipt (a watermark only) records nothing
    assert parsed.statuses == [
        DeliveryStatus(
            provider="meta",
            provider_message_id=(
                "m_Zx8Cv1Bn4Mq7Wa0Se3Dr6Ft9Gy2Hu5Jk8Lz1Xc4Vb7Nm0Qa3Ws6Ed9Rf2Tg5Yh8Uj1Ik4Ol7Pz0Xc3Vb6Nm9Qa2W"
            ),
            status="delivered",
            at=datetime(2026, 3, 4, 18, 56, 52, 870000, tzinfo=UTC),
        )
    ]


def test_instagram_messages_belong_to_the_instagram_scoped_id() -> None:
    # Given an Instagram webhook: a story reply, the account's own answer (echo) and a photo
    parsed = parse_meta(load_event("meta_instagram"))

    # Then the person's two messages are touchpoints of their Instagram-scoped id; the echo is skipped
    assert parsed.rejected == [] and parsed.statuses == []
    question, photo = parsed.touchpoints
    account = SocialAccount(platform="instagram", handle="6192837465019283")
    assert question.citizen == photo.citizen == CitizenClaims(social=account)
    assert question.source_message_id is not None and question.source_message_id.startswith("instagram:aWdfZAG1")
    assert question.text == "¿Hasta cuándo hay registro para las becas de transporte?"
    assert question.details["platform"] == "instagram" and question.details["is_public"] is False
    assert photo.details["message_type"] == "image"


def test_meta_message_gets_the_same_touchpoint_as_through_the_generic_route() -> None:
    # Given a Messenger message delivered natively and the same message relayed by an inbox tool
    native = parse_meta(load_event("meta_messenger")).touchpoints[0]
    relayed = social_to_touchpoint(
        SocialTouchpointRequest.model_validate(
            {
                "platform": "facebook",
                "message_id": native.source_message_id.removeprefix("facebook:") if native.source_message_id else "",
                "handle": "7351046228937415",
                "sent_at": native.occurred_at.isoformat(),
                "text": native.text,
                "is_public": False,
            }
        )
    )

    # Then both routes name the same touchpoint
    assert native.touchpoint_id == relayed.touchpoint_id


def test_meta_events_other_than_messages_and_deliveries_are_skipped_and_broken_ones_reported() -> None:
    # Given a postback, a reaction, a message without sender and an unsent (deleted) message
    sender, page = {"id": "7351046228937415"}, {"id": "104872213598806"}
    events: list[Any] = [
        {"sender": sender, "recipient": page, "timestamp": 1772650522913, "postback": {"payload": "MENU"}},
        {"sender": sender, "recipient": page, "timestamp": 1772650522914, "reaction": {"mid": "m_1", "emoji": "x"}},
        {"recipient": page, "timestamp": 1772650522915, "message": {"mid": "m_2", "text": "hola"}},
        {
            "sender": sender,
            "recipient": page,
            "timestamp": 1772650522916,
            "message": {"mid": "m_3", "is_deleted": True},
        },
        {"sender": sender, "recipient": page, "message": {"mid": "m_4", "text": "sin hora"}},
        "not an event",
        {"sender": sender, "recipient": page, "timestamp": 1772650522917, "delivery": {"watermark": 1772650522000}},
    ]
    payload = {"object": "page", "entry": [{"id": "104872213598806", "time": 1772650523551, "messaging": events}]}

    # When it is parsed
    parsed = parse_meta(payload)

    # Then nothing is stored, and only the broken events are reported, by index
    assert parsed.touchpoints == [] and parsed.statuses == []
    assert parsed.rejected == [
        (2, "event: missing sender.id"),
        (4, "event: missing timestamp"),
        (5, "event: not an object"),
    ]


def test_meta_message_without_text_or_attachments_is_kept_as_unsupported() -> None:
    # Given an Instagram message Meta flags as unsupported (no text, no attachment)
    payload = load_event("meta_instagram")
    message = payload["entry"][0]["messaging"][0]["message"]
    payload["entry"][0]["messaging"][0]["message"] = {"mid": message["mid"], "is_unsupported": True}

    # Then it is still a contact of that person, marked unsupported
    touchpoint = parse_meta(payload).touchpoints[0]
    assert touchpoint.text is None
    assert touchpoint.details["message_type"] == "unsupported" and touchpoint.details["unsupported"] is True


@pytest.mark.parametrize(
    "raw",
    [b"{", b'"page"', json.dumps(load_event("whatsapp_message")).encode(), b'{"object": "page"}'],
    ids=["not-json", "string", "whatsapp-object", "no-entry"],
)
def test_body_that_is_not_a_messenger_or_instagram_webhook_is_unreadable(raw: bytes) -> None:
    with pytest.raises(UnreadableMeta):
        read_meta(raw)


# -- handlers: subscription verification -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "token"), [(WHATSAPP_PATH, "whatsapp_verify_token"), (META_PATH, "meta_verify_token")]
)
def test_verification_with_our_token_echoes_the_challenge_as_text(world: World, path: str, token: str) -> None:
    # Given Meta verifying the webhook URL with the configured verify token
    query = {"hub.mode": "subscribe", "hub.verify_token": SECRETS[token], "hub.challenge": "1158201444"}

    # When it calls the route (no API key)
    response = call("GET", path, query=query)

    # Then the challenge comes back as plain text, which is what Meta checks
    assert response["statusCode"] == 200
    assert header_value(response, "Content-Type").startswith("text/plain")
    assert response["body"] == "1158201444"


@pytest.mark.parametrize("path", [WHATSAPP_PATH, META_PATH])
@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "guessed-token", "hub.challenge": "1158201444"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "{token}", "hub.challenge": "1158201444"},
        {"hub.mode": "subscribe", "hub.verify_token": "{token}"},
        {},
    ],
    ids=["wrong-token", "wrong-mode", "no-challenge", "nothing"],
)
def test_verification_without_our_token_is_refused(world: World, path: str, query: dict[str, str]) -> None:
    # Given a verification request that is not Meta's with our token
    token = SECRETS["whatsapp_verify_token" if path == WHATSAPP_PATH else "meta_verify_token"]
    query = {k: v.format(token=token) for k, v in query.items()}

    # When it calls the route
    response = call("GET", path, query=query or None)

    # Then it is refused and nothing is echoed
    assert response["statusCode"] == 403
    assert json_body(response)["error"] == "forbidden"
    assert "1158201444" not in response["body"]


@pytest.mark.parametrize(
    ("path", "token"), [(WHATSAPP_PATH, "whatsapp_verify_token"), (META_PATH, "meta_verify_token")]
)
def test_verification_before_the_token_is_configured_is_refused(world: World, path: str, token: str) -> None:
    # Given a stack whose verify token is still empty
    world.secrets[token] = ""

    # When someone verifies with an empty token
    response = call("GET", path, query={"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "42"})

    # Then it is refused
    assert response["statusCode"] == 403


# -- handlers: WhatsApp webhooks -------------------------------------------------------------------------------


def test_signed_whatsapp_webhook_stores_every_message_for_the_announcer(world: World) -> None:
    # Given Meta's signed webhook with four messages
    # When it is posted (without an API key: the signature is the credential)
    response = post_signed(WHATSAPP_PATH, load_event("whatsapp_message"))

    # Then Meta gets 200 and each message is stored once, with the request's id for the announcer to carry
    assert response["statusCode"] == 200
    report = json_body(response)
    expected = [touchpoint_id_for(Channel.MESSAGING, f"whatsapp:{w}") for w in WAMIDS]
    assert report == {"accepted": expected, "replayed": [], "statuses": 0, "rejected": []}
    assert sorted(world.touchpoints.items) == sorted(expected)
    assert world.publisher.published == []  # announced from the table's stream, not on the request
    (correlation,) = set(world.touchpoints.correlation_ids.values())
    assert correlation and set(world.touchpoints.correlation_ids) == set(expected)
    sticker = world.touchpoints.items[expected[3]].touchpoint
    assert sticker.details["message_type"] == "sticker" and sticker.details["unsupported"] is True


def test_signed_whatsapp_statuses_are_recorded_against_the_sent_messages(world: World) -> None:
    # Given Meta's signed statuses (one delivered, one failed)
    # When they are posted
    response = post_signed(WHATSAPP_PATH, load_event("whatsapp_status"))

    # Then both are recorded, the failure with its reason, and no touchpoint is created
    assert response["statusCode"] == 200
    assert json_body(response) == {"accepted": [], "replayed": [], "statuses": 2, "rejected": []}
    failed = world.deliveries.statuses("whatsapp", "wamid.HBgNNTIxMzM5ODc2NTQzMhUCABEYEkE3RDQ5QjJGMDY4QzE1RTNCMQA=")
    assert [(s.status, s.error) for s in failed] == [("failed", "131047 Re-engagement message")]
    assert not world.touchpoints.items


def test_replayed_whatsapp_webhook_stores_nothing_new(world: World) -> None:
    # Given a webhook already accepted
    payload = load_event("whatsapp_message")
    first = json_body(post_signed(WHATSAPP_PATH, payload))
    stored = dict(world.touchpoints.items)

    # When Meta delivers it again (it retries until it sees a 200)
    response = post_signed(WHATSAPP_PATH, payload)

    # Then every touchpoint is reported as a replay and the store is unchanged
    assert response["statusCode"] == 200
    assert json_body(response) == {"accepted": [], "replayed": first["accepted"], "statuses": 0, "rejected": []}
    assert world.touchpoints.items == stored


def test_whatsapp_batch_with_a_broken_message_stores_the_others_and_reports_its_index(world: World) -> None:
    # Given a signed webhook whose third message has no sender
    payload = load_event("whatsapp_message")
    del payload["entry"][0]["changes"][0]["value"]["messages"][2]["from"]

    # When it is posted
    response = post_signed(WHATSAPP_PATH, payload)

    # Then it is still a 200 (Meta must not retry it forever), three are stored, the third reported
    assert response["statusCode"] == 200
    report = json_body(response)
    assert len(report["accepted"]) == 3 and len(world.touchpoints.items) == 3
    assert report["rejected"] == [{"index": 2, "reason": "message: missing from"}]


@pytest.mark.parametrize(
    ("signature_header", "base64_body"),
    [("x-hub-signature-256", False), ("X-HUB-SIGNATURE-256", False), ("X-Hub-Signature-256", True)],
    ids=["lower-case-header", "upper-case-header", "base64-body"],
)
def test_whatsapp_signature_is_checked_over_the_raw_bytes_whatever_the_header_case(
    world: World, signature_header: str, base64_body: bool
) -> None:
    # When the signed webhook arrives with the header in another case, or base64-encoded by the gateway
    response = post_signed(WHATSAPP_PATH, whatsapp_message(), header=signature_header, base64_body=base64_body)

    # Then it is authentic and stored
    assert response["statusCode"] == 200
    assert len(world.touchpoints.items) == 1


def test_whatsapp_body_signed_with_escaped_unicode_is_verified_as_sent(world: World) -> None:
    # Given Meta's own serialisation (non-ASCII escaped as \\uXXXX), signed over exactly those bytes
    body = json.dumps(whatsapp_message())
    assert "\\u00bf" in body

    # When it is posted
    response = post_signed(WHATSAPP_PATH, body)

    # Then it verifies and the text reads as the person wrote it
    assert response["statusCode"] == 200
    assert only([s.touchpoint for s in world.touchpoints.items.values()]).text == "¿Ya está lista mi licencia?"


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        ({"tamper": lambda body: body.replace("comprobante", "comprobantE")}, 403, "forbidden"),
        ({"secret": "a-guessed-app-secret"}, 403, "forbidden"),
        ({"header": "X-Hub-Signature"}, 401, "unauthorized"),  # only the SHA-1 header of older apps
    ],
    ids=["tampered-body", "wrong-secret", "missing-signature"],
)
def test_unauthentic_whatsapp_webhook_is_refused_and_nothing_stored(
    world: World, kwargs: dict[str, Any], status: int, error: str
) -> None:
    # When a webhook arrives whose signature is absent or does not match
    response = post_signed(WHATSAPP_PATH, load_event("whatsapp_message"), **kwargs)

    # Then it is refused and nothing is stored, announced or recorded
    assert response["statusCode"] == status
    assert json_body(response)["error"] == error
    assert world.nothing_stored()


def test_whatsapp_webhook_before_the_app_secret_is_configured_is_refused(world: World) -> None:
    # Given a stack whose WhatsApp app secret is still empty
    world.secrets["whatsapp_app_secret"] = ""

    # When a webhook signed with an empty key arrives
    response = post_signed(WHATSAPP_PATH, load_event("whatsapp_message"), secret="")

    # Then it is refused: nothing can be trusted yet
    assert response["statusCode"] == 403
    assert world.nothing_stored()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (json.dumps(load_event("meta_messenger")), "application/json"),
        ("hub.mode=subscribe", "text/plain"),
        ('["whatsapp_business_account"]', "application/json"),
    ],
    ids=["messenger-object", "not-json", "array"],
)
def test_signed_body_that_is_not_a_whatsapp_webhook_is_a_bad_request(
    world: World, body: str, content_type: str
) -> None:
    # Given an authentic body that is not a WhatsApp Business Account webhook
    signature = meta_signature(body.encode(), SECRETS["whatsapp_app_secret"])
    headers = {"Content-Type": content_type, "X-Hub-Signature-256": signature}

    # When it is posted
    response = call("POST", WHATSAPP_PATH, body=body, headers=headers)

    # Then it is a 400 and nothing is stored
    assert response["statusCode"] == 400
    assert json_body(response)["error"] == "bad_request"
    assert world.nothing_stored()


def test_generic_route_still_needs_the_channel_key_while_the_native_route_needs_none(world: World) -> None:
    # Given the gateway-relayed body of the generic route
    body = json.dumps(load_event("messaging_touchpoint"))
    headers = {"Content-Type": "application/json"}

    # When it is posted without a key, then with the channel's key
    without_key = call("POST", "/v1/channels/messaging/touchpoints", body=body, headers=headers)
    with_key = call("POST", "/v1/channels/messaging/touchpoints", body=body, headers=headers, api_key_id=CHANNEL_KEY_ID)

    # Then only the keyed call is accepted, while Meta's signed webhook needs no key
    assert without_key["statusCode"] == 403 and json_body(without_key)["error"] == "forbidden"
    assert with_key["statusCode"] == 202
    assert post_signed(WHATSAPP_PATH, whatsapp_message())["statusCode"] == 200


def test_message_relayed_then_delivered_natively_is_one_touchpoint(world: World) -> None:
    # Given a WhatsApp message the gateway already relayed through the generic route
    native = whatsapp_message()
    message = native["entry"][0]["changes"][0]["value"]["messages"][0]
    relayed = {
        "message_id": message["id"],
        "network": "whatsapp",
        "from_number": message["from"],
        "to_number": "525550001234",
        "sent_at": "2026-03-05T16:21:33Z",
        "text": message["text"]["body"],
    }
    call(
        "POST",
        "/v1/channels/messaging/touchpoints",
        body=json.dumps(relayed),
        headers={"Content-Type": "application/json"},
        api_key_id=CHANNEL_KEY_ID,
    )

    # When Meta's webhook delivers the same message
    report = json_body(post_signed(WHATSAPP_PATH, native))

    # Then it is a replay of the same touchpoint
    assert report["accepted"] == [] and len(report["replayed"]) == 1
    assert len(world.touchpoints.items) == 1


# -- handlers: Messenger / Instagram webhooks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "platform", "handle"),
    [("meta_messenger", "facebook", "7351046228937415"), ("meta_instagram", "instagram", "6192837465019283")],
)
def test_signed_meta_webhook_stores_messages_of_the_right_platform_handle(
    world: World, fixture: str, platform: str, handle: str
) -> None:
    # Given Meta's signed messaging webhook
    # When it is posted to the social channel's native route
    response = post_signed(META_PATH, load_event(fixture))

    # Then the person's messages are stored under that platform's handle, echoes left out
    assert response["statusCode"] == 200
    report = json_body(response)
    assert len(report["accepted"]) == 2 and report["rejected"] == []
    stored = [s.touchpoint for s in world.touchpoints.items.values()]
    assert {t.citizen.social for t in stored} == {SocialAccount(platform=platform, handle=handle)}
    assert {t.channel for t in stored} == {Channel.SOCIAL}


def test_messenger_delivery_is_recorded_as_a_meta_status(world: World) -> None:
    # When the Messenger webhook (with a delivery receipt of the page's reply) is posted
    response = post_signed(META_PATH, load_event("meta_messenger"))

    # Then the delivery is recorded against the page's message
    assert json_body(response)["statuses"] == 1
    mid = "m_Zx8Cv1Bn4Mq7Wa0Se3Dr6Ft9Gy2Hu5Jk8Lz1Xc4Vb7Nm0Qa3Ws6Ed9Rf2Tg5Yh8Uj1Ik4Ol7Pz0Xc3Vb6Nm9Qa2W"
    assert [s.status for s in world.deliveries.statuses("meta", mid)] == ["delivered"]


def test_replayed_meta_webhook_stores_nothing_new(world: World) -> None:
    payload = load_event("meta_instagram")
    first = json_body(post_signed(META_PATH, payload))
    again = json_body(post_signed(META_PATH, copy.deepcopy(payload)))
    assert again["accepted"] == [] and again["replayed"] == first["accepted"]
    assert len(world.touchpoints.items) == 2


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"tamper": lambda body: body.replace("programa social", "programa")}, 403),
        ({"secret": SECRETS["whatsapp_app_secret"]}, 403),  # WhatsApp's secret does not sign social webhooks
        ({"header": "X-Signature"}, 401),
    ],
    ids=["tampered-body", "other-apps-secret", "missing-signature"],
)
def test_unauthentic_meta_webhook_is_refused_and_nothing_stored(
    world: World, kwargs: dict[str, Any], status: int
) -> None:
    response = post_signed(META_PATH, load_event("meta_messenger"), **kwargs)
    assert response["statusCode"] == status
    assert world.nothing_stored()


def test_whatsapp_webhook_posted_to_the_social_route_is_a_bad_request(world: World) -> None:
    response = post_signed(META_PATH, load_event("whatsapp_message"))
    assert response["statusCode"] == 400
    assert "neither" in json_body(response)["message"]
    assert world.nothing_stored()


def test_native_routes_are_documented_beside_the_generic_ones() -> None:
    # Given the two channel apps
    # When their OpenAPI documents are generated
    messaging = messaging_handler.app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True)
    social = social_handler.app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True)

    # Then each lists its verification and webhook operations
    assert set(messaging["paths"][WHATSAPP_PATH]) == {"get", "post"}
    assert set(social["paths"][META_PATH]) == {"get", "post"}
    assert (
        messaging["paths"]["/v1/channels/messaging/touchpoints"]["post"]["operationId"] == "post_messaging_touchpoint"
    )
