"""The operator console in AWS: its built files in a private S3 bucket, served by CloudFront, which also forwards
`/v1/*` to the operator API (same origin: no CORS), adding the console's API key on the way (no browser holds it).

A stack of its own because publishing files needs CDK's BucketDeployment (a custom resource), which the backend
stack keeps out on purpose. Operators sign in with the backend's Cognito user pool; config.json tells the console
where. The console's files are built by console/build.py (no CDN at run time).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Acknowledgment, Aws, CfnOutput, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct, IConstruct

from infra.config import EnvironmentConfig
from infra.stack import VentanillaStack

CONSOLE_STACK_ID = "VentanillaConsole"
API_PATH = "/v1/*"

CFR1_REASON = (
    "No geo restriction: operators of a public agency may work from anywhere (field offices, remote contact "
    "centres); access is by Cognito sign-in with roles, and every citizen view is audited."
)
CFR2_REASON = (
    "WAF is the deploying agency's decision (cost, existing perimeter, managed rule sets), as for the API stage; "
    "the console's API calls are authenticated (Cognito) and throttled by the console's usage plan."
)
CFR4_REASON = (
    "The default *.cloudfront.net certificate only allows TLSv1 as the minimum viewer protocol; an agency that adds "
    "its own domain and ACM certificate sets TLSv1.2_2021 on the distribution (docs/console.md)."
)
S1_LOGS_REASON = "This bucket receives the access logs of the console's bucket and distribution; logging it too loops."
DEPLOYMENT_REASON = (
    "CDK's BucketDeployment: a CDK-managed Lambda (runtime and managed policy chosen by aws-cdk-lib) that copies the "
    "built console into the bucket at deploy time; it runs only during deployments."
)

DEPLOYMENT_FINDINGS = (
    "AwsSolutions-L1",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    "AwsSolutions-IAM5[Action::s3:Abort*]",
    "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
    "AwsSolutions-IAM5[Action::s3:GetBucket*]",
    "AwsSolutions-IAM5[Action::s3:GetObject*]",
    "AwsSolutions-IAM5[Action::s3:List*]",
    "AwsSolutions-IAM5[Resource::*]",
    "AwsSolutions-IAM5[Resource::<Assets9A31D427.Arn>/*]",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]",
)


class ConsoleStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        backend: VentanillaStack,
        console_dir: Path,
    ) -> None:
        super().__init__(scope, construct_id, description=f"Ventanilla operator console ({config.name})")
        removal = RemovalPolicy.RETAIN if config.removal_policy == "retain" else RemovalPolicy.DESTROY
        logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,  # CloudFront standard logs need ACLs
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(config.log_retention_days))],
            removal_policy=removal,
        )
        assets = s3.Bucket(
            self,
            "Assets",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=logs,
            server_access_logs_prefix="s3/",
            removal_policy=removal,
        )
        region = Aws.REGION
        cognito_url = f"https://cognito-idp.{region}.amazonaws.com/"
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=(
                        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                        f"img-src 'self' data:; connect-src 'self' {cognito_url}; frame-ancestors 'none'; "
                        "base-uri 'self'; form-action 'self'"
                    ),
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
            ),
        )
        api = origins.RestApiOrigin(
            backend.api.rest_api,
            custom_headers={"x-api-key": backend.operators.console_key_secret.secret_value.unsafe_unwrap()},
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Ventanilla operator console",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(assets),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=headers,
            ),
            additional_behaviors={
                API_PATH: cloudfront.BehaviorOptions(
                    origin=api,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=headers,
                )
            },
            enable_logging=True,
            log_bucket=logs,
            log_file_prefix="cloudfront/",
        )
        deployment = s3_deployment.BucketDeployment(
            self,
            "Publish",
            sources=[
                s3_deployment.Source.asset(str(console_dir)),
                s3_deployment.Source.json_data(
                    "config.json",
                    {
                        "apiUrl": "",
                        "apiKey": "",  # CloudFront adds the console's key to /v1/* requests
                        "auth": {"url": cognito_url, "clientId": backend.operators.console_client.user_pool_client_id},
                    },
                ),
            ],
            destination_bucket=assets,
            distribution=self.distribution,
            distribution_paths=["/*"],
        )
        CfnOutput(self, "ConsoleUrl", value=f"https://{self.distribution.distribution_domain_name}/")
        CfnOutput(self, "OperatorUserPoolId", value=backend.operators.user_pool.user_pool_id)
        self._acknowledge(logs, assets, deployment)

    def _acknowledge(self, logs: s3.Bucket, assets: s3.Bucket, deployment: s3_deployment.BucketDeployment) -> None:
        _ack(self.distribution, "AwsSolutions-CFR1", CFR1_REASON)
        _ack(self.distribution, "AwsSolutions-CFR2", CFR2_REASON)
        _ack(self.distribution, "AwsSolutions-CFR4", CFR4_REASON)
        _ack(logs, "AwsSolutions-S1", S1_LOGS_REASON)
        for child in self.node.children:  # the Lambda CDK adds for BucketDeployment (one per stack)
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                for rule in DEPLOYMENT_FINDINGS:
                    _ack(child, rule, DEPLOYMENT_REASON)
        _ack(deployment, "AwsSolutions-IAM5[Resource::*]", DEPLOYMENT_REASON)


def _ack(scope: IConstruct, rule: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason))
