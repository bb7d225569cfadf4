"""Every cdk-nag finding Ventanilla accepts on purpose, with its reason, and the one helper that acknowledges them.

Three packs run at synth (infra/app_builder.py): AwsSolutions, NIST.800.53.R5 and Serverless. A finding that is
not acknowledged here fails `cdk synth`. The stacks call `acknowledge(scope, reason_key, *rule_ids)` at the
narrowest scope that carries the finding; the reason text lives only in `REASONS`, so a reviewer reads every
accepted risk in this file. Findings that were fixed instead (log groups encrypted with the CMK, the WAF on the
production stage, the backup plan, reserved concurrency for event consumers, a versioned log bucket, the console's
files under the console's own key, DynamoDB deletion protection in prod) have no entry. The CDK construct warnings
the app accepts (`acknowledge_warning`) take their reasons from the same table.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Annotations, Validations
from constructs import IConstruct

AWS_SOLUTIONS = "AwsSolutions"
NIST_800_53_R5 = "NIST.800.53.R5"
SERVERLESS = "Serverless"
PACKS: tuple[str, ...] = (AWS_SOLUTIONS, NIST_800_53_R5, SERVERLESS)

REASONS: dict[str, str] = {
    # --- Lambda functions ---------------------------------------------------------------------------------------
    "python_runtime": (
        "Python 3.13 is chosen deliberately: the project targets Python 3.12/3.13 and the dependency layer is built "
        "for cp313/arm64; moving to a newer runtime is a planned change (layer, tests, local runtime), not an upgrade "
        "the linter should force."
    ),
    "xray_wildcard": (
        "The only Resource::* statement is xray:PutTraceSegments/PutTelemetryRecords added by active tracing; X-Ray "
        "does not support resource-level permissions. Table, key, bus and queue statements name their resources."
    ),
    "role_policy": (
        "Each function has its own role whose one policy (CDK's DefaultPolicy, an AWS::IAM::Policy attached to that "
        "role only) lists exactly the actions and resources it needs; a customer-managed policy would be a separate, "
        "attachable object that could be reused by other principals, which is what least privilege here avoids."
    ),
    "no_vpc": (
        "The functions reach only AWS regional endpoints (DynamoDB, EventBridge, KMS, Secrets Manager, SES, SNS, "
        "Comprehend) over TLS with IAM-signed requests, plus the WhatsApp Cloud API over HTTPS; there is no private "
        "resource to reach, so a VPC would add NAT gateways or interface endpoints per AZ and no protection."
    ),
    "synchronous_invocation": (
        "API Gateway invokes this function synchronously (Lambda proxy): the caller gets the error and retries, so a "
        "dead-letter queue, which only receives failed asynchronous invocations, would never be used. The phone "
        "function's Kinesis mapping sends failed batches to the dead-letter queue (on-failure destination)."
    ),
    "async_failure_destination": (
        "EventBridge invokes this function asynchronously; after 2 retries failed events go to the dead-letter queue "
        "through the on-failure destination (EventInvokeConfig), which records the error and the request context "
        "that `ventanilla dlq redrive` reads. A DeadLetterConfig as well would park each failure twice."
    ),
    "stream_invocation": (
        "Lambda invokes this function synchronously from the table's stream (an event source mapping): a failed "
        "batch is retried from its first failed record, bisected on a function error, and after its retries its "
        "shard positions go to the dead-letter queue (the mapping's on-failure destination); a function DLQ only "
        "receives asynchronous invocations, which never happen here."
    ),
    "stream_concurrency": (
        "Invoked by the table stream's event source mapping only: Lambda runs at most one batch per stream shard at a "
        "time (parallelization factor 1), so its concurrency is bounded by the table's shards and needs no "
        "reservation; reserving would take capacity from the account's pool for nothing."
    ),
    "api_concurrency": (
        "Called through API Gateway, whose stage throttle and per-client usage plans (rate, burst, monthly quota) "
        "bound the request rate; reserving concurrency per API function would split the account's pool into fixed "
        "slices and throttle one channel while others idle. Event consumers have reserved concurrency in prod."
    ),
    "dev_concurrency": (
        "Development environment: event consumers get reserved concurrency in prod (event_consumer_concurrency in "
        "cdk.json); new and sandbox accounts often have a concurrency quota of 10, where any reservation fails the "
        "deployment (100 must stay unreserved)."
    ),
    # --- Specific IAM statements --------------------------------------------------------------------------------
    "comprehend": (
        "comprehend:DetectSentiment is a stateless API with no resource to scope to (AWS documents '*' as its only "
        "resource); the statement grants only that action, and X-Ray's PutTraceSegments (also '*') as on every "
        "function."
    ),
    "sms_publish": (
        "SMS to a phone number (sns:Publish with PhoneNumber) has no resource ARN to scope to; the same policy denies "
        "sns:Publish on every topic ARN, so the notifier can send SMS and nothing else through SNS."
    ),
    "kms_dlq_grant": (
        "Added by CDK's SqsDlq grant for the Kinesis mapping's on-failure queue, which is encrypted with Ventanilla's "
        "CMK: the wildcard is in the KMS action names only (GenerateDataKey*, ReEncrypt*), the resource is that key."
    ),
    "sns_confirm": (
        "sns:ConfirmSubscription only (no publish, no read): the SES receipt topic is created by the agency, so its "
        "name is not known to this stack; the account is fixed and the function checks HTTP basic auth first."
    ),
    "apigw_logs_role": (
        "Account-level role that lets API Gateway write execution logs (required by the stage's ERROR logging); "
        "AmazonAPIGatewayPushToCloudWatchLogs is the AWS-documented policy for exactly this role and is only "
        "assumable by apigateway.amazonaws.com."
    ),
    "backup_role": (
        "The AWS Backup selection's role: AWSBackupServiceRolePolicyForBackup is the AWS-maintained policy for "
        "exactly this service role (assumable only by backup.amazonaws.com); it follows AWS Backup's supported "
        "resource types as AWS changes them, which a hand-written copy would not."
    ),
    # --- API Gateway --------------------------------------------------------------------------------------------
    "channel_api_key": (
        "Channel systems are machine clients: each method requires that channel's own API key (API Gateway checks it "
        "and its usage plan), and each handler also checks the caller's key id against its own CHANNEL_API_KEY_ID / "
        "OPERATOR_API_KEY_ID. Operator routes carry the Cognito authorizer besides the key."
    ),
    "channel_cognito": (
        "Channel routes are called by channel systems, authenticated by per-client API keys (checked by API Gateway "
        "and again by the handler); people never call them. The operator API has the Cognito authorizer."
    ),
    "provider_webhook": (
        "Provider webhooks (WhatsApp Cloud API, Meta, Twilio, SNS for SES) cannot send an API key header: each "
        "request is authenticated by the provider's own scheme, checked by the function before anything is stored "
        "(X-Hub-Signature-256 HMAC, X-Twilio-Signature HMAC, HTTP basic auth in the SNS subscription URL)."
    ),
    "open311_public": (
        "GeoReport v2 is a public standard: service lists and request status are public by design (the listing "
        "carries no personal data), and clients submit with an `api_key` form parameter, which the function checks "
        "against the key hashes in the Open311Keys secret; API Gateway cannot read a form parameter as an API key."
    ),
    "waf_dev": (
        "Development environment: the regional WAF web ACL (AWS managed rule groups, per-address rate limit, logs) "
        "is attached to the stage in prod (`waf: true` in cdk.json); dev keeps per-client API keys, usage-plan "
        "throttling and quotas, and request validation, and saves the web ACL's monthly cost."
    ),
    "api_cache": (
        "No API Gateway cache: responses are per caller and mostly personal data (citizen records, cases, context) "
        "or writes; a stage cache keyed by path would serve one operator's answer to another and stale a case's "
        "status, and nothing is expensive enough to cache."
    ),
    "api_client_certificate": (
        "Every integration is a Lambda proxy (AWS_PROXY): API Gateway calls Lambda through the Lambda API with IAM, "
        "so there is no HTTP backend to present a client certificate to; client certificates only apply to HTTP "
        "integrations."
    ),
    # --- Data, secrets, queues ----------------------------------------------------------------------------------
    "identity_key_rotation": (
        "The identifier HMAC key is not rotated automatically: every index key is derived from it, so rotating it "
        "means re-keying the identifier and blocking index (a planned, documented maintenance operation in "
        "docs/identity.md), not a Lambda rotation schedule."
    ),
    "open311_keys_rotation": (
        "The Open311 secret holds SHA-256 hashes of client API keys, not credentials: a client's key is rotated by "
        "issuing a new key to that client and replacing its hash (docs/cases.md), which a rotation Lambda cannot do."
    ),
    "channel_secrets_rotation": (
        "Provider secrets are issued by the providers (Meta app secret, Twilio auth token, verify tokens): they are "
        "rotated in the provider's console and pasted here, which a rotation Lambda cannot do."
    ),
    "console_key_rotation": (
        "The console's API key is not a credential (operators authenticate with Cognito tokens, checked per role): it "
        "only assigns the console's requests to its usage plan. Rotating it means a new ApiKey value and a CloudFront "
        "update, done by redeploying; a rotation Lambda cannot update both."
    ),
    "stream_cmk": (
        "The contact-record stream is encrypted with Ventanilla's own customer-managed key (rotation on, key policy "
        "in the stack) rather than the AWS-managed aws/kinesis key, on purpose: contact records are personal data."
    ),
    "dead_letter_queue": (
        "This queue IS the dead-letter queue (EventBridge rule targets and failed async Lambda invocations); a DLQ "
        "of a DLQ would only move the problem. Messages are kept 14 days (the SQS maximum) for inspection and redrive."
    ),
    "backup_dev": (
        "Development environment: the table has point-in-time recovery (35 days) and is destroyed with the stack; the "
        "AWS Backup plan (daily and monthly recovery points in a CMK-encrypted vault) is on in prod (`backup_plan`)."
    ),
    # --- Cognito ------------------------------------------------------------------------------------------------
    "operator_mfa": (
        "MFA is optional in the pool (TOTP enabled) and required per agency by enabling it for each operator or "
        "through the agency's federated IdP; a REQUIRED pool-wide setting needs the MFA_SETUP sign-in flow, which the "
        "console does not implement yet (docs/console.md)."
    ),
    # --- The console stack --------------------------------------------------------------------------------------
    "console_geo": (
        "No geo restriction: operators of a public agency may work from anywhere (field offices, remote contact "
        "centres); access is by Cognito sign-in with roles, and every citizen view is audited."
    ),
    "console_waf": (
        "A web ACL for CloudFront must live in us-east-1 (scope CLOUDFRONT), which this single-region app does not "
        "deploy to; the /v1/* requests CloudFront forwards pass the API stage's regional web ACL in prod, and the "
        "rest is static files from a private bucket."
    ),
    "console_tls": (
        "The default *.cloudfront.net certificate only allows TLSv1 as the minimum viewer protocol; an agency that "
        "adds its own domain and ACM certificate sets TLSv1.2_2021 on the distribution (docs/console.md)."
    ),
    "console_log_encryption": (
        "The access-log bucket keeps SSE-S3: S3 server access logs and CloudFront standard logs are written by AWS "
        "log-delivery services, and SSE-S3 needs no key grant to them, so a key-policy mistake cannot silently stop "
        "the audit trail; the logs hold request metadata (no bodies, no headers such as keys or tokens)."
    ),
    "console_replication": (
        "No cross-region replication: the console's files are build output that `cdk deploy` publishes again from "
        "the repository, and the access logs expire after the log retention; neither holds citizen data, and the "
        "app is single-region by design."
    ),
    "oac_key_policy": (
        "CDK lets CloudFront (OAC) decrypt the console's files with a key-policy condition matching every "
        "distribution of this account, because naming this distribution would make key, bucket and distribution "
        "depend on each other; reading still needs the bucket policy, which names this distribution only."
    ),
    "bucket_deployment": (
        "CDK's BucketDeployment: a CDK-managed Lambda (runtime, policy, tracing and concurrency chosen by "
        "aws-cdk-lib; its KMS grant on the console key uses GenerateDataKey*/ReEncrypt*) that copies the built "
        "console into the bucket at deploy time; CloudFormation invokes it only during deployments, and its log group "
        "is encrypted with the console key and expires."
    ),
}

# Findings that come in pairs across packs for the same fact.
LAMBDA_RUNTIME_RULES = ("AwsSolutions-L1", "Serverless-LambdaLatestVersion")
LAMBDA_DLQ_RULES = ("NIST.800.53.R5-LambdaDLQ", "Serverless-LambdaDLQ")
SECRET_ROTATION_RULES = ("AwsSolutions-SMG4", "NIST.800.53.R5-SecretsManagerRotationEnabled")
WAF_RULES = ("AwsSolutions-APIG3", "NIST.800.53.R5-APIGWAssociatedWithWAF")
DLQ_RULES = ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy")


def acknowledge_warning(scope: IConstruct, warning_id: str, reason_key: str) -> None:
    """Accept a CDK construct warning (not a cdk-nag rule) on `scope`, for the reason `REASONS[reason_key]`."""
    if reason_key not in REASONS:
        raise KeyError(f"No reason '{reason_key}' in infra/findings.py REASONS")
    Annotations.of(scope).acknowledge_warning(warning_id, REASONS[reason_key])


def pack_of(rule_id: str) -> str:
    """`NIST.800.53.R5-LambdaDLQ` -> `NIST.800.53.R5`; rejects rule ids of packs the app does not run."""
    pack = rule_id.split("-", 1)[0]
    if pack not in PACKS or "-" not in rule_id:
        raise ValueError(f"Not a rule of {', '.join(PACKS)}: {rule_id}")
    return pack


def acknowledge(scope: IConstruct, reason_key: str, *rule_ids: str) -> None:
    """Accept these findings on `scope` (and everything under it) for the reason `REASONS[reason_key]`."""
    if reason_key not in REASONS:
        raise KeyError(f"No reason '{reason_key}' in infra/findings.py REASONS")
    if not rule_ids:
        raise ValueError("acknowledge() needs at least one rule id")
    for rule_id in rule_ids:
        Validations.of(scope).acknowledge(
            Acknowledgment(id=f"{pack_of(rule_id)}::{rule_id}", reason=REASONS[reason_key])
        )
