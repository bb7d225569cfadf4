"""Recording what one provider webhook carries: several messages, status updates, entries we cannot use.

A webhook is answered 200 whenever it was authentic and readable, even if some entries were unusable: the
good entries are stored (each once, however often the provider retries), the bad ones reported by index.
Providers retry 5xx answers and disable endpoints that keep failing, so only a failure to store answers 5xx (or to
publish the delivery statuses). Stored touchpoints are announced from the table's stream, not here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from shared.events import EventPublisher
from shared.exceptions import DuplicateMismatchError
from shared.ingest.service import record_touchpoint
from shared.models.delivery import DeliveryStatus
from shared.models.events import DeliveryReported
from shared.models.touchpoint import Touchpoint
from shared.repositories.deliveries import DeliveryRepository
from shared.repositories.touchpoints import TouchpointRepository


class UnreadableWebhookError(ValueError):
    """An authentic body that is not the provider's webhook at all (answered 400, nothing stored)."""


def json_object(raw: bytes) -> dict[str, Any]:
    """A verified body as a JSON object; UnreadableWebhookError when it is not one."""
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise UnreadableWebhookError("request body is not valid JSON") from error
    if not isinstance(payload, dict):
        raise UnreadableWebhookError("request body is not a JSON object")
    return payload


@dataclass
class ParsedWebhook:
    """What an adapter found in one webhook, in the provider's order."""

    touchpoints: list[Touchpoint] = field(default_factory=list)
    statuses: list[DeliveryStatus] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (entry index, why) — never personal data


class RejectedEntry(BaseModel):
    index: int
    reason: str


class WebhookReport(BaseModel):
    accepted: list[str] = Field(default_factory=list, description="Touchpoint ids stored now")
    replayed: list[str] = Field(default_factory=list, description="Touchpoint ids already stored (a retry)")
    statuses: int = Field(default=0, description="Delivery statuses recorded")
    rejected: list[RejectedEntry] = Field(default_factory=list)


def record_webhook(
    parsed: ParsedWebhook,
    touchpoints: TouchpointRepository,
    deliveries: DeliveryRepository,
    publisher: EventPublisher | None,
    correlation_id: str | None = None,
) -> WebhookReport:
    """`publisher`: for the delivery statuses (DeliveryReported); may be None when the webhook carried none."""
    if parsed.statuses and publisher is None:
        raise ValueError("delivery statuses are published: a publisher is needed")
    report = WebhookReport(rejected=[RejectedEntry(index=i, reason=r) for i, r in parsed.rejected])
    for index, touchpoint in enumerate(parsed.touchpoints):
        try:
            outcome = record_touchpoint(touchpoint, touchpoints, correlation_id=correlation_id)
        except DuplicateMismatchError:  # the provider's message id, reused for other content: keep the others
            report.rejected.append(RejectedEntry(index=index, reason="conflict: message id reused for other content"))
            continue
        (report.accepted if outcome.created else report.replayed).append(outcome.touchpoint_id)
    for status in parsed.statuses:
        deliveries.record(status)
        report.statuses += 1
    if parsed.statuses and publisher is not None:  # the notifier shows the new state on the citizen's timeline
        publisher.publish(
            [
                DeliveryReported(
                    provider=s.provider,
                    provider_message_id=s.provider_message_id,
                    status=s.status,
                    at=s.at,
                    error=s.error,
                    correlation_id=correlation_id,
                )
                for s in parsed.statuses
            ]
        )
    return report


def summarise(report: WebhookReport) -> dict[str, object]:
    """Counts for logs (ids and reasons, nothing personal)."""
    return {
        "accepted": len(report.accepted),
        "replayed": len(report.replayed),
        "statuses": report.statuses,
        "rejected": [r.model_dump() for r in report.rejected],
    }
