"""EventBridge target: the notifier.

Case events (CaseOpened, CaseStatusChanged, CaseClosed) -> one message to the citizen each; CitizenResolved ->
consent (BAJA / STOP / ALTA, WhatsApp opt-in); DeliveryReported -> the delivery state on the timeline; the
scheduled rule's "Scheduled Event" -> what quiet hours or the rate limit deferred and is now due. A provider
error raises, so EventBridge's asynchronous retries run, then the event is parked in the dead-letter queue.
"""

from datetime import time
from functools import lru_cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.catalogue import get_catalogue
from shared.config import get_notification_settings
from shared.models.delivery import DeliveryStatus
from shared.models.events import CaseClosed, CaseOpened, CaseStatusChanged, CitizenResolved, DeliveryReported
from shared.notifications.rules import NotificationChannel
from shared.notifications.senders import SesEmailSender, SnsSmsSender, WhatsAppCloudSender
from shared.notifications.service import NotificationService, NotificationSettings, Outcome, trigger_id
from shared.notifications.templates import get_templates
from shared.observability import logger, metrics, tracer
from shared.repositories.cases import DynamoDBCaseRepository
from shared.repositories.identity import DynamoDBIdentityRepository
from shared.repositories.notifications import DynamoDBNotificationRepository
from shared.repositories.touchpoints import DynamoDBTouchpointRepository
from shared.webhooks.secrets import channel_secret

SCHEDULED = "Scheduled Event"
CASE_EVENTS = {e.detail_type(): e for e in (CaseOpened, CaseStatusChanged, CaseClosed)}


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@lru_cache(maxsize=1)
def get_service() -> NotificationService:
    settings = get_notification_settings()
    dynamodb = boto3.client("dynamodb")
    identity = DynamoDBIdentityRepository(dynamodb, settings.table_name)
    secrets = settings.channel_secrets_arn
    quiet_start, quiet_end = settings.quiet_hours.split("-")
    return NotificationService(
        notifications=DynamoDBNotificationRepository(dynamodb, settings.table_name),
        cases=DynamoDBCaseRepository(dynamodb, settings.table_name),
        catalogue=get_catalogue(),
        citizens=identity,
        touchpoints=DynamoDBTouchpointRepository(dynamodb, settings.table_name),
        timeline=identity.add_entry,
        senders={
            NotificationChannel.EMAIL: SesEmailSender(boto3.client("ses"), settings.email_from),
            NotificationChannel.SMS: SnsSmsSender(boto3.client("sns"), settings.sms_sender_id),
            NotificationChannel.WHATSAPP: WhatsAppCloudSender(
                settings.whatsapp_api_url,
                phone_number_id=lambda: channel_secret(secrets, "whatsapp_phone_number_id"),
                access_token=lambda: channel_secret(secrets, "whatsapp_access_token"),
            ),
        },
        templates=get_templates(),
        settings=NotificationSettings(
            tz=settings.timezone,
            quiet_start=_clock(quiet_start),
            quiet_end=_clock(quiet_end),
            per_hour=settings.per_hour,
            per_day=settings.per_day,
            default_region=settings.default_phone_region,
        ),
    )


def _count(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        metrics.add_metric(name=f"Notifications_{outcome.state}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(correlation_id_path="detail.correlation_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    envelope = parse(event=event, model=EventBridgeModel)
    service = get_service()
    outcomes: list[Outcome] = []
    if envelope.detail_type == SCHEDULED:
        outcomes = service.run_due(envelope.time)
    elif envelope.detail_type in CASE_EVENTS:
        case_event = CASE_EVENTS[envelope.detail_type].model_validate(envelope.detail)
        outcome = service.on_case_event(case_event, trigger_id(envelope.detail_type, event["detail"]), envelope.time)
        outcomes = [outcome] if outcome else []
    elif envelope.detail_type == CitizenResolved.detail_type():
        outcome = service.on_contact(CitizenResolved.model_validate(envelope.detail), envelope.time)
        outcomes = [outcome] if outcome else []
    elif envelope.detail_type == DeliveryReported.detail_type():
        reported = DeliveryReported.model_validate(envelope.detail)
        status = DeliveryStatus.model_validate(
            reported.model_dump(include={"provider", "provider_message_id", "status", "at", "error"})
        )
        service.on_delivery(status)
    else:
        raise ValueError(f"the notifier does not handle {envelope.detail_type}")  # wiring error -> DLQ
    _count(outcomes)
    summary = [{"kind": o.kind, "state": o.state, "channel": o.channel, "reason": o.reason} for o in outcomes]
    logger.info("notifications", extra={"detail_type": envelope.detail_type, "outcomes": summary})
    return {"outcomes": summary}
