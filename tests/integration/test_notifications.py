"""The notifier's service on the emulator's DynamoDB: the real repositories, catalogue, templates and case service.

Case events are captured from the case service (so the running stack's own notifier does not see them) and handed
to the service under test; the providers are recording senders (unit-test fakes of SES / SNS / WhatsApp).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.cases.service import CaseService
from shared.catalogue import get_catalogue
from shared.identity.records import CitizenRecord
from shared.models.citizen import IdentifierKind, IdentifierRecord, LinkExplanation, TimelineEntry
from shared.models.delivery import DeliveryStatus
from shared.models.events import CaseStatusChanged, CitizenResolved, DomainEvent
from shared.models.notification import Notification, Preferences
from shared.models.procedure import CaseStatus
from shared.models.touchpoint import Channel, CitizenClaims, Touchpoint
from shared.notifications.rules import NotificationChannel
from shared.notifications.senders import Accepted, ProviderError
from shared.notifications.service import NotificationService, NotificationSettings, trigger_id
from shared.notifications.templates import RenderedMessage, get_templates
from shared.repositories.cases import DynamoDBCaseRepository
from shared.repositories.identity import DynamoDBIdentityRepository
from shared.repositories.notifications import DynamoDBNotificationRepository
from shared.repositories.touchpoints import DynamoDBTouchpointRepository
from tests.fakes import FakePublisher

pytestmark = pytest.mark.integration

NOON_MEXICO = datetime(2030, 12, 2, 18, 0, tzinfo=UTC)  # 12:00 in Mexico City (UTC-6)


@dataclass
class Recording:
    channel: NotificationChannel
    log: list[tuple[NotificationChannel, str, RenderedMessage]]
    sent: list[tuple[str, RenderedMessage]] = field(default_factory=list)
    failures: int = 0

    def send(self, to: str, message: RenderedMessage, notification_id: str) -> Accepted:
        if self.failures:
            self.failures -= 1
            raise ProviderError(f"{self.channel.value}: HTTP 500")
        self.sent.append((to, message))
        self.log.append((self.channel, to, message))
        provider = {NotificationChannel.EMAIL: "ses", NotificationChannel.SMS: "sns"}.get(self.channel, "whatsapp")
        return Accepted(provider=provider, message_id=f"msg-{uuid.uuid4().hex}")


@dataclass
class World:
    service: NotificationService
    cases: CaseService
    published: FakePublisher
    identity: DynamoDBIdentityRepository
    touchpoints: DynamoDBTouchpointRepository
    repo: ThisTestsNotifications
    senders: dict[NotificationChannel, Recording]
    log: list[tuple[NotificationChannel, str, RenderedMessage]]

    def all_sent(self) -> list[tuple[NotificationChannel, str, RenderedMessage]]:
        """Every message sent, in the order sent."""
        return list(self.log)

    def deliver_events(self, at: datetime) -> list[Any]:
        """Hand the captured case events to the notifier, as the bus would, then forget them."""
        outcomes = []
        for event in list(self.published.published):
            detail = event.model_dump(mode="json")
            outcomes.append(self.service.on_case_event(event, trigger_id(event.detail_type(), detail), at))
        self.published.published.clear()
        return [o for o in outcomes if o is not None]


class ThisTestsNotifications(DynamoDBNotificationRepository):
    """The real repository, but `due` only returns this test's notifications: the stack's own notifier shares the
    table and defers real ones (quiet hours at night), which must not be sent by the recording senders here."""

    def __init__(self, client: Any, table_name: str) -> None:
        super().__init__(client, table_name)
        self.citizens: set[str] = set()

    def due(self, now: datetime, limit: int) -> list[Notification]:
        return [n for n in super().due(now, 1000) if n.citizen_id in self.citizens][:limit]


@pytest.fixture()
def world(dynamodb: Any, table_name: str) -> World:
    published = FakePublisher()
    catalogue = get_catalogue()
    identity = DynamoDBIdentityRepository(dynamodb, table_name)
    touchpoints = DynamoDBTouchpointRepository(dynamodb, table_name)
    repo = ThisTestsNotifications(dynamodb, table_name)
    log: list[tuple[NotificationChannel, str, RenderedMessage]] = []
    senders = {channel: Recording(channel, log) for channel in NotificationChannel}
    service = NotificationService(
        notifications=repo,
        cases=DynamoDBCaseRepository(dynamodb, table_name),
        catalogue=catalogue,
        citizens=identity,
        touchpoints=touchpoints,
        timeline=identity.add_entry,
        senders=senders,
        templates=get_templates(),
        settings=NotificationSettings(per_hour=3, per_day=10),
    )
    cases = CaseService(
        cases=DynamoDBCaseRepository(dynamodb, table_name),
        touchpoints=touchpoints,
        catalogue=catalogue,
        publisher=published,
    )
    return World(service, cases, published, identity, touchpoints, repo, senders, log)


def citizen(world: World, *, phone: str | None = None, email: str | None = None, name: str = "Rosa") -> str:
    citizen_id = f"cit-{uuid.uuid4().hex}"
    since = datetime(2026, 3, 1, tzinfo=UTC)
    identifiers = []
    if phone:
        identifiers.append(IdentifierRecord(kind=IdentifierKind.PHONE, value=phone, rule="test", since=since))
    if email:
        identifiers.append(IdentifierRecord(kind=IdentifierKind.EMAIL, value=email, rule="test", since=since))
    record = CitizenRecord(
        citizen_id=citizen_id,
        created_at=since,
        updated_at=since,
        identifiers=tuple(identifiers),
        given_name=name,
    )
    world.identity.create(record, [])
    world.repo.citizens.add(citizen_id)
    return citizen_id


def contact(world: World, citizen_id: str, channel: Channel, at: datetime, **details: Any) -> None:
    """A touchpoint of the citizen on their timeline (what identity resolution would have written)."""
    entry = TimelineEntry(touchpoint_id=f"tp-{uuid.uuid4().hex}", channel=channel, occurred_at=at, details=details)
    world.identity.add_entry(citizen_id, entry, LinkExplanation(rule="test"))


def message_from(world: World, citizen_id: str, text: str, at: datetime, *, network: str = "whatsapp") -> None:
    """An inbound WhatsApp/SMS message, stored and resolved to the citizen, then its CitizenResolved handled."""
    touchpoint = Touchpoint(
        touchpoint_id=f"tp-{uuid.uuid4().hex}",
        channel=Channel.MESSAGING,
        occurred_at=at,
        citizen=CitizenClaims(phone="+52 55 9000 1111"),
        text=text,
        details={"network": network},
    )
    world.touchpoints.add(touchpoint)
    world.service.on_contact(
        CitizenResolved(touchpoint_id=touchpoint.touchpoint_id, citizen_id=citizen_id, outcome="matched", rule="t"),
        at,
    )


def open_case(world: World, citizen_id: str, language: str = "es") -> str:
    case = world.cases.open(
        "acta-nacimiento", citizen_id=citizen_id, channel=Channel.OFFICE, actor="test", language=language
    )
    return case.reference


def notifications_on_timeline(world: World, citizen_id: str) -> list[TimelineEntry]:
    page = world.identity.timeline([citizen_id], 50)
    return [i.entry for i in page.items if "notification" in i.entry.details]


def test_a_status_change_reaches_the_citizen_once_in_their_language_on_their_last_channel(world: World) -> None:
    rosa = citizen(world, phone="+525590001111", email="rosa@example.com")
    contact(world, rosa, Channel.EMAIL, NOON_MEXICO - timedelta(days=1))
    reference = open_case(world, rosa, language="en")
    events = list(world.published.published)

    outcomes = world.deliver_events(NOON_MEXICO)

    assert [o.state for o in outcomes] == ["sent"]
    ((channel, to, message),) = world.all_sent()
    assert (channel, to) == (NotificationChannel.EMAIL, "rosa@example.com")
    assert message.language == "en" and reference in (message.subject or "")
    assert "We received your request" in message.body or "received" in message.body.lower()
    # the same event again (a retry, a redrive): nothing more is sent
    world.published.published.extend(events)
    assert world.deliver_events(NOON_MEXICO + timedelta(minutes=5)) == []
    assert len(world.all_sent()) == 1
    (entry,) = notifications_on_timeline(world, rosa)
    assert entry.details["delivery"] == "sent" and entry.details["via"] == "email"
    assert entry.case is not None and entry.case.reference == reference


def test_the_message_speaks_of_the_announced_status_even_if_the_case_moved_on(world: World) -> None:
    rosa = citizen(world, email="rosa.b@example.com")
    reference = open_case(world, rosa)
    world.cases.set_status(reference, CaseStatus.IN_REVIEW, channel=None, actor="agency")
    world.deliver_events(NOON_MEXICO)
    bodies = [m.body for _, _, m in world.all_sent()]
    assert len(bodies) == 2
    assert "Recibimos tu trámite" in bodies[0]  # CaseOpened, handled after the case was already in review
    assert "en revisión" in bodies[1]


def test_quiet_hours_defer_a_message_to_the_morning(world: World) -> None:
    rosa = citizen(world, phone="+525590002222")
    open_case(world, rosa)
    night = datetime(2030, 12, 3, 5, 30, tzinfo=UTC)  # 23:30 in Mexico City
    (outcome,) = world.deliver_events(night)
    assert (outcome.state, outcome.reason) == ("deferred", "quiet_hours")
    assert world.all_sent() == []
    assert world.service.run_due(night + timedelta(hours=7)) == []  # 06:30: still quiet, not due
    assert world.all_sent() == []
    morning = [
        o for o in world.service.run_due(night + timedelta(hours=9)) if o.notification_id == outcome.notification_id
    ]
    assert [o.state for o in morning] == ["sent"]  # 08:30 local
    assert [c for c, _, _ in world.all_sent()] == [NotificationChannel.SMS]
    world.service.run_due(night + timedelta(hours=10))
    assert len(world.all_sent()) == 1


def test_the_rate_limit_defers_the_fourth_message_in_an_hour_and_never_drops_it(world: World) -> None:
    rosa = citizen(world, email="rosa.c@example.com")
    reference = open_case(world, rosa)
    for status in (CaseStatus.IN_REVIEW, CaseStatus.AWAITING_CITIZEN, CaseStatus.IN_REVIEW):
        world.cases.set_status(reference, status, channel=None, actor="agency")
    outcomes = world.deliver_events(NOON_MEXICO)
    assert [o.state for o in outcomes] == ["sent", "sent", "sent", "deferred"]
    assert outcomes[-1].reason == "rate_limit"
    assert len(world.all_sent()) == 3
    due = world.service.run_due(NOON_MEXICO + timedelta(hours=1, seconds=1))
    assert [o.notification_id for o in due if o.state == "sent"] == [outcomes[-1].notification_id]
    assert len(world.all_sent()) == 4


def test_baja_on_whatsapp_opts_out_of_whatsapp_only_and_alta_opts_back_in(world: World) -> None:
    rosa = citizen(world, phone="+525590001111")
    message_from(world, rosa, "Hola, ¿cómo va mi trámite?", NOON_MEXICO - timedelta(hours=2))
    reference = open_case(world, rosa)
    world.deliver_events(NOON_MEXICO - timedelta(hours=2))
    assert [c for c, _, _ in world.all_sent()] == [NotificationChannel.WHATSAPP]

    message_from(world, rosa, "BAJA", NOON_MEXICO - timedelta(hours=1))
    confirmation = world.senders[NotificationChannel.WHATSAPP].sent[-1][1]
    assert "Ya no te enviaremos mensajes" in confirmation.body  # confirmed where she wrote
    world.cases.set_status(reference, CaseStatus.IN_REVIEW, channel=None, actor="agency")
    world.deliver_events(NOON_MEXICO)
    assert world.all_sent()[-1][0] is NotificationChannel.SMS  # still told, on the channel she did not refuse
    assert len(world.senders[NotificationChannel.WHATSAPP].sent) == 2

    message_from(world, rosa, "ALTA", NOON_MEXICO + timedelta(hours=2))
    world.cases.set_status(reference, CaseStatus.AWAITING_CITIZEN, channel=None, actor="agency")
    world.deliver_events(NOON_MEXICO + timedelta(hours=2))
    assert world.all_sent()[-1][0] is NotificationChannel.WHATSAPP


def test_a_preferred_channel_and_language_win(world: World) -> None:
    rosa = citizen(world, phone="+525590003333", email="rosa.d@example.com")
    contact(world, rosa, Channel.MESSAGING, NOON_MEXICO - timedelta(days=1), network="sms")
    world.repo.set_preferences(rosa, Preferences(channel=NotificationChannel.EMAIL, language="en"))
    open_case(world, rosa, language="es")
    world.deliver_events(NOON_MEXICO)
    ((channel, _, message),) = world.all_sent()
    assert channel is NotificationChannel.EMAIL and message.language == "en"


def test_a_citizen_nothing_reaches_is_recorded_not_lost(world: World) -> None:
    rosa = citizen(world)  # only ever came to the office, left no phone or email
    open_case(world, rosa)
    (outcome,) = world.deliver_events(NOON_MEXICO)
    assert outcome.state == "unreachable" and world.all_sent() == []
    (entry,) = notifications_on_timeline(world, rosa)
    assert entry.details["delivery"] == "unreachable"


def test_a_provider_error_is_raised_for_the_retries_and_a_retry_sends_once(world: World) -> None:
    rosa = citizen(world, email="rosa.e@example.com")
    open_case(world, rosa)
    (event,) = world.published.published
    world.published.published.clear()
    world.senders[NotificationChannel.EMAIL].failures = 1
    trigger = trigger_id(event.detail_type(), event.model_dump(mode="json"))
    with pytest.raises(ProviderError):
        world.service.on_case_event(event, trigger, NOON_MEXICO)
    assert world.all_sent() == []
    retried = world.service.on_case_event(event, trigger, NOON_MEXICO + timedelta(seconds=2))
    assert retried is not None and retried.state == "sent"
    assert world.service.on_case_event(event, trigger, NOON_MEXICO + timedelta(seconds=4)) is None
    assert len(world.all_sent()) == 1
    stored = world.repo.get(retried.notification_id)
    assert stored is not None and stored.attempts == 2 and stored.state == "sent"


def test_a_delivery_report_shows_on_the_timeline_entry(world: World) -> None:
    rosa = citizen(world, email="rosa.f@example.com")
    open_case(world, rosa)
    (outcome,) = world.deliver_events(NOON_MEXICO)
    stored = world.repo.get(outcome.notification_id)
    assert stored is not None and stored.provider and stored.provider_message_id
    status = DeliveryStatus(
        provider="ses", provider_message_id=stored.provider_message_id, status="delivered", at=NOON_MEXICO
    )
    assert world.service.on_delivery(status)
    (entry,) = notifications_on_timeline(world, rosa)
    assert entry.details["delivery"] == "delivered"


def test_events_without_a_citizen_or_a_message_are_ignored(world: World) -> None:
    case = world.cases.open("acta-nacimiento", citizen_id=None, channel=Channel.OFFICE, actor="test")
    step_event: DomainEvent = CaseStatusChanged(
        reference=case.reference, procedure=case.procedure, from_status="received", to_status="received"
    )
    world.published.published.append(step_event)
    assert world.deliver_events(NOON_MEXICO) == []
    assert world.all_sent() == []


def test_a_citizen_who_objects_is_not_notified_and_the_timeline_says_so(world: World) -> None:
    rosa = citizen(world, phone="+525590004444", email="rosa.g@example.com")
    world.repo.set_preferences(rosa, Preferences(notifications=False))
    reference = open_case(world, rosa)
    world.cases.set_status(reference, CaseStatus.IN_REVIEW, channel=None, actor="agency")
    outcomes = world.deliver_events(NOON_MEXICO)
    assert [o.state for o in outcomes] == ["withheld", "withheld"] and world.all_sent() == []
    assert {e.details["delivery"] for e in notifications_on_timeline(world, rosa)} == {"withheld"}
    world.repo.set_preferences(rosa, Preferences(notifications=True))  # she asks to be told again
    world.cases.set_status(reference, CaseStatus.AWAITING_CITIZEN, channel=None, actor="agency")
    assert [o.state for o in world.deliver_events(NOON_MEXICO)] == ["sent"]
