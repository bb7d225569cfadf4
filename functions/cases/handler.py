"""Case API for operators and channel back-ends.

GET /v1/procedures · POST /v1/cases · GET /v1/cases/{reference} · POST /v1/cases/{reference}/steps ·
POST /v1/cases/{reference}/status · POST /v1/touchpoints/{touchpoint_id}/case · GET /v1/metrics/journeys ·
GET /v1/metrics/attention
"""

from datetime import date
from functools import lru_cache
from http import HTTPStatus
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from functions.cases.models import (
    AdvanceCaseRequest,
    AttachedTouchpoint,
    AttentionItem,
    AttentionResponse,
    CaseResponse,
    DayMetrics,
    GroupMetrics,
    JourneyMetricsResponse,
    MoveTouchpointRequest,
    MoveTouchpointResponse,
    OpenCaseRequest,
    ProcedureListResponse,
    ProcedureResponse,
    ProcedureStep,
    SetStatusRequest,
)
from shared.api import create_resolver
from shared.auth import acting, operator_guard
from shared.cases.factory import build_case_service
from shared.cases.service import CaseService
from shared.cases.views import summarise
from shared.config import get_cases_settings
from shared.exceptions import ValidationFailedError
from shared.journeys.measures import GroupFigures, equity_gaps
from shared.models.case import REFERENCE_PATTERN
from shared.observability import logger, metrics, tracer
from shared.repositories.attention import DynamoDBAttentionRepository, today_utc
from shared.repositories.cases import DynamoDBCaseRepository
from shared.repositories.measures import DynamoDBMeasureRepository

app = create_resolver(guards=[operator_guard(lambda: get_cases_settings().operator_key_ids)])

Reference = Annotated[str, Path(pattern=REFERENCE_PATTERN, description="Case reference, e.g. LIC-2026-000123")]
Language = Annotated[str | None, Query(pattern=r"^(es|en)$", description="Language of the texts (default: case's)")]
HISTORY_SHOWN = 50


@lru_cache(maxsize=1)
def get_service() -> CaseService:
    settings = get_cases_settings()
    return build_case_service(settings.table_name, settings.event_bus_name)


@lru_cache(maxsize=1)
def get_repository() -> DynamoDBCaseRepository:
    return DynamoDBCaseRepository(boto3.client("dynamodb"), get_cases_settings().table_name)


def _view(reference: str, language: str | None = None) -> CaseResponse:
    case, procedure = get_service().get(reference)
    repository = get_repository()
    return CaseResponse(
        case=summarise(case, procedure, language),
        citizen_id=case.citizen_id,
        history=repository.history(reference, HISTORY_SHOWN),
        touchpoints=[AttachedTouchpoint(**t) for t in repository.attached(reference, HISTORY_SHOWN)],
    )


@app.get("/v1/procedures", summary="The procedure catalogue", tags=["cases"])
@tracer.capture_method
def handle_list_procedures(language: Language = None) -> ProcedureListResponse:
    lang = language or "es"
    return ProcedureListResponse(
        procedures=[
            ProcedureResponse(
                id=p.id,
                name=p.name.in_language(lang),
                description=p.description.in_language(lang),
                reference_prefix=p.reference_prefix,
                steps=[
                    ProcedureStep(
                        id=s.id,
                        name=s.name.in_language(lang),
                        actor=s.actor.value,
                        sla_hours=s.sla_hours,
                        channels=list(s.channels),
                        documents=list(s.documents),
                    )
                    for s in p.steps
                ],
            )
            for p in get_service().catalogue
        ]
    )


@app.post("/v1/cases", summary="Open a case", tags=["cases"])
@tracer.capture_method
def handle_open_case(request: Annotated[OpenCaseRequest, Body()]) -> Response[CaseResponse]:
    case = get_service().open(
        request.procedure,
        citizen_id=request.citizen_id,
        channel=request.channel,
        actor=acting(app.current_event.raw_event, request.actor),
        language=request.language,
        step=request.step,
        documents=request.documents,
    )
    logger.info("case opened", extra={"reference": case.reference, "procedure": case.procedure})
    return Response(status_code=HTTPStatus.CREATED, content_type="application/json", body=_view(case.reference))


@app.get("/v1/cases/<reference>", summary="A case: status text, next step, history, touchpoints", tags=["cases"])
@tracer.capture_method
def handle_get_case(reference: Reference, language: Language = None) -> CaseResponse:
    return _view(reference, language)


@app.post("/v1/cases/<reference>/steps", summary="Complete the current step / deliver documents", tags=["cases"])
@tracer.capture_method
def handle_advance_case(reference: Reference, request: Annotated[AdvanceCaseRequest, Body()]) -> CaseResponse:
    get_service().advance(
        reference,
        step=request.step,
        channel=request.channel,
        actor=acting(app.current_event.raw_event, request.actor),
        documents=request.documents,
    )
    logger.info("case advanced", extra={"reference": reference, "step": request.step})
    return _view(reference)


@app.post("/v1/cases/<reference>/status", summary="Change a case's status", tags=["cases"])
@tracer.capture_method
def handle_set_status(reference: Reference, request: Annotated[SetStatusRequest, Body()]) -> CaseResponse:
    get_service().set_status(
        reference,
        request.status,
        channel=request.channel,
        actor=acting(app.current_event.raw_event, request.actor),
        note=request.note,
    )
    logger.info("case status set", extra={"reference": reference, "status": request.status.value})
    return _view(reference)


@app.post(
    "/v1/touchpoints/<touchpoint_id>/case",
    summary="Correct which case a touchpoint belongs to (or none)",
    tags=["cases"],
)
@tracer.capture_method
def handle_move_touchpoint(
    touchpoint_id: Annotated[str, Path(pattern=r"^tp-[0-9a-f]{32}$")],
    request: Annotated[MoveTouchpointRequest, Body()],
) -> MoveTouchpointResponse:
    source, target = get_service().move_touchpoint(
        touchpoint_id,
        request.reference,
        actor=acting(app.current_event.raw_event, request.actor),
        reason=request.reason,
    )
    logger.info("touchpoint case corrected", extra={"touchpoint_id": touchpoint_id, "to": target})
    return MoveTouchpointResponse(touchpoint_id=touchpoint_id, from_reference=source, to_reference=target)


@app.get(
    "/v1/metrics/journeys",
    summary="Journey measurements per channel, procedure, region or language, and the equity gap",
    tags=["journeys"],
)
@tracer.capture_method
def handle_journey_metrics(
    start: Annotated[date, Query(alias="from", description="First day (UTC), e.g. 2026-03-01")],
    end: Annotated[date, Query(alias="to", description="Last day (UTC), at most 92 days after `from`")],
    by: Annotated[str, Query(pattern=r"^(all|channel|procedure|region|language)$")] = "channel",
    daily: Annotated[bool, Query(description="Also the groups day by day (charts over time)")] = False,
) -> JourneyMetricsResponse:
    try:
        days = get_measures().daily(start, end, by)
    except ValueError as error:
        raise ValidationFailedError(str(error)) from error
    totals: dict[str, GroupFigures] = {}
    for day_groups in days.values():
        for name, figures in day_groups.items():
            totals.setdefault(name, GroupFigures(name)).add(figures.counters)
    ordered = sorted(totals.values(), key=lambda g: g.group)
    return JourneyMetricsResponse(
        start=start.isoformat(),
        end=end.isoformat(),
        by=by,
        groups=[_group(g) for g in ordered],
        equity_gap=equity_gaps(ordered) if by != "all" else {},
        days=[
            DayMetrics(day=day.isoformat(), groups=[_group(g) for _, g in sorted(groups.items())])
            for day, groups in sorted(days.items())
        ]
        if daily
        else None,
    )


def _group(figures: GroupFigures) -> GroupMetrics:
    return GroupMetrics(group=figures.group, counters=figures.counters, rates=figures.rates())


@app.get(
    "/v1/metrics/attention",
    summary="Open cases that stalled or breached an SLA (last 14 days), and the dead-letter queue's depth",
    tags=["journeys"],
)
@tracer.capture_method
def handle_attention(limit: Annotated[int, Query(ge=1, le=100)] = 50) -> AttentionResponse:
    cases = DynamoDBCaseRepository(boto3.client("dynamodb"), get_cases_settings().table_name)
    items = []
    seen: set[tuple[str, str]] = set()
    for raised in get_attention().recent(today_utc(), limit):
        case = cases.get(raised["reference"])
        if case is None or not case.is_open or (raised["reference"], raised["kind"]) in seen:
            continue  # resolved since, or an older signal of the same kind
        seen.add((raised["reference"], raised["kind"]))
        items.append(AttentionItem(**raised, status=case.status.value))
    return AttentionResponse(items=items, dead_letters=_dead_letters())


def _dead_letters() -> int | None:
    url = get_cases_settings().dead_letter_queue_url
    if not url:
        return None
    try:
        attributes = boto3.client("sqs").get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
    except (ClientError, BotoCoreError):
        logger.warning("cannot read the dead-letter queue's depth")
        return None
    return int(attributes["ApproximateNumberOfMessages"])


@lru_cache(maxsize=1)
def get_attention() -> DynamoDBAttentionRepository:
    return DynamoDBAttentionRepository(boto3.client("dynamodb"), get_cases_settings().table_name)


@lru_cache(maxsize=1)
def get_measures() -> DynamoDBMeasureRepository:
    return DynamoDBMeasureRepository(boto3.client("dynamodb"), get_cases_settings().table_name)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
