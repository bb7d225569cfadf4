"""EventBridge target: TouchpointRecorded -> resolve the touchpoint to a citizen (shared/identity/engine.py)."""

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import envelopes, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.config import get_identity_settings
from shared.identity.engine import IdentityEngine
from shared.identity.factory import build_engine
from shared.models.events import TouchpointRecorded
from shared.observability import count_alone, logger, metrics, tracer


@lru_cache(maxsize=1)
def get_engine() -> IdentityEngine:
    return build_engine(get_identity_settings())


@logger.inject_lambda_context(correlation_id_path="detail.correlation_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_parser(model=TouchpointRecorded, envelope=envelopes.EventBridgeEnvelope)
def lambda_handler(event: TouchpointRecorded, context: LambdaContext) -> dict[str, Any]:
    resolution = get_engine().resolve(event.touchpoint_id, correlation_id=event.correlation_id)
    metrics.add_dimension(name="channel", value=event.channel.value)
    metrics.add_metric(name=f"Identity_{resolution.outcome}", unit=MetricUnit.Count, value=1)
    if resolution.review is not None:  # the review queue's inflow (its outflow: ReviewsDecided, stewardship)
        count_alone("ReviewsOpened")
    if resolution.merges:
        metrics.add_metric(name="Identity_merges", unit=MetricUnit.Count, value=len(resolution.merges))
    rule = resolution.link.rule if resolution.link else None
    logger.info(
        "touchpoint resolved", extra={"touchpoint_id": event.touchpoint_id, "outcome": resolution.outcome, "rule": rule}
    )
    return {"touchpoint_id": event.touchpoint_id, "outcome": resolution.outcome, "citizen_id": resolution.citizen_id}
