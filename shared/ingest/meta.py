"""Meta's webhook envelope, shared by WhatsApp Cloud API (messaging) and Messenger / Instagram (social):
the subscription handshake (`hub.challenge`) and the body signed with `X-Hub-Signature-256`."""

import base64
import hmac
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from shared.ingest.api import provider_secret, refuse
from shared.webhooks.secrets import SecretNotConfiguredError
from shared.webhooks.signatures import verify_meta_signature

SIGNATURE_HEADER = "X-Hub-Signature-256"


def verification_challenge(
    mode: str | None, token: str | None, challenge: str | None, expected_token: str
) -> str | None:
    """The challenge to echo when Meta verifies the subscription with our verify token; None otherwise."""
    if mode != "subscribe" or not challenge or not token or not expected_token:
        return None
    if not hmac.compare_digest(token.encode(), expected_token.encode()):
        return None
    return challenge


def raw_body(body: str | None, is_base64_encoded: bool | None) -> bytes:
    """The bytes Meta signed. Raises ValueError when a base64 body is not base64."""
    if not body:
        return b""
    return base64.b64decode(body, validate=True) if is_base64_encoded else body.encode("utf-8")


def answer_verification(event: APIGatewayProxyEvent, token_name: str, provider: str) -> Response[Any]:
    """GET: echo `hub.challenge` as text when `hub.verify_token` is ours, else 403."""
    try:
        expected = provider_secret(token_name)
    except SecretNotConfiguredError:
        return refuse(HTTPStatus.FORBIDDEN, "forbidden", f"the {provider} verify token is not configured")
    challenge = verification_challenge(
        event.get_query_string_value("hub.mode"),
        event.get_query_string_value("hub.verify_token"),
        event.get_query_string_value("hub.challenge"),
        expected,
    )
    if challenge is None:
        return refuse(HTTPStatus.FORBIDDEN, "forbidden", "not a subscription request with this webhook's verify token")
    return Response(status_code=HTTPStatus.OK.value, content_type=content_types.TEXT_PLAIN, body=challenge)


def verified_body(event: APIGatewayProxyEvent, secret_name: str, provider: str) -> bytes | Response[Any]:
    """POST: the raw body when its signature is Meta's with our app secret; else the refusal to answer
    (401 without a signature, 403 with a wrong one or no configured secret, 400 for a body that is not base64)."""
    signature = event.headers.get(SIGNATURE_HEADER)
    if not signature:
        return refuse(HTTPStatus.UNAUTHORIZED, "unauthorized", f"{SIGNATURE_HEADER} is missing")
    try:
        app_secret = provider_secret(secret_name)
    except SecretNotConfiguredError:
        return refuse(HTTPStatus.FORBIDDEN, "forbidden", f"the {provider} app secret is not configured")
    try:
        body = raw_body(event.body, event.is_base64_encoded)
    except ValueError:
        return refuse(HTTPStatus.BAD_REQUEST, "bad_request", "request body is not valid base64")
    if not verify_meta_signature(body, signature, app_secret):
        return refuse(HTTPStatus.FORBIDDEN, "forbidden", f"{SIGNATURE_HEADER} does not match the body")
    return body
