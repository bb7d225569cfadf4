"""Events: the custom EventBridge bus, the shared dead-letter queue and the rules that route domain events."""

from __future__ import annotations

from collections.abc import Sequence

import jsii
from aws_cdk import Aws, Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import EnvironmentConfig

RULE_RETRY_ATTEMPTS = 8
RULE_MAX_EVENT_AGE = Duration.hours(2)
ASYNC_RETRY_ATTEMPTS = 2
ASYNC_MAX_EVENT_AGE = Duration.hours(2)


@jsii.implements(lambda_.IDestination)
class _EncryptedQueueDestination:
    """Like `aws_lambda_destinations.SqsDestination`, but grants only what sending to a KMS-encrypted queue needs.

    (`SqsDestination` uses `Queue.grant_send_messages`, which adds `kms:ReEncrypt*` and `kms:GenerateDataKey*`.)
    """

    def __init__(self, queue: sqs.IQueue, key: kms.IKey) -> None:
        self._queue = queue
        self._key = key

    def bind(
        self, scope: Construct, fn: lambda_.IFunction, *, type: lambda_.DestinationType
    ) -> lambda_.DestinationConfig:
        iam.Grant.add_to_principal(grantee=fn, actions=["sqs:SendMessage"], resource_arns=[self._queue.queue_arn])
        iam.Grant.add_to_principal(
            grantee=fn, actions=["kms:GenerateDataKey", "kms:Decrypt"], resource_arns=[self._key.key_arn]
        )
        return lambda_.DestinationConfig(destination=self._queue.queue_arn)


@jsii.implements(lambda_.IEventSourceDlq)
class _EncryptedQueueStreamDlq:
    """Like `aws_lambda_event_sources.SqsDlq` (a stream mapping's on-failure destination), but grants the function's
    role only what sending to a KMS-encrypted queue needs (`SqsDlq` adds `kms:ReEncrypt*`, `kms:GenerateDataKey*`)."""

    def __init__(self, queue: sqs.IQueue, key: kms.IKey) -> None:
        self._queue = queue
        self._key = key

    def bind(
        self, target: lambda_.IEventSourceMapping, target_handler: lambda_.IFunction
    ) -> lambda_.DlqDestinationConfig:
        iam.Grant.add_to_principal(
            grantee=target_handler, actions=["sqs:SendMessage"], resource_arns=[self._queue.queue_arn]
        )
        iam.Grant.add_to_principal(
            grantee=target_handler, actions=["kms:GenerateDataKey", "kms:Decrypt"], resource_arns=[self._key.key_arn]
        )
        return lambda_.DlqDestinationConfig(destination=self._queue.queue_arn)


class EventsConstruct(Construct):
    """One custom bus for every domain event, plus one dead-letter queue for everything that could not be delivered.

    `route()` is the only way a rule is added, so every rule has the same retry policy and DLQ, and every
    function it targets (`consumers`) gets the same asynchronous-invocation failure handling and, where the
    environment sets one, the same reserved concurrency.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self._key = key
        self._consumer_concurrency = config.event_consumer_concurrency
        self._async_configured: set[str] = set()
        self.consumers: list[lambda_.Function] = []

        self.bus = events.EventBus(self, "Bus", description="Ventanilla domain events", kms_key=key)

        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=config.cdk_removal_policy,
        )

        # EventBridge itself writes undeliverable events to the DLQ (a rule target's dead-letter queue),
        # so the service needs the key to encrypt them. Scoped to this account's rules.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowEventBridgeRuleDeadLetters",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )

    def stream_failures(self) -> lambda_.IEventSourceDlq:
        """Where a stream mapping parks the batches that exhausted their retries: the dead-letter queue (Lambda sends
        the batch's shard positions, not the records, with the function's role)."""
        return _EncryptedQueueStreamDlq(self.dead_letter_queue, self._key)

    def route(
        self,
        rule_id: str,
        *,
        source: str,
        detail_type: str | Sequence[str],
        function: lambda_.Function,
    ) -> events.Rule:
        """Send events with this source and detail-type(s) on the bus to `function`."""
        detail_types = [detail_type] if isinstance(detail_type, str) else list(detail_type)
        rule = events.Rule(
            self,
            rule_id,
            event_bus=self.bus,
            description=f"{source} / {', '.join(detail_types)} -> {function.node.path}",
            event_pattern=events.EventPattern(source=[source], detail_type=detail_types),
        )
        return self._target(rule, function)

    def schedule(self, rule_id: str, *, every: Duration, function: lambda_.Function) -> events.Rule:
        """Invoke `function` on a fixed rate (on the default bus, as EventBridge schedules are), with retries
        and the dead-letter queue."""
        rule = events.Rule(
            self,
            rule_id,
            description=f"every {every.to_minutes()} min -> {function.node.path}",
            schedule=events.Schedule.rate(every),
        )
        return self._target(rule, function)

    def _target(self, rule: events.Rule, function: lambda_.Function) -> events.Rule:
        """`function` as the rule's target: retries, then the dead-letter queue (and for failed invocations too)."""
        rule.add_target(
            targets.LambdaFunction(
                function,
                retry_attempts=RULE_RETRY_ATTEMPTS,
                max_event_age=RULE_MAX_EVENT_AGE,
                dead_letter_queue=self.dead_letter_queue,
            )
        )
        self._configure_async_failures(function)
        return rule

    def _configure_async_failures(self, function: lambda_.Function) -> None:
        """EventBridge invokes asynchronously: failed invocations go to the DLQ after two Lambda retries."""
        if function.node.addr in self._async_configured:
            return
        self._async_configured.add(function.node.addr)
        self.consumers.append(function)
        if self._consumer_concurrency is not None:
            # A backlog (a bulk import, a redrive) cannot take the concurrency the API's functions need.
            cfn_function = function.node.default_child
            assert isinstance(cfn_function, lambda_.CfnFunction)
            cfn_function.reserved_concurrent_executions = self._consumer_concurrency
        function.configure_async_invoke(
            on_failure=_EncryptedQueueDestination(self.dead_letter_queue, self._key),
            retry_attempts=ASYNC_RETRY_ATTEMPTS,
            max_event_age=ASYNC_MAX_EVENT_AGE,
        )
