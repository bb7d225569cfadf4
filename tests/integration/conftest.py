"""The local runtime (emulator + functions from the synthesized template) for handler-level tests.

The emulator is the embedded moto server, or LocalStack when AWS_ENDPOINT_URL is set.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ventanilla_local.runtime import LocalRuntime
from ventanilla_local.template import TABLE


@pytest.fixture(scope="session")
def runtime(cdk_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    with LocalRuntime(cdk_out, tmp_path_factory.mktemp("state"), port=0) as started:
        yield started


@pytest.fixture(scope="session")
def dynamodb(runtime: LocalRuntime) -> Any:
    return runtime.emulator.client("dynamodb")


@pytest.fixture(scope="session")
def table_name(runtime: LocalRuntime) -> str:
    return runtime.resource_name(TABLE)


SUPERVISOR = {"cognito:username": "sup-test", "cognito:groups": "supervisor", "token_use": "id"}


def key_id(runtime: LocalRuntime, client: str) -> str:
    return next(k.key_id for k in runtime.keys.values() if k.client == client)


def api_event(
    method: str,
    path: str,
    *,
    body: str | None = None,
    api_key_id: str | None = None,
    query: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    resource: str | None = None,
    claims: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event as API Gateway would send it after its own key check (and, on operator
    routes, its Cognito authorizer's: `claims`, a supervisor's by default)."""
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {"content-type": ["application/json"]},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or path,
            "httpMethod": method,
            "stage": "api",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1", "apiKeyId": api_key_id},
            "authorizer": {"claims": claims if claims is not None else SUPERVISOR},
        },
        "body": body,
        "isBase64Encoded": False,
    }
