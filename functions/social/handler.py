"""POST /v1/channels/social/touchpoints — comments and direct messages from social networks (channel API key).

GET|POST /v1/channels/social/meta — Messenger and Instagram messaging webhook, straight from Meta: no API key,
the body is trusted only when its X-Hub-Signature-256 matches the app secret (parsing in meta.py).
"""

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.social.adapter import to_touchpoint
from functions.social.meta import UnreadableWebhookError, read_meta
from functions.social.models import SocialTouchpointRequest
from shared.ingest.api import build_ingest_app, record_parsed_webhook, refuse
from shared.ingest.meta import answer_verification, verified_body
from shared.models.touchpoint import Channel
from shared.observability import logger, metrics, tracer

META_PATH = "/v1/channels/social/meta"
META_TAGS = ["channel: social"]

app = build_ingest_app(
    Channel.SOCIAL, SocialTouchpointRequest, to_touchpoint, summary="Record a social-media comment or direct message"
)


@app.get(
    META_PATH,
    summary="Messenger / Instagram webhook verification (Meta's hub.challenge)",
    tags=META_TAGS,
    operation_id="verify_meta_webhook",
    responses={200: {"description": "The hub.challenge, as text"}, 403: {"description": "Not our verify token"}},
)
@tracer.capture_method
def handle_meta_verification() -> Response[Any]:
    return answer_verification(app.current_event, "meta_verify_token", "Meta")


@app.post(
    META_PATH,
    summary="Messenger / Instagram messaging webhook (messages and deliveries, signed by Meta)",
    tags=META_TAGS,
    operation_id="post_meta_webhook",
    responses={
        200: {"description": "Authentic: what was stored, replayed and rejected, by event"},
        400: {"description": "Authentic but not a Messenger (page) or Instagram webhook"},
        401: {"description": "No X-Hub-Signature-256"},
        403: {"description": "Signature does not match the body, or the app secret is not configured"},
    },
)
@tracer.capture_method
def handle_meta_webhook() -> Response[Any]:
    body = verified_body(app.current_event, "meta_app_secret", "Meta")
    if isinstance(body, Response):
        return body
    try:
        parsed = read_meta(body)
    except UnreadableWebhookError as error:
        return refuse(HTTPStatus.BAD_REQUEST, "bad_request", str(error))
    return record_parsed_webhook(Channel.SOCIAL, "meta", parsed)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
