"""POST /v1/channels/messaging/touchpoints — inbound SMS and WhatsApp messages (generic body, channel API key).

GET|POST /v1/channels/messaging/whatsapp — WhatsApp Business Cloud API webhook, straight from Meta: no API key,
the body is trusted only when its X-Hub-Signature-256 matches the app secret (parsing in whatsapp.py).

POST /v1/channels/messaging/twilio — Twilio inbound SMS and status callbacks (form-encoded): no API key, trusted
only when X-Twilio-Signature matches the route's public URL and the form (parsing in twilio.py); answers TwiML.
"""

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.messaging import twilio
from functions.messaging.adapter import to_touchpoint
from functions.messaging.models import MessagingTouchpointRequest
from functions.messaging.whatsapp import UnreadableWebhookError, read_whatsapp
from shared.ingest import api as ingest_api
from shared.ingest.api import build_ingest_app, provider_secret, record_parsed_webhook, refuse
from shared.ingest.meta import answer_verification, verified_body
from shared.models.touchpoint import Channel
from shared.observability import logger, metrics, tracer
from shared.webhooks.secrets import SecretNotConfiguredError
from shared.webhooks.signatures import verify_twilio_signature

WHATSAPP_PATH = "/v1/channels/messaging/whatsapp"
WHATSAPP_TAGS = ["channel: messaging"]

app = build_ingest_app(
    Channel.MESSAGING, MessagingTouchpointRequest, to_touchpoint, summary="Record an SMS or WhatsApp message"
)


@app.get(
    WHATSAPP_PATH,
    summary="WhatsApp webhook verification (Meta's hub.challenge)",
    tags=WHATSAPP_TAGS,
    operation_id="verify_whatsapp_webhook",
    responses={200: {"description": "The hub.challenge, as text"}, 403: {"description": "Not our verify token"}},
)
@tracer.capture_method
def handle_whatsapp_verification() -> Response[Any]:
    return answer_verification(app.current_event, "whatsapp_verify_token", "WhatsApp")


@app.post(
    WHATSAPP_PATH,
    summary="WhatsApp Business Cloud API webhook (messages and statuses, signed by Meta)",
    tags=WHATSAPP_TAGS,
    operation_id="post_whatsapp_webhook",
    responses={
        200: {"description": "Authentic: what was stored, replayed and rejected, by entry"},
        400: {"description": "Authentic but not a WhatsApp Business Account webhook"},
        401: {"description": "No X-Hub-Signature-256"},
        403: {"description": "Signature does not match the body, or the app secret is not configured"},
    },
)
@tracer.capture_method
def handle_whatsapp_webhook() -> Response[Any]:
    body = verified_body(app.current_event, "whatsapp_app_secret", "WhatsApp")
    if isinstance(body, Response):
        return body
    try:
        parsed = read_whatsapp(body)
    except UnreadableWebhookError as error:
        return refuse(HTTPStatus.BAD_REQUEST, "bad_request", str(error))
    return record_parsed_webhook(Channel.MESSAGING, "whatsapp", parsed)


TWILIO_PATH = "/v1/channels/messaging/twilio"
TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"


@app.post(
    TWILIO_PATH,
    summary="Twilio Programmable Messaging webhook (inbound SMS and status callbacks, signed by Twilio)",
    tags=["channel: messaging"],
    operation_id="post_twilio_webhook",
    responses={
        200: {"description": "Authentic: recorded; an empty TwiML <Response/> (no reply)"},
        400: {"description": "Authentic but not a Twilio message or status callback (no MessageSid or From)"},
        401: {"description": "No X-Twilio-Signature"},
        403: {"description": "Signature does not match the URL and form, or the auth token is not configured"},
    },
)
@tracer.capture_method
def handle_twilio_webhook() -> Response[Any]:
    raw = app.current_event.raw_event
    headers = raw.get("headers") or {}
    signature = twilio.header(headers, TWILIO_SIGNATURE_HEADER)
    if not signature:
        return refuse(HTTPStatus.UNAUTHORIZED, "unauthorized", f"{TWILIO_SIGNATURE_HEADER} is missing")
    try:
        auth_token = provider_secret("twilio_auth_token")
    except SecretNotConfiguredError:
        return refuse(HTTPStatus.FORBIDDEN, "forbidden", "the Twilio auth token is not configured")
    try:
        form = twilio.parse_form(raw.get("body"), bool(raw.get("isBase64Encoded")))
        url = twilio.public_url(
            headers,
            (raw.get("requestContext") or {}).get("stage"),
            raw.get("path") or TWILIO_PATH,
            raw.get("multiValueQueryStringParameters"),
        )
    except ValueError as error:
        return refuse(HTTPStatus.BAD_REQUEST, "bad_request", str(error))
    if not any(
        verify_twilio_signature(candidate, form, signature, auth_token)
        for candidate in twilio.signed_url_candidates(url)
    ):
        return refuse(HTTPStatus.FORBIDDEN, "forbidden", f"{TWILIO_SIGNATURE_HEADER} does not match the request")
    try:
        parsed = twilio.parse_webhook(form, datetime.now(UTC))
    except twilio.MissingFieldError as error:
        return refuse(HTTPStatus.BAD_REQUEST, "bad_request", str(error))
    # Twilio sends no time: a retried webhook must carry the arrival time stored the first time to match it.
    repository = ingest_api.get_repository()
    for index, touchpoint in enumerate(parsed.touchpoints):
        stored = repository.get(touchpoint.touchpoint_id)
        first_arrival = stored.touchpoint.occurred_at if stored else None
        parsed.touchpoints[index] = twilio.keep_first_arrival(touchpoint, first_arrival)
    record_parsed_webhook(Channel.MESSAGING, twilio.PROVIDER, parsed)
    return Response(status_code=HTTPStatus.OK.value, content_type="text/xml", body=twilio.EMPTY_TWIML)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
