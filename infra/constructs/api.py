"""API: the REST API (stage `api`, routes under /v1), its access logs, JSON gateway errors and per-client API keys."""

from __future__ import annotations

import json

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import EnvironmentConfig

STAGE_NAME = "api"
CLIENT_METADATA_KEY = "ventanilla:client"


def _error_body(error: str, message: str) -> str:
    """A gateway-response template; `message` may be a raw VTL expression that is already a JSON string."""
    if message.startswith("$context.error.messageString"):
        return f'{{"error":"{error}","message":{message}}}'
    return json.dumps({"error": error, "message": message}, separators=(",", ":"))


def _construct_name(name: str) -> str:
    """`MISSING_AUTHENTICATION_TOKEN` -> `MissingAuthenticationToken`, `operator` -> `Operator`."""
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))


# type, status code (None keeps API Gateway's own), error code, message
_GATEWAY_RESPONSES: tuple[tuple[apigateway.ResponseType, str | None, str, str], ...] = (
    (
        apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
        "404",
        "not_found",
        "No route for $context.httpMethod $context.path",
    ),
    (apigateway.ResponseType.INVALID_API_KEY, "403", "forbidden", "Missing or invalid API key"),
    (apigateway.ResponseType.ACCESS_DENIED, "403", "forbidden", "$context.error.messageString"),
    (apigateway.ResponseType.UNAUTHORIZED, "401", "unauthorized", "Sign in: this API needs an operator's token"),
    (
        apigateway.ResponseType.REQUEST_TOO_LARGE,
        "413",
        "payload_too_large",
        "The request body is larger than API Gateway accepts",
    ),
    (apigateway.ResponseType.THROTTLED, "429", "too_many_requests", "Rate limit exceeded for this client; retry later"),
    (apigateway.ResponseType.QUOTA_EXCEEDED, "429", "quota_exceeded", "Monthly request quota exceeded for this client"),
    (apigateway.ResponseType.BAD_REQUEST_PARAMETERS, "400", "bad_request", "$context.error.messageString"),
    (apigateway.ResponseType.BAD_REQUEST_BODY, "400", "bad_request", "$context.error.messageString"),
    (apigateway.ResponseType.DEFAULT_4_XX, None, "bad_request", "$context.error.messageString"),
    (apigateway.ResponseType.DEFAULT_5_XX, None, "internal_error", "$context.error.messageString"),
)


class ApiConstruct(Construct):
    """A REST API whose every method is validated, logged, traced, throttled and (by default) API-key protected."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._routes: set[tuple[str, str]] = set()

        self.access_log_group = logs.LogGroup(
            self,
            "AccessLogs",
            retention=config.log_retention,
            removal_policy=config.cdk_removal_policy,
        )
        self.rest_api = apigateway.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{Stack.of(self).stack_name}-api",
            description="Ventanilla: channel ingest and citizen read API",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            api_key_source_type=apigateway.ApiKeySourceType.HEADER,
            # Execution logging (logging_level below) needs the account-level CloudWatch role.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=config.cdk_removal_policy,
            deploy_options=apigateway.StageOptions(
                stage_name=STAGE_NAME,
                access_log_destination=apigateway.LogGroupLogDestination(self.access_log_group),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
                tracing_enabled=True,
                throttling_rate_limit=config.api_throttle_rate_limit,
                throttling_burst_limit=config.api_throttle_burst_limit,
            ),
        )
        self.request_validator = self.rest_api.add_request_validator(
            "RequestValidator",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        for response_type, status_code, error, message in _GATEWAY_RESPONSES:
            self.rest_api.add_gateway_response(
                _construct_name(response_type.response_type) + "Response",
                type=response_type,
                status_code=status_code,
                templates={"application/json": _error_body(error, message)},
            )

    @property
    def stage(self) -> apigateway.Stage:
        return self.rest_api.deployment_stage

    def add_route(
        self,
        method: str,
        path: str,
        function: lambda_.IFunction,
        *,
        api_key_required: bool = True,
        authorizer: apigateway.IAuthorizer | None = None,
    ) -> apigateway.Method:
        """Route `METHOD /v1/...` to `function` (Lambda proxy); `{name}` segments become required path params."""
        method = method.upper()
        if not path.startswith(("/v1/", "/open311/v2/")):
            raise ValueError(f"Routes live under /v1/ (or the Open311 standard's /open311/v2/): {path}")
        if (method, path) in self._routes:
            raise ValueError(f"Duplicate route {method} {path}")
        self._routes.add((method, path))

        segments = [segment for segment in path.split("/") if segment]
        path_params = {
            f"method.request.path.{segment[1:-1]}": True
            for segment in segments
            if segment.startswith("{") and segment.endswith("}")
        }
        resource = self.rest_api.root.resource_for_path("/".join(segments))
        return resource.add_method(
            method,
            apigateway.LambdaIntegration(function, proxy=True, allow_test_invoke=False),
            api_key_required=api_key_required,
            authorizer=authorizer,
            authorization_type=apigateway.AuthorizationType.COGNITO if authorizer else None,
            request_validator=self.request_validator,
            request_parameters=path_params or None,
        )

    def add_api_key(self, client_name: str, value: str | None = None) -> apigateway.IApiKey:
        """An API key and its own usage plan (throttle + monthly quota) on this API's stage, for one client
        (`value`: a dynamic reference to a generated secret, when another resource must send the key)."""
        construct_name = _construct_name(client_name)
        api_key = apigateway.ApiKey(
            self,
            f"{construct_name}ApiKey",
            description=f"Ventanilla API client '{client_name}'",
            enabled=True,
            value=value,
        )
        plan = apigateway.UsagePlan(
            self,
            f"{construct_name}UsagePlan",
            description=f"Ventanilla API client '{client_name}'",
            throttle=apigateway.ThrottleSettings(
                rate_limit=self._config.api_throttle_rate_limit,
                burst_limit=self._config.api_throttle_burst_limit,
            ),
            quota=apigateway.QuotaSettings(limit=self._config.api_monthly_quota, period=apigateway.Period.MONTH),
            api_stages=[apigateway.UsagePlanPerApiStage(api=self.rest_api, stage=self.stage)],
        )
        plan.add_api_key(api_key)
        cfn_key = api_key.node.default_child
        assert isinstance(cfn_key, apigateway.CfnApiKey)
        cfn_key.add_metadata(CLIENT_METADATA_KEY, client_name)
        return api_key
