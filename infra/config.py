"""Per-environment configuration read from CDK context, plus the one list of channels and functions."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_logs as logs
from pydantic import BaseModel, ConfigDict, Field, field_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = PROJECT_ROOT / "functions"
SHARED_DIR = PROJECT_ROOT / "shared"
REQUIREMENTS_FILE = PROJECT_ROOT / "requirements.txt"
CACHE_DIR = PROJECT_ROOT / ".cache"

CONTEXT_ENVIRONMENTS = "ventanilla:environments"
CONTEXT_ENV_SELECTOR = "env"
DEFAULT_ENVIRONMENT = "dev"

# The single source of truth for the channels (one ingest function, one route and one API client each)
# and for the other functions' directory names under functions/.
CHANNELS: tuple[str, ...] = ("phone", "messaging", "email", "chat", "social", "web", "mobile", "office")
IDENTITY_FUNCTION = "identity"
CITIZENS_FUNCTION = "citizens"
STEWARDSHIP_FUNCTION = "stewardship"
CASES_FUNCTION = "cases"
TRACKER_FUNCTION = "tracker"
CONTEXT_FUNCTION = "context"
OPEN311_FUNCTION = "open311"
JOURNEYS_FUNCTION = "journeys"
NOTIFICATIONS_FUNCTION = "notifications"
PRIVACY_FUNCTION = "privacy"
ANNOUNCER_FUNCTION = "announcer"
OPERATOR_CLIENT = "operator"
ALL_FUNCTIONS: tuple[str, ...] = (
    *CHANNELS,
    IDENTITY_FUNCTION,
    CITIZENS_FUNCTION,
    STEWARDSHIP_FUNCTION,
    CASES_FUNCTION,
    TRACKER_FUNCTION,
    CONTEXT_FUNCTION,
    OPEN311_FUNCTION,
    JOURNEYS_FUNCTION,
    NOTIFICATIONS_FUNCTION,
    PRIVACY_FUNCTION,
    ANNOUNCER_FUNCTION,
)

# The domain event that links ingest to identity resolution.
INGEST_EVENT_SOURCE = "ventanilla.ingest"
TOUCHPOINT_RECORDED = "TouchpointRecorded"
# The transactional outbox: a channel function only stores the raw touchpoint; the table's stream feeds the
# announcer, which publishes TouchpointRecorded. The raw touchpoint item's key shape and its import marker, as the
# touchpoint repository writes them (shared/repositories/touchpoints.py; the same values, checked by a unit test):
# the mapping's filter lets only new raw touchpoints that were not bulk-imported reach the announcer.
RAW_TOUCHPOINT_PK_PREFIX = "TP#"
RAW_TOUCHPOINT_SK = "TOUCHPOINT"
IMPORTED_ATTRIBUTE = "imported"
ANNOUNCER_BATCH_SIZE = 100
ANNOUNCER_RETRY_ATTEMPTS = 8
ANNOUNCER_MAX_RECORD_AGE_HOURS = 6
# The channels whose providers report on the messages Ventanilla sent (DeliveryReported): the only channel functions
# that publish an event themselves.
CHANNELS_WITH_DELIVERY_REPORTS: tuple[str, ...] = ("messaging", "social")
# Provider secrets each channel's native routes need (names of the ChannelSecrets JSON object; the same list
# as shared/webhooks/secrets.py SECRET_NAMES, checked by a unit test), and the provider routes themselves.
CHANNEL_SECRET_NAMES: tuple[str, ...] = (
    "whatsapp_app_secret",
    "whatsapp_verify_token",
    "meta_app_secret",
    "meta_verify_token",
    "twilio_auth_token",
    "ses_basic_user",
    "ses_basic_password",
    "whatsapp_access_token",
    "whatsapp_phone_number_id",
)
# (channel, method, path, keyed): keyed routes carry the channel's API key; the others a provider signature.
PROVIDER_ROUTES: tuple[tuple[str, str, str, bool], ...] = (
    ("messaging", "GET", "/v1/channels/messaging/whatsapp", False),
    ("messaging", "POST", "/v1/channels/messaging/whatsapp", False),
    ("messaging", "POST", "/v1/channels/messaging/twilio", False),
    ("email", "POST", "/v1/channels/email/ses", False),
    ("social", "GET", "/v1/channels/social/meta", False),
    ("social", "POST", "/v1/channels/social/meta", False),
    ("phone", "POST", "/v1/channels/phone/connect", True),
)
CHANNELS_WITH_PROVIDER_SECRETS: tuple[str, ...] = ("messaging", "email", "social")

# The identity events the case tracker follows.
IDENTITY_EVENT_SOURCE = "ventanilla.identity"
CASE_TRACKED_EVENTS: tuple[str, ...] = ("CitizenResolved", "CitizensMerged", "CitizenSplit")
# The case events the journey monitor follows, and how often it looks for due timers.
CASES_EVENT_SOURCE = "ventanilla.cases"
JOURNEY_EVENTS: tuple[str, ...] = (
    "CaseTouchpointAttached",
    "CaseOpened",
    "CaseStepCompleted",
    "CaseStatusChanged",
    "CaseClosed",
)
JOURNEY_TIMER_MINUTES = 5
# What the notifier follows: the case events that tell a citizen something, the contacts that may change consent,
# the providers' delivery reports; and how often it sends what quiet hours or the rate limit deferred.
NOTIFIED_CASE_EVENTS: tuple[str, ...] = ("CaseOpened", "CaseStatusChanged", "CaseClosed")
CONSENT_EVENTS: tuple[str, ...] = ("CitizenResolved",)
DELIVERY_REPORTED = "DeliveryReported"
NOTIFICATION_TIMER_MINUTES = 5

_RETENTION_BY_DAYS: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


class EnvironmentConfig(BaseModel):
    """What differs between environments; everything else is fixed in the constructs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    log_retention_days: int = 30
    removal_policy: Literal["retain", "destroy"] = "retain"
    api_throttle_rate_limit: float = Field(default=50, gt=0)
    api_throttle_burst_limit: int = Field(default=100, gt=0)
    api_monthly_quota: int = Field(default=1_000_000, gt=0)
    default_phone_region: str = Field(default="MX", pattern=r"^[A-Z]{2}$")
    open311_jurisdiction_id: str = Field(
        default="ventanilla.example.gob.mx", min_length=1, description="Open311 jurisdiction_id this API answers for"
    )
    notify_email_from: str = Field(
        default="avisos@ventanilla.example.gob.mx",
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Sender of citizen emails: an address or domain the agency verifies in SES",
    )
    notify_sms_sender_id: str | None = Field(default=None, max_length=11, description="SMS sender id, where allowed")
    whatsapp_api_url: str = Field(default="https://graph.facebook.com/v21.0", pattern=r"^https://")
    notify_timezone: str = Field(default="America/Mexico_City", min_length=1)
    notify_quiet_hours: str = Field(default="22:00-08:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")
    operator_auth_domain: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
        description="Cognito domain prefix for operators' token endpoint (unique per region); default ventanilla-<env>",
    )
    text_retention_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        description="Days raw touchpoints (message text, claims as received) are kept (DynamoDB time to live)",
    )
    waf: bool = Field(
        default=False,
        description="A regional AWS WAF web ACL on the API stage (managed rule groups, a per-address rate limit, logs)",
    )
    backup_plan: bool = Field(
        default=False,
        description="An AWS Backup plan for the table (daily kept 35 days, monthly kept a year) besides PITR",
    )
    event_consumer_concurrency: int | None = Field(
        default=None,
        ge=1,
        description="Reserved concurrency of each function an EventBridge rule invokes (the account's quota must "
        "leave 100 unreserved); None reserves nothing",
    )
    trace_aws_calls: bool = Field(
        default=False,
        description="Powertools' Tracer (X-Ray SDK) adds a subsegment per AWS call; about 150 ms more per cold start. "
        "Off, Lambda's active tracing still records every invocation",
    )
    lambda_memory_mb: int = Field(default=512, ge=128, le=10240)
    lambda_timeout_seconds: int = Field(default=15, ge=1, le=900)

    @field_validator("log_retention_days")
    @classmethod
    def _known_retention(cls, value: int) -> int:
        if value not in _RETENTION_BY_DAYS:
            raise ValueError(f"log_retention_days must be one of {sorted(_RETENTION_BY_DAYS)}")
        return value

    @property
    def log_retention(self) -> logs.RetentionDays:
        return _RETENTION_BY_DAYS[self.log_retention_days]

    @property
    def cdk_removal_policy(self) -> RemovalPolicy:
        return RemovalPolicy.RETAIN if self.removal_policy == "retain" else RemovalPolicy.DESTROY

    @property
    def deletion_protection(self) -> bool:
        """Retained environments also refuse deletion of the table (DynamoDB deletion protection)."""
        return self.removal_policy == "retain"

    @property
    def waf_rate_limit(self) -> int:
        """Requests one address may send in WAF's 5-minute window: one API client's whole throttle allowance."""
        return int(self.api_throttle_rate_limit * 300)

    @property
    def lambda_timeout(self) -> Duration:
        return Duration.seconds(self.lambda_timeout_seconds)

    @classmethod
    def from_context(cls, environments: Any, env_name: str | None) -> EnvironmentConfig:
        """Build the config for `env_name` from the `ventanilla:environments` context value."""
        name = env_name or DEFAULT_ENVIRONMENT
        if not isinstance(environments, Mapping) or not environments:
            raise ValueError(f"CDK context '{CONTEXT_ENVIRONMENTS}' is missing or empty (see cdk.json)")
        if name not in environments:
            raise ValueError(f"Unknown environment '{name}'; cdk.json defines: {', '.join(sorted(environments))}")
        return cls.model_validate({"name": name, **environments[name]})
