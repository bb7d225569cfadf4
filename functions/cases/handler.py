"""Case API for operators and channel back-ends.

GET /v1/procedures · POST /v1/cases · GET /v1/cases/{reference} · POST /v1/cases/{reference}/steps ·
POST /v1/cases/{reference}/status · POST /v1/touchpoints/{touchpoint_id}/case · GET /v1/metrics/journeys
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

from functions.cases.models import (
    AdvanceCaseRequest,
    AttachedTouchpoint,
    CaseResponse,
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
from shared.api import api_key_guard, create_resolver
from shared.cases.factory import build_case_service
from shared.cases.service import CaseService
from shared.cases.views import summarise
from shared.config import get_cases_settings
from shared.exceptions import ValidationFailedError
from shared.journeys.measures import equity_gaps
from shared.models.case import REFERENCE_PATTERN
from shared.observability import logger, metrics, tracer
from shared.repositories.cases import DynamoDBCaseRepository
from shared.repositories.measures import DynamoDBMeasureRepository

app = create_resolver(guards=[api_key_guard(lambda: get_cases_settings().operator_api_key_id, "operators")])

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
        actor=request.actor,
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
        reference, step=request.step, channel=request.channel, actor=request.actor, documents=request.documents
    )
    logger.info("case advanced", extra={"reference": reference, "step": request.step})
    return _view(reference)


@app.post("/v1/cases/<reference>/status", summary="Change a case's status", tags=["cases"])
@tracer.capture_method
def handle_set_status(reference: Reference, request: Annotated[SetStatusRequest, Body()]) -> CaseResponse:
    get_service().set_status(reference, request.status, channel=request.channel, actor=request.actor, note=request.note)
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
        touchpoint_id, request.reference, actor=request.actor, reason=request.reason
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
) -> JourneyMetricsResponse:
    try:
        groups = get_measures().figures(start, end, by)
    except ValueError as error:
        raise ValidationFailedError(str(error)) from error
    ordered = sorted(groups.values(), key=lambda g: g.group)
    return JourneyMetricsResponse(
        start=start.isoformat(),
        end=end.isoformat(),
        by=by,
        groups=[GroupMetrics(group=g.group, counters=g.counters, rates=g.rates()) for g in ordered],
        equity_gap=equity_gaps(ordered) if by != "all" else {},
    )


@lru_cache(maxsize=1)
def get_measures() -> DynamoDBMeasureRepository:
    return DynamoDBMeasureRepository(boto3.client("dynamodb"), get_cases_settings().table_name)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
