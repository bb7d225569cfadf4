"""EventBridge target: keeps cases in step with identity.

CitizenResolved -> attach the touchpoint to its case (or open one); CitizensMerged / CitizenSplit -> the
absorbed citizen's cases move to the survivor and back (shared/cases/service.py).
"""

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.cases.factory import build_case_service
from shared.cases.service import CaseService
from shared.config import get_tracker_settings
from shared.models.events import CitizenResolved, CitizensMerged, CitizenSplit
from shared.observability import logger, metrics, tracer


@lru_cache(maxsize=1)
def get_service() -> CaseService:
    settings = get_tracker_settings()
    return build_case_service(settings.table_name, settings.event_bus_name)


@logger.inject_lambda_context(correlation_id_path="detail.correlation_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    envelope = parse(event=event, model=EventBridgeModel)
    detail_type = envelope.detail_type
    if detail_type == CitizenResolved.detail_type():
        resolved = CitizenResolved.model_validate(envelope.detail)
        result = get_service().on_touchpoint(resolved.touchpoint_id, resolved.citizen_id, resolved.correlation_id)
        metrics.add_metric(name=f"Cases_touchpoint_{result.outcome}", unit=MetricUnit.Count, value=1)
        logger.info(
            "touchpoint and cases",
            extra={"touchpoint_id": resolved.touchpoint_id, "outcome": result.outcome, "reference": result.reference},
        )
        return {"outcome": result.outcome, "reference": result.reference}
    if detail_type == CitizensMerged.detail_type():
        merged = CitizensMerged.model_validate(envelope.detail)
        moved = get_service().follow_merge(merged.survivor_id, merged.absorbed_id, merged.merge_id)
        logger.info("cases followed a merge", extra={"merge_id": merged.merge_id, "cases": len(moved)})
        return {"moved": moved}
    if detail_type == CitizenSplit.detail_type():
        split = CitizenSplit.model_validate(envelope.detail)
        moved = get_service().follow_split(split.citizen_id, split.restored_citizen_id, split.merge_id)
        logger.info("cases followed a split", extra={"merge_id": split.merge_id, "cases": len(moved)})
        return {"moved": moved}
    raise ValueError(f"the tracker does not handle {detail_type}")  # a wiring error: let it reach the DLQ
