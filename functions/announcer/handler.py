"""Table stream -> TouchpointRecorded on the bus: the transactional outbox's relay (shared/ingest/announce.py).

The event source mapping (infra/stack.py) sends batches of up to 100 stream records, filtered to INSERTs of raw
touchpoints that were not bulk-imported; this function publishes one TouchpointRecorded per touchpoint, ten per
PutEvents call, and answers with the records to retry (ReportBatchItemFailures). One bad record or a failed call
never fails the batch: Lambda retries from the first reported record, then parks the rest in the dead-letter queue.
(Powertools' BatchProcessor handles one record per call; publishing ten events per call needs the whole batch.)
"""

from functools import lru_cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.config import get_announcer_settings
from shared.events import EventBridgePublisher
from shared.ingest.announce import announce
from shared.observability import logger, metrics, tracer


@lru_cache(maxsize=1)
def get_publisher() -> EventBridgePublisher:
    return EventBridgePublisher(boto3.client("events"), get_announcer_settings().event_bus_name)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_source(data_class=DynamoDBStreamEvent)
def lambda_handler(event: DynamoDBStreamEvent, context: LambdaContext) -> dict[str, Any]:
    records = list(event.records)
    outcome = announce(records, get_publisher())
    metrics.add_metric(name="TouchpointsAnnounced", unit=MetricUnit.Count, value=len(outcome.announced))
    metrics.add_metric(name="AnnouncementsToRetry", unit=MetricUnit.Count, value=len(outcome.failed))
    log = logger.warning if outcome.failed else logger.info
    log(
        "touchpoints announced",
        extra={
            "records": len(records),
            # ids only (the logs never carry a touchpoint's content); each with the request that stored it
            "announced": [
                {"touchpoint_id": e.touchpoint_id, "correlation_id": e.correlation_id} for e in outcome.announced
            ],
            "skipped": outcome.skipped,
            "unreadable": outcome.unreadable,
            "to_retry": len(outcome.failed),
            "errors": sorted(set(outcome.errors)),
        },
    )
    return outcome.batch_item_failures()
