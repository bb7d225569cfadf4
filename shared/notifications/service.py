"""The notifier: case events become messages to citizens, once each, on a channel that reaches them.

Plain Python over ports. For each case event: which notification (`kind_for`), for whom (the case's citizen,
followed to the surviving record after merges), with the values of that moment (`case_values`). Then, now or
when due: on which channel (preference, else the last channel used that can carry a message, else any that
reaches them; never one they opted out of), not in quiet hours, within the per-citizen rate limit, rendered from
the templates in the citizen's language, sent by that channel's provider, and recorded on the citizen's timeline.

Replies on a channel ("BAJA", "STOP", "ALTA"...) change that channel's consent; a WhatsApp message is the
citizen's opt-in to be written to there. Time comes from the events (and the scheduled run), never the wall
clock, so the local runtime's `ventanilla clock advance` moves quiet hours and deferrals too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Literal, Protocol

from shared.catalogue import Catalogue
from shared.exceptions import ConflictError
from shared.identity.normalise import normalise_email, normalise_phone
from shared.identity.records import CitizenRecord
from shared.models.citizen import IdentifierKind, IdentifierRecord, LinkExplanation, TimelineEntry
from shared.models.delivery import DeliveryStatus
from shared.models.events import CaseOpened, CaseStatusChanged, CitizenResolved, DomainEvent
from shared.models.notification import Consent, Notification
from shared.models.procedure import CaseStatus
from shared.models.touchpoint import CaseRef, Channel
from shared.notifications.rules import (
    DEFAULT_TZ,
    QUIET_END,
    QUIET_START,
    Contact,
    NotificationChannel,
    NotificationKind,
    choose_channel,
    is_opt_in,
    is_opt_out,
    kind_for,
    notification_id,
    quiet_hours_delay,
    within_rate_limit,
)
from shared.notifications.senders import ProviderError, Sender
from shared.notifications.templates import Templates, case_values
from shared.repositories.cases import CaseRepository
from shared.repositories.identity import TimelinePage
from shared.repositories.notifications import NotificationRepository
from shared.repositories.touchpoints import TouchpointRepository

DUE_PER_RUN = 100
RECENT_ENTRIES = 20
MAX_RECORDS = 10  # a survivor and the records merged into it whose consents and sends count
TIMELINE_CHANNEL = {
    NotificationChannel.EMAIL: Channel.EMAIL,
    NotificationChannel.SMS: Channel.MESSAGING,
    NotificationChannel.WHATSAPP: Channel.MESSAGING,
}


class CitizenReader(Protocol):
    def get(self, citizen_id: str) -> CitizenRecord | None: ...
    def timeline(self, citizen_ids: Sequence[str], limit: int, cursor: str | None = None) -> TimelinePage: ...


TimelineWriter = Callable[[str, TimelineEntry, LinkExplanation], None]


@dataclass(frozen=True)
class NotificationSettings:
    tz: str = DEFAULT_TZ
    quiet_start: time = QUIET_START
    quiet_end: time = QUIET_END
    per_hour: int = 3
    per_day: int = 10
    lease: timedelta = timedelta(minutes=2)
    default_region: str = "MX"


@dataclass(frozen=True)
class Outcome:
    notification_id: str
    kind: str
    state: str
    channel: str | None = None
    reason: str | None = None


def trigger_id(detail_type: str, detail: Mapping[str, Any]) -> str:
    """The same event always gets the same id, also when it is redriven from the dead-letter queue (EventBridge
    gives a redriven event a new envelope id, but its detail is the same). A case opens once: CaseOpened is known by
    its case alone, since the tracker announces an opening again when a delivery finds it done (its first publish may
    have failed), by then perhaps with the citizen known or under another correlation id: one receipt all the same."""
    if detail_type == CaseOpened.detail_type():
        detail = {"reference": detail.get("reference")}
    canonical = json.dumps(detail, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{detail_type}\x1f{canonical}".encode()).hexdigest()[:40]


class NotificationService:
    def __init__(
        self,
        *,
        notifications: NotificationRepository,
        cases: CaseRepository,
        catalogue: Catalogue,
        citizens: CitizenReader,
        touchpoints: TouchpointRepository,
        timeline: TimelineWriter,
        senders: Mapping[NotificationChannel, Sender],
        templates: Templates,
        settings: NotificationSettings = NotificationSettings(),
    ) -> None:
        self.notifications = notifications
        self.cases = cases
        self.catalogue = catalogue
        self.citizens = citizens
        self.touchpoints = touchpoints
        self.timeline = timeline
        self.senders = dict(senders)
        self.templates = templates
        self.settings = settings

    # -- what comes in --------------------------------------------------------------------------------

    def on_case_event(self, event: DomainEvent, trigger: str, at: datetime) -> Outcome | None:
        """A case event: the notification it deserves (None when it deserves none or the case has no citizen)."""
        kind = kind_for(event)
        reference = getattr(event, "reference", None)
        if kind is None or reference is None:
            return None
        case = self.cases.get(reference)
        if case is None or not case.citizen_id:
            return None
        citizen_id = case.citizen_id
        procedure = self.catalogue.get(case.procedure)
        case = case.model_copy(update={"status": _status_announced(event, case.status)})  # not a later one
        citizen = self._survivor(citizen_id)
        preferences = self.notifications.preferences(citizen.citizen_id) if citizen else None
        language = (preferences.language if preferences else None) or case.language
        given_name = citizen.given_name if citizen else None
        notification = Notification(
            notification_id=notification_id(trigger, citizen_id, kind.value),
            citizen_id=citizen_id,
            kind=kind,
            trigger=event.detail_type(),
            reference=case.reference,
            procedure=case.procedure,
            language=language,
            values=case_values(case, procedure, language, given_name=given_name, tz=self.settings.tz),
            created_at=at,
        )
        return self._deliver(self.notifications.create(notification), at)

    def on_contact(self, resolved: CitizenResolved, at: datetime) -> Outcome | None:
        """A citizen's message on a channel we write on: BAJA/STOP opts out (and is confirmed there), ALTA/START
        opts back in, and any WhatsApp message is the opt-in to be written to on WhatsApp."""
        stored = self.touchpoints.get(resolved.touchpoint_id)
        if stored is None or stored.touchpoint.channel not in (Channel.MESSAGING, Channel.EMAIL):
            return None
        touchpoint = stored.touchpoint
        if touchpoint.channel is Channel.EMAIL:
            channel = NotificationChannel.EMAIL
            address = normalise_email(touchpoint.citizen.email or "")
        else:
            whatsapp = touchpoint.details.get("network") == NotificationChannel.WHATSAPP.value
            channel = NotificationChannel.WHATSAPP if whatsapp else NotificationChannel.SMS
            address = normalise_phone(touchpoint.citizen.phone or "", self.settings.default_region)
        current = self.notifications.consents([resolved.citizen_id]).get(channel)
        said = Consent(
            channel=channel,
            state="opted_in",
            address=address,
            at=touchpoint.occurred_at,
            touchpoint_id=stored.touchpoint_id,
        )
        if is_opt_out(touchpoint.text):
            self.notifications.set_consent(resolved.citizen_id, said.model_copy(update={"state": "opted_out"}))
            kind = NotificationKind.OPT_OUT_CONFIRMED
            preferences = self.notifications.preferences(resolved.citizen_id)
            confirmation = Notification(
                notification_id=notification_id(stored.touchpoint_id, resolved.citizen_id, kind.value),
                citizen_id=resolved.citizen_id,
                kind=kind,
                trigger=resolved.detail_type(),
                language=touchpoint.language or preferences.language or "es",
                channel=channel,
                created_at=at,
            )
            return self._deliver(self.notifications.create(confirmation), at, to=address)
        wants_in = is_opt_in(touchpoint.text) or (
            channel is NotificationChannel.WHATSAPP and (current is None or current.state == "opted_in")
        )
        changed = current is None or current.state != "opted_in" or current.address != address
        if wants_in and changed:
            self.notifications.set_consent(resolved.citizen_id, said)
        return None

    def run_due(self, now: datetime) -> list[Outcome]:
        """Send what was deferred (quiet hours, rate limit) and is due by `now`."""
        outcomes = []
        for notification in self.notifications.due(now, DUE_PER_RUN):
            outcome = self._deliver(notification, now)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def on_delivery(self, status: DeliveryStatus) -> bool:
        """A provider's report on a message we sent: the notification's timeline entry shows the new state."""
        notification = self.notifications.pointer(status.provider, status.provider_message_id)
        if notification is None or notification.state != "sent" or notification.sent_at is None:
            return False
        entry = self._entry(notification, notification.sent_at, delivery=status.status, error=status.error)
        self.timeline(notification.citizen_id, entry, _link(notification))
        return True

    # -- delivering ------------------------------------------------------------------------------------

    def _deliver(self, notification: Notification, at: datetime, to: str | None = None) -> Outcome | None:
        if notification.state in ("sent", "unreachable", "withheld"):
            return None  # a retried or redriven event: already done
        citizen = self._survivor(notification.citizen_id)
        records = [citizen.citizen_id, *citizen.members][:MAX_RECORDS] if citizen else [notification.citizen_id]
        consents = self.notifications.consents(records)
        contact = _contact(citizen, consents)
        if notification.channel is not None:  # a confirmation goes back where the citizen wrote
            channel: NotificationChannel | None = notification.channel
            forced = True
        else:
            forced = False
            preferences = self.notifications.preferences(records[0])
            if not preferences.notifications:
                return self._not_sent(notification, at, "withheld")  # the citizen objected: recorded, not sent
            opted_out = {c for c, consent in consents.items() if consent.state == "opted_out"}
            channel = choose_channel(preferences.channel, self._recent_channels(records), contact, opted_out)
        address = to or _address(channel, contact)
        if channel is None or not address:
            return self._not_sent(notification, at, "unreachable")
        if not forced:
            deferred = self._defer_until(records, at)
            if deferred is not None:
                when, why = deferred
                return self._defer(notification, when, why)
        claimed = self.notifications.claim(notification, at, self.settings.lease)
        if claimed is None:
            return None  # another invocation is sending it, or did
        message = self.templates.render(claimed.kind, channel, claimed.language, claimed.values)
        try:
            accepted = self.senders[channel].send(address, message, claimed.notification_id)
        except ProviderError as error:
            failed = claimed.model_copy(update={"state": "failed", "error": str(error)[:500], "lease_until": None})
            self.notifications.save(failed, expected_state="sending")
            raise
        sent = claimed.model_copy(
            update={
                "state": "sent",
                "sent_via": channel,
                "provider": accepted.provider,
                "provider_message_id": accepted.message_id,
                "sent_at": at,
                "error": None,
                "lease_until": None,
                "due_at": None,
            }
        )
        entry = self._entry(sent, at, delivery="sent", text=message.body, subject=message.subject)
        self.notifications.mark_sent(sent, entry, _link(sent))
        return Outcome(sent.notification_id, sent.kind.value, "sent", channel.value)

    def _defer_until(self, records: Sequence[str], at: datetime) -> tuple[datetime, str] | None:
        settings = self.settings
        quiet = quiet_hours_delay(at, settings.tz, settings.quiet_start, settings.quiet_end)
        if quiet is not None:
            return quiet, "quiet_hours"
        sent = self.notifications.sent_since(records, at - timedelta(days=1))
        if within_rate_limit(sent, at, settings.per_day, settings.per_hour):
            return None
        return next_allowed(sent, at, settings.per_day, settings.per_hour), "rate_limit"

    def _defer(self, notification: Notification, when: datetime, why: str) -> Outcome:
        deferred = notification.model_copy(update={"state": "deferred", "due_at": when, "deferred_because": why})
        try:
            self.notifications.save(deferred, expected_state=notification.state)
        except ConflictError:
            return Outcome(notification.notification_id, notification.kind.value, "busy")
        return Outcome(notification.notification_id, notification.kind.value, "deferred", reason=why)

    def _not_sent(self, notification: Notification, at: datetime, why: Literal["unreachable", "withheld"]) -> Outcome:
        """Not sent, and shown on the timeline for the next agent: nothing reaches the citizen (unreachable), or
        they objected to notifications (withheld). Never dropped silently."""
        final = notification.model_copy(update={"state": why, "due_at": None})
        try:
            self.notifications.save(final, expected_state=notification.state)
        except ConflictError:
            return Outcome(notification.notification_id, notification.kind.value, "busy")
        entry = self._entry(final, at, delivery=why, channel=Channel.OFFICE)
        self.timeline(notification.citizen_id, entry, _link(notification))
        return Outcome(notification.notification_id, notification.kind.value, why)

    # -- reading ---------------------------------------------------------------------------------------

    def _survivor(self, citizen_id: str) -> CitizenRecord | None:
        record = self.citizens.get(citizen_id)
        if record is not None and record.merged_into:
            return self.citizens.get(record.merged_into) or record
        return record

    def _recent_channels(self, records: Sequence[str]) -> list[Channel]:
        """The channels of the citizen's own contacts, newest first (not signals, not our notifications)."""
        page = self.citizens.timeline(records, RECENT_ENTRIES)
        return [
            item.entry.channel
            for item in page.items
            if "signal" not in item.entry.details and "notification" not in item.entry.details
        ]

    def _entry(
        self,
        notification: Notification,
        at: datetime,
        *,
        delivery: str,
        text: str | None = None,
        subject: str | None = None,
        error: str | None = None,
        channel: Channel | None = None,
    ) -> TimelineEntry:
        via = notification.sent_via or notification.channel
        details: dict[str, str | int | float | bool] = {
            "notification": notification.kind.value,
            "delivery": delivery,
            "language": notification.language,
        }
        if via is not None:
            details["via"] = via.value
        if notification.provider:
            details["provider"] = notification.provider
        if subject:
            details["subject"] = subject
        if error:
            details["error"] = error
        case = (
            CaseRef(procedure=notification.procedure, reference=notification.reference)
            if notification.reference
            else None
        )
        return TimelineEntry(
            touchpoint_id=notification.notification_id,
            channel=channel or (TIMELINE_CHANNEL[via] if via else Channel.OFFICE),
            occurred_at=at,
            text=text,
            case=case,
            details=details,
        )


def _status_announced(event: DomainEvent, current: CaseStatus) -> CaseStatus:
    """The status the event announces: the message speaks of it even when the case has moved on since."""
    if isinstance(event, CaseOpened):
        return CaseStatus.RECEIVED
    announced = event.to_status if isinstance(event, CaseStatusChanged) else getattr(event, "status", None)
    try:
        return CaseStatus(announced) if announced else current
    except ValueError:
        return current


def next_allowed(sent: Sequence[datetime], at: datetime, per_day: int, per_hour: int) -> datetime:
    """The first moment from `at` on when one more message fits the rate limit (a window rolls past a send)."""
    candidates = sorted({at, *(s + timedelta(hours=1) for s in sent), *(s + timedelta(days=1) for s in sent)})
    return next(c for c in candidates if c >= at and within_rate_limit(sent, c, per_day, per_hour))


def _link(notification: Notification) -> LinkExplanation:
    return LinkExplanation(rule="notification", evidence={"trigger": notification.trigger})


def _best(identifiers: Sequence[IdentifierRecord], kind: IdentifierKind) -> str | None:
    """The contact point most likely to be the citizen's own: personal or verified first, then the newest."""
    held = [i for i in identifiers if i.kind is kind]
    held.sort(key=lambda i: (i.personal or i.verified, i.since), reverse=True)
    return held[0].value if held else None


def _contact(citizen: CitizenRecord | None, consents: Mapping[NotificationChannel, Consent]) -> Contact:
    whatsapp = consents.get(NotificationChannel.WHATSAPP)
    identifiers = citizen.identifiers if citizen else ()
    phone = _best(identifiers, IdentifierKind.PHONE)
    if whatsapp is not None and whatsapp.state == "opted_in" and whatsapp.address:
        phone = whatsapp.address  # the number they wrote from
    return Contact(
        email=_best(identifiers, IdentifierKind.EMAIL),
        phone=phone,
        whatsapp_opted_in=whatsapp is not None and whatsapp.state == "opted_in",
    )


def _address(channel: NotificationChannel | None, contact: Contact) -> str | None:
    if channel is None:
        return None
    return contact.email if channel is NotificationChannel.EMAIL else contact.phone
