"""POST /v1/channels/chat/touchpoints — web-chat sessions, sent once each session ends."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.chat.adapter import to_touchpoint
from functions.chat.models import ChatTouchpointRequest
from shared.ingest.api import build_ingest_app
from shared.models.touchpoint import Channel
from shared.observability import logger, metrics, tracer

app = build_ingest_app(Channel.CHAT, ChatTouchpointRequest, to_touchpoint, summary="Record a finished web-chat session")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
