"""The journey monitor counts a contact once, however many times the tracker announces it (it announces a contact again
when a redelivered CitizenResolved finds it already on its case, since the first announcement may have failed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.cases.service import CaseService
from shared.catalogue import get_catalogue
from shared.journeys.measures import Fact
from shared.journeys.service import JourneyService
from shared.models.events import CaseTouchpointAttached, ChannelSwitched, RepeatContact
from shared.models.touchpoint import Channel
from tests.fakes import FakeCaseRepository, FakeJourneyRepository, FakePublisher, FakeTouchpointRepository

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REFERENCE = "PRE-2026-000001"


class Monitor:
    def __init__(self) -> None:
        touchpoints = FakeTouchpointRepository()
        cases = FakeCaseRepository(touchpoints)
        self.journeys = FakeJourneyRepository()
        self.publisher = FakePublisher()
        self.timeline: list[Any] = []
        self.measures: list[Fact] = []
        self.service = JourneyService(
            journeys=self.journeys,  # type: ignore[arg-type]  # the adapter's methods the service calls
            cases=cases,
            catalogue=get_catalogue(),
            case_service=CaseService(cases, touchpoints, get_catalogue(), self.publisher),
            timeline=lambda *entry: self.timeline.append(entry),
            publisher=self.publisher,
            touchpoints=touchpoints,
            measures=self.measures.append,
        )


def contact(channel: Channel, hours: int) -> CaseTouchpointAttached:
    return CaseTouchpointAttached(
        reference=REFERENCE,
        procedure="predial",
        citizen_id="cit-1",
        touchpoint_id=f"tp-{channel.value}-{hours}",
        channel=channel,
        occurred_at=T0 + timedelta(hours=hours),
        rule="opened" if hours == 0 else "inferred:same-procedure",
        progressed=hours == 0,
        refused_step=False,
    )


def test_a_contact_announced_again_adds_no_contact_measure_or_signal() -> None:
    monitor = Monitor()
    # Given she opened the case by email and wrote again on WhatsApp a day later: a switch and a repeat contact
    assert monitor.service.on_contact(contact(Channel.EMAIL, 0)) == []
    signals = monitor.service.on_contact(contact(Channel.MESSAGING, 24))
    assert [type(s) for s in signals] == [ChannelSwitched, RepeatContact]
    before = (monitor.journeys.states[REFERENCE], len(monitor.measures), len(monitor.publisher.published))
    # When the tracker announces both contacts again
    again = [
        monitor.service.on_contact(contact(Channel.EMAIL, 0)),
        monitor.service.on_contact(contact(Channel.MESSAGING, 24)),
    ]
    # Then nothing is counted, measured, signalled or written twice
    assert again == [[], []]
    assert (monitor.journeys.states[REFERENCE], len(monitor.measures), len(monitor.publisher.published)) == before
    state = monitor.journeys.states[REFERENCE]
    assert (state.contacts, state.channel_switches, state.repeat_contacts, state.version) == (2, 1, 1, 2)
    assert sum(f.adds["contacts"] for f in monitor.measures) == 2 and len(monitor.timeline) == 2
