"""EventBridge target: the journey monitor.

Case events (CaseTouchpointAttached, CaseOpened, CaseStepCompleted, CaseStatusChanged, CaseClosed) -> journey
state, timers and signals; the scheduled rule's "Scheduled Event" -> the timers due at the event's time.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.cases.factory import build_case_service
from shared.catalogue import get_catalogue
from shared.config import get_journey_settings
from shared.events import EventBridgePublisher
from shared.journeys.measures import UNKNOWN, Fact
from shared.journeys.rules import JourneySettings
from shared.journeys.sentiment import ComprehendScorer, LocalLexiconScorer, SentimentScorer
from shared.journeys.service import JourneyService
from shared.models.events import (
    CaseClosed,
    CaseOpened,
    CaseStalled,
    CaseStatusChanged,
    CaseStepCompleted,
    CaseTouchpointAttached,
    JourneySignal,
    SlaBreached,
)
from shared.observability import logger, metrics, tracer
from shared.repositories.attention import DynamoDBAttentionRepository
from shared.repositories.cases import DynamoDBCaseRepository
from shared.repositories.identity import DynamoDBIdentityRepository
from shared.repositories.journeys import DynamoDBJourneyRepository
from shared.repositories.measures import DynamoDBMeasureRepository
from shared.repositories.touchpoints import DynamoDBTouchpointRepository

SCHEDULED = "Scheduled Event"
HIGH_PRIORITY_STALLED = "HighPriorityCaseStalled"
MOVES = {e.detail_type(): e for e in (CaseOpened, CaseStepCompleted, CaseStatusChanged, CaseClosed)}


@lru_cache(maxsize=1)
def get_service() -> JourneyService:
    settings = get_journey_settings()
    dynamodb = boto3.client("dynamodb")
    return JourneyService(
        journeys=DynamoDBJourneyRepository(dynamodb, settings.table_name),
        cases=DynamoDBCaseRepository(dynamodb, settings.table_name),
        catalogue=get_catalogue(),
        case_service=build_case_service(settings.table_name, settings.event_bus_name),
        timeline=DynamoDBIdentityRepository(dynamodb, settings.table_name).add_entry,
        publisher=EventBridgePublisher(boto3.client("events"), settings.event_bus_name),
        touchpoints=DynamoDBTouchpointRepository(dynamodb, settings.table_name),
        scorer=_scorer(settings.sentiment_backend),
        measures=_also_as_metrics(DynamoDBMeasureRepository(dynamodb, settings.table_name).add),
        settings=JourneySettings(
            repeat_window=timedelta(hours=settings.repeat_window_hours),
            abandon_after=timedelta(days=settings.abandon_after_days),
        ),
    )


METRIC_DIMENSIONS = ("channel", "procedure", "region")  # language stays in the aggregates (the metrics API)


def _also_as_metrics(write: Callable[[Fact], None]) -> Callable[[Fact], None]:
    """Each measured fact goes to the daily aggregates and, as CloudWatch embedded metrics, to the dashboard:
    one metric per counter, with the channel, procedure and region it belongs to."""

    def measure(fact: Fact) -> None:
        write(fact)
        for name, value in fact.adds.items():
            unit = MetricUnit.Count if name != "resolution_hours" else MetricUnit.NoUnit
            with single_metric(name=f"Journey_{name}", unit=unit, value=value) as metric:
                for dimension in METRIC_DIMENSIONS:
                    metric.add_dimension(name=dimension, value=fact.groups.get(dimension) or UNKNOWN)

    return measure


@lru_cache(maxsize=1)
def get_attention() -> DynamoDBAttentionRepository:
    return DynamoDBAttentionRepository(boto3.client("dynamodb"), get_journey_settings().table_name)


def _scorer(backend: str) -> SentimentScorer:
    """Amazon Comprehend in AWS; the offline lexicon scorer where Comprehend is an emulator's canned answer."""
    if backend == "local":
        return LocalLexiconScorer()
    return ComprehendScorer(boto3.client("comprehend"))


def _count(signals: list[JourneySignal]) -> None:
    for signal in signals:
        metrics.add_metric(name=signal.detail_type(), unit=MetricUnit.Count, value=1)
        procedure = get_catalogue().find(signal.procedure)
        if isinstance(signal, CaseStalled | SlaBreached) and procedure is not None and procedure.priority == "high":
            metrics.add_metric(name=HIGH_PRIORITY_STALLED, unit=MetricUnit.Count, value=1)  # operators are alerted


@logger.inject_lambda_context(correlation_id_path="detail.correlation_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    envelope = parse(event=event, model=EventBridgeModel)
    service = get_service()
    if envelope.detail_type == SCHEDULED:
        signals = service.run_timers(envelope.time, seconds_left=lambda: context.get_remaining_time_in_millis() / 1000)
    elif envelope.detail_type == CaseTouchpointAttached.detail_type():
        signals = service.on_contact(CaseTouchpointAttached.model_validate(envelope.detail))
    elif envelope.detail_type in MOVES:
        moved = MOVES[envelope.detail_type].model_validate(envelope.detail)
        at: datetime = envelope.time
        by_contact = getattr(moved, "touchpoint_id", None) is not None
        kind = {CaseOpened: "opened", CaseStepCompleted: "step", CaseClosed: "closed"}.get(type(moved), "status")
        signals = service.on_case_moved(
            moved.reference, at, progressed=not isinstance(moved, CaseOpened), by_contact=by_contact, kind=kind
        )
    else:
        raise ValueError(f"the journey monitor does not handle {envelope.detail_type}")  # wiring error -> DLQ
    _count(signals)
    attention = get_attention()
    for signal in signals:
        if isinstance(signal, CaseStalled | SlaBreached):
            attention.add(signal)  # the console's "cases to act on"
    if envelope.detail_type == CaseStepCompleted.detail_type():
        metrics.add_metric(name="StepsCompleted", unit=MetricUnit.Count, value=1)  # SLA compliance's denominator
    logger.info("journey", extra={"detail_type": envelope.detail_type, "signals": [s.detail_type() for s in signals]})
    return {"signals": [s.detail_type() for s in signals]}
