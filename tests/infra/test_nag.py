"""The compliance gate, for dev and prod: three cdk-nag packs with nothing open, every acknowledgement's reason in
infra/findings.py, the WAF on the production stage, and the facts the packs only partly check (customer-managed
keys everywhere, log retention, an alarm on every dead-letter queue)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from infra.config import PROJECT_ROOT
from infra.console_stack import CONSOLE_STACK_ID
from infra.constructs.api import WAF_COUNTED_RULES, WAF_MANAGED_RULE_GROUPS, WAF_RATE_RULE
from infra.findings import PACKS, REASONS
from infra.stack import STACK_ID
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra

ENVIRONMENTS = ("dev", "prod")
STACKS = (STACK_ID, CONSOLE_STACK_ID)
Template = dict[str, Any]


@pytest.fixture(params=ENVIRONMENTS)
def env(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _app(request: pytest.FixtureRequest, env: str) -> Synthesized:
    synthesized = request.getfixturevalue("synthesized" if env == "dev" else "synthesized_prod")
    assert isinstance(synthesized, Synthesized)
    return synthesized


def _assembly_dir(app: Synthesized) -> Path:
    return Path(app.app.synth().directory)  # the synthesis the fixture already ran (nag included)


def _report(app: Synthesized) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((_assembly_dir(app) / "validation-report.json").read_text())
    return report


def _templates(app: Synthesized) -> dict[str, Template]:
    directory = _assembly_dir(app)
    return {stack: json.loads((directory / f"{stack}.template.json").read_text()) for stack in STACKS}


def _of_type(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == kind}


def _is_cmk(template: Template, value: Any) -> bool:
    """A reference ({"Ref": id} or {"Fn::GetAtt": [id, "Arn"]}) to a customer-managed key of this template."""
    if isinstance(value, dict) and "Ref" in value:
        target = value["Ref"]
    elif isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"][0]
    else:
        return False  # an alias such as alias/aws/sqs is an AWS-managed key
    return bool(template["Resources"].get(target, {}).get("Type") == "AWS::KMS::Key")


def _arn_target(value: Any) -> str | None:
    """The logical id behind {"Fn::GetAtt": [id, "Arn"]}."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    return None


def test_no_open_finding_in_any_pack_and_every_reason_comes_from_findings_py(
    request: pytest.FixtureRequest, env: str
) -> None:
    # Given the app synthesized for the environment (an open error finding would have failed synthesis already)
    report = _report(_app(request, env))
    # Then exactly the three packs ran, each concluded success, and nothing is open (errors or warnings)
    plugins = {p["pluginName"]: p for p in report["pluginReports"]}
    assert set(plugins) == set(PACKS), f"unexpected report plugins (an unacknowledged CDK warning?): {set(plugins)}"
    for pack in plugins.values():
        assert pack["conclusion"] == "success" and pack["violations"] == [], pack["violations"]
    # And every acknowledgement names its pack and carries a reason from infra/findings.py
    reasons = set(REASONS.values())
    per_pack: Counter[str] = Counter()
    rules: set[str] = set()
    for name, pack in plugins.items():
        for violation in pack["suppressedViolations"]:
            assert violation["acknowledgedId"] == f"{name}::{violation['ruleName']}"
            assert violation["reason"].strip() and violation["reason"] in reasons, violation["ruleName"]
            per_pack[name] += len(violation["violatingConstructs"])
            rules.add(violation["ruleName"].split("[")[0])
    acknowledged = sum(per_pack.values())
    used = {v["reason"] for p in plugins.values() for v in p["suppressedViolations"]}
    print(
        f"cdk-nag {env}: {len(plugins)} packs, {len(rules)} rules with findings, {acknowledged} acknowledged "
        f"({', '.join(f'{pack} {n}' for pack, n in per_pack.items())}; {len(used)} reasons, all in "
        "infra/findings.py), 0 open"
    )


def test_every_reason_is_used_and_only_findings_py_acknowledges(
    synthesized: Synthesized, synthesized_prod: Synthesized
) -> None:
    # Given both environments' reports
    used = {
        violation["reason"]
        for app in (synthesized, synthesized_prod)
        for pack in _report(app)["pluginReports"]
        for violation in pack["suppressedViolations"]
    }
    # (CDK construct warnings acknowledged with acknowledge_warning leave no trace in the report; the pack check
    # above fails if one were left open)
    warning_keys = {
        key
        for path in (PROJECT_ROOT / "infra").rglob("*.py")
        for key in re.findall(r'acknowledge_warning\([^)]*"(\w+)"\)', path.read_text(encoding="utf-8"))
    }
    # Then no reason in the table is stale (each one acknowledges something in dev or prod)
    stale = {key for key, reason in REASONS.items() if reason not in used and key not in warning_keys}
    assert not stale, f"reasons that acknowledge nothing: {sorted(stale)}"
    # And no other module acknowledges anything by itself (they call infra.findings.acknowledge*)
    direct = [
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in sorted((PROJECT_ROOT / "infra").rglob("*.py"))
        if path.name != "findings.py"
        and any(token in path.read_text(encoding="utf-8") for token in ("Acknowledgment", ".acknowledge"))
    ]
    assert not direct, f"acknowledgements outside infra/findings.py: {direct}"
    print(f"cdk-nag reasons: {len(REASONS)} in infra/findings.py, all used; no other module builds an Acknowledgment")


def test_production_stage_has_a_logged_web_acl_and_dev_acknowledges_its_absence(
    synthesized: Synthesized, synthesized_prod: Synthesized
) -> None:
    # Given the production backend template
    prod = _templates(synthesized_prod)[STACK_ID]
    (stage_id,) = _of_type(prod, "AWS::ApiGateway::Stage")
    (acl_id, acl) = next(iter(_of_type(prod, "AWS::WAFv2::WebACL").items()))
    props = acl["Properties"]
    # Then a regional web ACL with the managed rule groups and a rate limit, metrics on everywhere
    assert props["Scope"] == "REGIONAL" and props["DefaultAction"] == {"Allow": {}}
    groups = [
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for r in props["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    ]
    assert groups == list(WAF_MANAGED_RULE_GROUPS)
    counted = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]: tuple(
            o["Name"] for o in r["Statement"]["ManagedRuleGroupStatement"].get("RuleActionOverrides", [])
        )
        for r in props["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert {g: rules for g, rules in counted.items() if rules} == WAF_COUNTED_RULES  # only the documented ones
    (rate,) = [r for r in props["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert rate["Name"] == WAF_RATE_RULE and rate["Action"] == {"Block": {}}
    assert rate["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    visibility = [props["VisibilityConfig"], *(r["VisibilityConfig"] for r in props["Rules"])]
    assert all(v["CloudWatchMetricsEnabled"] and v["SampledRequestsEnabled"] for v in visibility)
    # And it is associated with the API stage, and it logs (keys and tokens redacted) to an encrypted log group
    (association,) = _of_type(prod, "AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert {"Ref": stage_id} in association["Properties"]["ResourceArn"]["Fn::Join"][1]
    (logging,) = _of_type(prod, "AWS::WAFv2::LoggingConfiguration").values()
    assert logging["Properties"]["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    redacted = {f["SingleHeader"]["Name"] for f in logging["Properties"]["RedactedFields"]}
    assert redacted == {"x-api-key", "authorization"}
    # And prod acknowledges no missing WAF; dev does, with the dev reason
    prod_acks = {v["ruleName"] for p in _report(synthesized_prod)["pluginReports"] for v in p["suppressedViolations"]}
    assert not prod_acks & {"AwsSolutions-APIG3", "NIST.800.53.R5-APIGWAssociatedWithWAF"}
    dev = _templates(synthesized)[STACK_ID]
    assert not _of_type(dev, "AWS::WAFv2::WebACL")
    dev_acks = {
        v["ruleName"]: v["reason"] for p in _report(synthesized)["pluginReports"] for v in p["suppressedViolations"]
    }
    assert dev_acks["AwsSolutions-APIG3"] == REASONS["waf_dev"]
    print(
        f"waf prod: web ACL on stage {stage_id}, {len(groups)} AWS managed rule groups "
        f"({sum(map(len, WAF_COUNTED_RULES.values()))} rules set to count) + rate limit "
        f"{rate['Statement']['RateBasedStatement']['Limit']} requests/5 min per address, {len(visibility)} metrics, "
        f"logs with {len(redacted)} headers redacted; dev: none, acknowledged"
    )


def test_every_log_group_expires_and_is_encrypted_with_a_customer_managed_key(
    request: pytest.FixtureRequest, env: str
) -> None:
    templates = _templates(_app(request, env))
    count = 0
    for stack, template in templates.items():
        for lid, group in _of_type(template, "AWS::Logs::LogGroup").items():
            props = group["Properties"]
            assert props.get("RetentionInDays"), f"{stack}/{lid} keeps logs forever"
            assert _is_cmk(template, props.get("KmsKeyId")), f"{stack}/{lid} is not encrypted with a CMK"
            count += 1
    # The keys let CloudWatch Logs use them for this account's log groups only
    for template in templates.values():
        for key in _of_type(template, "AWS::KMS::Key").values():
            statements = key["Properties"]["KeyPolicy"]["Statement"]
            logs = [s for s in statements if "logs." in json.dumps(s.get("Principal", {}))]
            assert logs and all("kms:EncryptionContext:aws:logs:arn" in json.dumps(s["Condition"]) for s in logs)
    print(f"log groups {env}: {count} across {len(templates)} stacks, all with retention and a customer-managed key")


def test_queues_tables_topics_streams_and_secrets_use_customer_managed_keys(
    request: pytest.FixtureRequest, env: str
) -> None:
    template = _templates(_app(request, env))[STACK_ID]
    checked: Counter[str] = Counter()
    for queue in _of_type(template, "AWS::SQS::Queue").values():
        assert _is_cmk(template, queue["Properties"].get("KmsMasterKeyId"))
        checked["queues"] += 1
    for table in _of_type(template, "AWS::DynamoDB::Table").values():
        sse = table["Properties"]["SSESpecification"]
        assert sse["SSEEnabled"] and sse["SSEType"] == "KMS" and _is_cmk(template, sse["KMSMasterKeyId"])
        assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
        assert table["Properties"].get("DeletionProtectionEnabled", False) is (env == "prod")
        checked["tables"] += 1
    for topic in _of_type(template, "AWS::SNS::Topic").values():
        assert _is_cmk(template, topic["Properties"].get("KmsMasterKeyId"))
        checked["topics"] += 1
    for stream in _of_type(template, "AWS::Kinesis::Stream").values():
        encryption = stream["Properties"]["StreamEncryption"]
        assert encryption["EncryptionType"] == "KMS" and _is_cmk(template, encryption["KeyId"])
        checked["streams"] += 1
    for secret in _of_type(template, "AWS::SecretsManager::Secret").values():
        assert _is_cmk(template, secret["Properties"].get("KmsKeyId"))
        checked["secrets"] += 1
    for bus in _of_type(template, "AWS::Events::EventBus").values():
        assert _is_cmk(template, bus["Properties"].get("KmsKeyIdentifier"))
        checked["buses"] += 1
    for key in _of_type(template, "AWS::KMS::Key").values():
        assert key["Properties"]["EnableKeyRotation"] is True
    assert all(checked[kind] for kind in ("queues", "tables", "topics", "streams", "secrets"))
    backups = _of_type(template, "AWS::Backup::BackupSelection")
    assert bool(backups) is (env == "prod")
    for vault in _of_type(template, "AWS::Backup::BackupVault").values():
        assert _is_cmk(template, vault["Properties"]["EncryptionKeyArn"])
    print(
        f"encryption {env}: {', '.join(f'{n} {kind}' for kind, n in checked.items())}, all with the customer-managed "
        f"key (rotation on); table PITR on, deletion protection {'on' if env == 'prod' else 'off'}, "
        f"{len(backups)} backup selection(s)"
    )


def test_every_dead_letter_queue_has_an_alarm_that_notifies(request: pytest.FixtureRequest, env: str) -> None:
    template = _templates(_app(request, env))[STACK_ID]
    queues = set(_of_type(template, "AWS::SQS::Queue"))
    # Given every queue something parks failures in: rule targets, async invocations, stream mappings, redrives
    dead_letter: set[str] = set()
    for rule in _of_type(template, "AWS::Events::Rule").values():
        for target in rule["Properties"].get("Targets", []):
            dead_letter.add(str(_arn_target(target.get("DeadLetterConfig", {}).get("Arn"))))
    for config in _of_type(template, "AWS::Lambda::EventInvokeConfig").values():
        failure = config["Properties"].get("DestinationConfig", {}).get("OnFailure", {})
        dead_letter.add(str(_arn_target(failure.get("Destination"))))
    for mapping in _of_type(template, "AWS::Lambda::EventSourceMapping").values():
        failure = mapping["Properties"].get("DestinationConfig", {}).get("OnFailure", {})
        dead_letter.add(str(_arn_target(failure.get("Destination"))))
    for queue in _of_type(template, "AWS::SQS::Queue").values():
        redrive = queue["Properties"].get("RedrivePolicy", {})
        dead_letter.add(str(_arn_target(redrive.get("deadLetterTargetArn"))))
    dead_letter &= queues
    assert dead_letter
    # Then each has an alarm on its visible messages that notifies someone
    alarmed = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in _of_type(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == "AWS/SQS"
        and alarm["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and alarm["Properties"].get("AlarmActions")
    }
    assert dead_letter <= alarmed, f"dead-letter queues without an alarm: {sorted(dead_letter - alarmed)}"
    print(f"dead-letter queues {env}: {len(dead_letter)} of {len(queues)} queues, each with a notifying alarm")
