"""Settings per function, read once from the environment the CDK stack gives it; missing ones fail fast."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.models.touchpoint import Channel

MAX_BODY_BYTES = 256 * 1024


class ObservabilitySettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    service_name: str = Field(alias="POWERTOOLS_SERVICE_NAME")


class TableSettings(ObservabilitySettings):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    # Days a raw touchpoint (message text, claims as received) is kept after it arrived; unset: kept.
    text_retention_days: int | None = Field(alias="TEXT_RETENTION_DAYS", default=None, ge=1)


class IngestSettings(TableSettings):
    # Only the channels whose providers report deliveries publish (DeliveryReported); a touchpoint is announced by
    # the announcer, from the table's stream, never by the channel function.
    event_bus_name: str | None = Field(alias="EVENT_BUS_NAME", default=None, min_length=1)
    channel: Channel = Field(alias="CHANNEL")
    channel_api_key_id: str = Field(alias="CHANNEL_API_KEY_ID", min_length=1)
    channel_secrets_arn: str | None = Field(alias="CHANNEL_SECRETS_ARN", default=None)


class IdentityKeySettings(TableSettings):
    default_phone_region: str = Field(alias="DEFAULT_PHONE_REGION", min_length=2, max_length=2)
    identity_key_secret_arn: str = Field(alias="IDENTITY_KEY_SECRET_ARN", min_length=1)


class IdentitySettings(IdentityKeySettings):
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)


class OperatorKeys(BaseModel):
    """The API keys of the operator API's clients: integrations (OPERATOR_API_KEY_ID) and the console."""

    operator_api_key_id: str = Field(alias="OPERATOR_API_KEY_ID", min_length=1)
    console_api_key_id: str | None = Field(alias="CONSOLE_API_KEY_ID", default=None)

    @property
    def operator_key_ids(self) -> set[str]:
        return {k for k in (self.operator_api_key_id, self.console_api_key_id) if k}


class ReadApiSettings(IdentityKeySettings, OperatorKeys):
    pass


class StewardshipSettings(IdentitySettings, OperatorKeys):
    pass


class PrivacySettings(IdentityKeySettings, OperatorKeys):
    pass


class AnnouncerSettings(ObservabilitySettings):
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)


@lru_cache(maxsize=1)
def get_announcer_settings() -> AnnouncerSettings:
    return AnnouncerSettings.model_validate(dict(os.environ))


@lru_cache(maxsize=1)
def get_ingest_settings() -> IngestSettings:
    return IngestSettings.model_validate(dict(os.environ))


@lru_cache(maxsize=1)
def get_identity_settings() -> IdentitySettings:
    return IdentitySettings.model_validate(dict(os.environ))


@lru_cache(maxsize=1)
def get_read_api_settings() -> ReadApiSettings:
    return ReadApiSettings.model_validate(dict(os.environ))


@lru_cache(maxsize=1)
def get_stewardship_settings() -> StewardshipSettings:
    return StewardshipSettings.model_validate(dict(os.environ))


@lru_cache(maxsize=1)
def get_privacy_settings() -> PrivacySettings:
    return PrivacySettings.model_validate(dict(os.environ))


class CasesSettings(TableSettings, OperatorKeys):
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    dead_letter_queue_url: str | None = Field(alias="DEAD_LETTER_QUEUE_URL", default=None)


class TrackerSettings(TableSettings):
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)


class ContextSettings(ReadApiSettings):
    pass


class Open311Settings(TableSettings):
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    open311_keys_secret_arn: str = Field(alias="OPEN311_KEYS_SECRET_ARN", min_length=1)
    jurisdiction_id: str = Field(alias="OPEN311_JURISDICTION_ID", min_length=1)


@lru_cache(maxsize=1)
def get_cases_settings() -> CasesSettings:
    return CasesSettings.model_validate(dict(os.environ))


@lru_cache(maxsize=1)
def get_tracker_settings() -> TrackerSettings:
    return TrackerSettings.model_validate(dict(os.environ))


@lru_cache(maxsize=1)
def get_context_settings() -> ContextSettings:
    return ContextSettings.model_validate(dict(os.environ))


@lru_cache(maxsize=1)
def get_open311_settings() -> Open311Settings:
    return Open311Settings.model_validate(dict(os.environ))


class JourneySettingsEnv(TableSettings):
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    repeat_window_hours: int = Field(alias="REPEAT_WINDOW_HOURS", default=168, gt=0)
    abandon_after_days: int = Field(alias="ABANDON_AFTER_DAYS", default=30, gt=0)
    sentiment_backend: Literal["comprehend", "local"] = Field(alias="SENTIMENT_BACKEND", default="comprehend")


@lru_cache(maxsize=1)
def get_journey_settings() -> JourneySettingsEnv:
    return JourneySettingsEnv.model_validate(dict(os.environ))


class NotificationSettingsEnv(TableSettings):
    email_from: str = Field(alias="NOTIFY_EMAIL_FROM", min_length=3, description="A verified SES identity")
    sms_sender_id: str | None = Field(alias="NOTIFY_SMS_SENDER_ID", default=None)
    whatsapp_api_url: str = Field(alias="WHATSAPP_API_URL", min_length=1)
    channel_secrets_arn: str = Field(alias="CHANNEL_SECRETS_ARN", min_length=1)
    timezone: str = Field(alias="NOTIFY_TIMEZONE", default="America/Mexico_City")
    quiet_hours: str = Field(alias="NOTIFY_QUIET_HOURS", default="22:00-08:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")
    per_hour: int = Field(alias="NOTIFY_MAX_PER_HOUR", default=3, gt=0)
    per_day: int = Field(alias="NOTIFY_MAX_PER_DAY", default=10, gt=0)
    default_phone_region: str = Field(alias="DEFAULT_PHONE_REGION", default="MX", min_length=2, max_length=2)


@lru_cache(maxsize=1)
def get_notification_settings() -> NotificationSettingsEnv:
    return NotificationSettingsEnv.model_validate(dict(os.environ))
