"""API: the REST API (stage `api`, routes under /v1), its access logs, JSON gateway errors, per-client API keys and,
where the environment asks for it, a regional WAF web ACL on the stage."""

from __future__ import annotations

import json

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.config import EnvironmentConfig

STAGE_NAME = "api"
CLIENT_METADATA_KEY = "ventanilla:client"

# The web ACL (when `waf` is on): AWS managed rule groups in this order, then a rate limit per client address.
WAF_MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
# Rules of a managed group that would block legitimate requests, so they only count (metrics, sampled requests):
# the API accepts bodies up to 256 KB (inbound emails, WhatsApp webhooks; the common set blocks bodies over 8 KB),
# citizens' messages and emails may carry HTML, which the API stores as text and the console escapes, and machine
# clients (IVR/CTI, office queue systems) may send no User-Agent; every such client is authenticated by its key.
WAF_COUNTED_RULES: dict[str, tuple[str, ...]] = {
    "AWSManagedRulesCommonRuleSet": ("SizeRestrictions_BODY", "CrossSiteScripting_BODY", "NoUserAgent_HEADER"),
}
WAF_RATE_RULE = "RateLimitPerAddress"
WAF_RATE_WINDOW_SECONDS = 300
# Never written to the WAF logs: the channel's API key and the operator's token.
WAF_REDACTED_HEADERS = ("x-api-key", "authorization")


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

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._routes: set[tuple[str, str]] = set()

        self.access_log_group = logs.LogGroup(
            self,
            "AccessLogs",
            retention=config.log_retention,
            encryption_key=key,
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
        self.web_acl: wafv2.CfnWebACL | None = None
        if config.waf:
            self.web_acl = self._add_web_acl(key)

    def _add_web_acl(self, key: kms.IKey) -> wafv2.CfnWebACL:
        """A regional web ACL on the stage: AWS managed rule groups, a per-address rate limit, metrics and logs."""
        config = self._config

        def visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
            )

        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS",
                        name=group,
                        rule_action_overrides=[
                            wafv2.CfnWebACL.RuleActionOverrideProperty(
                                name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                            )
                            for rule in WAF_COUNTED_RULES.get(group, ())
                        ]
                        or None,
                    )
                ),
                visibility_config=visibility(group),
            )
            for priority, group in enumerate(WAF_MANAGED_RULE_GROUPS)
        ]
        # No single address may send more than one API client's whole throttle allowance (usage plans then
        # throttle each client by its key; keyless routes such as Open311 and provider webhooks rely on this).
        rules.append(
            wafv2.CfnWebACL.RuleProperty(
                name=WAF_RATE_RULE,
                priority=len(rules),
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        aggregate_key_type="IP",
                        limit=config.waf_rate_limit,
                        evaluation_window_sec=WAF_RATE_WINDOW_SECONDS,
                    )
                ),
                visibility_config=visibility(WAF_RATE_RULE),
            )
        )
        web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            description="Ventanilla API: AWS managed rules and a per-address rate limit",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility("VentanillaApi"),
            rules=rules,
        )
        wafv2.CfnWebACLAssociation(
            self, "WebAclAssociation", resource_arn=self.stage.stage_arn, web_acl_arn=web_acl.attr_arn
        )
        # WAF only logs to log groups named aws-waf-logs-*; the stack name keeps the name unique per stack.
        stack = Stack.of(self)
        self.waf_log_group = logs.LogGroup(
            self,
            "WafLogs",
            log_group_name=f"aws-waf-logs-{stack.stack_name}",
            retention=config.log_retention,
            encryption_key=key,
            removal_policy=config.cdk_removal_policy,
        )
        wafv2.CfnLoggingConfiguration(
            self,
            "WebAclLogging",
            resource_arn=web_acl.attr_arn,
            # The log group's ARN without the ":*" suffix GetAtt adds, as WAF expects it.
            log_destination_configs=[
                stack.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=self.waf_log_group.log_group_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
                for header in WAF_REDACTED_HEADERS
            ],
        )
        return web_acl

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
