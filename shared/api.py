"""What every API function shares: one resolver factory, error mapping, body limit, key checks."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel

from shared.config import MAX_BODY_BYTES
from shared.exceptions import (
    ConflictError,
    GoneError,
    InvalidTransitionError,
    NotFoundError,
    PublishError,
    ThrottledError,
    ValidationFailedError,
)
from shared.observability import logger


class ErrorResponse(BaseModel):
    error: str
    message: str
    detail: list[dict[str, Any]] | None = None


RETRY_AFTER_SECONDS = 1  # a 503's Retry-After: the store or the bus usually recovers within a second


def error_response(
    status: HTTPStatus, error: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    body = ErrorResponse(error=error, message=message, **extra)
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump_json(exclude_none=True),
        headers=headers,
    )


def _describe(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    details: list[dict[str, Any]] = []
    for err in errors:
        location = ".".join(str(part) for part in err.get("loc", ()))
        details.append({"field": location, "problem": err.get("msg") or err.get("type", "invalid")})
    summary = "; ".join(f"{d['field']}: {d['problem']}" for d in details[:5]) or "request is not valid"
    return summary, details


Guard = Callable[[Mapping[str, Any]], ErrorResponse | None]


class GuardedResolver(APIGatewayRestResolver):
    """A validating REST resolver that runs cheap guards (size, credential) before routing and parsing.

    Powertools runs its validation before any middleware, so a guard placed in a middleware would
    answer a 422 to a caller that has the wrong key; guards here answer first.
    """

    def __init__(self, guards: Sequence[Guard] = (), *, json_body: bool = True) -> None:
        super().__init__(enable_validation=True)
        self._guards = (limit_body_size, *guards, *((require_parseable_json,) if json_body else ()))

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        for guard in self._guards:
            refusal = guard(event)
            if refusal is not None:
                status = _STATUS_BY_ERROR.get(refusal.error, HTTPStatus.BAD_REQUEST)
                return {
                    "statusCode": status.value,
                    "headers": {"Content-Type": content_types.APPLICATION_JSON},
                    "body": refusal.model_dump_json(exclude_none=True),
                    "isBase64Encoded": False,
                }
        return super().resolve(event, context)


_STATUS_BY_ERROR = {
    "payload_too_large": HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    "forbidden": HTTPStatus.FORBIDDEN,
    "unauthorized": HTTPStatus.UNAUTHORIZED,
    "malformed_json": HTTPStatus.BAD_REQUEST,
}


def _content_type(event: Mapping[str, Any]) -> str:
    headers = event.get("headers") or {}
    return next((str(v) for k, v in headers.items() if k.lower() == "content-type"), "").lower()


def require_parseable_json(event: Mapping[str, Any]) -> ErrorResponse | None:
    """Refuse JSON bodies the parser would choke on (not UTF-8, nested too deeply, absurd numbers).

    Powertools parses the body again afterwards; that second parse of at most 256 KB is cheap, and it
    keeps these inputs from ever reaching the handler as an unhandled exception (a 5xx). Bodies declared as
    something else (a provider's form-encoded or text/plain webhook) are the route's to parse.
    """
    body = event.get("body")
    content_type = _content_type(event)
    if not body or (content_type and "json" not in content_type):
        return None
    try:
        raw = base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else body.encode("utf-8")
        json.loads(raw.decode("utf-8"))
    except (UnicodeError, binascii.Error):
        return ErrorResponse(error="malformed_json", message="request body is not UTF-8 text")
    except RecursionError:
        return ErrorResponse(error="malformed_json", message="request body is nested too deeply")
    except ValueError as error:  # JSONDecodeError, and numbers over Python's digit limit
        problem = "not valid JSON" if isinstance(error, json.JSONDecodeError) else "a number that is too large"
        return ErrorResponse(error="malformed_json", message=f"request body is {problem}")
    return None


def limit_body_size(event: Mapping[str, Any]) -> ErrorResponse | None:
    body = event.get("body") or ""
    size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode("utf-8", errors="surrogatepass"))
    if size > MAX_BODY_BYTES:
        return ErrorResponse(
            error="payload_too_large", message=f"request body is larger than {MAX_BODY_BYTES // 1024} KB"
        )
    return None


def api_key_guard(
    expected_key_id: Callable[[], str], client: str, *, only_paths: Collection[str] | None = None
) -> Guard:
    """API Gateway accepts any key of the API's usage plans; each function accepts only its own client's key.

    `only_paths`: the routes (template resource paths) that carry a key; a provider's signed webhook has none.
    """

    def check(event: Mapping[str, Any]) -> ErrorResponse | None:
        if only_paths is not None and (event.get("resource") or event.get("path")) not in only_paths:
            return None
        identity = (event.get("requestContext") or {}).get("identity") or {}
        key_id = identity.get("apiKeyId")
        if not key_id or key_id != expected_key_id():
            return ErrorResponse(error="forbidden", message=f"API key is not valid for {client}")
        return None

    return check


def create_resolver(guards: Sequence[Guard] = (), *, json_body: bool = True) -> GuardedResolver:
    """A validating REST resolver whose errors are JSON bodies that name the problem (`json_body=False`: the
    routes read other bodies, e.g. form-encoded, and check them themselves)."""
    app = GuardedResolver(guards, json_body=json_body)

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response:
        errors = list(error.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(HTTPStatus.BAD_REQUEST, "malformed_json", "request body is not valid JSON")
        summary, details = _describe(errors)
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", summary, detail=details)

    @app.exception_handler(ValidationFailedError)
    def _rejected(error: ValidationFailedError) -> Response:
        return error_response(HTTPStatus.BAD_REQUEST, "bad_request", str(error))

    @app.exception_handler(NotFoundError)
    def _not_found(error: NotFoundError) -> Response:
        if isinstance(error, GoneError):
            return error_response(HTTPStatus.GONE, "erased", str(error))
        return error_response(HTTPStatus.NOT_FOUND, "not_found", str(error))

    @app.exception_handler(ConflictError)
    def _conflict(error: ConflictError) -> Response:
        return error_response(HTTPStatus.CONFLICT, "conflict", str(error))

    @app.exception_handler(InvalidTransitionError)
    def _invalid_transition(error: InvalidTransitionError) -> Response:
        return error_response(HTTPStatus.CONFLICT, "invalid_transition", str(error))

    @app.exception_handler(ThrottledError)
    def _throttled(error: ThrottledError) -> Response:
        logger.warning("throttled", extra={"reason": str(error)})
        return error_response(
            HTTPStatus.SERVICE_UNAVAILABLE,
            "throttled",
            "try again shortly",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(PublishError)
    def _unpublished(error: PublishError) -> Response:
        logger.error("event publish failed", extra={"reason": str(error)})
        return error_response(
            HTTPStatus.SERVICE_UNAVAILABLE,
            "publish_failed",
            "saved, but its events could not be published yet; retry",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.not_found
    def _no_route(_: Exception) -> Response:
        event = app.current_event
        return error_response(HTTPStatus.NOT_FOUND, "not_found", f"No route for {event.http_method} {event.path}")

    return app
