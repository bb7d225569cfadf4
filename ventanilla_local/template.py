"""Read the synthesized CloudFormation template into what the local runtime needs to play it.

Nothing here is hand-written wiring: routes, API keys, rules and environments all come from the
template that `cdk synth` wrote, so a change to the CDK app changes the local run with it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FUNCTION = "AWS::Lambda::Function"
LAYER = "AWS::Lambda::LayerVersion"
TABLE = "AWS::DynamoDB::Table"
BUS = "AWS::Events::EventBus"
RULE = "AWS::Events::Rule"
QUEUE = "AWS::SQS::Queue"
SECRET = "AWS::SecretsManager::Secret"  # noqa: S105 - a resource type
REST_API = "AWS::ApiGateway::RestApi"
RESOURCE = "AWS::ApiGateway::Resource"
METHOD = "AWS::ApiGateway::Method"
STAGE = "AWS::ApiGateway::Stage"
API_KEY = "AWS::ApiGateway::ApiKey"
USAGE_PLAN = "AWS::ApiGateway::UsagePlan"
USAGE_PLAN_KEY = "AWS::ApiGateway::UsagePlanKey"
GATEWAY_RESPONSE = "AWS::ApiGateway::GatewayResponse"
EVENT_INVOKE_CONFIG = "AWS::Lambda::EventInvokeConfig"
EVENT_SOURCE_MAPPING = "AWS::Lambda::EventSourceMapping"
STREAM = "AWS::Kinesis::Stream"


class TemplateError(Exception):
    """The template uses something the local runtime cannot play."""


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    handler: str
    code_dir: Path
    layer_dirs: tuple[Path, ...]
    environment: dict[str, Any]
    timeout: int
    memory: int
    max_retries: int


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    api_key_required: bool
    pattern: re.Pattern[str] = field(compare=False)
    cognito: bool = False  # a Cognito user pool authorizer: a valid token is required

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method and self.method != "ANY":
            return None
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None


@dataclass(frozen=True)
class ApiKeySpec:
    logical_id: str
    client: str


@dataclass(frozen=True)
class UsagePlanSpec:
    logical_id: str
    rate_limit: float | None
    burst_limit: int | None
    key_ids: tuple[str, ...]


@dataclass(frozen=True)
class RuleTarget:
    target_id: str
    function: str
    retry_attempts: int
    dead_letter_queue: str | None


@dataclass(frozen=True)
class RuleSpec:
    logical_id: str
    bus: str | None
    pattern: dict[str, Any]
    targets: tuple[RuleTarget, ...]


@dataclass(frozen=True)
class GatewayResponseSpec:
    response_type: str
    status: int | None  # None: API Gateway keeps the status of the error itself
    template: str | None


KINESIS = "kinesis"
DYNAMODB = "dynamodb"


@dataclass(frozen=True)
class StreamMapping:
    """A stream feeding a function (AWS::Lambda::EventSourceMapping): a Kinesis stream, or a DynamoDB table's stream."""

    logical_id: str
    function: str  # function logical id
    source: str  # the Kinesis stream's or the table's logical id
    kind: str  # KINESIS or DYNAMODB
    batch_size: int
    max_retries: int
    bisect: bool
    reports_item_failures: bool
    on_failure: str | None  # queue logical id
    starting_position: str = "TRIM_HORIZON"
    filters: tuple[dict[str, Any], ...] = ()  # FilterCriteria patterns: a record goes to the function if one matches
    max_record_age: int | None = None  # seconds; None: records never expire (-1 in the template)

    @property
    def stream(self) -> str:
        """The Kinesis stream's logical id (Kinesis mappings)."""
        return self.source


def _mapping_source(template: AppTemplate, arn: Any) -> tuple[str, str] | None:
    """(logical id, kind) of what an EventSourceArn points at: a Kinesis stream, or a table's `StreamArn`."""
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        target = arn["Fn::GetAtt"]
        logical, attribute = target if isinstance(target, list) else target.split(".", 1)
        if attribute == "StreamArn" and logical in template.of_type(TABLE):
            return str(logical), DYNAMODB
    stream = next((t for t in _walk_refs(arn) if t in template.of_type(STREAM)), None)
    return (stream, KINESIS) if stream else None


def stream_mappings(template: AppTemplate) -> list[StreamMapping]:
    mappings = []
    for lid, resource in template.of_type(EVENT_SOURCE_MAPPING).items():
        props = resource["Properties"]
        source = _mapping_source(template, props.get("EventSourceArn"))
        function = next((t for t in _walk_refs(props.get("FunctionName")) if t in template.functions), None)
        if source is None or function is None:
            continue
        destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        filters = tuple(
            json.loads(f["Pattern"]) for f in (props.get("FilterCriteria") or {}).get("Filters", []) if "Pattern" in f
        )
        if filters and source[1] != DYNAMODB:
            raise TemplateError(f"{lid}: filter criteria are played locally for DynamoDB streams only")
        age = props.get("MaximumRecordAgeInSeconds")
        mappings.append(
            StreamMapping(
                logical_id=lid,
                function=function,
                source=source[0],
                kind=source[1],
                batch_size=int(props.get("BatchSize", 100)),
                max_retries=int(props.get("MaximumRetryAttempts", 3)),
                bisect=bool(props.get("BisectBatchOnFunctionError", False)),
                reports_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                on_failure=ref_target(destination),
                starting_position=str(props.get("StartingPosition", "TRIM_HORIZON")),
                filters=filters,
                max_record_age=int(age) if age is not None and int(age) >= 0 else None,
            )
        )
    return mappings


@dataclass
class AppTemplate:
    path: Path
    resources: dict[str, dict[str, Any]]
    outputs: dict[str, Any]
    functions: dict[str, FunctionSpec]
    routes: list[Route]
    stage: str
    api_keys: list[ApiKeySpec]
    usage_plans: list[UsagePlanSpec]
    gateway_responses: dict[str, GatewayResponseSpec]
    rules: list[RuleSpec]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in self.resources.items() if r.get("Type") == resource_type}

    def function_by_name(self, name: str) -> FunctionSpec:
        for spec in self.functions.values():
            if spec.name == name:
                return spec
        raise KeyError(name)


BACKEND_STACK = "Ventanilla"


def find_template(cdk_out: Path) -> Path:
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    stacks = {
        name: a for name, a in manifest.get("artifacts", {}).items() if a.get("type") == "aws:cloudformation:stack"
    }
    # The backend stack; the console's stack (S3 + CloudFront) is played by the gateway serving console/ itself.
    backend = [a for name, a in stacks.items() if name == BACKEND_STACK] or list(stacks.values())
    if len(backend) != 1:
        raise TemplateError(f"expected the {BACKEND_STACK} stack in {cdk_out}, found {sorted(stacks)}")
    return cdk_out / backend[0]["properties"]["templateFile"]


def load(cdk_out: Path) -> AppTemplate:
    path = find_template(cdk_out)
    doc = json.loads(path.read_text())
    resources: dict[str, dict[str, Any]] = doc.get("Resources", {})
    template = AppTemplate(
        path=path,
        resources=resources,
        outputs=doc.get("Outputs", {}),
        functions={},
        routes=[],
        stage="",
        api_keys=[],
        usage_plans=[],
        gateway_responses={},
        rules=[],
    )
    template.functions = _functions(cdk_out, resources)
    template.routes = _routes(resources, template.functions)
    stages = [r["Properties"]["StageName"] for r in template.of_type(STAGE).values()]
    template.stage = stages[0] if stages else "api"
    template.api_keys = [
        ApiKeySpec(lid, (r.get("Metadata") or {}).get("ventanilla:client", lid))
        for lid, r in template.of_type(API_KEY).items()
    ]
    template.usage_plans = _usage_plans(template)
    template.gateway_responses = {
        r["Properties"]["ResponseType"]: GatewayResponseSpec(
            r["Properties"]["ResponseType"],
            int(r["Properties"]["StatusCode"]) if r["Properties"].get("StatusCode") else None,
            (r["Properties"].get("ResponseTemplates") or {}).get("application/json"),
        )
        for r in template.of_type(GATEWAY_RESPONSE).values()
    }
    template.rules = _rules(template)
    return template


def ref_target(value: Any) -> str | None:
    """The logical id a `Ref` or `Fn::GetAtt` points at."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else target.split(".")[0])
    return None


def _walk_refs(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        target = ref_target(value)
        if target:
            found.append(target)
        for inner in value.values():
            found += _walk_refs(inner)
    elif isinstance(value, list):
        for inner in value:
            found += _walk_refs(inner)
    return found


def _asset_dir(cdk_out: Path, logical_id: str, resource: dict[str, Any]) -> Path:
    metadata = resource.get("Metadata") or {}
    asset = metadata.get("aws:asset:path")
    if not asset:
        raise TemplateError(f"{logical_id} has no aws:asset:path metadata; synthesize with the CDK CLI")
    directory = (cdk_out / asset).resolve()
    if not directory.is_dir():
        raise TemplateError(f"asset of {logical_id} is not a directory: {directory}")
    return directory


def _functions(cdk_out: Path, resources: dict[str, dict[str, Any]]) -> dict[str, FunctionSpec]:
    retries = {
        ref_target(r["Properties"].get("FunctionName")): int(r["Properties"].get("MaximumRetryAttempts", 2))
        for r in resources.values()
        if r.get("Type") == EVENT_INVOKE_CONFIG
    }
    functions = {}
    for lid, resource in resources.items():
        if resource.get("Type") != FUNCTION:
            continue
        props = resource["Properties"]
        name = (resource.get("Metadata") or {}).get("ventanilla:function")
        if not name:
            continue  # CDK's own helper functions are not ours to play
        layers = tuple(
            _asset_dir(cdk_out, ref, resources[ref]) / "python" for ref in _walk_refs(props.get("Layers", []))
        )
        functions[lid] = FunctionSpec(
            logical_id=lid,
            name=name,
            handler=props["Handler"],
            code_dir=_asset_dir(cdk_out, lid, resource),
            layer_dirs=layers,
            environment=(props.get("Environment") or {}).get("Variables", {}),
            timeout=int(props.get("Timeout", 3)),
            memory=int(props.get("MemorySize", 128)),
            max_retries=retries.get(lid, 2),
        )
    return functions


def _routes(resources: dict[str, dict[str, Any]], functions: dict[str, FunctionSpec]) -> list[Route]:
    def path_of(resource_ref: Any) -> str:
        target = ref_target(resource_ref)
        if isinstance(resource_ref, dict) and "Fn::GetAtt" in resource_ref:
            return ""  # the API's root resource
        if target is None or target not in resources:
            raise TemplateError(f"unknown API resource {resource_ref}")
        props = resources[target]["Properties"]
        return f"{path_of(props['ParentId'])}/{props['PathPart']}"

    routes = []
    for lid, resource in resources.items():
        if resource.get("Type") != METHOD:
            continue
        props = resource["Properties"]
        if props.get("HttpMethod") == "OPTIONS":
            continue
        integration = props.get("Integration") or {}
        targets = [t for t in _walk_refs(integration.get("Uri")) if t in functions]
        if not targets:
            raise TemplateError(f"method {lid} does not integrate with one of our functions")
        path = path_of(props["ResourceId"]) or "/"
        regex = re.sub(r"\\\{([A-Za-z0-9_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
        routes.append(
            Route(
                method=props["HttpMethod"],
                path=path,
                function=targets[0],
                api_key_required=bool(props.get("ApiKeyRequired", False)),
                pattern=re.compile(regex),
                cognito=props.get("AuthorizationType") == "COGNITO_USER_POOLS",
            )
        )
    return sorted(routes, key=lambda r: (r.path.count("{"), r.path))


def _usage_plans(template: AppTemplate) -> list[UsagePlanSpec]:
    keys_by_plan: dict[str, list[str]] = {}
    for r in template.of_type(USAGE_PLAN_KEY).values():
        props = r["Properties"]
        keys_by_plan.setdefault(ref_target(props["UsagePlanId"]) or "", []).append(ref_target(props["KeyId"]) or "")
    plans = []
    for lid, r in template.of_type(USAGE_PLAN).items():
        throttle = r["Properties"].get("Throttle") or {}
        plans.append(
            UsagePlanSpec(
                logical_id=lid,
                rate_limit=throttle.get("RateLimit"),
                burst_limit=throttle.get("BurstLimit"),
                key_ids=tuple(keys_by_plan.get(lid, [])),
            )
        )
    return plans


def _rules(template: AppTemplate) -> list[RuleSpec]:
    rules = []
    for lid, r in template.of_type(RULE).items():
        props = r["Properties"]
        if "EventPattern" not in props:
            continue  # schedules are played by a later issue's scheduler
        targets = []
        for target in props.get("Targets", []):
            function = next((t for t in _walk_refs(target.get("Arn")) if t in template.functions), None)
            if function is None:
                continue
            retry = (target.get("RetryPolicy") or {}).get("MaximumRetryAttempts", 185)
            dlq = ref_target((target.get("DeadLetterConfig") or {}).get("Arn"))
            targets.append(RuleTarget(target["Id"], function, int(retry), dlq))
        rules.append(RuleSpec(lid, ref_target(props.get("EventBusName")), props["EventPattern"], tuple(targets)))
    return rules
