"""One Logger, Tracer and Metrics for every function (configured by POWERTOOLS_* environment variables)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def count_alone(name: str) -> None:
    """One count with only the function's `service` dimension, whatever dimensions the invocation's other metrics
    carry (alarms sum it without knowing the channel)."""
    import os

    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=1) as metric:
        metric.add_dimension(name="service", value=os.environ.get("POWERTOOLS_SERVICE_NAME", "ventanilla"))
