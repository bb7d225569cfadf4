"""Privacy rights over a citizen's data (ARCO: access, rectification, cancellation; objection is a preference).

GET /v1/citizens/{citizen_id}/export · POST /v1/citizens/{citizen_id}/rectifications ·
GET /v1/citizens/{citizen_id}/rectifications · POST /v1/citizens/{citizen_id}/erasure
"""

from functools import lru_cache
from http import HTTPStatus
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.privacy.models import (
    CitizenExport,
    EraseRequest,
    ErasureResponse,
    RectificationHistoryResponse,
    RectificationResponse,
    RectifyRequest,
)
from shared.api import create_resolver
from shared.auth import caller_of, operator_guard
from shared.config import get_privacy_settings
from shared.exceptions import ValidationFailedError
from shared.identity.hashing import load_hasher
from shared.observability import logger, metrics, tracer
from shared.privacy.service import PrivacyService
from shared.repositories.audit import DynamoDBAuditRepository
from shared.repositories.cases import DynamoDBCaseRepository
from shared.repositories.identity import DynamoDBIdentityRepository
from shared.repositories.notifications import DynamoDBNotificationRepository
from shared.repositories.personal_data import DynamoDBPersonalDataRepository
from shared.repositories.touchpoints import DynamoDBTouchpointRepository

app = create_resolver(guards=[operator_guard(lambda: get_privacy_settings().operator_key_ids)])

CitizenId = Annotated[str, Path(pattern=r"^cit-[0-9a-f]{32}$")]


@lru_cache(maxsize=1)
def get_service() -> PrivacyService:
    settings = get_privacy_settings()
    dynamodb, table = boto3.client("dynamodb"), settings.table_name
    return PrivacyService(
        identity=DynamoDBIdentityRepository(dynamodb, table),
        touchpoints=DynamoDBTouchpointRepository(dynamodb, table),
        cases=DynamoDBCaseRepository(dynamodb, table),
        notifications=DynamoDBNotificationRepository(dynamodb, table),
        audit=DynamoDBAuditRepository(dynamodb, table),
        personal=DynamoDBPersonalDataRepository(dynamodb, table),
        hasher=load_hasher(settings.identity_key_secret_arn),
        default_region=settings.default_phone_region,
    )


def _route() -> str:
    event = app.current_event
    return f"{event.http_method} {event.resource}"


@app.get(
    "/v1/citizens/<citizen_id>/export",
    summary="Everything held on a citizen, as one JSON document (right of access)",
    tags=["privacy"],
)
@tracer.capture_method
def handle_export(citizen_id: CitizenId) -> CitizenExport:
    document = get_service().export(citizen_id, caller_of(app.current_event.raw_event), _route())
    return CitizenExport.model_validate(document)


@app.post(
    "/v1/citizens/<citizen_id>/rectifications",
    summary="Correct a citizen's name, birth date or address; the history keeps what changed and why",
    tags=["privacy"],
)
@tracer.capture_method
def handle_rectify(
    citizen_id: CitizenId, request: Annotated[RectifyRequest, Body()]
) -> Response[RectificationResponse]:
    corrections = request.corrections()
    if not corrections:
        raise ValidationFailedError("say what to correct: given_name, family_name, birth_date or address")
    record, rectification = get_service().rectify(
        citizen_id, corrections, request.reason, caller_of(app.current_event.raw_event), _route()
    )
    metrics.add_metric(name="CitizensRectified", unit="Count", value=1)
    answer = RectificationResponse(citizen_id=record.citizen_id, rectification=rectification)
    return Response(status_code=HTTPStatus.CREATED, content_type="application/json", body=answer)


@app.get(
    "/v1/citizens/<citizen_id>/rectifications",
    summary="The corrections made to a citizen's data: who, when, what from and to, why",
    tags=["privacy"],
)
@tracer.capture_method
def handle_rectifications(citizen_id: CitizenId) -> RectificationHistoryResponse:
    current_id, rectifications = get_service().rectifications(citizen_id)
    return RectificationHistoryResponse(citizen_id=current_id, rectifications=rectifications)


@app.post(
    "/v1/citizens/<citizen_id>/erasure",
    summary="Erase a citizen (right of cancellation): irreversible; supervisors only",
    tags=["privacy"],
)
@tracer.capture_method
def handle_erase(citizen_id: CitizenId, request: Annotated[EraseRequest, Body()]) -> ErasureResponse:
    if not request.confirm:
        raise ValidationFailedError("erasure cannot be undone: send confirm=true")
    report = get_service().erase(citizen_id, request.reason, caller_of(app.current_event.raw_event), _route())
    metrics.add_metric(name="CitizensErased", unit="Count", value=1)
    return ErasureResponse.model_validate(report.as_dict())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
