"""The REST app every channel function serves: one POST route from channel body to stored touchpoint.

No `from __future__ import annotations` here: the route signature is built at run time from the
channel's request model and Powertools must see the real annotation.

A channel supplies only its request model and a pure adapter (request -> Touchpoint); everything
else — validation, key check, idempotent store, response — is the same for all eight. Nothing is published here:
the stored touchpoint is announced from the table's stream (shared/ingest/service.py). Only a provider's delivery
statuses (DeliveryReported) are published by the channels that receive them.
"""

from collections.abc import Callable, Sequence
from functools import lru_cache
from http import HTTPStatus
from typing import Annotated, Any, TypeVar

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel

from shared.api import ErrorResponse, api_key_guard, create_resolver
from shared.config import get_ingest_settings
from shared.events import EventBridgePublisher
from shared.ingest.service import record_touchpoint
from shared.models.touchpoint import Channel, Touchpoint
from shared.observability import logger, metrics, tracer
from shared.repositories.deliveries import DynamoDBDeliveryRepository
from shared.repositories.touchpoints import DynamoDBTouchpointRepository
from shared.webhooks.recording import ParsedWebhook, WebhookReport, record_webhook, summarise
from shared.webhooks.secrets import channel_secret

RequestT = TypeVar("RequestT", bound=BaseModel)


class TouchpointAcceptedResponse(BaseModel):
    touchpoint_id: str
    channel: Channel
    status: str = "accepted"


@lru_cache(maxsize=1)
def get_repository() -> DynamoDBTouchpointRepository:
    settings = get_ingest_settings()
    return DynamoDBTouchpointRepository(boto3.client("dynamodb"), settings.table_name, settings.text_retention_days)


@lru_cache(maxsize=1)
def get_publisher() -> EventBridgePublisher:
    """The bus, for the delivery statuses providers report (DeliveryReported); only those channels have one."""
    bus = get_ingest_settings().event_bus_name
    if bus is None:
        raise RuntimeError("this channel function publishes no events (no EVENT_BUS_NAME)")
    return EventBridgePublisher(boto3.client("events"), bus)


@lru_cache(maxsize=1)
def get_deliveries() -> DynamoDBDeliveryRepository:
    return DynamoDBDeliveryRepository(boto3.client("dynamodb"), get_ingest_settings().table_name)


def provider_secret(name: str) -> str:
    """A provider secret of this channel (shared/webhooks/secrets.py)."""
    return channel_secret(get_ingest_settings().channel_secrets_arn, name)


def record_parsed_webhook(channel: Channel, provider: str, parsed: ParsedWebhook) -> Response[WebhookReport]:
    """Store what a verified webhook carried and answer 200 with what happened to each entry."""
    publisher = get_publisher() if parsed.statuses else None
    report = record_webhook(
        parsed, get_repository(), get_deliveries(), publisher, correlation_id=logger.get_correlation_id()
    )
    metrics.add_dimension(name="channel", value=channel.value)
    metrics.add_metric(name="TouchpointsAccepted", unit=MetricUnit.Count, value=len(report.accepted))
    metrics.add_metric(name="WebhookEntriesRejected", unit=MetricUnit.Count, value=len(report.rejected))
    logger.info("webhook recorded", extra={"provider": provider, **summarise(report)})
    return Response(status_code=HTTPStatus.OK.value, content_type=content_types.APPLICATION_JSON, body=report)


def refuse(status: HTTPStatus, error: str, message: str) -> Response[ErrorResponse]:
    """A refusal (bad signature, unknown verify token) in the platform's error shape; logs no request data."""
    logger.warning("webhook refused", extra={"error": error})
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body=ErrorResponse(error=error, message=message),
    )


def build_ingest_app(
    channel: Channel,
    request_model: type[RequestT],
    to_touchpoint: Callable[[RequestT], Touchpoint],
    *,
    summary: str,
    keyed_paths: Sequence[str] = (),
) -> APIGatewayRestResolver:
    """The channel's generic route (with its API key); provider routes are added by the channel's handler.

    `keyed_paths`: further routes of this channel that carry the channel's API key (not a provider signature).
    """
    path = f"/v1/channels/{channel.value}/touchpoints"
    app = create_resolver(
        guards=[
            api_key_guard(
                lambda: get_ingest_settings().channel_api_key_id,
                f"channel {channel.value}",
                only_paths={path, *keyed_paths},
            )
        ]
    )
    error_responses: dict[int, Any] = {
        code: {"description": text, "content": {"application/json": {"model": ErrorResponse}}}
        for code, text in (
            (400, "Malformed JSON"),
            (403, "Missing API key or key of another channel"),
            (409, "Message id reused for different content"),
            (413, "Body over 256 KB"),
            (422, "A field is missing or has the wrong type"),
            (503, "Throttled: retry (after Retry-After)"),
        )
    }

    @app.post(
        path,
        summary=summary,
        tags=[f"channel: {channel.value}"],
        operation_id=f"post_{channel.value}_touchpoint",
        responses={
            202: {"description": "Accepted (also for a retried delivery: same touchpoint id)"},
            **error_responses,
        },
    )
    @tracer.capture_method
    def handle_post_touchpoint(request: Annotated[request_model, Body()]) -> Response[TouchpointAcceptedResponse]:  # type: ignore[valid-type]
        touchpoint = to_touchpoint(request)
        outcome = record_touchpoint(touchpoint, get_repository(), correlation_id=logger.get_correlation_id())
        metrics.add_dimension(name="channel", value=channel.value)
        metrics.add_metric(
            name="TouchpointsAccepted" if outcome.created else "TouchpointsReplayed", unit=MetricUnit.Count, value=1
        )
        logger.info(
            "touchpoint recorded", extra={"touchpoint_id": outcome.touchpoint_id, "replay": not outcome.created}
        )
        body = TouchpointAcceptedResponse(touchpoint_id=outcome.touchpoint_id, channel=channel)
        return Response(
            status_code=HTTPStatus.ACCEPTED.value,
            content_type=content_types.APPLICATION_JSON,
            body=body,
            headers={"Idempotent-Replay": "false" if outcome.created else "true"},
        )

    return app
