"""POST /v1/channels/email/touchpoints — emails received by the agency mailboxes."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.email.adapter import to_touchpoint
from functions.email.models import EmailTouchpointRequest
from shared.ingest.api import build_ingest_app
from shared.models.touchpoint import Channel
from shared.observability import logger, metrics, tracer

app = build_ingest_app(Channel.EMAIL, EmailTouchpointRequest, to_touchpoint, summary="Record an inbound email")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
