"""Data: the customer-managed KMS key and the single DynamoDB table (single-table design)."""

from __future__ import annotations

import json

from aws_cdk import Aws, Duration, SecretValue
from aws_cdk import aws_backup as backup
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import CHANNEL_SECRET_NAMES, EnvironmentConfig

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "expires_at"
# Generic secondary indexes (single-table design). gsi1: open review tasks by creation time.
# gsi2: cases of a procedure by request time (Open311 listings) and journey timers by due time.
GSI1 = "gsi1"
GSI1_PARTITION_KEY = "gsi1pk"
GSI1_SORT_KEY = "gsi1sk"
GSI2 = "gsi2"
GSI2_PARTITION_KEY = "gsi2pk"
GSI2_SORT_KEY = "gsi2sk"


def allow_cloudwatch_logs(key: kms.Key) -> None:
    """Let CloudWatch Logs use `key` for the log groups of this account and region only (the encryption context
    names the log group), as a log group's KmsKeyId requires."""
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchLogsOfThisAccount",
            principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
            actions=[
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:DescribeKey",
            ],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                    )
                }
            },
        )
    )


class DataConstruct(Construct):
    """One KMS key (table, bus, queue, stream, secrets and log groups) and the one table every function uses."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)

        self.key = kms.Key(
            self,
            "Key",
            description="Ventanilla data key: table, bus, queue, stream, topic, secrets and CloudWatch log groups",
            enable_key_rotation=True,
            removal_policy=config.cdk_removal_policy,
            pending_window=Duration.days(30),
        )
        # CloudWatch Logs encrypts the functions', the API's and the WAF's log groups with this key.
        allow_cloudwatch_logs(self.key)

        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            time_to_live_attribute=TTL_ATTRIBUTE,
            # The transactional outbox: new raw touchpoints are announced from the stream (infra/stack.py), so a
            # channel function's one conditional write is all the request path does. New images carry what the
            # announcer needs; old images are never read.
            stream=dynamodb.StreamViewType.NEW_IMAGE,
            deletion_protection=config.deletion_protection,
            removal_policy=config.cdk_removal_policy,
        )
        self.table.add_global_secondary_index(
            index_name=GSI1,
            partition_key=dynamodb.Attribute(name=GSI1_PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=GSI1_SORT_KEY, type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self.table.add_global_secondary_index(
            index_name=GSI2,
            partition_key=dynamodb.Attribute(name=GSI2_PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=GSI2_SORT_KEY, type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )

        # Besides PITR: recovery points kept apart from the table (a vault encrypted with the data key), in prod.
        self.backup_plan: backup.BackupPlan | None = None
        if config.backup_plan:
            vault = backup.BackupVault(
                self, "BackupVault", encryption_key=self.key, removal_policy=config.cdk_removal_policy
            )
            self.backup_plan = backup.BackupPlan.daily_monthly1_year_retention(self, "BackupPlan", vault)
            self.backup_plan.add_selection("Table", resources=[backup.BackupResource.from_dynamo_db_table(self.table)])

        # The HMAC key that turns identifiers into index keys (the table's keys never hold raw identifiers).
        self.identity_key = secretsmanager.Secret(
            self,
            "IdentityKey",
            description="Ventanilla identifier index HMAC key (rotating it means re-keying the index)",
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            removal_policy=config.cdk_removal_policy,
        )

        # Open311 client keys, as SHA-256 hashes: {"keys": [{"client": ..., "sha256": ...}]}; starts empty.
        self.open311_keys = secretsmanager.Secret(
            self,
            "Open311Keys",
            description="Ventanilla Open311 client API keys (SHA-256 hashes only)",
            encryption_key=self.key,
            secret_string_value=SecretValue.unsafe_plain_text(json.dumps({"keys": []})),
            removal_policy=config.cdk_removal_policy,
        )

        # The channel providers' secrets (app secrets, auth tokens, verify tokens): every value starts empty, so
        # no provider request is trusted until an administrator pastes the provider's values.
        self.channel_secrets = secretsmanager.Secret(
            self,
            "ChannelSecrets",
            description="Ventanilla channel provider secrets (WhatsApp, Meta, Twilio, SES basic auth)",
            encryption_key=self.key,
            secret_string_value=SecretValue.unsafe_plain_text(json.dumps(dict.fromkeys(CHANNEL_SECRET_NAMES, ""))),
            removal_policy=config.cdk_removal_policy,
        )

    def grant_table(self, grantee: iam.IGrantable, *actions: str, indexes: bool = False) -> iam.Grant:
        """Exactly these `dynamodb:*` actions on the table (and its indexes when asked), nothing more."""
        resources = [self.table.table_arn]
        if indexes:
            resources += [f"{self.table.table_arn}/index/{index}" for index in (GSI1, GSI2)]
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=[f"dynamodb:{action}" for action in actions], resource_arns=resources
        )

    def grant_stream_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read the table's stream, as a Lambda event source mapping does (the four actions AWS documents for it,
        on this table's stream only; CDK's `grant_stream_read` adds ListStreams on `*`). Decrypting the records
        needs kms:Decrypt on the data key too (`grant_key`)."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ],
            resource_arns=[self.stream_arn],
        )

    @property
    def stream_arn(self) -> str:
        arn = self.table.table_stream_arn
        assert arn is not None, "the table has a stream"
        return arn

    def grant_audit_writes(self, grantee: iam.IGrantable) -> None:
        """PutItem on the access log's partitions only (`AUDIT#<day>`): a reader may log its views, nothing else."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["dynamodb:PutItem"],
                resources=[self.table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["AUDIT#*"]}},
            )
        )

    def grant_identity_key(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read the identifier HMAC key (decrypting it needs kms:Decrypt on the data key too)."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["secretsmanager:GetSecretValue"], resource_arns=[self.identity_key.secret_arn]
        )

    def grant_key(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant:
        """Exactly these `kms:*` actions on the data key."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=[f"kms:{action}" for action in actions], resource_arns=[self.key.key_arn]
        )
