"""EventBridge target: TouchpointRecorded -> link the touchpoint to a citizen record."""

from functools import lru_cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import envelopes, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.identity.service import resolve_touchpoint
from shared.config import get_identity_settings
from shared.events import EventBridgePublisher
from shared.models.events import TouchpointRecorded
from shared.observability import logger, metrics, tracer
from shared.repositories.citizens import DynamoDBCitizenRepository
from shared.repositories.touchpoints import DynamoDBTouchpointRepository


@lru_cache(maxsize=1)
def _dependencies() -> tuple[DynamoDBTouchpointRepository, DynamoDBCitizenRepository, EventBridgePublisher]:
    settings = get_identity_settings()
    dynamodb = boto3.client("dynamodb")
    return (
        DynamoDBTouchpointRepository(dynamodb, settings.table_name),
        DynamoDBCitizenRepository(dynamodb, settings.table_name),
        EventBridgePublisher(boto3.client("events"), settings.event_bus_name),
    )


@logger.inject_lambda_context(correlation_id_path="detail.correlation_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_parser(model=TouchpointRecorded, envelope=envelopes.EventBridgeEnvelope)
def lambda_handler(event: TouchpointRecorded, context: LambdaContext) -> dict[str, Any]:
    touchpoints, citizens, publisher = _dependencies()
    resolved = resolve_touchpoint(
        event.touchpoint_id,
        touchpoints,
        citizens,
        publisher,
        default_region=get_identity_settings().default_phone_region,
        correlation_id=event.correlation_id,
    )
    outcome = resolved.outcome if resolved else "anonymous"
    metrics.add_dimension(name="channel", value=event.channel.value)
    metrics.add_metric(name=f"Citizen{outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    logger.info("touchpoint resolved", extra={"touchpoint_id": event.touchpoint_id, "outcome": outcome})
    return {"touchpoint_id": event.touchpoint_id, "outcome": outcome}
