"""The functions' tracer: Powertools' Tracer (and the X-Ray SDK) only when tracing of AWS calls is asked for."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

PROBE = """
import json, sys
from shared.observability import tracer

@tracer.capture_method
def add(a, b):
    return a + b

@tracer.capture_lambda_handler
def handler(event, context):
    return {"sum": add(*event)}

print(json.dumps({
    "tracer": type(tracer).__name__,
    "xray_sdk_imported": "aws_xray_sdk.core" in sys.modules,
    "answer": handler([2, 3], None),
    "name": add.__name__,
}))
"""


def _run(trace_disabled: str | None) -> dict[str, object]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_LAMBDA_"))}
    environment.update({"POWERTOOLS_SERVICE_NAME": "ventanilla-test", "AWS_REGION": "us-east-1"})
    if trace_disabled is not None:
        environment["POWERTOOLS_TRACE_DISABLED"] = trace_disabled
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, timeout=60, check=True
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("value", ["true", "TRUE", "1"])
def test_with_tracing_off_the_sdk_is_never_imported_and_the_decorators_still_work(value: str) -> None:
    result = _run(value)
    assert result == {"tracer": "Untraced", "xray_sdk_imported": False, "answer": {"sum": 5}, "name": "add"}


@pytest.mark.parametrize("value", [None, "false"])
def test_with_tracing_on_the_functions_get_powertools_tracer(value: str | None) -> None:
    result = _run(value)
    assert result["tracer"] == "Tracer"
    assert result["xray_sdk_imported"] is True
    assert result["answer"] == {"sum": 5}
