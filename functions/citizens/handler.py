"""Citizen read API: GET /v1/citizens?<identifier>, GET /v1/citizens/{citizen_id} and its /identity explanation,
GET /v1/audit (who viewed which citizen). Every view of a citizen record is written to the audit log first."""

from datetime import date
from functools import lru_cache
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.citizens.models import (
    AuditResponse,
    CitizenResponse,
    CitizenSearchResponse,
    IdentityExplanationResponse,
)
from functions.citizens.service import explain_identity, find_citizens, get_citizen
from shared.api import create_resolver
from shared.auth import caller_of, operator_guard
from shared.config import get_read_api_settings
from shared.identity.hashing import IdentifierHasher, load_hasher
from shared.models.citizen import IdentifierKind
from shared.observability import logger, metrics, tracer
from shared.repositories.audit import DynamoDBAuditRepository
from shared.repositories.identity import DynamoDBIdentityRepository

app = create_resolver(guards=[operator_guard(lambda: get_read_api_settings().operator_key_ids)])

Limit = Annotated[int, Query(ge=1, le=100, description="Timeline entries per page")]
OptionalText = Annotated[str | None, Query(max_length=320)]


CitizenId = Annotated[str, Path(pattern=r"^cit-[0-9a-f]{32}$")]


@lru_cache(maxsize=1)
def _identity() -> DynamoDBIdentityRepository:
    return DynamoDBIdentityRepository(boto3.client("dynamodb"), get_read_api_settings().table_name)


@lru_cache(maxsize=1)
def _hasher() -> IdentifierHasher:
    return load_hasher(get_read_api_settings().identity_key_secret_arn)


@app.get("/v1/citizens/<citizen_id>", summary="A citizen with their timeline across channels", tags=["citizens"])
@tracer.capture_method
def handle_get_citizen(
    citizen_id: CitizenId,
    limit: Limit = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> CitizenResponse:
    _audit(citizen_id, "viewed_record")
    return get_citizen(citizen_id, _identity(), limit=limit, cursor=cursor)


@app.get(
    "/v1/citizens/<citizen_id>/identity",
    summary="Why each identifier and touchpoint belongs to this citizen, and the merges that made it",
    tags=["citizens"],
)
@tracer.capture_method
def handle_get_identity(
    citizen_id: CitizenId, limit: Annotated[int, Query(ge=1, le=200)] = 100
) -> IdentityExplanationResponse:
    _audit(citizen_id, "viewed_identity")
    return explain_identity(citizen_id, _identity(), limit=limit)


@app.get("/v1/citizens", summary="Find citizens by one identifier (any format)", tags=["citizens"])
@tracer.capture_method
def handle_find_citizens(
    phone: OptionalText = None,
    email: OptionalText = None,
    national_id: OptionalText = None,
    handle: Annotated[str | None, Query(max_length=320, description="platform:handle, e.g. facebook:mjhg87")] = None,
    login_subject: OptionalText = None,
    limit: Limit = 20,
) -> CitizenSearchResponse:
    given = {
        IdentifierKind.PHONE: phone,
        IdentifierKind.EMAIL: email,
        IdentifierKind.NATIONAL_ID: national_id,
        IdentifierKind.SOCIAL: handle,
        IdentifierKind.LOGIN_SUBJECT: login_subject,
    }
    query = {kind: value for kind, value in given.items() if value}
    found = find_citizens(
        query, _identity(), _hasher(), default_region=get_read_api_settings().default_phone_region, limit=limit
    )
    _audit_many([c.citizen_id for c in found], "found_by_identifier")
    return CitizenSearchResponse(citizens=found)


@app.get("/v1/audit", summary="Who viewed which citizen record on a day (auditors, supervisors)", tags=["citizens"])
@tracer.capture_method
def handle_audit(
    day: Annotated[date, Query(description="The day (UTC), e.g. 2026-11-29")],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditResponse:
    return AuditResponse(day=day.isoformat(), entries=_audit_log().day(day, limit))


@lru_cache(maxsize=1)
def _audit_log() -> DynamoDBAuditRepository:
    return DynamoDBAuditRepository(boto3.client("dynamodb"), get_read_api_settings().table_name)


def _audit(citizen_id: str, action: str) -> None:
    _audit_many([citizen_id], action)


def _audit_many(citizen_ids: list[str], action: str) -> None:
    event = app.current_event
    route = f"{event.http_method} {event.resource}"
    _audit_log().viewed(caller_of(event.raw_event), citizen_ids, action, route)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
