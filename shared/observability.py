"""One Logger, Tracer and Metrics for every function (configured by POWERTOOLS_* environment variables).

Lambda's active tracing records every invocation (its init, duration and errors) without any code here. The
X-Ray SDK, which Powertools' Tracer imports to add a subsegment per AWS call, costs about 150 ms of every cold
start here (three quarters of a bare Powertools + boto3 import, measured by `make bench`). So the functions run
with POWERTOOLS_TRACE_DISABLED=true, and the Tracer below is then a stand-in with the same decorators that neither
imports the SDK nor does anything; an environment with `trace_aws_calls` on (cdk.json) gets Powertools' Tracer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

Decorated = TypeVar("Decorated", bound=Callable[..., Any])


class Untraced:
    """Powertools Tracer's decorators (`capture_lambda_handler`, `capture_method`), doing nothing."""

    def capture_lambda_handler(self, handler: Decorated) -> Decorated:
        return handler

    def capture_method(self, method: Decorated) -> Decorated:
        return method


def _tracing_disabled() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in {"1", "true", "yes", "on"}


def _tracer() -> Any:
    if _tracing_disabled():
        return Untraced()
    from aws_lambda_powertools import Tracer

    return Tracer()


logger = Logger()
tracer: Untraced = _tracer()  # typed as the stand-in: both offer the same two decorators
metrics = Metrics()


def count_alone(name: str) -> None:
    """One count with only the function's `service` dimension, whatever dimensions the invocation's other metrics
    carry (alarms sum it without knowing the channel)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=1) as metric:
        metric.add_dimension(name="service", value=os.environ.get("POWERTOOLS_SERVICE_NAME", "ventanilla"))
