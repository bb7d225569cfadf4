"""A provider's report on a message Ventanilla sent (WhatsApp statuses, Twilio status callbacks)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DeliveryState = Literal["queued", "sent", "delivered", "read", "failed", "undelivered"]


class DeliveryStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    provider: Literal["whatsapp", "twilio", "meta", "ses"]
    provider_message_id: str = Field(description="The provider's id of the message Ventanilla sent")
    status: DeliveryState
    at: datetime
    error: str | None = Field(default=None, description="Provider error code and title, when it failed")
