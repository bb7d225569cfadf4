"""Amazon SES inbound mail through SNS: what SES receives becomes the touchpoint the generic email route would make."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from functions.email import handler, ses
from functions.email.adapter import to_touchpoint
from functions.email.models import EmailTouchpointRequest
from shared.config import get_ingest_settings
from shared.ingest import api as ingest_api
from shared.models.delivery import DeliveryStatus
from shared.models.touchpoint import CaseRef, Channel, CitizenClaims, StoredTouchpoint, Touchpoint, touchpoint_id_for
from shared.observability import metrics
from shared.webhooks.secrets import SecretNotConfiguredError
from shared.webhooks.signatures import basic_authorization
from tests.fakes import FakePublisher, FakeTouchpointRepository

pytestmark = [pytest.mark.unit, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]

EVENTS = Path(__file__).resolve().parents[1] / "events"
SES_PATH = "/v1/channels/email/ses"
GENERIC_PATH = "/v1/channels/email/touchpoints"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:ventanilla-ses-inbound"
SECRETS_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ventanilla-channel-secrets"
API_KEY_ID = "k3y1d-email"
USER, PASSWORD = "sns-ventanilla", "s3cr3t-Basic-Pa55"
FIXTURE_MESSAGE_ID = "CAJ9m4kq7Tz2@correo.example.com"
NOBODY = lambda _: None  # noqa: E731 - a lookup that finds nothing stored


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def make_mail(
    *,
    message_id: str = "<CAK5r2Lp0Qx8@correo.example.com>",
    sender: str = "Jorge Alberto Ramírez Soto <jorge.ramirez@example.com>",
    subject: str = "Duda sobre mi permiso",
    text: str | None = "Buenas tardes, ¿cuándo estará listo?",
    html: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
) -> bytes:
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = sender
    mail["To"] = "atencion.ciudadana@tesoreria.example.mx"
    mail["Subject"] = subject
    mail["Date"] = "Wed, 11 Mar 2026 09:15:00 -0600"
    mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = references
    if text is not None:
        mail.set_content(text)
        if html is not None:
            mail.add_alternative(html, subtype="html")
    elif html is not None:
        mail.set_content(html, subtype="html")
    return mail.as_bytes()


def receipt_message(raw: bytes | None, *, encoding: str = "BASE64", virus: str = "PASS", **extra: Any) -> str:
    """An SES "Received" notification (the SNS Message) carrying this raw email."""
    content: str | None = None
    if raw is not None:
        content = base64.b64encode(raw).decode() if encoding == "BASE64" else raw.decode("utf-8")
    data: dict[str, Any] = {
        "notificationType": "Received",
        "mail": {
            "timestamp": "2026-03-11T15:15:02.204Z",
            "source": "jorge.ramirez@example.com",
            "messageId": "p9o8i7u6y5t4r3e2w1q0a9s8d7f6g5h4j3k2l1m0",
            "destination": ["atencion.ciudadana@tesoreria.example.mx"],
            "commonHeaders": {"subject": "(not read: the MIME content is)"},
        },
        "receipt": {
            "timestamp": "2026-03-11T15:15:02.204Z",
            "recipients": ["atencion.ciudadana@tesoreria.example.mx"],
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": virus},
            "spfVerdict": {"status": "GRAY"},
            "dkimVerdict": {"status": "PASS"},
            "dmarcVerdict": {"status": "PASS"},
            "action": {"type": "SNS", "topicArn": TOPIC_ARN, "encoding": encoding},
        },
        **extra,
    }
    if content is not None:
        data["content"] = content
    return json.dumps(data)


def sns_body(message: str, message_type: str = "Notification") -> dict[str, Any]:
    return {
        "Type": message_type,
        "MessageId": str(uuid.uuid4()),
        "TopicArn": TOPIC_ARN,
        "Subject": "Amazon SES Email Receipt Notification",
        "Message": message,
        "Timestamp": "2026-03-11T15:15:02.611Z",
        "SignatureVersion": "1",
        "Signature": "bm90IGNoZWNrZWQ=",
    }


def stored(touchpoint: Touchpoint, case_reference: str | None = None) -> StoredTouchpoint:
    return StoredTouchpoint(
        touchpoint=touchpoint,
        received_at=datetime.now(UTC),
        fingerprint=touchpoint.fingerprint(),
        case_reference=case_reference,
    )


def earlier_email(message_id: str) -> Touchpoint:
    """An email touchpoint stored before (the agency's own message in the thread, or an earlier mail)."""
    return Touchpoint(
        touchpoint_id=touchpoint_id_for(Channel.EMAIL, message_id),
        channel=Channel.EMAIL,
        occurred_at=datetime(2026, 3, 2, 16, 0, tzinfo=UTC),
        source_message_id=message_id,
        citizen=CitizenClaims(email="jorge.ramirez@example.com"),
        text="Solicitud de permiso",
    )


# --- pure: the SNS envelope --------------------------------------------------------------------------------


def test_envelope_of_the_fixture_is_a_notification_with_the_ses_receipt() -> None:
    body = (EVENTS / "ses_sns_notification.json").read_text(encoding="utf-8")
    envelope = ses.parse_sns_envelope(body, "Notification")
    assert envelope.type is ses.SnsMessageType.NOTIFICATION
    assert envelope.topic_arn == TOPIC_ARN
    assert json.loads(envelope.message)["notificationType"] == "Received"


def test_subscription_envelope_carries_topic_and_token() -> None:
    body = (EVENTS / "ses_sns_subscription.json").read_text(encoding="utf-8")
    envelope = ses.parse_sns_envelope(body, "SubscriptionConfirmation")
    assert envelope.type is ses.SnsMessageType.SUBSCRIPTION_CONFIRMATION
    assert envelope.token == load("ses_sns_subscription")["Token"]
    assert ses.topic_region(envelope.topic_arn) == "us-east-1"


@pytest.mark.parametrize(
    ("body", "header", "problem"),
    [
        (None, "Notification", "empty"),
        ("{not json", "Notification", "not JSON"),
        ("[1, 2]", "Notification", "not a JSON object"),
        (json.dumps({"Type": "Notification", "TopicArn": TOPIC_ARN}), None, "MessageId"),
        (json.dumps({"Type": "Hello", "MessageId": "m", "TopicArn": TOPIC_ARN}), None, "Type"),
        (json.dumps(sns_body("{}")), "SubscriptionConfirmation", "does not match"),
        (json.dumps(sns_body("hi", "SubscriptionConfirmation")), None, "without Token"),
    ],
)
def test_envelope_that_is_not_an_sns_message_is_refused_naming_the_problem(
    body: str | None, header: str | None, problem: str
) -> None:
    with pytest.raises(ses.SnsEnvelopeError, match=problem):
        ses.parse_sns_envelope(body, header)


def test_topic_region_is_read_from_the_arn_only() -> None:
    assert ses.topic_region("arn:aws:sns:eu-west-1:123456789012:inbound") == "eu-west-1"
    assert ses.topic_region("https://sns.us-east-1.amazonaws.com/") is None


# --- pure: the MIME message --------------------------------------------------------------------------------


def test_fixture_mime_gives_sender_subject_plain_body_thread_and_attachment() -> None:
    message = json.loads(load("ses_sns_notification")["Message"])
    notification = ses.SesReceivedNotification.model_validate(message)
    mail = ses.parse_mime(ses.raw_content(notification))
    assert mail.from_address == "mafer.lopez@example.com"
    assert mail.from_name == "María Fernanda López Ortiz"
    assert mail.subject == "Re: Tu trámite PRE-2026-000042"
    assert mail.text_body.startswith("Buenas tardes.\n\nAdjunto el comprobante de domicilio")
    assert "<p>" not in mail.text_body and "\r" not in mail.text_body
    assert mail.message_id == f"<{FIXTURE_MESSAGE_ID}>"
    assert mail.in_reply_to == "<ventanilla-PRE-2026-000042-3@tesoreria.example.mx>"
    assert mail.references[-1] == "<ventanilla-PRE-2026-000042-3@tesoreria.example.mx>"
    assert len(mail.references) == 2
    assert [(a.filename, a.size_bytes) for a in mail.attachments] == [("comprobante-domicilio.pdf", 125)]


def test_html_only_mail_becomes_crude_text() -> None:
    html = (
        "<html><head><style>p {color: red}</style></head><body><p>Hola,&nbsp;necesito</p>"
        "<p>mi <b>constancia</b> &amp; el recibo<br>Gracias</p><script>alert(1)</script></body></html>"
    )
    mail = ses.parse_mime(make_mail(text=None, html=html))
    assert mail.text_body == "Hola, necesito\n\nmi constancia & el recibo\nGracias"
    assert mail.attachments == ()


def test_plain_part_wins_over_html_alternative() -> None:
    mail = ses.parse_mime(make_mail(text="Texto plano", html="<p>Texto <i>rico</i></p>"))
    assert mail.text_body.strip() == "Texto plano"


def test_case_reference_is_found_in_subject_before_body() -> None:
    assert ses.case_reference_in("Re: Tu trámite LIC-2026-000123", "ver PRE-2026-000042") == "LIC-2026-000123"
    assert ses.case_reference_in("Consulta", "Mi folio es PRE-2026-000042, gracias") == "PRE-2026-000042"
    assert ses.case_reference_in("Folio XLIC-2026-0001234", "LIC-26-000123") is None


# --- pure: receipt -> touchpoint ---------------------------------------------------------------------------


def test_fixture_becomes_the_touchpoint_the_generic_route_would_make() -> None:
    parsed = ses.parse_notification(load("ses_sns_notification")["Message"], NOBODY)
    assert parsed.rejected == []
    [touchpoint] = parsed.touchpoints
    generic = to_touchpoint(
        EmailTouchpointRequest.model_validate(
            {
                "message_id": FIXTURE_MESSAGE_ID,  # the gateway dropped the brackets: same mail, same key
                "from_address": "mafer.lopez@example.com",
                "from_name": "María Fernanda López Ortiz",
                "to_address": "atencion.ciudadana@tesoreria.example.mx",
                "subject": "Re: Tu trámite PRE-2026-000042",
                "text_body": "whatever the gateway extracted",
                "received_at": "2026-03-10T18:45:09Z",
            }
        )
    )
    assert touchpoint.touchpoint_id == generic.touchpoint_id == touchpoint_id_for(Channel.EMAIL, FIXTURE_MESSAGE_ID)
    assert touchpoint.source_message_id == FIXTURE_MESSAGE_ID
    assert touchpoint.channel is Channel.EMAIL
    assert touchpoint.citizen == CitizenClaims(
        email="mafer.lopez@example.com", given_name="María Fernanda", family_name="López Ortiz"
    )
    assert touchpoint.case == CaseRef(reference="PRE-2026-000042")
    assert touchpoint.text is not None
    assert touchpoint.text.startswith("Re: Tu trámite PRE-2026-000042\n\nBuenas tardes.\n\nAdjunto")
    assert touchpoint.occurred_at == datetime(2026, 3, 10, 18, 45, 9, 512000, tzinfo=UTC)
    assert touchpoint.details == {
        "from_name": "María Fernanda López Ortiz",
        "to_address": "atencion.ciudadana@tesoreria.example.mx",
        "subject": "Re: Tu trámite PRE-2026-000042",
        "in_reply_to": "<ventanilla-PRE-2026-000042-3@tesoreria.example.mx>",
        "references": (
            "<ventanilla-PRE-2026-000042-1@tesoreria.example.mx> <ventanilla-PRE-2026-000042-3@tesoreria.example.mx>"
        ),
        "attachment_count": 1,
        "attachment_names": "comprobante-domicilio.pdf",
        "attachment_bytes": 125,
        "ses_message_id": "k3q8v1m2n5p0r7s4t6u9w2x1y3z5a7b9c0d2e4f6",
        "spam_verdict": "PASS",
        "virus_verdict": "PASS",
        "dkim_verdict": "PASS",
        "spf_verdict": "PASS",
        "quarantined": False,
    }


def test_utf8_encoded_content_reads_like_base64() -> None:
    raw = make_mail(subject="Consulta LIC-2026-000123")
    [as_base64] = ses.parse_notification(receipt_message(raw), NOBODY).touchpoints
    [as_text] = ses.parse_notification(receipt_message(raw, encoding="UTF8"), NOBODY).touchpoints
    assert as_text == as_base64
    assert as_text.case == CaseRef(reference="LIC-2026-000123")


def test_reply_gets_the_case_of_the_email_it_answers() -> None:
    answered = earlier_email("ventanilla-LIC-2026-000123-1@tesoreria.example.mx")
    repo = {answered.touchpoint_id: stored(answered, case_reference="LIC-2026-000123")}
    raw = make_mail(subject="Re: Su solicitud", in_reply_to="<ventanilla-LIC-2026-000123-1@tesoreria.example.mx>")
    [touchpoint] = ses.parse_notification(receipt_message(raw), repo.get).touchpoints
    assert touchpoint.case == CaseRef(reference="LIC-2026-000123")


def test_reply_falls_back_to_the_last_reference_and_ignores_an_unattached_earlier_email() -> None:
    unattached = earlier_email("first@correo.example.com")
    answered = earlier_email("second@tesoreria.example.mx")
    repo = {
        unattached.touchpoint_id: stored(unattached),
        answered.touchpoint_id: stored(answered, case_reference="PRE-2026-000042"),
    }
    raw = make_mail(subject="Re: Su solicitud", references="<first@correo.example.com> <second@tesoreria.example.mx>")
    [touchpoint] = ses.parse_notification(receipt_message(raw), repo.get).touchpoints
    assert touchpoint.case == CaseRef(reference="PRE-2026-000042")
    no_case = make_mail(subject="Re: Su solicitud", in_reply_to="<first@correo.example.com>")
    [alone] = ses.parse_notification(receipt_message(no_case), repo.get).touchpoints
    assert alone.case is None


def test_redelivered_mail_is_the_stored_touchpoint_even_if_its_thread_got_a_case_since() -> None:
    raw = make_mail(subject="Re: Su solicitud", in_reply_to="<agency-1@tesoreria.example.mx>")
    [first] = ses.parse_notification(receipt_message(raw), NOBODY).touchpoints
    answered = earlier_email("agency-1@tesoreria.example.mx")
    repo = {
        first.touchpoint_id: stored(first),
        answered.touchpoint_id: stored(answered, case_reference="LIC-2026-000123"),
    }
    [again] = ses.parse_notification(receipt_message(raw), repo.get).touchpoints
    assert again == first
    assert again.case is None


def test_virus_fail_is_a_quarantined_contact_without_text() -> None:
    [touchpoint] = ses.parse_notification(receipt_message(make_mail(), virus="FAIL"), NOBODY).touchpoints
    assert touchpoint.text is None
    assert touchpoint.details["quarantined"] is True
    assert touchpoint.details["virus_verdict"] == "FAIL"
    assert touchpoint.citizen.email == "jorge.ramirez@example.com"


def test_text_is_cut_at_the_touchpoint_limit() -> None:
    [touchpoint] = ses.parse_notification(receipt_message(make_mail(text="a" * 30_000)), NOBODY).touchpoints
    assert touchpoint.text is not None and len(touchpoint.text) == 20_000


def test_mail_without_message_id_is_keyed_on_the_ses_message_id() -> None:
    raw = make_mail().replace(b"Message-ID: <CAK5r2Lp0Qx8@correo.example.com>\r\n", b"")
    assert b"Message-ID" not in raw
    [touchpoint] = ses.parse_notification(receipt_message(raw), NOBODY).touchpoints
    assert touchpoint.source_message_id == "p9o8i7u6y5t4r3e2w1q0a9s8d7f6g5h4j3k2l1m0"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("not json at all", "not an SES Received notification"),
        (json.dumps({"notificationType": "Bounce", "bounce": {}}), "not an SES Received notification"),
        (json.dumps({"notificationType": "AmazonSnsSubscriptionSucceeded", "message": "ok"}), "not an SES Received"),
        (receipt_message(None), "no email content"),
        (receipt_message(None, content="@@@ not base64 @@@="), "not valid base64"),
        (receipt_message(b"Subject: hola\n\nsin remitente\n"), "no sender address"),
        (receipt_message(make_mail(sender="Jorge <" + "j" * 200 + "@example.com>")), "from_address"),
    ],
)
def test_unusable_notification_is_one_rejected_entry_never_an_exception(message: str, reason: str) -> None:
    parsed = ses.parse_notification(message, NOBODY)
    assert parsed.touchpoints == []
    [(index, why)] = parsed.rejected
    assert index == 0 and reason in why


# --- the function: API Gateway events through lambda_handler -----------------------------------------------


@dataclass
class FakeContext:
    function_name: str = "ventanilla-email"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ventanilla-email"
    aws_request_id: str = "5b1f0c9e-2d3a-4e5f-8a7b-6c5d4e3f2a1b"


@dataclass
class FakeDeliveries:
    recorded: list[DeliveryStatus] = field(default_factory=list)

    def record(self, status: DeliveryStatus) -> None:
        self.recorded.append(status)


@dataclass
class World:
    touchpoints: FakeTouchpointRepository
    publisher: FakePublisher
    secrets: dict[str, str]
    confirmed: list[tuple[str, str]]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name, value in {
        "POWERTOOLS_SERVICE_NAME": "ventanilla-email",
        "TABLE_NAME": "ventanilla-test",
        "EVENT_BUS_NAME": "ventanilla-bus",
        "CHANNEL": "email",
        "CHANNEL_API_KEY_ID": API_KEY_ID,
        "CHANNEL_SECRETS_ARN": SECRETS_ARN,
    }.items():
        monkeypatch.setenv(name, value)
    get_ingest_settings.cache_clear()
    secrets = {"ses_basic_user": USER, "ses_basic_password": PASSWORD}
    built = World(FakeTouchpointRepository(), FakePublisher(), secrets, confirmed=[])

    def channel_secret(arn: str | None, name: str) -> str:
        assert arn == SECRETS_ARN
        if not built.secrets.get(name):
            raise SecretNotConfiguredError(f"{name} is not configured")
        return built.secrets[name]

    monkeypatch.setattr(ingest_api, "channel_secret", channel_secret)
    monkeypatch.setattr(ingest_api, "get_repository", lambda: built.touchpoints)
    monkeypatch.setattr(ingest_api, "get_publisher", lambda: built.publisher)
    monkeypatch.setattr(ingest_api, "get_deliveries", FakeDeliveries)

    def confirm(topic_arn: str, token: str) -> None:
        built.confirmed.append((topic_arn, token))

    monkeypatch.setattr(handler, "get_subscription_confirmer", lambda: confirm)
    monkeypatch.setattr(metrics, "namespace", "VentanillaTest")
    yield built
    get_ingest_settings.cache_clear()


def api_event(
    path: str,
    body: str,
    *,
    headers: dict[str, str] | None = None,
    api_key_id: str | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    all_headers = {"Host": "api.ventanilla.example", **(headers or {})}
    return {
        "resource": path,
        "path": path,
        "httpMethod": "POST",
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "POST",
            "stage": "api",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "54.240.197.10", "apiKeyId": api_key_id},
        },
        "body": base64.b64encode(body.encode()).decode() if base64_body else body,
        "isBase64Encoded": base64_body,
    }


def post_sns(
    body: dict[str, Any], *, authorization: str | None = None, credentials: bool = True, base64_body: bool = False
) -> dict[str, Any]:
    headers = {
        "Content-Type": "text/plain; charset=UTF-8",
        "x-amz-sns-message-type": body["Type"],
        "x-amz-sns-message-id": body["MessageId"],
        "x-amz-sns-topic-arn": body["TopicArn"],
        "User-Agent": "Amazon Simple Notification Service Agent",
    }
    if credentials:
        headers["Authorization"] = authorization or basic_authorization(USER, PASSWORD)
    event = api_event(SES_PATH, json.dumps(body), headers=headers, base64_body=base64_body)
    response: dict[str, Any] = handler.lambda_handler(event, FakeContext())
    return response


def response_body(response: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(response["body"])
    return data


def header(response: dict[str, Any], name: str) -> str | None:
    single = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    multi = {k.lower(): v for k, v in (response.get("multiValueHeaders") or {}).items()}
    value = single.get(name.lower()) or (multi.get(name.lower()) or [None])[0]
    return None if value is None else str(value)


def test_authenticated_notification_stores_the_touchpoint(world: World) -> None:
    response = post_sns(load("ses_sns_notification"))
    assert response["statusCode"] == 200
    expected_id = touchpoint_id_for(Channel.EMAIL, FIXTURE_MESSAGE_ID)
    assert response_body(response) == {"accepted": [expected_id], "replayed": [], "statuses": 0, "rejected": []}
    touchpoint = world.touchpoints.items[expected_id].touchpoint
    assert touchpoint.citizen.email == "mafer.lopez@example.com"
    assert (touchpoint.citizen.given_name, touchpoint.citizen.family_name) == ("María Fernanda", "López Ortiz")
    assert touchpoint.case == CaseRef(reference="PRE-2026-000042")
    assert touchpoint.text is not None and touchpoint.text.startswith("Re: Tu trámite PRE-2026-000042\n\nBuenas")
    assert world.publisher.published == []  # announced from the table's stream
    assert world.touchpoints.correlation_ids[expected_id]  # with the request's id, for the announcer


def test_base64_encoded_request_body_is_read_too(world: World) -> None:
    response = post_sns(load("ses_sns_notification"), base64_body=True)
    assert response["statusCode"] == 200
    assert len(world.touchpoints.items) == 1


def test_reply_to_an_earlier_email_attached_to_a_case_gets_that_case(world: World) -> None:
    answered = earlier_email("ventanilla-LIC-2026-000123-2@tesoreria.example.mx")
    world.touchpoints.add(answered)
    world.touchpoints.items[answered.touchpoint_id] = world.touchpoints.items[answered.touchpoint_id].model_copy(
        update={"case_reference": "LIC-2026-000123"}
    )
    raw = make_mail(subject="Re: Seguimiento", in_reply_to="<ventanilla-LIC-2026-000123-2@tesoreria.example.mx>")
    response = post_sns(sns_body(receipt_message(raw)))
    assert response["statusCode"] == 200
    [reply_id] = response_body(response)["accepted"]
    assert world.touchpoints.items[reply_id].touchpoint.case == CaseRef(reference="LIC-2026-000123")


@pytest.mark.parametrize(
    ("credentials", "authorization"),
    [
        (False, None),
        (True, basic_authorization(USER, "wrong-password")),
        (True, basic_authorization("someone-else", PASSWORD)),
        (True, "Bearer " + PASSWORD),
    ],
)
def test_missing_or_wrong_credentials_get_a_basic_challenge_and_store_nothing(
    world: World, credentials: bool, authorization: str | None
) -> None:
    response = post_sns(load("ses_sns_notification"), credentials=credentials, authorization=authorization)
    assert response["statusCode"] == 401
    assert header(response, "WWW-Authenticate") == 'Basic realm="ventanilla"'
    assert response_body(response)["error"] == "unauthorized"
    assert world.touchpoints.items == {} and world.publisher.published == []


def test_unconfigured_credentials_refuse_everything(world: World) -> None:
    world.secrets["ses_basic_password"] = ""
    response = post_sns(load("ses_sns_notification"))
    assert response["statusCode"] == 403
    assert header(response, "WWW-Authenticate") is None
    assert world.touchpoints.items == {}


def test_redelivered_notification_is_stored_once(world: World) -> None:
    body = load("ses_sns_notification")
    first, again = post_sns(body), post_sns(body)
    assert first["statusCode"] == again["statusCode"] == 200
    expected_id = touchpoint_id_for(Channel.EMAIL, FIXTURE_MESSAGE_ID)
    assert response_body(first)["accepted"] == [expected_id]
    assert response_body(again) == {"accepted": [], "replayed": [expected_id], "statuses": 0, "rejected": []}
    assert list(world.touchpoints.items) == [expected_id]


def test_subscription_confirmation_is_confirmed_through_the_port(world: World) -> None:
    body = load("ses_sns_subscription")
    response = post_sns(body)
    assert response["statusCode"] == 200
    assert response_body(response) == {"status": "confirmed"}
    assert world.confirmed == [(TOPIC_ARN, body["Token"])]
    assert world.touchpoints.items == {}


def test_subscription_confirmation_needs_credentials_too(world: World) -> None:
    response = post_sns(load("ses_sns_subscription"), credentials=False)
    assert response["statusCode"] == 401
    assert world.confirmed == []


def test_failed_confirmation_asks_sns_to_retry(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    def refuse(arn: str, token: str) -> None:
        raise ClientError({"Error": {"Code": "AuthorizationError", "Message": "no"}}, "ConfirmSubscription")

    monkeypatch.setattr(handler, "get_subscription_confirmer", lambda: refuse)
    response = post_sns(load("ses_sns_subscription"))
    assert response["statusCode"] == 503


def test_unsubscribe_confirmation_is_acknowledged_and_ignored(world: World) -> None:
    body = sns_body("You have been unsubscribed from the topic.", "UnsubscribeConfirmation")
    response = post_sns(body)
    assert response["statusCode"] == 200
    assert response_body(response) == {"status": "ignored"}
    assert world.confirmed == [] and world.touchpoints.items == {}


def test_notification_that_is_not_a_received_mail_is_accepted_and_reported(world: World) -> None:
    message = json.dumps({"notificationType": "Bounce", "bounce": {"bounceType": "Permanent"}, "mail": {}})
    response = post_sns(sns_body(message))
    assert response["statusCode"] == 200
    assert response_body(response) == {
        "accepted": [],
        "replayed": [],
        "statuses": 0,
        "rejected": [{"index": 0, "reason": "not an SES Received notification"}],
    }
    assert world.touchpoints.items == {} and world.publisher.published == []


def test_unreadable_sns_body_is_a_bad_request(world: World) -> None:
    event = api_event(
        SES_PATH,
        "this is not JSON",
        headers={"Content-Type": "text/plain; charset=UTF-8", "Authorization": basic_authorization(USER, PASSWORD)},
    )
    response = handler.lambda_handler(event, FakeContext())
    assert response["statusCode"] == 400
    assert world.touchpoints.items == {}


def test_virus_fail_is_stored_quarantined(world: World) -> None:
    response = post_sns(sns_body(receipt_message(make_mail(), virus="FAIL")))
    assert response["statusCode"] == 200
    [touchpoint_id] = response_body(response)["accepted"]
    touchpoint = world.touchpoints.items[touchpoint_id].touchpoint
    assert touchpoint.text is None and touchpoint.details["quarantined"] is True


def test_generic_route_still_requires_its_key_while_the_ses_route_does_not(world: World) -> None:
    generic = load("email_touchpoint")
    headers = {"Content-Type": "application/json"}
    refused = handler.lambda_handler(api_event(GENERIC_PATH, json.dumps(generic), headers=headers), FakeContext())
    assert refused["statusCode"] == 403
    other_key = api_event(GENERIC_PATH, json.dumps(generic), headers=headers, api_key_id="key-of-another-channel")
    assert handler.lambda_handler(other_key, FakeContext())["statusCode"] == 403
    keyed = api_event(GENERIC_PATH, json.dumps(generic), headers=headers, api_key_id=API_KEY_ID)
    assert handler.lambda_handler(keyed, FakeContext())["statusCode"] == 202
    assert post_sns(load("ses_sns_notification"))["statusCode"] == 200  # no API key, basic credentials only
    assert len(world.touchpoints.items) == 2


def test_openapi_documents_the_ses_route() -> None:
    schema = handler.app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True)
    operation = schema["paths"][SES_PATH]["post"]
    assert operation["operationId"] == "post_email_ses"
    assert {200, 400, 401, 403, 503} <= set(operation["responses"])
