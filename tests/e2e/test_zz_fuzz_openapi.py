"""Hostile input: Schemathesis fuzzes every operation of the OpenAPI document `ventanilla up` serves, with the right
credentials (so the input, not the key, is what is tested): no 5xx, and every documented response matches its schema.

Named to run last in the e2e session: it stores whatever valid touchpoints it happens to generate.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.e2e.conftest import Running, operator_headers

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 12
TRIED: Counter[str] = Counter()


def headers_for(app: Running, path: str) -> dict[str, str]:
    """The credential the route needs: its channel's key, or an operator's key and a supervisor's token."""
    if path.startswith("/v1/channels/"):
        return {"x-api-key": app.keys[path.split("/")[3]]}
    if path.startswith("/open311/"):
        return {}
    return operator_headers(app)


def _fuzzer(app: Running, strategy: Any, name: str, headers: dict[str, str]) -> Any:
    """A Hypothesis test for one operation: generated requests, each checked for 5xx and schema conformance."""

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def fuzz(case: Any) -> None:
        TRIED[name] += 1
        case.call_and_validate(
            base_url=app.url,
            headers=headers,
            checks=[not_a_server_error, response_schema_conformance],
            timeout=30,
        )

    return fuzz


def test_no_input_makes_any_operation_fail_or_answer_outside_its_schema(ventanilla: Running) -> None:
    schema = schemathesis.openapi.from_url(f"{ventanilla.url}/v1/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        name = f"{operation.method.upper()} {operation.path}"
        headers = headers_for(ventanilla, operation.path)

        fuzz = _fuzzer(ventanilla, operation.as_strategy(), name, headers)
        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as failure:  # every operation is tried; listed at the end
            failures.append(f"{name}: {str(failure)[:400]}")
    print(f"fuzzed {operations} operations with {sum(TRIED.values())} generated requests: {len(failures)} failing")
    assert operations >= 35 and sum(TRIED.values()) >= operations * 5, "\n".join(failures[:3])
    assert failures == [], "\n".join(failures)
