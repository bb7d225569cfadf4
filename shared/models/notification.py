"""A message Ventanilla owes a citizen, from the event that triggered it to the provider's message id."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.notifications.rules import NotificationChannel, NotificationKind

NotificationState = Literal[
    "pending",  # created, not tried yet
    "deferred",  # quiet hours or the rate limit: due again at `due_at`
    "sending",  # claimed by one invocation until `lease_until`
    "failed",  # the provider refused or errored; retried by the event's retries, then parked in the DLQ
    "sent",  # the provider accepted it: `provider_message_id`
    "unreachable",  # no channel reaches the citizen (or every one is opted out): recorded, not sent
    "withheld",  # the citizen objected to notifications (ARCO opposition): recorded, not sent
]
ConsentState = Literal["opted_in", "opted_out"]


class Notification(BaseModel):
    model_config = ConfigDict(frozen=True)

    notification_id: str = Field(description="Deterministic: the triggering event, the citizen and the kind")
    citizen_id: str
    kind: NotificationKind
    trigger: str = Field(description="Detail type of the triggering event")
    reference: str | None = None
    procedure: str | None = None
    language: str = "es"
    values: dict[str, str | None] = Field(
        default_factory=dict, description="The template's values as they were when the event happened"
    )
    channel: NotificationChannel | None = Field(default=None, description="Forced channel (opt-out confirmations)")
    state: NotificationState = "pending"
    created_at: datetime
    due_at: datetime | None = None
    deferred_because: str | None = None
    attempts: int = 0
    lease_until: datetime | None = None
    sent_via: NotificationChannel | None = None
    provider: str | None = None
    provider_message_id: str | None = None
    sent_at: datetime | None = None
    error: str | None = None


class Consent(BaseModel):
    """What a citizen said about being written to on one channel, and from which contact point."""

    model_config = ConfigDict(frozen=True)

    channel: NotificationChannel
    state: ConsentState
    address: str | None = Field(default=None, description="The number or address the citizen wrote from")
    at: datetime
    touchpoint_id: str | None = None


class Preferences(BaseModel):
    """How the citizen asked to be told: a channel and a language (both optional)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: NotificationChannel | None = None
    language: Literal["es", "en"] | None = None
    notifications: bool = Field(
        default=True, description="false: the citizen objects to being notified (on every channel) until set true"
    )
