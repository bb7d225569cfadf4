"""The Ventanilla stack: composes the constructs, tags them, acknowledges cdk-nag findings, exposes outputs."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnOutput, Duration, Stack, Tags
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as lambda_event_sources
from constructs import Construct

from infra.config import (
    ANNOUNCER_BATCH_SIZE,
    ANNOUNCER_FUNCTION,
    ANNOUNCER_MAX_RECORD_AGE_HOURS,
    ANNOUNCER_RETRY_ATTEMPTS,
    CASE_TRACKED_EVENTS,
    CASES_EVENT_SOURCE,
    CASES_FUNCTION,
    CHANNELS,
    CHANNELS_WITH_DELIVERY_REPORTS,
    CHANNELS_WITH_PROVIDER_SECRETS,
    CITIZENS_FUNCTION,
    CONSENT_EVENTS,
    CONTEXT_FUNCTION,
    DELIVERY_REPORTED,
    IDENTITY_EVENT_SOURCE,
    IDENTITY_FUNCTION,
    IMPORTED_ATTRIBUTE,
    INGEST_EVENT_SOURCE,
    JOURNEY_EVENTS,
    JOURNEY_TIMER_MINUTES,
    JOURNEYS_FUNCTION,
    NOTIFICATION_TIMER_MINUTES,
    NOTIFICATIONS_FUNCTION,
    NOTIFIED_CASE_EVENTS,
    OPEN311_FUNCTION,
    OPERATOR_CLIENT,
    PRIVACY_FUNCTION,
    PROVIDER_ROUTES,
    RAW_TOUCHPOINT_PK_PREFIX,
    RAW_TOUCHPOINT_SK,
    STEWARDSHIP_FUNCTION,
    TOUCHPOINT_RECORDED,
    TRACKER_FUNCTION,
    EnvironmentConfig,
)
from infra.constructs.api import ApiConstruct
from infra.constructs.data import DataConstruct
from infra.constructs.events import EventsConstruct
from infra.constructs.function import VentanillaFunction
from infra.constructs.layer import DependencyLayerConstruct
from infra.constructs.monitoring import MonitoringConstruct
from infra.constructs.operators import OperatorsConstruct
from infra.findings import (
    DLQ_RULES,
    LAMBDA_DLQ_RULES,
    LAMBDA_RUNTIME_RULES,
    SECRET_ROTATION_RULES,
    WAF_RULES,
    acknowledge,
)

STACK_ID = "Ventanilla"

# Environment variable names the functions read (shared/config.py).
TABLE_NAME = "TABLE_NAME"
EVENT_BUS_NAME = "EVENT_BUS_NAME"
CHANNEL = "CHANNEL"
CHANNEL_API_KEY_ID = "CHANNEL_API_KEY_ID"
OPERATOR_API_KEY_ID = "OPERATOR_API_KEY_ID"
CONSOLE_API_KEY_ID = "CONSOLE_API_KEY_ID"
CONSOLE_CLIENT = "console"
DEFAULT_PHONE_REGION = "DEFAULT_PHONE_REGION"
IDENTITY_KEY_SECRET_ARN = "IDENTITY_KEY_SECRET_ARN"  # noqa: S105 - an environment variable name
OPEN311_KEYS_SECRET_ARN = "OPEN311_KEYS_SECRET_ARN"  # noqa: S105 - an environment variable name
CHANNEL_SECRETS_ARN = "CHANNEL_SECRETS_ARN"
OPEN311_JURISDICTION_ID = "OPEN311_JURISDICTION_ID"
SENTIMENT_BACKEND = "SENTIMENT_BACKEND"
NOTIFY_EMAIL_FROM = "NOTIFY_EMAIL_FROM"
DEAD_LETTER_QUEUE_URL = "DEAD_LETTER_QUEUE_URL"
NOTIFY_SMS_SENDER_ID = "NOTIFY_SMS_SENDER_ID"
WHATSAPP_API_URL = "WHATSAPP_API_URL"
NOTIFY_TIMEZONE = "NOTIFY_TIMEZONE"
NOTIFY_QUIET_HOURS = "NOTIFY_QUIET_HOURS"

# What DynamoDB and KMS allow each kind of function to do; nothing else is granted on the table or key.
# A channel function stores the raw touchpoint (one conditional PutItem; GetItem when a replay's old item is not in
# the failed write's answer) and publishes nothing: the announcer does, from the table's stream.
CHANNEL_TABLE_ACTIONS = ("GetItem", "PutItem")
# TransactWriteItems is authorised through the Put/Update actions of its parts.
IDENTITY_TABLE_ACTIONS = ("GetItem", "PutItem", "UpdateItem", "Query", "BatchGetItem", "BatchWriteItem")
CITIZENS_TABLE_ACTIONS = ("GetItem", "Query", "BatchGetItem")
STEWARDSHIP_TABLE_ACTIONS = ("GetItem", "PutItem", "UpdateItem", "Query", "BatchGetItem", "BatchWriteItem")
# Case writes are transactions of Put / Update / Delete / ConditionCheck parts on the table.
CASES_TABLE_ACTIONS = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem", "Query")
CONTEXT_TABLE_ACTIONS = ("GetItem", "Query", "BatchGetItem")
NOTIFICATIONS_TABLE_ACTIONS = ("GetItem", "PutItem", "ConditionCheckItem", "Query")
# Export reads everything of a person; erasure deletes their index entries and personal items.
PRIVACY_TABLE_ACTIONS = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchGetItem", "BatchWriteItem")
JOURNEYS_TABLE_ACTIONS = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem", "Query")
WRITER_KEY_ACTIONS = ("Encrypt", "Decrypt", "GenerateDataKey")
READER_KEY_ACTIONS = ("Decrypt",)

TOUCHPOINT_RECORDED_RULE = "TouchpointRecordedToIdentity"
IDENTITY_EVENTS_RULE = "IdentityEventsToTracker"
CASE_EVENTS_RULE = "CaseEventsToJourneys"
JOURNEY_TIMERS_RULE = "JourneyTimers"
CASE_EVENTS_TO_NOTIFIER_RULE = "CaseEventsToNotifications"
CONSENT_RULE = "ContactsToNotifications"
DELIVERY_RULE = "DeliveryReportsToNotifications"
NOTIFICATION_TIMERS_RULE = "NotificationTimers"


def channel_route(channel: str) -> str:
    return f"/v1/channels/{channel}/touchpoints"


CITIZENS_ROUTES = (
    "/v1/citizens",
    "/v1/citizens/{citizen_id}",
    "/v1/citizens/{citizen_id}/identity",
    "/v1/audit",
)
CASES_ROUTES = (
    ("GET", "/v1/procedures"),
    ("POST", "/v1/cases"),
    ("GET", "/v1/cases/{reference}"),
    ("POST", "/v1/cases/{reference}/steps"),
    ("POST", "/v1/cases/{reference}/status"),
    ("POST", "/v1/touchpoints/{touchpoint_id}/case"),
    ("GET", "/v1/metrics/journeys"),
    ("GET", "/v1/metrics/attention"),
)
# GeoReport v2 paths: API Gateway has no partial path variables, so `{code}.json` is one `{service_file}`.
OPEN311_ROUTES = (
    ("GET", "/open311/v2/services.json"),
    ("GET", "/open311/v2/services.xml"),
    ("GET", "/open311/v2/services/{service_file}"),
    ("GET", "/open311/v2/requests.json"),
    ("GET", "/open311/v2/requests.xml"),
    ("POST", "/open311/v2/requests.json"),
    ("POST", "/open311/v2/requests.xml"),
    ("GET", "/open311/v2/requests/{request_file}"),
)
STEWARDSHIP_ROUTES = (
    ("GET", "/v1/reviews"),
    ("POST", "/v1/reviews/{review_id}/decision"),
    ("POST", "/v1/citizens/{citizen_id}/merge"),
    ("POST", "/v1/citizens/{citizen_id}/split"),
    ("PUT", "/v1/citizens/{citizen_id}/preferences"),
)
PRIVACY_ROUTES = (
    ("GET", "/v1/citizens/{citizen_id}/export"),
    ("POST", "/v1/citizens/{citizen_id}/rectifications"),
    ("GET", "/v1/citizens/{citizen_id}/rectifications"),
    ("POST", "/v1/citizens/{citizen_id}/erasure"),
)


class VentanillaStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"Ventanilla omnichannel citizen-engagement backend ({config.name})",
            **kwargs,
        )
        self.config = config

        self.data = DataConstruct(self, "Data", config=config)
        self.events = EventsConstruct(self, "Events", config=config, key=self.data.key)
        self.api = ApiConstruct(self, "Api", config=config, key=self.data.key)
        self.layer = DependencyLayerConstruct(self, "DependencyLayer", removal_policy=config.cdk_removal_policy)
        self.functions: dict[str, VentanillaFunction] = {}
        self.api_keys: dict[str, apigateway.IApiKey] = {}
        self.methods: list[apigateway.Method] = []
        self.open311_methods: list[apigateway.Method] = []
        self.provider_methods: list[apigateway.Method] = []

        table_name = self.data.table.table_name
        bus_name = self.events.bus.event_bus_name
        identity_key_arn = self.data.identity_key.secret_arn

        for channel in CHANNELS:
            api_key = self._api_key(channel)
            function = self._function(
                channel,
                f"Ventanilla {channel} channel ingest",
                {TABLE_NAME: table_name, CHANNEL: channel, CHANNEL_API_KEY_ID: api_key.key_id},
            )
            if channel in CHANNELS_WITH_PROVIDER_SECRETS:
                function.function.add_environment(CHANNEL_SECRETS_ARN, self.data.channel_secrets.secret_arn)
                self.data.channel_secrets.grant_read(function.role)
            if channel in CHANNELS_WITH_DELIVERY_REPORTS:  # providers' delivery statuses: DeliveryReported
                function.function.add_environment(EVENT_BUS_NAME, bus_name)
                self.events.bus.grant_put_events_to(function.role)
            self.data.grant_table(function.role, *CHANNEL_TABLE_ACTIONS)
            self.data.grant_key(function.role, *WRITER_KEY_ACTIONS)
            self.methods.append(self.api.add_route("POST", channel_route(channel), function.function))
        self._add_provider_routes()

        identity = self._function(
            IDENTITY_FUNCTION,
            "Ventanilla identity resolution",
            {
                TABLE_NAME: table_name,
                EVENT_BUS_NAME: bus_name,
                DEFAULT_PHONE_REGION: config.default_phone_region,
                IDENTITY_KEY_SECRET_ARN: identity_key_arn,
            },
        )
        self.data.grant_table(identity.role, *IDENTITY_TABLE_ACTIONS)
        self.data.grant_key(identity.role, *WRITER_KEY_ACTIONS)
        self.data.grant_identity_key(identity.role)
        self.events.bus.grant_put_events_to(identity.role)
        self.touchpoint_rule = self.events.route(
            TOUCHPOINT_RECORDED_RULE,
            source=INGEST_EVENT_SOURCE,
            detail_type=TOUCHPOINT_RECORDED,
            function=identity.function,
        )
        self._add_announcer()

        self.operators = OperatorsConstruct(self, "Operators", config=config, key=self.data.key)
        operator_key = self._api_key(OPERATOR_CLIENT)
        self.console_key = self.api.add_api_key(
            CONSOLE_CLIENT, value=self.operators.console_key_secret.secret_value.unsafe_unwrap()
        )
        self.api_keys[CONSOLE_CLIENT] = self.console_key
        citizens = self._function(
            CITIZENS_FUNCTION,
            "Ventanilla citizen read API",
            {
                TABLE_NAME: table_name,
                OPERATOR_API_KEY_ID: operator_key.key_id,
                CONSOLE_API_KEY_ID: self.console_key.key_id,
                DEFAULT_PHONE_REGION: config.default_phone_region,
                IDENTITY_KEY_SECRET_ARN: identity_key_arn,
            },
        )
        self.data.grant_table(citizens.role, *CITIZENS_TABLE_ACTIONS)
        self.data.grant_audit_writes(citizens.role)
        self.data.grant_key(citizens.role, *READER_KEY_ACTIONS)
        self.data.grant_identity_key(citizens.role)
        for path in CITIZENS_ROUTES:
            self.methods.append(self._operator_route("GET", path, citizens.function))

        stewardship = self._function(
            STEWARDSHIP_FUNCTION,
            "Ventanilla data stewardship: review tasks, merges and splits",
            {
                TABLE_NAME: table_name,
                EVENT_BUS_NAME: bus_name,
                OPERATOR_API_KEY_ID: operator_key.key_id,
                CONSOLE_API_KEY_ID: self.console_key.key_id,
                DEFAULT_PHONE_REGION: config.default_phone_region,
                IDENTITY_KEY_SECRET_ARN: identity_key_arn,
            },
        )
        self.data.grant_table(stewardship.role, *STEWARDSHIP_TABLE_ACTIONS, indexes=True)
        self.data.grant_key(stewardship.role, *WRITER_KEY_ACTIONS)
        self.data.grant_identity_key(stewardship.role)
        self.events.bus.grant_put_events_to(stewardship.role)
        for method, path in STEWARDSHIP_ROUTES:
            self.methods.append(self._operator_route(method, path, stewardship.function))
        privacy = self._function(
            PRIVACY_FUNCTION,
            "Ventanilla privacy rights: export, rectification and erasure of a citizen's data",
            {
                TABLE_NAME: table_name,
                OPERATOR_API_KEY_ID: operator_key.key_id,
                CONSOLE_API_KEY_ID: self.console_key.key_id,
                DEFAULT_PHONE_REGION: config.default_phone_region,
                IDENTITY_KEY_SECRET_ARN: identity_key_arn,
            },
        )
        self.data.grant_table(privacy.role, *PRIVACY_TABLE_ACTIONS, indexes=True)
        self.data.grant_key(privacy.role, *WRITER_KEY_ACTIONS)
        self.data.grant_identity_key(privacy.role)
        for method, path in PRIVACY_ROUTES:
            self.methods.append(self._operator_route(method, path, privacy.function))
        self._add_case_functions(operator_key.key_id)
        self._add_journeys()
        self._add_notifications()

        self.monitoring = MonitoringConstruct(
            self,
            "Monitoring",
            key=self.data.key,
            dead_letter_queue=self.events.dead_letter_queue,
            functions={name: f.function for name, f in self.functions.items()},
            announcer=self.functions[ANNOUNCER_FUNCTION].function,
        )
        self._acknowledge_findings()

        Tags.of(self).add("Project", "Ventanilla")
        Tags.of(self).add("Environment", config.name)
        Tags.of(self).add("ManagedBy", "aws-cdk")

        CfnOutput(self, "ApiUrl", value=self.api.rest_api.url, description="Base URL (stage included)")
        CfnOutput(self, "TableName", value=table_name)
        CfnOutput(self, "EventBusName", value=bus_name)
        CfnOutput(self, "DeadLetterQueueUrl", value=self.events.dead_letter_queue.queue_url)
        CfnOutput(self, "IdentityKeySecretArn", value=identity_key_arn, description="Identifier index HMAC key")
        CfnOutput(self, "DefaultPhoneRegion", value=config.default_phone_region)
        CfnOutput(self, "TextRetentionDays", value=str(config.text_retention_days))
        CfnOutput(self, "Open311KeysSecretArn", value=self.data.open311_keys.secret_arn)
        CfnOutput(self, "ChannelSecretsArn", value=self.data.channel_secrets.secret_arn)
        CfnOutput(self, "OperatorAlertsTopicArn", value=self.monitoring.alerts.topic_arn)
        CfnOutput(self, "ContactRecordsStreamName", value=self.contact_records.stream_name)

    def _add_announcer(self) -> None:
        """The transactional outbox's relay: new raw touchpoints in the table's stream become TouchpointRecorded.

        The mapping's filter lets through only INSERTs of raw touchpoint items (`TP#…` / `TOUCHPOINT`) that were not
        bulk-imported (`ventanilla import` resolves its lines itself); updates (a link to a citizen, a case, an
        erasure), deletions (the text's time to live) and every other item never invoke the function. A batch whose
        PutEvents keeps failing is retried from its first failed record, bisected on a function error, and after
        its retries its shard positions go to the dead-letter queue (`ventanilla dlq redrive` re-reads them).
        """
        announcer = self._function(
            ANNOUNCER_FUNCTION,
            "Ventanilla announcer: new touchpoints in the table's stream -> TouchpointRecorded on the bus",
            {EVENT_BUS_NAME: self.events.bus.event_bus_name},
        )
        self.data.grant_stream_read(announcer.role)
        self.data.grant_key(announcer.role, *READER_KEY_ACTIONS)  # the stream's records, under the table's key
        self.events.bus.grant_put_events_to(announcer.role)
        new_touchpoints = lambda_.FilterCriteria.filter(
            {
                "eventName": lambda_.FilterRule.is_equal("INSERT"),
                "dynamodb": {
                    "Keys": {
                        "pk": {"S": lambda_.FilterRule.begins_with(RAW_TOUCHPOINT_PK_PREFIX)},
                        "sk": {"S": lambda_.FilterRule.is_equal(RAW_TOUCHPOINT_SK)},
                    },
                    "NewImage": {IMPORTED_ATTRIBUTE: {"BOOL": lambda_.FilterRule.not_exists()}},
                },
            }
        )
        self.announcements = announcer.function.add_event_source_mapping(
            "TableStream",
            event_source_arn=self.data.stream_arn,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=ANNOUNCER_BATCH_SIZE,
            bisect_batch_on_error=True,
            retry_attempts=ANNOUNCER_RETRY_ATTEMPTS,
            max_record_age=Duration.hours(ANNOUNCER_MAX_RECORD_AGE_HOURS),
            report_batch_item_failures=True,
            on_failure=self.events.stream_failures(),
            filters=[new_touchpoints],
        )
        self.stream_consumers = {announcer.function.node.addr}

    def _add_journeys(self) -> None:
        """The journey monitor: case events in, signals out; a schedule looks for due timers."""
        journeys = self._function(
            JOURNEYS_FUNCTION,
            "Ventanilla journey monitor: channel switches, repeat contacts, stalls, SLA breaches, abandonment",
            {
                TABLE_NAME: self.data.table.table_name,
                EVENT_BUS_NAME: self.events.bus.event_bus_name,
                SENTIMENT_BACKEND: "comprehend",
            },
        )
        self.data.grant_table(journeys.role, *JOURNEYS_TABLE_ACTIONS, indexes=True)
        # Comprehend has no resources to scope DetectSentiment to (acknowledged in _acknowledge_findings).
        journeys.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["comprehend:DetectSentiment"], resources=["*"])
        )
        self.data.grant_key(journeys.role, *WRITER_KEY_ACTIONS)
        self.events.bus.grant_put_events_to(journeys.role)
        self.case_events_rule = self.events.route(
            CASE_EVENTS_RULE, source=CASES_EVENT_SOURCE, detail_type=JOURNEY_EVENTS, function=journeys.function
        )
        self.journey_timers_rule = self.events.schedule(
            JOURNEY_TIMERS_RULE, every=Duration.minutes(JOURNEY_TIMER_MINUTES), function=journeys.function
        )

    def _add_notifications(self) -> None:
        """The notifier: case events become messages to citizens (SES, SNS SMS, WhatsApp Cloud API)."""
        config = self.config
        environment = {
            TABLE_NAME: self.data.table.table_name,
            NOTIFY_EMAIL_FROM: config.notify_email_from,
            WHATSAPP_API_URL: config.whatsapp_api_url,
            CHANNEL_SECRETS_ARN: self.data.channel_secrets.secret_arn,
            NOTIFY_TIMEZONE: config.notify_timezone,
            NOTIFY_QUIET_HOURS: config.notify_quiet_hours,
            DEFAULT_PHONE_REGION: config.default_phone_region,
        }
        if config.notify_sms_sender_id:
            environment[NOTIFY_SMS_SENDER_ID] = config.notify_sms_sender_id
        notifier = self._function(
            NOTIFICATIONS_FUNCTION,
            "Ventanilla notifier: case status changes to citizens by email, SMS or WhatsApp",
            environment,
        )
        self.data.grant_table(notifier.role, *NOTIFICATIONS_TABLE_ACTIONS, indexes=True)
        self.data.grant_key(notifier.role, *WRITER_KEY_ACTIONS)
        self.data.channel_secrets.grant_read(notifier.role)
        domain = config.notify_email_from.split("@", 1)[1]
        identity_arn = f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}:identity"
        notifier.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail"],
                resources=[f"{identity_arn}/{config.notify_email_from}", f"{identity_arn}/{domain}"],
            )
        )
        notifier.role.add_to_principal_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=["*"]))
        notifier.role.add_to_principal_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=["sns:Publish"],
                resources=[f"arn:{Aws.PARTITION}:sns:*:*:*"],
            )
        )
        self.notifier_rules = [
            self.events.route(
                CASE_EVENTS_TO_NOTIFIER_RULE,
                source=CASES_EVENT_SOURCE,
                detail_type=NOTIFIED_CASE_EVENTS,
                function=notifier.function,
            ),
            self.events.route(
                CONSENT_RULE, source=IDENTITY_EVENT_SOURCE, detail_type=CONSENT_EVENTS, function=notifier.function
            ),
            self.events.route(
                DELIVERY_RULE, source=INGEST_EVENT_SOURCE, detail_type=DELIVERY_REPORTED, function=notifier.function
            ),
            self.events.schedule(
                NOTIFICATION_TIMERS_RULE,
                every=Duration.minutes(NOTIFICATION_TIMER_MINUTES),
                function=notifier.function,
            ),
        ]

    def _add_provider_routes(self) -> None:
        """Providers' native formats beside each generic route; Connect contact records also by Kinesis."""
        for channel, method, path, keyed in PROVIDER_ROUTES:
            route = self.api.add_route(method, path, self.functions[channel].function, api_key_required=keyed)
            (self.methods if keyed else self.provider_methods).append(route)
        email = self.functions["email"]
        # SES -> SNS -> HTTPS: the email function confirms the subscription through the SNS API.
        email.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sns:ConfirmSubscription"], resources=[f"arn:{Aws.PARTITION}:sns:*:{Aws.ACCOUNT_ID}:*"]
            )
        )
        phone = self.functions["phone"]
        self.contact_records = kinesis.Stream(
            self,
            "ContactRecords",
            stream_mode=kinesis.StreamMode.ON_DEMAND,
            encryption=kinesis.StreamEncryption.KMS,
            encryption_key=self.data.key,
            retention_period=Duration.hours(24),
            removal_policy=self.config.cdk_removal_policy,
        )
        phone.function.add_event_source(
            lambda_event_sources.KinesisEventSource(
                self.contact_records,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100,
                bisect_batch_on_error=True,
                retry_attempts=5,
                max_record_age=Duration.hours(6),
                report_batch_item_failures=True,
                on_failure=lambda_event_sources.SqsDlq(self.events.dead_letter_queue),
            )
        )

    def _add_case_functions(self, operator_key_id: str) -> None:
        """Cases: the operator API, the tracker that follows identity events, the context API, Open311."""
        table_name, bus_name = self.data.table.table_name, self.events.bus.event_bus_name
        cases = self._function(
            CASES_FUNCTION,
            "Ventanilla case API: open, advance, change status, correct attachments",
            {
                TABLE_NAME: table_name,
                EVENT_BUS_NAME: bus_name,
                OPERATOR_API_KEY_ID: operator_key_id,
                CONSOLE_API_KEY_ID: self.console_key.key_id,
            },
        )
        self.data.grant_table(cases.role, *CASES_TABLE_ACTIONS, indexes=True)
        self.data.grant_key(cases.role, *WRITER_KEY_ACTIONS)
        self.events.bus.grant_put_events_to(cases.role)
        # The console's journey-health page shows the dead-letter queue's depth (attributes only, no messages).
        cases.function.add_environment(DEAD_LETTER_QUEUE_URL, self.events.dead_letter_queue.queue_url)
        cases.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sqs:GetQueueAttributes"], resources=[self.events.dead_letter_queue.queue_arn])
        )
        for method, path in CASES_ROUTES:
            self.methods.append(self._operator_route(method, path, cases.function))

        tracker = self._function(
            TRACKER_FUNCTION,
            "Ventanilla case tracker: attaches resolved touchpoints to cases, follows merges and splits",
            {TABLE_NAME: table_name, EVENT_BUS_NAME: bus_name},
        )
        self.data.grant_table(tracker.role, *CASES_TABLE_ACTIONS, indexes=True)
        self.data.grant_key(tracker.role, *WRITER_KEY_ACTIONS)
        self.events.bus.grant_put_events_to(tracker.role)
        self.identity_events_rule = self.events.route(
            IDENTITY_EVENTS_RULE,
            source=IDENTITY_EVENT_SOURCE,
            detail_type=CASE_TRACKED_EVENTS,
            function=tracker.function,
        )

        context = self._function(
            CONTEXT_FUNCTION,
            "Ventanilla context API: who is contacting, open cases, last touchpoints",
            {
                TABLE_NAME: table_name,
                OPERATOR_API_KEY_ID: operator_key_id,
                CONSOLE_API_KEY_ID: self.console_key.key_id,
                DEFAULT_PHONE_REGION: self.config.default_phone_region,
                IDENTITY_KEY_SECRET_ARN: self.data.identity_key.secret_arn,
            },
        )
        self.data.grant_table(context.role, *CONTEXT_TABLE_ACTIONS, indexes=True)
        self.data.grant_audit_writes(context.role)
        self.data.grant_key(context.role, *READER_KEY_ACTIONS)
        self.data.grant_identity_key(context.role)
        self.methods.append(self._operator_route("GET", "/v1/context", context.function))

        open311 = self._function(
            OPEN311_FUNCTION,
            "Ventanilla Open311 GeoReport v2 facade over the catalogue and cases",
            {
                TABLE_NAME: table_name,
                EVENT_BUS_NAME: bus_name,
                OPEN311_KEYS_SECRET_ARN: self.data.open311_keys.secret_arn,
                OPEN311_JURISDICTION_ID: self.config.open311_jurisdiction_id,
            },
        )
        self.data.grant_table(open311.role, *CASES_TABLE_ACTIONS, indexes=True)
        self.data.grant_key(open311.role, *WRITER_KEY_ACTIONS)
        self.data.open311_keys.grant_read(open311.role)
        self.events.bus.grant_put_events_to(open311.role)
        for method, path in OPEN311_ROUTES:
            # Open311 clients send `api_key` as a form parameter (checked by the function), not a header.
            self.open311_methods.append(self.api.add_route(method, path, open311.function, api_key_required=False))

    def _function(self, name: str, description: str, environment: dict[str, str]) -> VentanillaFunction:
        function = VentanillaFunction(
            self,
            f"{name.capitalize()}Function",
            name=name,
            config=self.config,
            layer=self.layer.layer,
            key=self.data.key,
            environment=environment,
            description=description,
        )
        self.functions[name] = function
        return function

    def _operator_route(self, method: str, path: str, function: lambda_.IFunction) -> apigateway.Method:
        """An operator API route: an operator client's API key and a Cognito token (the role is the handler's)."""
        return self.api.add_route(method, path, function, authorizer=self.operators.authorizer)

    def _api_key(self, client: str) -> apigateway.IApiKey:
        api_key = self.api.add_api_key(client)
        self.api_keys[client] = api_key
        return api_key

    def _acknowledge_findings(self) -> None:
        """cdk-nag findings accepted on purpose, each at the narrowest scope that carries it (infra/findings.py)."""
        consumers = {function.node.addr for function in self.events.consumers}
        for function in self.functions.values():
            acknowledge(function.function, "python_runtime", *LAMBDA_RUNTIME_RULES)
            acknowledge(function.function, "no_vpc", "NIST.800.53.R5-LambdaInsideVPC")
            acknowledge(function.role, "xray_wildcard", "AwsSolutions-IAM5[Resource::*]")
            acknowledge(function.role, "role_policy", "NIST.800.53.R5-IAMNoInlinePolicy")
            if function.function.node.addr in consumers:
                acknowledge(function.function, "async_failure_destination", *LAMBDA_DLQ_RULES)
                if self.config.event_consumer_concurrency is None:
                    acknowledge(function.function, "dev_concurrency", "NIST.800.53.R5-LambdaConcurrency")
            elif function.function.node.addr in self.stream_consumers:
                acknowledge(function.function, "stream_invocation", *LAMBDA_DLQ_RULES)
                acknowledge(function.function, "stream_concurrency", "NIST.800.53.R5-LambdaConcurrency")
            else:
                acknowledge(function.function, "synchronous_invocation", *LAMBDA_DLQ_RULES)
                acknowledge(function.function, "api_concurrency", "NIST.800.53.R5-LambdaConcurrency")
        for method in self.methods:
            acknowledge(method, "channel_api_key", "AwsSolutions-APIG4")
            acknowledge(method, "channel_cognito", "AwsSolutions-COG4")
        for method in self.provider_methods:
            acknowledge(method, "provider_webhook", "AwsSolutions-APIG4", "AwsSolutions-COG4")
        for method in self.open311_methods:
            acknowledge(method, "open311_public", "AwsSolutions-APIG4", "AwsSolutions-COG4")
        if self.api.web_acl is None:
            acknowledge(self.api.stage, "waf_dev", *WAF_RULES)
        acknowledge(self.api.stage, "api_cache", "NIST.800.53.R5-APIGWCacheEnabledAndEncrypted")
        acknowledge(self.api.stage, "api_client_certificate", "NIST.800.53.R5-APIGWSSLEnabled")
        acknowledge(
            self.api.rest_api.node.find_child("CloudWatchRole"),
            "apigw_logs_role",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
        )
        acknowledge(self.functions[JOURNEYS_FUNCTION].role, "comprehend", "AwsSolutions-IAM5[Resource::*]")
        acknowledge(self.functions[NOTIFICATIONS_FUNCTION].role, "sms_publish", "AwsSolutions-IAM5[Resource::*]")
        acknowledge(
            self.functions["phone"].role,
            "kms_dlq_grant",
            "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            "AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
        )
        acknowledge(
            self.functions["email"].role,
            "sns_confirm",
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:*:<AWS::AccountId>:*]",
        )
        acknowledge(self.data.identity_key, "identity_key_rotation", *SECRET_ROTATION_RULES)
        acknowledge(self.data.open311_keys, "open311_keys_rotation", *SECRET_ROTATION_RULES)
        acknowledge(self.data.channel_secrets, "channel_secrets_rotation", *SECRET_ROTATION_RULES)
        acknowledge(self.operators.console_key_secret, "console_key_rotation", *SECRET_ROTATION_RULES)
        if self.data.backup_plan is None:
            acknowledge(self.data.table, "backup_dev", "NIST.800.53.R5-DynamoDBInBackupPlan")
        else:
            acknowledge(
                self.data.backup_plan,
                "backup_role",
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]",
            )
        acknowledge(self.contact_records, "stream_cmk", "AwsSolutions-KDS3")
        acknowledge(self.events.dead_letter_queue, "dead_letter_queue", *DLQ_RULES)
        acknowledge(self.operators.user_pool, "operator_mfa", "AwsSolutions-COG2")
