"""Template assertions on the synthesized Ventanilla stack (one synth for the whole module, see conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match

from infra.app_builder import cdk_json_context
from infra.config import (
    ALL_FUNCTIONS,
    ANNOUNCER_FUNCTION,
    CASES_FUNCTION,
    CHANNEL_SECRET_NAMES,
    CHANNELS,
    CHANNELS_WITH_DELIVERY_REPORTS,
    CITIZENS_FUNCTION,
    CONTEXT_ENVIRONMENTS,
    CONTEXT_FUNCTION,
    IDENTITY_FUNCTION,
    INGEST_EVENT_SOURCE,
    JOURNEYS_FUNCTION,
    NOTIFICATIONS_FUNCTION,
    OPEN311_FUNCTION,
    OPERATOR_CLIENT,
    PRIVACY_FUNCTION,
    STEWARDSHIP_FUNCTION,
    TOUCHPOINT_RECORDED,
    TRACKER_FUNCTION,
    EnvironmentConfig,
)
from infra.constructs.api import CLIENT_METADATA_KEY, STAGE_NAME
from infra.constructs.function import FUNCTION_METADATA_KEY
from infra.stack import STACK_ID
from tests.infra.conftest import Synthesized, build_test_app

pytestmark = pytest.mark.infra

DEV = EnvironmentConfig.from_context(cdk_json_context()[CONTEXT_ENVIRONMENTS], "dev")
FORBIDDEN_TABLE_ACTIONS = {"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:*", "dynamodb:BatchWriteItem"}


# --- helpers -------------------------------------------------------------------------------------------------------


def _functions(synthesized: Synthesized) -> dict[str, tuple[str, dict[str, Any]]]:
    """Ventanilla function name -> (logical id, resource), from the `ventanilla:function` metadata."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for logical_id, resource in synthesized.of_type("AWS::Lambda::Function").items():
        name = resource.get("Metadata", {}).get(FUNCTION_METADATA_KEY)
        assert name, f"{logical_id} is a Lambda function without {FUNCTION_METADATA_KEY} metadata (a CDK helper?)"
        assert name not in found, f"two functions named {name}"
        found[name] = (logical_id, resource)
    return found


def _function_id(synthesized: Synthesized, name: str) -> str:
    return _functions(synthesized)[name][0]


def _statements_of_role(synthesized: Synthesized, role_id: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in synthesized.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def _actions_of_function(synthesized: Synthesized, name: str) -> set[str]:
    role_id = _functions(synthesized)[name][1]["Properties"]["Role"]["Fn::GetAtt"][0]
    actions: set[str] = set()
    for statement in _statements_of_role(synthesized, role_id):
        if statement["Effect"] == "Deny":  # a guard rail (the notifier may not publish to topics)
            continue
        assert statement["Effect"] == "Allow"
        action = statement["Action"]
        actions.update([action] if isinstance(action, str) else action)
    return actions


def _routes(synthesized: Synthesized) -> list[tuple[str, str, dict[str, Any]]]:
    """(HTTP method, full resource path, method properties) for every API Gateway method."""
    rest_api_ids = list(synthesized.of_type("AWS::ApiGateway::RestApi"))
    assert len(rest_api_ids) == 1
    resources = synthesized.of_type("AWS::ApiGateway::Resource")

    def path_of(resource_ref: dict[str, Any]) -> str:
        if "Fn::GetAtt" in resource_ref:  # the root resource
            assert resource_ref["Fn::GetAtt"] == [rest_api_ids[0], "RootResourceId"]
            return ""
        props = resources[resource_ref["Ref"]]["Properties"]
        return f"{path_of(props['ParentId'])}/{props['PathPart']}"

    return [
        (props["HttpMethod"], path_of(props["ResourceId"]), props)
        for props in (m["Properties"] for m in synthesized.of_type("AWS::ApiGateway::Method").values())
    ]


def _integration_function_id(method_props: dict[str, Any]) -> str:
    parts = method_props["Integration"]["Uri"]["Fn::Join"][1]
    (function_id,) = [p["Fn::GetAtt"][0] for p in parts if isinstance(p, dict) and "Fn::GetAtt" in p]
    return function_id


# --- functions -----------------------------------------------------------------------------------------------------


def test_a_function_per_channel_plus_identity_read_stewardship_and_cases(synthesized: Synthesized) -> None:
    assert sorted(_functions(synthesized)) == sorted(ALL_FUNCTIONS)
    assert len(ALL_FUNCTIONS) == len(CHANNELS) + 11 == 19
    assert not [r for r in synthesized.resources.values() if r["Type"].startswith("Custom::")]
    assert not synthesized.of_type("AWS::CloudFormation::CustomResource")


def test_each_function_has_its_own_role(synthesized: Synthesized) -> None:
    roles = [resource["Properties"]["Role"]["Fn::GetAtt"][0] for _, resource in _functions(synthesized).values()]
    assert len(set(roles)) == len(roles) == len(ALL_FUNCTIONS)
    for role_id in roles:
        role = synthesized.resources[role_id]
        assert role["Type"] == "AWS::IAM::Role"
        assert "ManagedPolicyArns" not in role["Properties"]  # no AWSLambdaBasicExecutionRole


@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_function_settings(synthesized: Synthesized, name: str) -> None:
    logical_id, resource = _functions(synthesized)[name]
    props = resource["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == f"functions.{name}.handler.lambda_handler"
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["MemorySize"] == DEV.lambda_memory_mb == 512
    assert props["Timeout"] == DEV.lambda_timeout_seconds
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert props["LoggingConfig"]["ApplicationLogLevel"] == "INFO"
    log_group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
    assert synthesized.resources[log_group_id]["Properties"]["RetentionInDays"] == DEV.log_retention_days
    (layer_id,) = synthesized.of_type("AWS::Lambda::LayerVersion")
    assert props["Layers"] == [{"Ref": layer_id}]
    env = props["Environment"]["Variables"]
    assert env["POWERTOOLS_SERVICE_NAME"] == f"ventanilla-{name}"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Ventanilla"
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"
    # Active tracing records the invocation; the X-Ray SDK (per-call subsegments) only where trace_aws_calls is on.
    assert env["POWERTOOLS_TRACE_DISABLED"] == ("false" if DEV.trace_aws_calls else "true")
    assert env["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
    assert "FunctionName" not in props
    # its log-writing permission is scoped to its own log group
    role_id = props["Role"]["Fn::GetAtt"][0]
    log_statements = [s for s in _statements_of_role(synthesized, role_id) if "logs:PutLogEvents" in s["Action"]]
    assert [s["Resource"] for s in log_statements] == [{"Fn::GetAtt": [log_group_id, "Arn"]}], logical_id


def test_environment_variables(synthesized: Synthesized) -> None:
    (table_id,) = synthesized.of_type("AWS::DynamoDB::Table")
    (bus_id,) = synthesized.of_type("AWS::Events::EventBus")
    keys = {r["Metadata"][CLIENT_METADATA_KEY]: i for i, r in synthesized.of_type("AWS::ApiGateway::ApiKey").items()}
    functions = _functions(synthesized)
    for channel in CHANNELS:
        env = functions[channel][1]["Properties"]["Environment"]["Variables"]
        assert env["TABLE_NAME"] == {"Ref": table_id}
        if channel in CHANNELS_WITH_DELIVERY_REPORTS:  # providers' delivery statuses: DeliveryReported
            assert env["EVENT_BUS_NAME"] == {"Ref": bus_id}
        else:  # a touchpoint is announced by the announcer, from the table's stream
            assert "EVENT_BUS_NAME" not in env
        assert env["CHANNEL"] == channel
        assert env["CHANNEL_API_KEY_ID"] == {"Ref": keys[channel]}
    identity_env = functions[IDENTITY_FUNCTION][1]["Properties"]["Environment"]["Variables"]
    assert identity_env["TABLE_NAME"] == {"Ref": table_id}
    assert identity_env["EVENT_BUS_NAME"] == {"Ref": bus_id}
    assert identity_env["DEFAULT_PHONE_REGION"] == DEV.default_phone_region == "MX"
    citizens_env = functions[CITIZENS_FUNCTION][1]["Properties"]["Environment"]["Variables"]
    assert citizens_env["TABLE_NAME"] == {"Ref": table_id}
    assert citizens_env["OPERATOR_API_KEY_ID"] == {"Ref": keys[OPERATOR_CLIENT]}
    assert citizens_env["DEFAULT_PHONE_REGION"] == DEV.default_phone_region
    assert "EVENT_BUS_NAME" not in citizens_env
    announcer_env = functions[ANNOUNCER_FUNCTION][1]["Properties"]["Environment"]["Variables"]
    assert announcer_env["EVENT_BUS_NAME"] == {"Ref": bus_id} and "TABLE_NAME" not in announcer_env


# --- permissions ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_channel_permissions(synthesized: Synthesized, channel: str) -> None:
    actions = _actions_of_function(synthesized, channel)
    assert {"dynamodb:PutItem", "dynamodb:GetItem"} <= actions
    # Only the channels whose providers report deliveries publish (DeliveryReported); no channel announces a
    # touchpoint (the announcer does, from the table's stream)
    assert ("events:PutEvents" in actions) is (channel in CHANNELS_WITH_DELIVERY_REPORTS)
    assert {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"} <= actions
    assert not actions & FORBIDDEN_TABLE_ACTIONS
    assert {a for a in actions if a.startswith("dynamodb:")} == {"dynamodb:PutItem", "dynamodb:GetItem"}


def test_identity_permissions(synthesized: Synthesized) -> None:
    actions = _actions_of_function(synthesized, IDENTITY_FUNCTION)
    assert {a for a in actions if a.startswith("dynamodb:")} == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
    }
    assert {"events:PutEvents", "sqs:SendMessage", "secretsmanager:GetSecretValue"} <= actions
    assert not [a for a in actions if "*" in a]


def test_citizens_permissions_are_read_only_but_for_the_audit_log(synthesized: Synthesized) -> None:
    actions = _actions_of_function(synthesized, CITIZENS_FUNCTION)
    assert {a for a in actions if a.startswith("dynamodb:")} == {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
    }
    role_id = _functions(synthesized)[CITIZENS_FUNCTION][1]["Properties"]["Role"]["Fn::GetAtt"][0]
    (put,) = [st for st in _statements_of_role(synthesized, role_id) if st["Action"] == "dynamodb:PutItem"]
    # it may only write access-log entries: items whose partition key starts with AUDIT#
    assert put["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["AUDIT#*"]}}
    assert {a for a in actions if a.startswith("kms:")} == {"kms:Decrypt"}
    assert "events:PutEvents" not in actions


def test_only_resourceless_apis_use_a_wildcard_resource(synthesized: Synthesized) -> None:
    # X-Ray, Comprehend's DetectSentiment for the journey monitor and SMS to a phone number (sns:Publish, with
    # every topic denied) for the notifier: none has a resource to scope to
    allowed = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "comprehend:DetectSentiment", "sns:Publish"}
    for policy in synthesized.of_type("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Resource"] == "*":
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert set(actions) <= allowed


# --- API -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_channel_route(synthesized: Synthesized, channel: str) -> None:
    matches = [p for m, path, p in _routes(synthesized) if (m, path) == ("POST", f"/v1/channels/{channel}/touchpoints")]
    assert len(matches) == 1
    (props,) = matches
    assert props["ApiKeyRequired"] is True
    assert props["Integration"]["Type"] == "AWS_PROXY"
    assert _integration_function_id(props) == _function_id(synthesized, channel)


def test_citizen_routes(synthesized: Synthesized) -> None:
    routes = {(m, path): p for m, path, p in _routes(synthesized)}
    citizens_id = _function_id(synthesized, CITIZENS_FUNCTION)
    for path in ("/v1/citizens", "/v1/citizens/{citizen_id}"):
        props = routes[("GET", path)]
        assert props["ApiKeyRequired"] is True
        assert _integration_function_id(props) == citizens_id
    assert routes[("GET", "/v1/citizens/{citizen_id}")]["RequestParameters"] == {"method.request.path.citizen_id": True}


def test_every_method_is_validated_and_routes_are_exactly_these(synthesized: Synthesized) -> None:
    (validator_id,) = synthesized.of_type("AWS::ApiGateway::RequestValidator")
    validator = synthesized.resources[validator_id]["Properties"]
    assert validator["ValidateRequestBody"] is True
    assert validator["ValidateRequestParameters"] is True
    routes = _routes(synthesized)
    assert all(p["RequestValidatorId"] == {"Ref": validator_id} for _, _, p in routes)
    expected = {("POST", f"/v1/channels/{c}/touchpoints") for c in CHANNELS} | {
        ("GET", "/v1/citizens"),
        ("GET", "/v1/citizens/{citizen_id}"),
        ("GET", "/v1/citizens/{citizen_id}/identity"),
        ("GET", "/v1/citizens/{citizen_id}/export"),
        ("GET", "/v1/citizens/{citizen_id}/rectifications"),
        ("POST", "/v1/citizens/{citizen_id}/rectifications"),
        ("POST", "/v1/citizens/{citizen_id}/erasure"),
        ("GET", "/v1/reviews"),
        ("POST", "/v1/reviews/{review_id}/decision"),
        ("POST", "/v1/citizens/{citizen_id}/merge"),
        ("POST", "/v1/citizens/{citizen_id}/split"),
        ("PUT", "/v1/citizens/{citizen_id}/preferences"),
        ("GET", "/v1/audit"),
        ("GET", "/v1/metrics/attention"),
        ("GET", "/v1/procedures"),
        ("POST", "/v1/cases"),
        ("GET", "/v1/cases/{reference}"),
        ("POST", "/v1/cases/{reference}/steps"),
        ("POST", "/v1/cases/{reference}/status"),
        ("POST", "/v1/touchpoints/{touchpoint_id}/case"),
        ("GET", "/v1/metrics/journeys"),
        ("GET", "/v1/context"),
        ("GET", "/open311/v2/services.json"),
        ("GET", "/open311/v2/services.xml"),
        ("GET", "/open311/v2/services/{service_file}"),
        ("GET", "/open311/v2/requests.json"),
        ("GET", "/open311/v2/requests.xml"),
        ("POST", "/open311/v2/requests.json"),
        ("POST", "/open311/v2/requests.xml"),
        ("GET", "/open311/v2/requests/{request_file}"),
        ("GET", "/v1/channels/messaging/whatsapp"),
        ("POST", "/v1/channels/messaging/whatsapp"),
        ("POST", "/v1/channels/messaging/twilio"),
        ("POST", "/v1/channels/email/ses"),
        ("GET", "/v1/channels/social/meta"),
        ("POST", "/v1/channels/social/meta"),
        ("POST", "/v1/channels/phone/connect"),
    }
    assert sorted((m, path) for m, path, _ in routes) == sorted(expected)
    # Open311 clients authenticate with the standard's api_key form field, providers with their signatures
    # (both checked by the function); Connect's HTTP route carries the phone channel's key
    keyless = {(m, path) for m, path, p in routes if not p.get("ApiKeyRequired")}
    providers = {"whatsapp", "twilio", "ses", "meta"}
    assert keyless == {
        (m, path) for m, path in expected if path.startswith("/open311/") or path.rsplit("/", 1)[-1] in providers
    }


def test_connect_contact_records_stream_feeds_the_phone_function_with_a_dlq(synthesized: Synthesized) -> None:
    (stream_id, stream) = next(iter(synthesized.of_type("AWS::Kinesis::Stream").items()))
    assert stream["Properties"]["StreamEncryption"]["EncryptionType"] == "KMS"
    (mapping,) = [
        m
        for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    ]
    props = mapping["Properties"]
    assert props["EventSourceArn"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    assert props["FunctionName"] == {"Ref": _function_id(synthesized, "phone")}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True and props["MaximumRetryAttempts"] == 5
    (queue_id,) = synthesized.of_type("AWS::SQS::Queue")
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [queue_id, "Arn"]}


def _announcer_mapping(synthesized: Synthesized) -> dict[str, Any]:
    (table_id,) = synthesized.of_type("AWS::DynamoDB::Table")
    (mapping,) = [
        m["Properties"]
        for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    ]
    return mapping


def test_the_tables_stream_feeds_the_announcer_in_batches_with_retries_and_the_dlq(synthesized: Synthesized) -> None:
    props = _announcer_mapping(synthesized)
    assert props["FunctionName"] == {"Ref": _function_id(synthesized, ANNOUNCER_FUNCTION)}
    assert props["StartingPosition"] == "TRIM_HORIZON"
    assert props["BatchSize"] == 100
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert 1 <= props["MaximumRetryAttempts"] <= 10 and props["MaximumRecordAgeInSeconds"] == 6 * 3600
    (queue_id,) = synthesized.of_type("AWS::SQS::Queue")
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [queue_id, "Arn"]}


def test_the_announcer_mapping_lets_through_only_new_raw_touchpoints_not_imported(synthesized: Synthesized) -> None:
    from tests.streams import a_touchpoint, other_items, raw_item, stream_record
    from ventanilla_local.streams import record_filter

    (pattern,) = [json.loads(f["Pattern"]) for f in _announcer_mapping(synthesized)["FilterCriteria"]["Filters"]]
    assert pattern == {
        "eventName": ["INSERT"],
        "dynamodb": {
            "Keys": {"pk": {"S": [{"prefix": "TP#"}]}, "sk": {"S": ["TOUCHPOINT"]}},
            "NewImage": {"imported": {"BOOL": [{"exists": False}]}},
        },
    }
    # Played with Lambda's semantics (EventBridge patterns on the record) against what the repositories write
    passes = record_filter((pattern,))
    touchpoint = raw_item(a_touchpoint())
    assert passes(stream_record("INSERT", touchpoint, 1))
    assert not passes(stream_record("MODIFY", touchpoint, 2))  # linked to a citizen, to a case, anonymised
    assert not passes(stream_record("REMOVE", touchpoint, 3))  # the text's time to live
    assert not passes(stream_record("INSERT", raw_item(a_touchpoint(), imported=True), 4))  # `ventanilla import`
    assert not [name for name, item in other_items().items() if passes(stream_record("INSERT", item, 5))]


def test_the_announcer_reads_the_stream_publishes_and_parks_nothing_else(synthesized: Synthesized) -> None:
    actions = _actions_of_function(synthesized, ANNOUNCER_FUNCTION)
    assert actions == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "events:PutEvents",
        "sqs:SendMessage",
    }
    role_id = _functions(synthesized)[ANNOUNCER_FUNCTION][1]["Properties"]["Role"]["Fn::GetAtt"][0]
    (table_id,) = synthesized.of_type("AWS::DynamoDB::Table")
    (stream,) = [s for s in _statements_of_role(synthesized, role_id) if "dynamodb:GetRecords" in s["Action"]]
    assert stream["Resource"] == {"Fn::GetAtt": [table_id, "StreamArn"]}  # this table's stream, nothing else


def test_provider_secrets_start_empty_and_only_provider_channels_read_them(synthesized: Synthesized) -> None:
    secrets = synthesized.of_type("AWS::SecretsManager::Secret")
    (secret_id,) = [lid for lid in secrets if lid.startswith("DataChannelSecrets")]
    values = json.loads(secrets[secret_id]["Properties"]["SecretString"])
    assert set(values) == set(CHANNEL_SECRET_NAMES) and not any(values.values())
    readers = {
        name
        for name in ALL_FUNCTIONS
        if "CHANNEL_SECRETS_ARN" in _functions(synthesized)[name][1]["Properties"]["Environment"]["Variables"]
    }
    assert readers == {"messaging", "email", "social", "notifications"}  # the notifier: the WhatsApp token


def test_stage(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": STAGE_NAME,
            "TracingEnabled": True,
            "AccessLogSetting": {"DestinationArn": Match.any_value(), "Format": Match.string_like_regexp("requestId")},
            "MethodSettings": [
                Match.object_like(
                    {
                        "LoggingLevel": "ERROR",
                        "DataTraceEnabled": False,
                        "MetricsEnabled": True,
                        "ThrottlingRateLimit": DEV.api_throttle_rate_limit,
                        "ThrottlingBurstLimit": DEV.api_throttle_burst_limit,
                    }
                )
            ],
        },
    )
    (rest_api,) = synthesized.of_type("AWS::ApiGateway::RestApi").values()
    assert rest_api["Properties"]["Name"] == f"{synthesized.stack.stack_name}-api"  # derived, not hard-coded


def test_gateway_responses(synthesized: Synthesized) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in synthesized.of_type("AWS::ApiGateway::GatewayResponse").values()
    }
    expected_status = {
        "MISSING_AUTHENTICATION_TOKEN": "404",
        "INVALID_API_KEY": "403",
        "ACCESS_DENIED": "403",
        "REQUEST_TOO_LARGE": "413",
        "THROTTLED": "429",
    }
    for response_type, status in expected_status.items():
        assert responses[response_type]["StatusCode"] == status
    not_found = json.loads(responses["MISSING_AUTHENTICATION_TOKEN"]["ResponseTemplates"]["application/json"])
    assert not_found == {"error": "not_found", "message": "No route for $context.httpMethod $context.path"}
    invalid_key = json.loads(responses["INVALID_API_KEY"]["ResponseTemplates"]["application/json"])
    assert invalid_key == {"error": "forbidden", "message": "Missing or invalid API key"}
    too_large = json.loads(responses["REQUEST_TOO_LARGE"]["ResponseTemplates"]["application/json"])
    assert too_large["error"] == "payload_too_large"
    assert (
        responses["DEFAULT_4XX"]["ResponseTemplates"]["application/json"]
        == '{"error":"bad_request","message":$context.error.messageString}'
    )
    assert "DEFAULT_5XX" in responses


def test_api_keys_and_usage_plans(synthesized: Synthesized) -> None:
    keys = synthesized.of_type("AWS::ApiGateway::ApiKey")
    assert len(keys) == 10
    clients = sorted(r["Metadata"][CLIENT_METADATA_KEY] for r in keys.values())
    assert clients == sorted([*CHANNELS, OPERATOR_CLIENT, "console"])
    for key in keys.values():
        assert "Name" not in key["Properties"]
        value = key["Properties"].get("Value")
        # generated by API Gateway; the console's is generated by Secrets Manager and only referenced here
        assert value is None or "{{resolve:secretsmanager:" in json.dumps(value)
    plans = synthesized.of_type("AWS::ApiGateway::UsagePlan")
    plan_keys = synthesized.of_type("AWS::ApiGateway::UsagePlanKey")
    assert len(plans) == len(plan_keys) == 10
    assert sorted(k["Properties"]["KeyId"]["Ref"] for k in plan_keys.values()) == sorted(keys)
    assert len({k["Properties"]["UsagePlanId"]["Ref"] for k in plan_keys.values()}) == 10  # one plan per key
    (stage_id,) = synthesized.of_type("AWS::ApiGateway::Stage")
    for plan in plans.values():
        props = plan["Properties"]
        assert props["ApiStages"][0]["Stage"] == {"Ref": stage_id}
        assert props["Throttle"] == {
            "RateLimit": DEV.api_throttle_rate_limit,
            "BurstLimit": DEV.api_throttle_burst_limit,
        }
        assert props["Quota"] == {"Limit": DEV.api_monthly_quota, "Period": "MONTH"}


# --- data and events -----------------------------------------------------------------------------------------------


def test_table(synthesized: Synthesized) -> None:
    (key_id,) = synthesized.of_type("AWS::KMS::Key")
    synthesized.template.resource_count_is("AWS::DynamoDB::Table", 1)
    synthesized.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": Match.array_with(
                [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]
            ),
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {
                "SSEEnabled": True,
                "SSEType": "KMS",
                "KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
            },
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
            "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},  # the announcer's outbox
            "TableName": Match.absent(),
        },
    )
    synthesized.template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_bus_and_dead_letter_queue(synthesized: Synthesized) -> None:
    (key_id,) = synthesized.of_type("AWS::KMS::Key")
    synthesized.template.has_resource_properties(
        "AWS::Events::EventBus", {"KmsKeyIdentifier": {"Fn::GetAtt": [key_id, "Arn"]}}
    )
    synthesized.template.has_resource_properties(
        "AWS::SQS::Queue",
        {"KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]}, "MessageRetentionPeriod": 14 * 24 * 3600},
    )
    synthesized.template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )


def _rule_to(synthesized: Synthesized, function: str) -> dict[str, Any]:
    function_id = _function_id(synthesized, function)
    (rule,) = [
        r
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if r["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    ]
    return rule


def test_touchpoint_rule_targets_identity_with_retries_and_dlq(synthesized: Synthesized) -> None:
    (queue_id,) = synthesized.of_type("AWS::SQS::Queue")
    (bus_id,) = synthesized.of_type("AWS::Events::EventBus")
    rule = _rule_to(synthesized, IDENTITY_FUNCTION)
    props = rule["Properties"]
    assert props["EventBusName"] == {"Ref": bus_id}
    (target,) = props["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [_function_id(synthesized, IDENTITY_FUNCTION), "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 7200}


def test_identity_events_reach_the_case_tracker_with_retries_and_dlq(synthesized: Synthesized) -> None:
    (queue_id,) = synthesized.of_type("AWS::SQS::Queue")
    rule = _rule_to(synthesized, TRACKER_FUNCTION)
    assert rule["Properties"]["EventPattern"] == {
        "source": ["ventanilla.identity"],
        "detail-type": ["CitizenResolved", "CitizensMerged", "CitizenSplit"],
    }
    (target,) = rule["Properties"]["Targets"]
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}


def test_touchpoint_rule_pattern_matches_ingest_events(synthesized: Synthesized) -> None:
    rule = _rule_to(synthesized, IDENTITY_FUNCTION)
    pattern = rule["Properties"]["EventPattern"]
    assert pattern == {"source": [INGEST_EVENT_SOURCE], "detail-type": [TOUCHPOINT_RECORDED]}
    assert pattern == {"source": ["ventanilla.ingest"], "detail-type": ["TouchpointRecorded"]}


def test_identity_async_failures_go_to_the_dlq(synthesized: Synthesized) -> None:
    (queue_id,) = synthesized.of_type("AWS::SQS::Queue")
    synthesized.template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "FunctionName": {"Ref": _function_id(synthesized, IDENTITY_FUNCTION)},
            "MaximumRetryAttempts": 2,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [queue_id, "Arn"]}}},
        },
    )


# --- layer, outputs ------------------------------------------------------------------------------------------------


def test_layer(synthesized: Synthesized) -> None:
    (layer,) = synthesized.of_type("AWS::Lambda::LayerVersion").values()
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    asset_dir = Path(synthesized.app.synth().directory) / layer["Metadata"]["aws:asset:path"]
    site = asset_dir / "python"
    assert (site / "shared" / "__init__.py").is_file()
    assert (site / "pydantic_core").is_dir()
    assert list(site.glob("pydantic_core/_pydantic_core*aarch64*.so")), "not the arm64 build of pydantic_core"
    assert (site / "aws_lambda_powertools").is_dir()
    assert (site / "phonenumbers").is_dir()
    assert not (site / "boto3").exists()
    assert not (site / "botocore").exists()
    assert not list(site.rglob("__pycache__"))


def test_outputs(synthesized: Synthesized) -> None:
    outputs = synthesized.template.to_json()["Outputs"]
    assert {"ApiUrl", "TableName", "EventBusName", "DeadLetterQueueUrl"} <= set(outputs)


# --- cdk-nag -------------------------------------------------------------------------------------------------------


def test_cdk_nag_reports_no_unacknowledged_findings(synthesized: Synthesized) -> None:
    assembly = synthesized.app.synth()  # would raise ValidationFailed on an unacknowledged error
    report = json.loads((Path(assembly.directory) / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert nag["conclusion"] == "success"
    assert nag["violations"] == []
    acknowledged = {v["ruleName"].split("[")[0] for v in nag["suppressedViolations"]}
    assert acknowledged <= {
        "AwsSolutions-L1",
        "AwsSolutions-IAM5",
        "AwsSolutions-IAM4",
        "AwsSolutions-APIG3",
        "AwsSolutions-APIG4",
        "AwsSolutions-COG4",
        "AwsSolutions-SQS3",
        "AwsSolutions-SMG4",
        "AwsSolutions-KDS3",
        "AwsSolutions-COG2",
        # the console's stack: CloudFront without geo restriction, WAF or a custom certificate, the log bucket
        "AwsSolutions-CFR1",
        "AwsSolutions-CFR2",
        "AwsSolutions-CFR4",
        "AwsSolutions-S1",
    }
    assert all(len(v["reason"]) > 40 for v in nag["suppressedViolations"])


def test_cdk_nag_fails_synth_on_an_unacknowledged_finding(tmp_path: Path) -> None:
    app = build_test_app(tmp_path)
    sqs.Queue(app.node.find_child(STACK_ID), "QueueWithoutDlqOrTls")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()


# --- identity: keyed index, review index, stewardship ---------------------------------------------------------------


def test_identifier_hmac_key_is_a_generated_encrypted_secret_read_only_by_identity_functions(
    synthesized: Synthesized,
) -> None:
    secrets = synthesized.of_type("AWS::SecretsManager::Secret")
    (secret_id,) = [lid for lid in secrets if lid.startswith("DataIdentityKey")]
    secret = secrets[secret_id]
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    assert "KmsKeyId" in secret["Properties"]
    readers = {
        name
        for name in ALL_FUNCTIONS
        if "secretsmanager:GetSecretValue" in _actions_of_function(synthesized, name)
        and "IDENTITY_KEY_SECRET_ARN" in _functions(synthesized)[name][1]["Properties"]["Environment"]["Variables"]
    }
    # The privacy function recomputes the digests of a person's index entries to erase them.
    assert readers == {IDENTITY_FUNCTION, CITIZENS_FUNCTION, STEWARDSHIP_FUNCTION, CONTEXT_FUNCTION, PRIVACY_FUNCTION}
    for name in readers:
        env = _functions(synthesized)[name][1]["Properties"]["Environment"]["Variables"]
        assert env["IDENTITY_KEY_SECRET_ARN"] == {"Ref": secret_id}


def test_table_has_the_review_and_case_indexes(synthesized: Synthesized) -> None:
    (table,) = synthesized.of_type("AWS::DynamoDB::Table").values()
    indexes = {
        i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]]
        for i in table["Properties"]["GlobalSecondaryIndexes"]
    }
    assert indexes == {"gsi1": ["gsi1pk", "gsi1sk"], "gsi2": ["gsi2pk", "gsi2sk"]}


def test_open311_keys_secret_holds_only_hashes_and_only_open311_reads_it(synthesized: Synthesized) -> None:
    secrets = synthesized.of_type("AWS::SecretsManager::Secret")
    (secret_id,) = [lid for lid in secrets if lid.startswith("DataOpen311Keys")]
    assert json.loads(secrets[secret_id]["Properties"]["SecretString"]) == {"keys": []}
    readers = {
        name
        for name in ALL_FUNCTIONS
        if "OPEN311_KEYS_SECRET_ARN" in _functions(synthesized)[name][1]["Properties"]["Environment"]["Variables"]
    }
    assert readers == {OPEN311_FUNCTION}


def test_case_functions_never_scan(synthesized: Synthesized) -> None:
    for name in (CASES_FUNCTION, TRACKER_FUNCTION, CONTEXT_FUNCTION, OPEN311_FUNCTION):
        actions = _actions_of_function(synthesized, name)
        assert "dynamodb:Query" in actions
        assert not actions & {"dynamodb:Scan", "dynamodb:*"}


def test_stewardship_writes_but_never_scans_or_deletes(synthesized: Synthesized) -> None:
    actions = _actions_of_function(synthesized, STEWARDSHIP_FUNCTION)
    assert {"dynamodb:PutItem", "dynamodb:Query", "events:PutEvents"} <= actions
    assert not actions & {"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:*"}


def test_journey_monitor_follows_case_events_and_a_timer_schedule(synthesized: Synthesized) -> None:
    journeys_arn = {"Fn::GetAtt": [_function_id(synthesized, JOURNEYS_FUNCTION), "Arn"]}
    rules = [r["Properties"] for r in synthesized.of_type("AWS::Events::Rule").values()]
    (events_rule,) = [p for p in rules if p["Targets"][0]["Arn"] == journeys_arn and "EventPattern" in p]
    assert events_rule["EventPattern"] == {
        "source": ["ventanilla.cases"],
        "detail-type": ["CaseTouchpointAttached", "CaseOpened", "CaseStepCompleted", "CaseStatusChanged", "CaseClosed"],
    }
    (schedule,) = [p for p in rules if p["Targets"][0]["Arn"] == journeys_arn and "ScheduleExpression" in p]
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    assert "DeadLetterConfig" in schedule["Targets"][0]
    actions = _actions_of_function(synthesized, JOURNEYS_FUNCTION)
    assert {"dynamodb:Query", "dynamodb:DeleteItem", "events:PutEvents"} <= actions
    assert not actions & {"dynamodb:Scan", "dynamodb:*"}


def test_operators_are_alerted_on_parked_events_sla_compliance_and_failing_functions(synthesized: Synthesized) -> None:
    (topic_id, topic) = next(iter(synthesized.of_type("AWS::SNS::Topic").items()))
    assert "KmsMasterKeyId" in topic["Properties"]
    alarms = list(synthesized.of_type("AWS::CloudWatch::Alarm").values())
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": topic_id}] for a in alarms)
    names = {a["Properties"].get("MetricName") for a in alarms}
    assert "ApproximateNumberOfMessagesVisible" in names and "Errors" in names
    by_id = {lid: a["Properties"] for lid, a in synthesized.of_type("AWS::CloudWatch::Alarm").items()}
    (sla,) = [a for lid, a in by_id.items() if lid.startswith("MonitoringSlaComplianceBelowTarget")]
    assert sla["ComparisonOperator"] == "LessThanThreshold" and sla["Threshold"] == 0.9
    # SLA breaches, stalled high-priority cases and a growing review queue alert operators too
    assert {"SlaBreached", "HighPriorityCaseStalled"} <= names
    (reviews,) = [a for lid, a in by_id.items() if lid.startswith("MonitoringReviewQueueGrowing")]
    assert reviews["Threshold"] == 25
    assert {m.get("Expression") for m in reviews["Metrics"]} >= {"opened - decided"}
    assert len([a for a in alarms if a["Properties"].get("MetricName") == "Errors"]) == len(ALL_FUNCTIONS)
    # and when new touchpoints wait in the table's stream (the announcer's batches keep failing)
    (lag,) = [a["Properties"] for a in alarms if a["Properties"].get("MetricName") == "IteratorAge"]
    announcer_id = _function_id(synthesized, ANNOUNCER_FUNCTION)
    assert lag["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": announcer_id}}]
    assert lag["Statistic"] == "Maximum" and lag["Threshold"] == 60_000
    assert len(synthesized.of_type("AWS::CloudWatch::Dashboard")) == 1


def test_the_notifier_sends_as_the_agency_only_and_is_fed_by_case_consent_and_delivery_events(
    synthesized: Synthesized,
) -> None:
    notifier_id = _function_id(synthesized, NOTIFICATIONS_FUNCTION)
    notifier_arn = {"Fn::GetAtt": [notifier_id, "Arn"]}
    rules = [r["Properties"] for r in synthesized.of_type("AWS::Events::Rule").values()]
    patterns = [p["EventPattern"] for p in rules if p["Targets"][0]["Arn"] == notifier_arn and "EventPattern" in p]
    assert {
        "source": ["ventanilla.cases"],
        "detail-type": ["CaseOpened", "CaseStatusChanged", "CaseClosed"],
    } in patterns
    assert {"source": ["ventanilla.identity"], "detail-type": ["CitizenResolved"]} in patterns
    assert {"source": ["ventanilla.ingest"], "detail-type": ["DeliveryReported"]} in patterns
    (schedule,) = [p for p in rules if p["Targets"][0]["Arn"] == notifier_arn and "ScheduleExpression" in p]
    assert schedule["ScheduleExpression"] == "rate(5 minutes)" and "DeadLetterConfig" in schedule["Targets"][0]
    role_id = _functions(synthesized)[NOTIFICATIONS_FUNCTION][1]["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = _statements_of_role(synthesized, role_id)
    (ses,) = [s for s in statements if s["Action"] == "ses:SendEmail"]
    assert all("identity/" in json.dumps(r) for r in ses["Resource"])  # only as the configured sender
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Action"] == "sns:Publish" and "sns:*:*:*" in json.dumps(deny["Resource"])  # no topic, only SMS
    actions = _actions_of_function(synthesized, NOTIFICATIONS_FUNCTION)
    assert not actions & {"dynamodb:Scan", "dynamodb:DeleteItem", "events:PutEvents"}
    variables = _functions(synthesized)[NOTIFICATIONS_FUNCTION][1]["Properties"]["Environment"]["Variables"]
    assert variables["NOTIFY_QUIET_HOURS"] == "22:00-08:00" and variables["WHATSAPP_API_URL"].startswith("https://")


def test_operator_routes_need_a_cognito_token_and_channel_routes_do_not(synthesized: Synthesized) -> None:
    (authorizer_id, authorizer) = next(iter(synthesized.of_type("AWS::ApiGateway::Authorizer").items()))
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    assert authorizer["Properties"]["IdentitySource"] == "method.request.header.Authorization"
    for method, path, props in _routes(synthesized):
        operator = not path.startswith(("/v1/channels/", "/open311/"))
        if operator:
            assert props["AuthorizationType"] == "COGNITO_USER_POOLS", (method, path)
            assert props["AuthorizerId"] == {"Ref": authorizer_id}
        else:
            assert props.get("AuthorizationType", "NONE") == "NONE", (method, path)
    groups = {g["Properties"]["GroupName"] for g in synthesized.of_type("AWS::Cognito::UserPoolGroup").values()}
    assert groups == {"agent", "supervisor", "auditor"}
    (pool,) = synthesized.of_type("AWS::Cognito::UserPool").values()
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    clients = {
        c["Properties"]["ClientName"]: c["Properties"]
        for c in synthesized.of_type("AWS::Cognito::UserPoolClient").values()
    }
    assert clients["console"]["GenerateSecret"] is False
    assert clients["operator-systems"]["AllowedOAuthFlows"] == ["client_credentials"]
