"""Open311 GeoReport v2: Ventanilla's procedures as services, its cases as service requests.

GET /open311/v2/services.json|.xml · GET /open311/v2/services/{service_code}.json|.xml ·
POST /open311/v2/requests.json|.xml (form-encoded, api_key) · GET /open311/v2/requests.json|.xml ·
GET /open311/v2/requests/{service_request_id}.json|.xml

Every answer, errors included, is in the format the path asks for, in the standard's shapes: routes declare only
plain-string path parameters (nothing Powertools could refuse), and every error is rendered here as an error list.
"""

from collections.abc import Sequence
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from functions.open311 import wire
from functions.open311.models import (
    ErrorOut,
    Open311Keys,
    RequestCreatedOut,
    ServiceDefinitionOut,
    ServiceOut,
    ServiceRequestOut,
)
from functions.open311.service import (
    KeyChecker,
    Open311Error,
    client_for_key,
    find_requests,
    get_request,
    list_services,
    service_definition,
    submit_request,
)
from shared.api import create_resolver, limit_body_size
from shared.cases.factory import build_case_service
from shared.cases.service import CaseService
from shared.catalogue import get_catalogue
from shared.config import get_open311_settings
from shared.exceptions import (
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    PublishError,
    ThrottledError,
    ValidationFailedError,
)
from shared.observability import logger, metrics, tracer

KEYS_MAX_AGE_SECONDS = 300

app = create_resolver(json_body=False)


@lru_cache(maxsize=1)
def _case_service() -> CaseService:
    settings = get_open311_settings()
    return build_case_service(settings.table_name, settings.event_bus_name, settings.text_retention_days)


@lru_cache(maxsize=1)
def _key_checker() -> KeyChecker:
    arn = get_open311_settings().open311_keys_secret_arn

    def check(api_key: str) -> str | None:
        secret = parameters.get_secret(arn, transform="json", max_age=KEYS_MAX_AGE_SECONDS)
        return client_for_key(api_key, Open311Keys.model_validate(secret))

    return check


# -- the request as Open311 reads it ---------------------------------------------------------------------------


def _format() -> wire.Format:
    return wire.format_of(app.current_event.path)


def _language() -> str:
    event = app.current_event
    return wire.language_of(event.get_query_string_value("locale"), event.headers.get("accept-language"))


def _jurisdiction() -> str | None:
    return app.current_event.get_query_string_value("jurisdiction_id")


def _answer(root: str, payload: BaseModel | Sequence[BaseModel]) -> Response[str]:
    content_type, body = wire.render(_format(), root, payload)
    return Response(status_code=HTTPStatus.OK.value, content_type=content_type, body=body)


def _refusal(status: HTTPStatus, *descriptions: str) -> Response[str]:
    content_type, body = wire.render_errors(_format(), status.value, descriptions)
    return Response(status_code=status.value, content_type=content_type, body=body)


def _file(name: str, what: str) -> tuple[str, wire.Format]:
    split = wire.split_file(name)
    if split is None:
        raise Open311Error(HTTPStatus.NOT_FOUND, f"ask for the {what} as <{what}>.json or <{what}>.xml")
    return split


# -- routes ----------------------------------------------------------------------------------------------------


def _documented(model: Any, description: str) -> dict[int, OpenAPIResponse]:
    """The OpenAPI answer of a GeoReport route: the model in JSON (`.json` paths), the same as XML text (`.xml`),
    and the standard's error list."""
    errors: OpenAPIResponse = {
        "description": "GeoReport v2 errors: [{code, description}]",
        "content": {"application/json": {"model": list[ErrorOut]}},
    }
    return {
        200: {
            "description": description,
            "content": {"application/json": {"model": model}, "application/xml": {"schema": {"type": "string"}}},
        },
        400: errors,
        403: errors,
        404: errors,
    }


@app.get("/open311/v2/services.json", responses=_documented(list[ServiceOut], "The services (procedures)"))
@app.get("/open311/v2/services.xml", responses=_documented(list[ServiceOut], "The services (procedures)"))
@tracer.capture_method
def handle_list_services() -> Response[str]:
    services = list_services(
        get_catalogue(),
        language=_language(),
        jurisdiction_id=_jurisdiction(),
        served_jurisdiction=get_open311_settings().jurisdiction_id,
    )
    return _answer("services", services)


@app.get("/open311/v2/services/<service_file>", responses=_documented(ServiceDefinitionOut, "A service's attributes"))
@tracer.capture_method
def handle_service_definition(service_file: str) -> Response[str]:
    service_code, _ = _file(service_file, "service_code")
    definition = service_definition(
        get_catalogue(),
        service_code,
        language=_language(),
        jurisdiction_id=_jurisdiction(),
        served_jurisdiction=get_open311_settings().jurisdiction_id,
    )
    return _answer("service_definition", definition)


@app.post("/open311/v2/requests.json", responses=_documented(list[RequestCreatedOut], "The request filed"))
@app.post("/open311/v2/requests.xml", responses=_documented(list[RequestCreatedOut], "The request filed"))
@tracer.capture_method
def handle_post_request() -> Response[str]:
    event = app.current_event
    fields = wire.parse_form(event.body, bool(event.is_base64_encoded), event.headers.get("content-type"))
    cases = _case_service()
    created = submit_request(
        fields,
        language=_language(),
        catalogue=cases.catalogue,
        case_service=cases,
        check_key=_key_checker(),
        served_jurisdiction=get_open311_settings().jurisdiction_id,
        correlation_id=logger.get_correlation_id(),
    )
    metrics.add_metric(name="Open311RequestsFiled", unit=MetricUnit.Count, value=1)
    logger.info("open311 request filed", extra={"service_request_id": created.service_request_id})
    return _answer("service_requests", [created])


@app.get("/open311/v2/requests.json", responses=_documented(list[ServiceRequestOut], "Requests found"))
@app.get("/open311/v2/requests.xml", responses=_documented(list[ServiceRequestOut], "Requests found"))
@tracer.capture_method
def handle_find_requests() -> Response[str]:
    cases = _case_service()
    found = find_requests(
        app.current_event.query_string_parameters or {},
        language=_language(),
        catalogue=cases.catalogue,
        cases=cases.cases,
        served_jurisdiction=get_open311_settings().jurisdiction_id,
    )
    return _answer("service_requests", found)


@app.get("/open311/v2/requests/<request_file>", responses=_documented(list[ServiceRequestOut], "The request"))
@tracer.capture_method
def handle_get_request(request_file: str) -> Response[str]:
    reference, _ = _file(request_file, "service_request_id")
    cases = _case_service()
    found = get_request(
        reference,
        language=_language(),
        catalogue=cases.catalogue,
        cases=cases.cases,
        jurisdiction_id=_jurisdiction(),
        served_jurisdiction=get_open311_settings().jurisdiction_id,
    )
    return _answer("service_requests", found)


# -- every error as the standard's error list, mapped once -----------------------------------------------------

_DOMAIN_STATUS: dict[type[Exception], HTTPStatus] = {
    ValidationFailedError: HTTPStatus.BAD_REQUEST,
    InvalidTransitionError: HTTPStatus.BAD_REQUEST,
    NotFoundError: HTTPStatus.NOT_FOUND,
    ConflictError: HTTPStatus.CONFLICT,
    ThrottledError: HTTPStatus.SERVICE_UNAVAILABLE,
    PublishError: HTTPStatus.SERVICE_UNAVAILABLE,
}


@app.exception_handler(Open311Error)
def _open311_error(error: Open311Error) -> Response[str]:
    # The descriptions may echo what the client sent: only the status and how many problems are logged.
    logger.info("open311 request refused", extra={"status": error.status.value, "problems": len(error.descriptions)})
    return _refusal(error.status, *error.descriptions)


@app.exception_handler(wire.FormError)
def _unreadable_form(error: wire.FormError) -> Response[str]:
    return _refusal(HTTPStatus.BAD_REQUEST, str(error))


@app.exception_handler(list(_DOMAIN_STATUS))
def _domain_error(error: Exception) -> Response[str]:
    status = next(s for kind, s in _DOMAIN_STATUS.items() if isinstance(error, kind))
    if status is HTTPStatus.SERVICE_UNAVAILABLE:
        logger.error("open311 request not completed", extra={"reason": str(error)})
        return _refusal(status, "the service is busy; try again shortly")
    return _refusal(status, str(error))


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[str]:
    return _refusal(HTTPStatus.BAD_REQUEST, "the request is not valid")


@app.not_found
def _no_route(error: Exception) -> Response[str]:
    return _refusal(HTTPStatus.NOT_FOUND, f"no such resource: {app.current_event.http_method} {app.current_event.path}")


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[str]:
    logger.exception("open311 request failed")
    return _refusal(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error; try again later")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The shared size guard answers in its own JSON shape; Open311 clients get the standard's error list.
    too_large = limit_body_size(event)
    if too_large is not None:
        content_type, body = wire.render_errors(
            wire.format_of(str(event.get("path") or "")), HTTPStatus.REQUEST_ENTITY_TOO_LARGE.value, [too_large.message]
        )
        return {
            "statusCode": HTTPStatus.REQUEST_ENTITY_TOO_LARGE.value,
            "headers": {"Content-Type": content_type},
            "body": body,
            "isBase64Encoded": False,
        }
    return app.resolve(event, context)
