"""One Logger, Tracer and Metrics for every function (configured by POWERTOOLS_* environment variables)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
