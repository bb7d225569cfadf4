"""The operator console in AWS: its built files in a private S3 bucket, served by CloudFront, which also forwards
`/v1/*` to the operator API (same origin: no CORS), adding the console's API key on the way (no browser holds it).

A stack of its own because publishing files needs CDK's BucketDeployment (a custom resource), which the backend
stack keeps out on purpose. Operators sign in with the backend's Cognito user pool; config.json tells the console
where. The console's files are built by console/build.py (no CDN at run time).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as cloudwatch_logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.constructs.data import allow_cloudwatch_logs
from infra.findings import LAMBDA_DLQ_RULES, LAMBDA_RUNTIME_RULES, acknowledge, acknowledge_warning
from infra.stack import VentanillaStack

CONSOLE_STACK_ID = "VentanillaConsole"
API_PATH = "/v1/*"

# What cdk-nag finds on the Lambda function and role CDK adds for BucketDeployment (reason: bucket_deployment).
DEPLOYMENT_FINDINGS = (
    *LAMBDA_RUNTIME_RULES,
    *LAMBDA_DLQ_RULES,
    "NIST.800.53.R5-LambdaConcurrency",
    "NIST.800.53.R5-LambdaInsideVPC",
    "NIST.800.53.R5-IAMNoInlinePolicy",
    "Serverless-LambdaTracing",
    "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
    "AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
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
        # The console's own key: its files (CloudFront reads them through OAC, which adds itself to the key policy)
        # and the publishing function's log group. Citizen data stays under the backend's key.
        self.key = kms.Key(
            self,
            "Key",
            description="Ventanilla console key: the console's files and its deployment logs",
            enable_key_rotation=True,
            removal_policy=removal,
            pending_window=Duration.days(30),
        )
        allow_cloudwatch_logs(self.key)
        # Access logs (request metadata only) stay SSE-S3 (why: console_log_encryption in infra/findings.py);
        # versioned, so a deleted or overwritten log leaves a version until the retention expires it too.
        logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,  # CloudFront standard logs need ACLs
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(config.log_retention_days),
                    noncurrent_version_expiration=Duration.days(config.log_retention_days),
                )
            ],
            removal_policy=removal,
        )
        assets = s3.Bucket(
            self,
            "Assets",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
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
            log_group=cloudwatch_logs.LogGroup(
                self,
                "PublishLogs",
                retention=config.log_retention,
                encryption_key=self.key,
                removal_policy=removal,
            ),
        )
        CfnOutput(self, "ConsoleUrl", value=f"https://{self.distribution.distribution_domain_name}/")
        CfnOutput(self, "OperatorUserPoolId", value=backend.operators.user_pool.user_pool_id)
        self._acknowledge(logs, assets, deployment)

    def _acknowledge(self, logs: s3.Bucket, assets: s3.Bucket, deployment: s3_deployment.BucketDeployment) -> None:
        """cdk-nag findings accepted on purpose (reasons in infra/findings.py)."""
        acknowledge(self.distribution, "console_geo", "AwsSolutions-CFR1")
        acknowledge(self.distribution, "console_waf", "AwsSolutions-CFR2")
        acknowledge(self.distribution, "console_tls", "AwsSolutions-CFR4")
        acknowledge(logs, "console_log_encryption", "NIST.800.53.R5-S3DefaultEncryptionKMS")
        for bucket in (logs, assets):
            acknowledge(bucket, "console_replication", "NIST.800.53.R5-S3BucketReplicationEnabled")
        for child in self.node.children:  # the Lambda CDK adds for BucketDeployment (one per stack)
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                acknowledge(child, "bucket_deployment", *DEPLOYMENT_FINDINGS)
        acknowledge(deployment, "bucket_deployment", "AwsSolutions-IAM5[Resource::*]")
        acknowledge_warning(self, "@aws-cdk/aws-cloudfront-origins:wildcardKeyPolicyForOac", "oac_key_policy")
