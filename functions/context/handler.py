"""Context for whoever answers: GET /v1/context?phone=…|email=…|national_id=…|handle=…|login_subject=…"""

from functools import lru_cache
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.context.models import ContextResponse
from functions.context.service import get_context
from shared.api import create_resolver
from shared.auth import caller_of, operator_guard
from shared.catalogue import get_catalogue
from shared.config import get_context_settings
from shared.exceptions import ValidationFailedError
from shared.identity.hashing import IdentifierHasher, load_hasher
from shared.models.citizen import IdentifierKind
from shared.observability import logger, metrics, tracer
from shared.repositories.audit import DynamoDBAuditRepository
from shared.repositories.cases import DynamoDBCaseRepository
from shared.repositories.identity import DynamoDBIdentityRepository

app = create_resolver(guards=[operator_guard(lambda: get_context_settings().operator_key_ids)])

Value = Annotated[str | None, Query(max_length=320)]


@lru_cache(maxsize=1)
def _repositories() -> tuple[DynamoDBIdentityRepository, DynamoDBCaseRepository]:
    client, table = boto3.client("dynamodb"), get_context_settings().table_name
    return DynamoDBIdentityRepository(client, table), DynamoDBCaseRepository(client, table)


@lru_cache(maxsize=1)
def _hasher() -> IdentifierHasher:
    return load_hasher(get_context_settings().identity_key_secret_arn)


@app.get("/v1/context", summary="Who is contacting, their open cases and last touchpoints", tags=["context"])
@tracer.capture_method
def handle_get_context(
    phone: Value = None,
    email: Value = None,
    national_id: Value = None,
    handle: Annotated[str | None, Query(max_length=320, description="platform:handle")] = None,
    login_subject: Value = None,
    language: Annotated[str | None, Query(pattern=r"^(es|en)$")] = None,
) -> ContextResponse:
    given = {
        IdentifierKind.PHONE: phone,
        IdentifierKind.EMAIL: email,
        IdentifierKind.NATIONAL_ID: national_id,
        IdentifierKind.SOCIAL: handle,
        IdentifierKind.LOGIN_SUBJECT: login_subject,
    }
    chosen = [(kind, value) for kind, value in given.items() if value]
    if len(chosen) != 1:
        raise ValidationFailedError("give exactly one of phone, email, national_id, handle, login_subject")
    (kind, value), *_ = chosen
    identity, cases = _repositories()
    context = get_context(
        kind,
        value,
        identity=identity,
        hasher=_hasher(),
        cases=cases,
        catalogue=get_catalogue(),
        default_region=get_context_settings().default_phone_region,
        language=language,
    )
    viewed = [context.citizen_id] if context.citizen_id else [c.citizen_id for c in context.candidates]
    if viewed:  # an agent saw who it is (or who it could be): logged before it is returned
        event = app.current_event
        DynamoDBAuditRepository(boto3.client("dynamodb"), get_context_settings().table_name).viewed(
            caller_of(event.raw_event), viewed, "context", f"{event.http_method} {event.resource}"
        )
    logger.info("context served", extra={"kind": kind.value, "confidence": context.confidence})
    return context


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
