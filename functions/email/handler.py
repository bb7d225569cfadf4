"""Emails received by the agency mailboxes.

- POST /v1/channels/email/touchpoints — the agency's mail gateway, parsed generic JSON (channel API key).
- POST /v1/channels/email/ses — Amazon SES receipt notifications through an SNS HTTPS subscription, whose URL
  carries HTTP basic credentials (`ses_basic_user` / `ses_basic_password` in the channel secrets).
"""

from collections.abc import Callable
from functools import lru_cache
from http import HTTPStatus
from typing import Any, Literal

import boto3
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from functions.email import ses
from functions.email.adapter import to_touchpoint
from functions.email.models import EmailTouchpointRequest
from shared.api import ErrorResponse
from shared.ingest import api as ingest
from shared.models.touchpoint import Channel
from shared.observability import logger, metrics, tracer
from shared.webhooks.recording import WebhookReport
from shared.webhooks.secrets import SecretNotConfiguredError
from shared.webhooks.signatures import verify_basic_authorization

SES_PATH = "/v1/channels/email/ses"
BASIC_CHALLENGE = 'Basic realm="ventanilla"'

SubscriptionConfirmer = Callable[[str, str], None]
"""Confirms an SNS subscription: (topic ARN, token)."""

app = ingest.build_ingest_app(Channel.EMAIL, EmailTouchpointRequest, to_touchpoint, summary="Record an inbound email")


class SnsAcknowledgement(BaseModel):
    status: Literal["confirmed", "ignored"]


@lru_cache(maxsize=1)
def get_subscription_confirmer() -> SubscriptionConfirmer:
    """ConfirmSubscription in the topic's region with the token SNS sent (its SubscribeURL is never fetched)."""

    def confirm(topic_arn: str, token: str) -> None:
        client = boto3.client("sns", region_name=ses.topic_region(topic_arn))
        client.confirm_subscription(TopicArn=topic_arn, Token=token, AuthenticateOnUnsubscribe="true")

    return confirm


def _challenge() -> Response[ErrorResponse]:
    """401 with a Basic challenge: SNS sends the subscription URL's credentials only after one."""
    logger.warning("webhook refused", extra={"error": "unauthorized", "provider": ses.PROVIDER})
    return Response(
        status_code=HTTPStatus.UNAUTHORIZED.value,
        content_type=content_types.APPLICATION_JSON,
        body=ErrorResponse(error="unauthorized", message="valid basic credentials are required"),
        headers={"WWW-Authenticate": BASIC_CHALLENGE},
    )


def _acknowledge(status: Literal["confirmed", "ignored"]) -> Response[SnsAcknowledgement]:
    return Response(
        status_code=HTTPStatus.OK.value,
        content_type=content_types.APPLICATION_JSON,
        body=SnsAcknowledgement(status=status),
    )


@app.post(
    SES_PATH,
    summary="Record an email received by Amazon SES (SNS HTTPS subscription)",
    tags=["channel: email"],
    operation_id="post_email_ses",
    responses={
        200: {
            "description": "Recorded, or reported as unusable (a notification); confirmed or ignored (other types)",
            "content": {"application/json": {"model": WebhookReport | SnsAcknowledgement}},
        },
        **{
            code: {"description": text, "content": {"application/json": {"model": ErrorResponse}}}
            for code, text in (
                (400, "Not an SNS message"),
                (401, "Missing or wrong basic credentials (answered with a Basic challenge)"),
                (403, "SES credentials not configured in the channel secrets"),
                (503, "Subscription not confirmed, or throttled: retry"),
            )
        },
    },
)
@tracer.capture_method
def handle_ses_notification() -> Response[Any]:  # a WebhookReport, SnsAcknowledgement or ErrorResponse
    event = app.current_event
    try:
        user, password = ingest.provider_secret("ses_basic_user"), ingest.provider_secret("ses_basic_password")
    except SecretNotConfiguredError:
        return ingest.refuse(HTTPStatus.FORBIDDEN, "forbidden", "SES inbound mail is not configured for this channel")
    if not verify_basic_authorization(event.headers.get("authorization"), user, password):
        return _challenge()
    try:
        envelope = ses.parse_sns_envelope(event.decoded_body, event.headers.get("x-amz-sns-message-type"))
    except ValueError as error:  # SnsEnvelopeError, or a base64 body that is not UTF-8 text
        message = str(error) if isinstance(error, ses.SnsEnvelopeError) else "request body is not UTF-8 text"
        return ingest.refuse(HTTPStatus.BAD_REQUEST, "bad_request", message)

    if envelope.type is ses.SnsMessageType.SUBSCRIPTION_CONFIRMATION:
        try:
            get_subscription_confirmer()(envelope.topic_arn, envelope.token or "")
        except (BotoCoreError, ClientError) as error:
            logger.error("SNS subscription not confirmed", extra={"reason": type(error).__name__})
            return ingest.refuse(HTTPStatus.SERVICE_UNAVAILABLE, "not_confirmed", "subscription not confirmed; retry")
        logger.info("SNS subscription confirmed", extra={"topic_arn": envelope.topic_arn})
        return _acknowledge("confirmed")
    if envelope.type is ses.SnsMessageType.UNSUBSCRIBE_CONFIRMATION:
        logger.info("SNS unsubscribe confirmation ignored", extra={"topic_arn": envelope.topic_arn})
        return _acknowledge("ignored")

    parsed = ses.parse_notification(envelope.message, ingest.get_repository().get)
    return ingest.record_parsed_webhook(Channel.EMAIL, ses.PROVIDER, parsed)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
