"""The operator console's stack: private bucket behind CloudFront, the API on the same origin, config for sign-in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from infra.console_stack import CONSOLE_STACK_ID
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def console(synthesized: Synthesized) -> dict[str, Any]:
    stack = synthesized.app.node.find_child(CONSOLE_STACK_ID)
    assert isinstance(stack, Stack)
    return dict(Template.from_stack(stack).to_json())


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == kind}


def test_the_console_bucket_is_private_and_read_only_by_cloudfront(console: dict[str, Any]) -> None:
    buckets = of_type(console, "AWS::S3::Bucket")
    (assets_id,) = [lid for lid in buckets if lid.startswith("Assets")]
    props = buckets[assets_id]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert "LoggingConfiguration" in props
    policies = [
        p for p in of_type(console, "AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == {"Ref": assets_id}
    ]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    readers = [s for s in statements if s["Effect"] == "Allow"]
    assert readers and all(s["Principal"] == {"Service": "cloudfront.amazonaws.com"} for s in readers)
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in statements)
    assert of_type(console, "AWS::CloudFront::OriginAccessControl")


def test_cloudfront_serves_the_api_on_the_same_origin_with_the_console_key_and_a_strict_csp(
    console: dict[str, Any],
) -> None:
    (distribution,) = of_type(console, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    assert config["DefaultRootObject"] == "index.html" and "Logging" in config
    (api_behavior,) = config["CacheBehaviors"]
    assert api_behavior["PathPattern"] == "/v1/*" and api_behavior["ViewerProtocolPolicy"] == "https-only"
    api_origin = next(o for o in config["Origins"] if o["Id"] == api_behavior["TargetOriginId"])
    (header,) = api_origin["OriginCustomHeaders"]
    assert header["HeaderName"] == "x-api-key" and "{{resolve:secretsmanager:" in json.dumps(header["HeaderValue"])
    (policy,) = of_type(console, "AWS::CloudFront::ResponseHeadersPolicy").values()
    csp = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    text = json.dumps(csp["ContentSecurityPolicy"])  # joined with the region at deploy time
    assert "default-src 'self'; script-src 'self'" in text and "connect-src 'self' https://cognito-idp." in text


def test_the_published_config_points_sign_in_at_the_operators_user_pool(console: dict[str, Any]) -> None:
    (deployment,) = of_type(console, "Custom::CDKBucketDeployment").values()
    assert len(deployment["Properties"]["SourceBucketNames"]) == 2  # the built console + config.json
    assert "cognito-idp" in json.dumps(deployment["Properties"].get("SourceMarkers", []))
