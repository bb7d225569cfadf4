"""Twilio SMS webhooks (messaging) and Amazon Connect contact records (phone, by HTTP and from Kinesis).

Pure tests of the parsers and the URL Twilio signs, then handler tests that drive `lambda_handler` with API
Gateway REST proxy events and Kinesis events over in-memory fakes: no AWS call is made (the repository,
publisher and delivery factories and the secret read are replaced).
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from functions.messaging import handler as messaging_handler
from functions.messaging import twilio
from functions.messaging.adapter import to_touchpoint as messaging_to_touchpoint
from functions.messaging.models import MessagingTouchpointRequest
from functions.phone import connect
from functions.phone import handler as phone_handler
from functions.phone.adapter import to_touchpoint as phone_to_touchpoint
from functions.phone.models import PhoneTouchpointRequest
from shared.config import get_ingest_settings
from shared.exceptions import ThrottledError
from shared.ingest import api as ingest_api
from shared.models.delivery import DeliveryStatus
from shared.models.touchpoint import CaseRef, Channel, Touchpoint, touchpoint_id_for
from shared.observability import metrics
from shared.webhooks.signatures import twilio_signature
from tests.fakes import FakePublisher, FakeTouchpointRepository

pytestmark = pytest.mark.unit

EVENTS = Path(__file__).resolve().parents[1] / "events"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:channel-secrets"
AUTH_TOKEN = "f3a9c2e4b8d14a6f9e0c7b5a3d1f2e4c"
PHONE_KEY_ID = "phonekey01"
API_HOST = "k7x2p9q4r1.execute-api.us-east-1.amazonaws.com"
STAGE = "api"
TWILIO_PATH = "/v1/channels/messaging/twilio"
CONNECT_PATH = "/v1/channels/phone/connect"
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def load(name: str) -> Any:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


# -- fakes and wiring --------------------------------------------------------------------------------------------


@dataclass
class FakeDeliveries:
    recorded: list[DeliveryStatus] = field(default_factory=list)

    def record(self, status: DeliveryStatus) -> None:
        self.recorded.append(status)

    def statuses(self, provider: str, provider_message_id: str) -> list[DeliveryStatus]:
        return [s for s in self.recorded if (s.provider, s.provider_message_id) == (provider, provider_message_id)]


@dataclass
class FlakyTouchpointRepository(FakeTouchpointRepository):
    """Fails the next `failures_left` writes, as DynamoDB does when it throttles."""

    failures_left: int = 0

    def add(self, touchpoint: Touchpoint, **options: Any) -> Any:
        if self.failures_left:
            self.failures_left -= 1
            raise ThrottledError("throttled")
        return super().add(touchpoint, **options)


@dataclass
class FakeContext:
    function_name: str = "ventanilla-channel"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ventanilla-channel"
    aws_request_id: str = "0b8f6c1e-2a4d-4f7b-9c3e-5d1a7b9c2e4f"


@dataclass
class World:
    touchpoints: FlakyTouchpointRepository
    publisher: FakePublisher
    deliveries: FakeDeliveries
    secrets: dict[str, str]

    def nothing_stored(self) -> bool:
        return not self.touchpoints.items and not self.publisher.published and not self.deliveries.recorded


def _wire(monkeypatch: pytest.MonkeyPatch, channel: Channel) -> Iterator[World]:
    for name, value in {
        "POWERTOOLS_SERVICE_NAME": f"ventanilla-{channel.value}",
        "TABLE_NAME": "ventanilla-test",
        "EVENT_BUS_NAME": "ventanilla-bus",
        "CHANNEL": channel.value,
        "CHANNEL_API_KEY_ID": PHONE_KEY_ID if channel is Channel.PHONE else "messagingkey01",
        "CHANNEL_SECRETS_ARN": SECRET_ARN,
    }.items():
        monkeypatch.setenv(name, value)
    get_ingest_settings.cache_clear()
    world = World(FlakyTouchpointRepository(), FakePublisher(), FakeDeliveries(), {"twilio_auth_token": AUTH_TOKEN})
    monkeypatch.setattr(ingest_api, "get_repository", lambda: world.touchpoints)
    monkeypatch.setattr(ingest_api, "get_publisher", lambda: world.publisher)
    monkeypatch.setattr(ingest_api, "get_deliveries", lambda: world.deliveries)

    def get_secret(name: str, transform: str | None = None, max_age: int | None = None) -> dict[str, str]:
        assert (name, transform) == (SECRET_ARN, "json")
        return world.secrets

    monkeypatch.setattr(parameters, "get_secret", get_secret)
    monkeypatch.setattr(metrics, "namespace", "VentanillaTest")
    yield world
    get_ingest_settings.cache_clear()


@pytest.fixture
def messaging(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from _wire(monkeypatch, Channel.MESSAGING)


@pytest.fixture
def phone(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from _wire(monkeypatch, Channel.PHONE)


def rest_event(
    path: str,
    body: str | None,
    headers: Mapping[str, str],
    *,
    stage: str = STAGE,
    api_key_id: str | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """An API Gateway REST proxy event for a POST to one of the function's routes."""
    if body is not None and base64_body:
        body = base64.b64encode(body.encode()).decode()
    return {
        "resource": path,
        "path": path,
        "httpMethod": "POST",
        "headers": dict(headers),
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "POST",
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": "7d4c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f",
            "identity": {"sourceIp": "203.0.113.9", "apiKeyId": api_key_id},
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }


def twilio_event(
    params: Mapping[str, str],
    *,
    token: str = AUTH_TOKEN,
    signed_params: Mapping[str, str] | None = None,
    signature_header: str | None = "X-Twilio-Signature",
    host: str = API_HOST,
    stage: str = STAGE,
    forwarded_proto: str | None = "https",
    base64_body: bool = False,
) -> dict[str, Any]:
    """A request as Twilio sends it: the form, signed over the public URL of the route."""
    local = host.startswith(("127.0.0.1", "localhost"))
    url = f"{forwarded_proto or ('http' if local else 'https')}://{host}{'' if local else '/' + stage}{TWILIO_PATH}"
    headers = {"Host": host, "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
    if forwarded_proto:
        headers["X-Forwarded-Proto"] = forwarded_proto
    if signature_header:
        headers[signature_header] = twilio_signature(url, dict(signed_params or params), token)
    return rest_event(TWILIO_PATH, urlencode(params), headers, stage=stage, base64_body=base64_body)


def call(module: Any, event: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = module.lambda_handler(event, FakeContext())
    return response


def content_type(response: dict[str, Any]) -> str:
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    multi = {k.lower(): v for k, v in (response.get("multiValueHeaders") or {}).items()}
    return str(headers.get("content-type") or multi["content-type"][0])


def connect_event(body: Any, *, api_key_id: str | None = PHONE_KEY_ID) -> dict[str, Any]:
    return rest_event(
        CONNECT_PATH, json.dumps(body), {"Host": API_HOST, "Content-Type": "application/json"}, api_key_id=api_key_id
    )


# -- Twilio: pure ------------------------------------------------------------------------------------------------


class TestPublicUrl:
    def test_api_gateway_url_has_the_stage(self) -> None:
        headers = {"Host": API_HOST, "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"}
        assert twilio.public_url(headers, "api", TWILIO_PATH) == f"https://{API_HOST}/api{TWILIO_PATH}"

    def test_https_when_no_proxy_header_on_a_public_host(self) -> None:
        assert twilio.public_url({"host": API_HOST}, "api", TWILIO_PATH) == f"https://{API_HOST}/api{TWILIO_PATH}"

    @pytest.mark.parametrize("stage", ["$default", "", None])
    def test_no_stage_segment_for_the_default_stage(self, stage: str | None) -> None:
        assert twilio.public_url({"Host": API_HOST}, stage, TWILIO_PATH) == f"https://{API_HOST}{TWILIO_PATH}"

    @pytest.mark.parametrize("host", ["127.0.0.1:3000", "localhost:3000", "localhost"])
    def test_local_runtime_is_plain_http_without_stage(self, host: str) -> None:
        assert twilio.public_url({"host": host}, "api", TWILIO_PATH) == f"http://{host}{TWILIO_PATH}"

    def test_local_runtime_behind_an_https_tunnel_keeps_the_proxy_scheme(self) -> None:
        headers = {"host": "localhost:3000", "x-forwarded-proto": "https"}
        assert twilio.public_url(headers, None, TWILIO_PATH) == f"https://localhost:3000{TWILIO_PATH}"

    def test_query_string_is_kept(self) -> None:
        url = twilio.public_url({"Host": API_HOST}, "api", TWILIO_PATH, {"office": ["centro"], "n": ["1", "2"]})
        assert url == f"https://{API_HOST}/api{TWILIO_PATH}?office=centro&n=1&n=2"

    def test_no_host_is_refused(self) -> None:
        with pytest.raises(ValueError, match="Host"):
            twilio.public_url({}, "api", TWILIO_PATH)

    def test_signed_url_candidates_add_or_drop_the_default_port(self) -> None:
        assert twilio.signed_url_candidates("https://h.example/p") == ["https://h.example/p", "https://h.example:443/p"]
        assert twilio.signed_url_candidates("https://h.example:443/p") == [
            "https://h.example:443/p",
            "https://h.example/p",
        ]
        assert twilio.signed_url_candidates("http://127.0.0.1:3000/p") == ["http://127.0.0.1:3000/p"]


class TestTwilioParsing:
    def test_form_plain_and_base64(self) -> None:
        body = "Body=Hola+mundo&NumMedia=0&Body=otra&Empty="
        expected = {"Body": ["Hola mundo", "otra"], "NumMedia": ["0"], "Empty": [""]}
        assert twilio.parse_form(body) == expected
        assert twilio.parse_form(base64.b64encode(body.encode()).decode(), is_base64_encoded=True) == expected

    def test_unreadable_form(self) -> None:
        with pytest.raises(twilio.FormError):
            twilio.parse_form("not base64!", is_base64_encoded=True)

    def test_inbound_sms_becomes_the_same_touchpoint_as_the_generic_route(self) -> None:
        params = load("twilio_sms.json")
        at = datetime(2026, 3, 2, 21, 4, 5, tzinfo=UTC)
        touchpoint = twilio.message_to_touchpoint({k: [v] for k, v in params.items()}, at)
        generic = messaging_to_touchpoint(
            MessagingTouchpointRequest.model_validate(
                {
                    "message_id": params["MessageSid"],
                    "network": "sms",
                    "from_number": params["From"],
                    "to_number": params["To"],
                    "sent_at": at.isoformat(),
                }
            )
        )
        assert touchpoint.touchpoint_id == generic.touchpoint_id
        assert touchpoint.touchpoint_id == touchpoint_id_for(Channel.MESSAGING, f"sms:{params['MessageSid']}")
        assert touchpoint.source_message_id == f"sms:{params['MessageSid']}"
        assert touchpoint.channel is Channel.MESSAGING
        assert touchpoint.occurred_at == at
        assert touchpoint.citizen.phone == "+523312345678"
        assert touchpoint.text is not None and touchpoint.text.startswith("Hola, envío la foto")
        assert touchpoint.details == {
            "provider": "twilio",
            "network": "sms",
            "to_number": "+525550001234",
            "media_count": 1,
            "media_content_types": "image/jpeg",
            "from_country": "MX",
            "from_state": "JAL",
            "from_city": "GUADALAJARA",
        }

    def test_media_only_message_has_no_text(self) -> None:
        form = {"MessageSid": ["SM1"], "From": ["+523312345678"], "Body": [""], "NumMedia": ["0"]}
        touchpoint = twilio.message_to_touchpoint(form, datetime.now(UTC))
        assert touchpoint.text is None
        assert touchpoint.details["media_count"] == 0
        assert touchpoint.details["media_content_types"] is None
        assert touchpoint.details["from_city"] is None

    def test_whatsapp_through_twilio_is_keyed_on_the_whatsapp_network(self) -> None:
        form = {"MessageSid": ["SM2"], "From": ["whatsapp:+5215512345678"], "To": ["whatsapp:+525550001234"]}
        touchpoint = twilio.message_to_touchpoint(form | {"Body": ["hola"]}, datetime.now(UTC))
        assert touchpoint.source_message_id == "whatsapp:SM2"
        assert touchpoint.citizen.phone == "+5215512345678"
        assert touchpoint.details["to_number"] == "+525550001234"

    @pytest.mark.parametrize(
        ("reported", "state"),
        [
            ("queued", "queued"),
            ("accepted", "queued"),
            ("sending", "sent"),
            ("sent", "sent"),
            ("delivered", "delivered"),
            ("read", "read"),
            ("undelivered", "undelivered"),
            ("failed", "failed"),
            ("canceled", "failed"),
        ],
    )
    def test_status_callback_states(self, reported: str, state: str) -> None:
        form = {"MessageSid": ["SM3"], "MessageStatus": [reported]}
        parsed = twilio.parse_webhook(form, datetime.now(UTC))
        assert [s.status for s in parsed.statuses] == [state]
        assert parsed.touchpoints == [] and parsed.rejected == []

    def test_status_callback_error_code(self) -> None:
        form = {k: [v] for k, v in load("twilio_status.json").items()}
        at = datetime(2026, 3, 2, 21, 5, tzinfo=UTC)
        [status] = twilio.parse_webhook(form, at).statuses
        assert status == DeliveryStatus(
            provider="twilio",
            provider_message_id="SM9e8d7c6b5a4f40312e1d0c9b8a7f6e5d",
            status="undelivered",
            at=at,
            error="30003",
        )

    def test_inbound_status_is_not_a_delivery(self) -> None:
        parsed = twilio.parse_webhook({"MessageSid": ["SM4"], "MessageStatus": ["received"]}, datetime.now(UTC))
        assert parsed.statuses == [] and parsed.rejected == [(0, "message status 'received' is not a delivery state")]

    @pytest.mark.parametrize("missing", ["MessageSid", "From"])
    def test_missing_required_field(self, missing: str) -> None:
        form = {"MessageSid": ["SM5"], "From": ["+523312345678"], "Body": ["hola"]}
        del form[missing]
        with pytest.raises(twilio.MissingFieldError, match=missing):
            twilio.parse_webhook(form, datetime.now(UTC))

    def test_retry_keeps_the_first_arrival(self) -> None:
        form = {"MessageSid": ["SM6"], "From": ["+523312345678"], "Body": ["hola"]}
        first = twilio.message_to_touchpoint(form, datetime(2026, 3, 2, 21, 4, tzinfo=UTC))
        retry = twilio.message_to_touchpoint(form, datetime(2026, 3, 2, 21, 9, tzinfo=UTC))
        assert twilio.keep_first_arrival(retry, first.occurred_at).fingerprint() == first.fingerprint()
        assert twilio.keep_first_arrival(retry, None) is retry


# -- Twilio: handler ---------------------------------------------------------------------------------------------


class TestTwilioRoute:
    def test_signed_sms_is_stored_and_answered_with_empty_twiml(self, messaging: World) -> None:
        params = load("twilio_sms.json")
        response = call(messaging_handler, twilio_event(params))
        assert response["statusCode"] == 200
        assert content_type(response).startswith("text/xml")
        assert response["body"] == TWIML
        [stored] = messaging.touchpoints.items.values()
        touchpoint = stored.touchpoint
        assert touchpoint.touchpoint_id == touchpoint_id_for(Channel.MESSAGING, f"sms:{params['MessageSid']}")
        assert touchpoint.citizen.phone == params["From"]
        assert touchpoint.text == params["Body"]
        assert touchpoint.details["media_content_types"] == "image/jpeg"
        assert touchpoint.details["from_city"] == "GUADALAJARA"
        assert (datetime.now(UTC) - touchpoint.occurred_at).total_seconds() < 60
        # And nothing is published on the request: the stored item, with the request's id, is what gets announced
        assert messaging.publisher.published == []
        assert messaging.touchpoints.correlation_ids[touchpoint.touchpoint_id] == "7d4c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f"
        assert messaging.touchpoints.imported == set()

    def test_base64_body_and_lowercase_headers(self, messaging: World) -> None:
        event = twilio_event(load("twilio_sms.json"), base64_body=True)
        event["headers"] = {k.lower(): v for k, v in event["headers"].items()}
        response = call(messaging_handler, event)
        assert response["statusCode"] == 200
        assert len(messaging.touchpoints.items) == 1

    def test_local_runtime_url(self, messaging: World) -> None:
        event = twilio_event(load("twilio_sms.json"), host="127.0.0.1:3000", forwarded_proto=None)
        event["headers"] = {k.lower(): v for k, v in event["headers"].items()}
        assert call(messaging_handler, event)["statusCode"] == 200
        assert len(messaging.touchpoints.items) == 1

    def test_tampered_parameter_is_refused(self, messaging: World) -> None:
        params = load("twilio_sms.json")
        tampered = params | {"Body": "Cambien el teléfono de mi expediente"}
        response = call(messaging_handler, twilio_event(tampered, signed_params=params))
        assert response["statusCode"] == 403
        assert json.loads(response["body"])["error"] == "forbidden"
        assert messaging.nothing_stored()

    def test_wrong_token_is_refused(self, messaging: World) -> None:
        response = call(messaging_handler, twilio_event(load("twilio_sms.json"), token="0" * 32))
        assert response["statusCode"] == 403
        assert messaging.nothing_stored()

    def test_signature_over_another_url_is_refused(self, messaging: World) -> None:
        event = twilio_event(load("twilio_sms.json"))
        event["headers"]["Host"] = "otro.example.mx"
        assert call(messaging_handler, event)["statusCode"] == 403
        assert messaging.nothing_stored()

    def test_missing_signature_is_401(self, messaging: World) -> None:
        response = call(messaging_handler, twilio_event(load("twilio_sms.json"), signature_header=None))
        assert response["statusCode"] == 401
        assert messaging.nothing_stored()

    def test_unconfigured_token_is_403(self, messaging: World) -> None:
        messaging.secrets["twilio_auth_token"] = ""
        response = call(messaging_handler, twilio_event(load("twilio_sms.json")))
        assert response["statusCode"] == 403
        assert messaging.nothing_stored()

    def test_replay_is_stored_once(self, messaging: World) -> None:
        event = twilio_event(load("twilio_sms.json"))
        first = call(messaging_handler, copy.deepcopy(event))
        [stored] = messaging.touchpoints.items.values()
        again = call(messaging_handler, copy.deepcopy(event))
        assert first["statusCode"] == again["statusCode"] == 200
        assert list(messaging.touchpoints.items.values()) == [stored]

    def test_status_callback_is_recorded(self, messaging: World) -> None:
        response = call(messaging_handler, twilio_event(load("twilio_status.json")))
        assert response["statusCode"] == 200
        assert response["body"] == TWIML
        [status] = messaging.deliveries.recorded
        assert (status.provider, status.provider_message_id) == ("twilio", "SM9e8d7c6b5a4f40312e1d0c9b8a7f6e5d")
        assert (status.status, status.error) == ("undelivered", "30003")
        assert not messaging.touchpoints.items

    @pytest.mark.parametrize("missing", ["MessageSid", "From"])
    def test_signed_request_without_required_field_is_400(self, messaging: World, missing: str) -> None:
        params = {k: v for k, v in load("twilio_sms.json").items() if k != missing}
        response = call(messaging_handler, twilio_event(params))
        assert response["statusCode"] == 400
        assert missing in json.loads(response["body"])["message"]
        assert messaging.nothing_stored()

    def test_no_api_key_is_needed(self, messaging: World) -> None:
        event = twilio_event(load("twilio_sms.json"))
        assert event["requestContext"]["identity"]["apiKeyId"] is None
        assert call(messaging_handler, event)["statusCode"] == 200


# -- Connect: pure -----------------------------------------------------------------------------------------------


class TestContactRecord:
    def test_voice_record(self) -> None:
        ctr = load("connect_ctr.json")
        touchpoint = connect.contact_record_to_touchpoint(ctr)
        assert touchpoint.channel is Channel.PHONE
        assert touchpoint.source_message_id == ctr["ContactId"]
        assert touchpoint.occurred_at == datetime(2026, 3, 2, 21, 4, 5, tzinfo=UTC)
        assert touchpoint.citizen.phone == "+525512345678"
        assert touchpoint.case == CaseRef(procedure="licencia-conducir", reference="LIC-2026-000123")
        assert touchpoint.text is not None and touchpoint.text.startswith("Pregunta por el estado de su licencia")
        assert touchpoint.language == "es"
        assert touchpoint.details == {
            "provider": "amazon-connect",
            "contact_id": ctr["ContactId"],
            "initial_contact_id": None,
            "channel_type": "VOICE",
            "initiation_method": "INBOUND",
            "direction": "inbound",
            "dialed_number": "+528000001234",
            "queue": "licencias",
            "queue_seconds": 41,
            "agent_id": "agente-042",
            "agent_interaction_seconds": 288,
            "duration_seconds": 342,
            "disconnect_reason": "CUSTOMER_DISCONNECT",
            "recorded": True,
            "customer_sentiment": "NEGATIVE",
            "customer_sentiment_score": -1.6,
        }
        assert all(isinstance(v, str | int | float | bool | type(None)) for v in touchpoint.details.values())

    def test_same_touchpoint_as_the_generic_phone_route(self) -> None:
        ctr = load("connect_ctr.json")
        generic = phone_to_touchpoint(
            PhoneTouchpointRequest.model_validate(
                {"call_id": ctr["ContactId"], "caller_number": "+525512345678", "started_at": "2026-03-02T21:04:05Z"}
            )
        )
        assert connect.contact_record_to_touchpoint(ctr).touchpoint_id == generic.touchpoint_id

    @pytest.mark.parametrize("missing", ["ContactId", "InitiationTimestamp"])
    def test_required_fields(self, missing: str) -> None:
        ctr = load("connect_ctr.json")
        del ctr[missing]
        with pytest.raises(ValueError, match=f"contact record has no {missing}"):
            connect.contact_record_to_touchpoint(ctr)

    def test_unreadable_timestamp(self) -> None:
        ctr = load("connect_ctr.json") | {"InitiationTimestamp": "ayer por la tarde"}
        with pytest.raises(ValueError, match="InitiationTimestamp is not an ISO 8601 time"):
            connect.contact_record_to_touchpoint(ctr)

    def test_chat_contact_is_a_phone_channel_touchpoint(self) -> None:
        ctr = {
            "ContactId": "c0ffee00-1111-4222-8333-444455556666",
            "Channel": "CHAT",
            "InitiationMethod": "API",
            "InitiationTimestamp": "2026-03-04T10:00:00.000Z",
            "CustomerEndpoint": None,
            "Attributes": {"notes": "Consulta de horarios"},
        }
        touchpoint = connect.contact_record_to_touchpoint(ctr)
        assert touchpoint.channel is Channel.PHONE
        assert touchpoint.details["channel_type"] == "CHAT"
        assert touchpoint.details["direction"] is None
        assert touchpoint.details["duration_seconds"] is None
        assert touchpoint.details["customer_sentiment"] is None
        assert touchpoint.citizen.phone is None and touchpoint.case is None
        assert touchpoint.text == "Consulta de horarios"

    def test_outbound_callback_and_no_contact_lens(self) -> None:
        ctr = load("connect_ctr.json") | {"InitiationMethod": "CALLBACK", "ContactLens": None, "Attributes": {}}
        touchpoint = connect.contact_record_to_touchpoint(ctr)
        assert touchpoint.details["direction"] == "outbound"
        assert touchpoint.details["customer_sentiment"] is None
        assert touchpoint.details["customer_sentiment_score"] is None
        assert touchpoint.text is None and touchpoint.case is None and touchpoint.language is None

    @pytest.mark.parametrize(
        ("customer", "label", "score"),
        [(3.1, "POSITIVE", 3.1), (0.4, "NEUTRAL", 0.4), (-5, "NEGATIVE", -5.0), ("mixed", "MIXED", None)],
    )
    def test_customer_sentiment(self, customer: Any, label: str, score: float | None) -> None:
        ctr = load("connect_ctr.json")
        ctr["ContactLens"]["ConversationalAnalytics"]["ConversationCharacteristics"]["Sentiment"]["OverallSentiment"][
            "CUSTOMER"
        ] = customer
        details = connect.contact_record_to_touchpoint(ctr).details
        assert (details["customer_sentiment"], details["customer_sentiment_score"]) == (label, score)

    def test_sentiment_label_from_attributes(self) -> None:
        ctr = load("connect_ctr.json") | {"ContactLens": None, "Attributes": {"customer_sentiment": "positive"}}
        assert connect.contact_record_to_touchpoint(ctr).details["customer_sentiment"] == "POSITIVE"

    def test_reasons_name_fields_not_values(self) -> None:
        ctr = load("connect_ctr.json")
        ctr["Attributes"]["procedure"] = "x" * 500
        parsed = connect.parse_contact_records([ctr, 42, "[]"])
        assert parsed.touchpoints == []
        assert parsed.rejected == [
            (0, "invalid case attributes: procedure"),
            (1, "a contact record is a JSON object"),
            (2, "a contact record is a JSON object"),
        ]
        assert all("xxxx" not in reason for _, reason in parsed.rejected)


# -- Connect: HTTP -----------------------------------------------------------------------------------------------


class TestConnectRoute:
    def test_one_record_with_the_phone_key(self, phone: World) -> None:
        ctr = load("connect_ctr.json")
        response = call(phone_handler, connect_event(ctr))
        assert response["statusCode"] == 200
        report = json.loads(response["body"])
        expected_id = touchpoint_id_for(Channel.PHONE, ctr["ContactId"])
        assert report["accepted"] == [expected_id] and report["rejected"] == []
        assert phone.touchpoints.items[expected_id].touchpoint.details["customer_sentiment"] == "NEGATIVE"

    @pytest.mark.parametrize("key", [None, "messagingkey01"])
    def test_without_the_phone_key_is_403(self, phone: World, key: str | None) -> None:
        response = call(phone_handler, connect_event(load("connect_ctr.json"), api_key_id=key))
        assert response["statusCode"] == 403
        assert phone.nothing_stored()

    def test_list_with_a_bad_record(self, phone: World) -> None:
        good = load("connect_ctr.json")
        other = copy.deepcopy(good) | {"ContactId": "9b1d3f5a-7c9e-4b2d-8f4a-6c8e0a2c4e6f"}
        bad = {k: v for k, v in good.items() if k != "InitiationTimestamp"} | {"ContactId": "sin-fecha"}
        response = call(phone_handler, connect_event([good, bad, other]))
        assert response["statusCode"] == 200
        report = json.loads(response["body"])
        assert len(report["accepted"]) == 2
        assert report["rejected"] == [{"index": 1, "reason": "contact record has no InitiationTimestamp"}]
        assert set(phone.touchpoints.items) == {
            touchpoint_id_for(Channel.PHONE, good["ContactId"]),
            touchpoint_id_for(Channel.PHONE, other["ContactId"]),
        }

    def test_redelivered_record_is_a_replay(self, phone: World) -> None:
        ctr = load("connect_ctr.json")
        call(phone_handler, connect_event(ctr))
        report = json.loads(call(phone_handler, connect_event(ctr))["body"])
        assert report["accepted"] == [] and len(report["replayed"]) == 1
        assert len(phone.touchpoints.items) == 1

    @pytest.mark.parametrize(("body", "content"), [("42", "application/json"), ("<ctr/>", "text/plain")])
    def test_not_a_record_is_400(self, phone: World, body: str, content: str) -> None:
        event = rest_event(CONNECT_PATH, body, {"Host": API_HOST, "Content-Type": content}, api_key_id=PHONE_KEY_ID)
        response = call(phone_handler, event)
        assert response["statusCode"] == 400
        assert phone.nothing_stored()

    def test_generic_route_still_works(self, phone: World) -> None:
        body = load("phone_touchpoint.json")
        event = rest_event(
            "/v1/channels/phone/touchpoints",
            json.dumps(body),
            {"Host": API_HOST, "Content-Type": "application/json"},
            api_key_id=PHONE_KEY_ID,
        )
        assert call(phone_handler, event)["statusCode"] == 202


# -- Connect: Kinesis --------------------------------------------------------------------------------------------


def kinesis_event() -> dict[str, Any]:
    event: dict[str, Any] = load("connect_kinesis.json")
    return event


def _first_ctr(event: Mapping[str, Any]) -> dict[str, Any]:
    ctr: dict[str, Any] = json.loads(base64.b64decode(event["Records"][0]["kinesis"]["data"]))
    return ctr


class TestKinesis:
    def test_valid_record_stored_bad_record_skipped(self, phone: World) -> None:
        event = kinesis_event()
        response = call(phone_handler, event)
        assert response == {"batchItemFailures": []}
        ctr = _first_ctr(event)
        [stored] = phone.touchpoints.items.values()
        assert stored.touchpoint.touchpoint_id == touchpoint_id_for(Channel.PHONE, ctr["ContactId"])
        assert stored.touchpoint.case == CaseRef(procedure="acta-nacimiento")
        assert stored.touchpoint.text == ctr["Attributes"]["notes"]
        assert phone.publisher.published == []  # announced from the table's stream, not by the phone function

    def test_storage_failure_is_a_batch_item_failure(self, phone: World) -> None:
        phone.touchpoints.failures_left = 1
        event = kinesis_event()
        response = call(phone_handler, event)
        sequence = event["Records"][0]["kinesis"]["sequenceNumber"]
        assert response == {"batchItemFailures": [{"itemIdentifier": sequence}]}
        assert phone.nothing_stored()
        assert call(phone_handler, kinesis_event()) == {"batchItemFailures": []}  # Lambda's retry
        assert len(phone.touchpoints.items) == 1

    def test_a_broken_bus_cannot_fail_the_batch(self, phone: World) -> None:
        # Given the bus would refuse events: the phone function publishes none (the announcer does, from the table)
        phone.publisher.failures_left = 5
        assert call(phone_handler, kinesis_event()) == {"batchItemFailures": []}
        assert len(phone.touchpoints.items) == 1 and phone.publisher.published == []

    def test_a_batch_that_fails_whole_is_an_error(self, phone: World) -> None:
        phone.touchpoints.failures_left = 1
        event = kinesis_event()
        event["Records"] = event["Records"][:1]
        with pytest.raises(BatchProcessingError):
            call(phone_handler, event)
        assert phone.nothing_stored()

    def test_update_of_a_stored_contact_does_not_block_the_shard(self, phone: World) -> None:
        event = kinesis_event()
        call(phone_handler, copy.deepcopy(event))
        ctr = _first_ctr(event)
        ctr["Attributes"]["notes"] = "Nota corregida por la agente después de la llamada."
        event["Records"][0]["kinesis"]["data"] = base64.b64encode(json.dumps(ctr).encode()).decode()
        assert call(phone_handler, event) == {"batchItemFailures": []}
        [stored] = phone.touchpoints.items.values()
        assert stored.touchpoint.text != ctr["Attributes"]["notes"]

    def test_store_stream_record_outcomes(self) -> None:
        repository = FakeTouchpointRepository()
        data = load("connect_kinesis.json")["Records"][0]["kinesis"]["data"]

        def store(record_data: str) -> str:
            return connect.store_stream_record(record_data, repository)

        assert store(data) == "stored"
        assert store(data) == "replayed"
        assert store(base64.b64encode(b"{}").decode()) == "skipped"
        assert store("%%% not base64") == "skipped"
