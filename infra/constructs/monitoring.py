"""Monitoring: the operator alert topic, alarms and the journeys dashboard (CloudWatch)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import CHANNELS
from infra.constructs.function import METRICS_NAMESPACE

SIGNALS = ("ChannelSwitched", "RepeatContact", "CaseStalled", "SlaBreached", "CaseAbandoned", "NegativeSentiment")
SLA_COMPLIANCE_TARGET = 0.9
REVIEW_GROWTH_PER_DAY = 25
HIGH_PRIORITY_STALLED = "HighPriorityCaseStalled"
ANNOUNCEMENT_LAG_MS = 60_000  # a new touchpoint not announced within a minute: the bus or the announcer is failing
NOTIFICATION_STATES = ("sent", "deferred", "unreachable", "withheld")  # emitted by functions/journeys/handler.py
PERIOD = Duration.hours(1)


def _metric(
    name: str, dimensions: Mapping[str, str], statistic: str = "Sum", period: Duration = PERIOD
) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map=dict(dimensions),
        statistic=statistic,
        period=period,
    )


class MonitoringConstruct(Construct):
    """Alerts go to one SNS topic operators subscribe to; the dashboard shows the journeys and the equity view."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        dead_letter_queue: sqs.IQueue,
        functions: Mapping[str, lambda_.IFunction],
        announcer: lambda_.IFunction | None = None,
    ) -> None:
        """`announcer`: the function the table's stream feeds (its iterator age is how late announcements are)."""
        super().__init__(scope, construct_id)
        self.alerts = sns.Topic(
            self, "OperatorAlerts", display_name="Ventanilla operator alerts", master_key=key, enforce_ssl=True
        )
        alert = actions.SnsAction(self.alerts)
        journeys = {"service": "ventanilla-journeys"}

        def alarm(
            alarm_id: str,
            metric: cloudwatch.IMetric,
            threshold: float,
            description: str,
            below: bool = False,
        ) -> cloudwatch.Alarm:
            """One alarm to the operator topic: at or above `threshold` (or `below` it), missing data is fine."""
            created = cloudwatch.Alarm(
                self,
                alarm_id,
                alarm_description=description,
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
                if below
                else cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            created.add_alarm_action(alert)
            return created

        dlq = alarm(
            "DeadLetterQueueNotEmpty",
            dead_letter_queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(5)),
            1,
            "Events or records were parked after their retries: `ventanilla dlq list` locally, the SQS console in "
            "AWS; fix the cause, then redrive",
        )

        lagging = []
        if announcer is not None:
            lag = cloudwatch.Metric(
                namespace="AWS/Lambda",
                metric_name="IteratorAge",
                dimensions_map={"FunctionName": announcer.function_name},
                statistic="Maximum",
                period=Duration.minutes(5),
            )
            lagging.append(
                alarm(
                    "AnnouncementsLagging",
                    lag,
                    ANNOUNCEMENT_LAG_MS,
                    "New touchpoints wait more than a minute in the table's stream to be announced: the announcer's "
                    "PutEvents keep failing (its batches are retried, then parked in the dead-letter queue)",
                )
            )

        day = Duration.days(1)
        breaches, steps = _metric("SlaBreached", journeys, period=day), _metric("StepsCompleted", journeys, period=day)
        compliance = cloudwatch.MathExpression(
            expression="IF(steps + breaches > 0, 1 - breaches / (steps + breaches), 1)",
            using_metrics={"breaches": breaches, "steps": steps},
            label="SLA compliance",
            period=day,
        )
        sla = alarm(
            "SlaComplianceBelowTarget",
            compliance,
            SLA_COMPLIANCE_TARGET,
            f"Less than {SLA_COMPLIANCE_TARGET:.0%} of case steps finished within their SLA today",
            below=True,
        )

        breached = alarm(
            "SlaBreaches",
            _metric("SlaBreached", journeys),
            1,
            "A case step went past its SLA in the last hour: see the SlaBreached signals on the bus / timelines",
        )
        stalled = alarm(
            "HighPriorityCasesStalled",
            _metric(HIGH_PRIORITY_STALLED, journeys),
            1,
            "A high-priority case (the catalogue's `priority: high`) stalled or breached its SLA in the last hour",
        )
        growth = cloudwatch.MathExpression(
            expression="opened - decided",
            using_metrics={
                "opened": _metric("ReviewsOpened", {"service": "ventanilla-identity"}, period=day),
                "decided": _metric("ReviewsDecided", {"service": "ventanilla-stewardship"}, period=day),
            },
            label="Review queue growth (opened - decided, daily)",
            period=day,
        )
        reviews = alarm(
            "ReviewQueueGrowing",
            growth,
            REVIEW_GROWTH_PER_DAY,
            f"The identity review queue grew by {REVIEW_GROWTH_PER_DAY}+ tasks today: more grey-band matches than "
            "operators decide (GET /v1/reviews)",
        )

        errors = []
        for name, function in functions.items():
            alarm(
                f"{name.capitalize()}Errors",
                function.metric_errors(period=Duration.minutes(5)),
                5,
                f"The {name} function is failing (retries and the dead-letter queue follow)",
            )
            errors.append(function.metric_errors(period=PERIOD))

        self.dashboard = cloudwatch.Dashboard(self, "Journeys", default_interval=Duration.days(7))
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Touchpoints by channel (equal service: compare the channels)",
                left=[_metric("TouchpointsAccepted", {"service": f"ventanilla-{c}", "channel": c}) for c in CHANNELS],
                width=12,
            ),
            cloudwatch.GraphWidget(title="Journey signals", left=[_metric(s, journeys) for s in SIGNALS], width=12),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="SLA compliance (daily)", left=[compliance], width=8),
            cloudwatch.AlarmStatusWidget(
                title="Alarms", alarms=[dlq, *lagging, sla, breached, stalled, reviews], width=8
            ),
            cloudwatch.GraphWidget(title="Function errors", left=errors, width=8),
        )

        def by_channel(metric: str, label: str) -> cloudwatch.MathExpression:
            """The journeys function's per-fact metric, summed per channel (over procedures and regions)."""
            return cloudwatch.MathExpression(
                expression=f"SEARCH('{{{METRICS_NAMESPACE},channel,procedure,region,service}} "
                f"MetricName=\"{metric}\"', 'Sum', 86400)",
                using_metrics={},
                label=label,
                period=day,
            )

        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Hours to resolution by channel, procedure and region (daily sum; divide by cases resolved)",
                left=[by_channel("Journey_resolution_hours", "hours")],
                right=[by_channel("Journey_cases_resolved", "resolved")],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Repeat contacts and channel switches by channel, procedure and region",
                left=[
                    by_channel("Journey_repeat_contacts", "repeat"),
                    by_channel("Journey_channel_switches", "switch"),
                ],
                width=12,
            ),
        )
        notifier = {"service": "ventanilla-notifications"}
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Citizen notifications (sent, deferred by quiet hours or rate limit, unreachable)",
                left=[_metric(f"Notifications_{state}", notifier) for state in NOTIFICATION_STATES],
                width=24,
            )
        )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown="**Equity**: `GET /v1/metrics/journeys?by=channel|region|language` gives first-contact "
                "resolution, repeat-contact rate, SLA compliance and time to resolution per group, and the gap "
                "between the best- and the worst-served group.",
                width=24,
                height=2,
            )
        )
