"""The journey monitor against the emulator: the scheduled run acts on every due timer, a page at a time, not only
the first hundred; a contact announced again is recognised from the stored journey."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.cases.service import CaseService
from shared.catalogue import get_catalogue
from shared.exceptions import ConflictError
from shared.journeys.rules import JourneyState, Timer, seen_key
from shared.journeys.service import TIMERS_PER_PAGE, JourneyService
from shared.models.events import CaseTouchpointAttached
from shared.models.touchpoint import Channel
from shared.repositories.cases import DynamoDBCaseRepository
from shared.repositories.journeys import DynamoDBJourneyRepository
from shared.repositories.touchpoints import DynamoDBTouchpointRepository
from tests.fakes import FakePublisher

pytestmark = pytest.mark.integration

LONG_AGO = datetime(1999, 1, 1, tzinfo=UTC)  # before any other test's timers: only this test's are due


def monitor(dynamodb: Any, table_name: str) -> tuple[JourneyService, DynamoDBJourneyRepository]:
    journeys, cases = DynamoDBJourneyRepository(dynamodb, table_name), DynamoDBCaseRepository(dynamodb, table_name)
    touchpoints = DynamoDBTouchpointRepository(dynamodb, table_name)
    publisher = FakePublisher()
    service = JourneyService(
        journeys=journeys,
        cases=cases,
        catalogue=get_catalogue(),
        case_service=CaseService(cases, touchpoints, get_catalogue(), publisher),
        timeline=lambda *_: None,
        publisher=publisher,
    )
    return service, journeys


def test_a_run_takes_every_due_timer_a_page_at_a_time_while_time_allows(dynamodb: Any, table_name: str) -> None:
    service, journeys = monitor(dynamodb, table_name)
    # Given 2.5 pages of timers fell due (of cases long gone, so they signal nothing)
    run = uuid.uuid4().hex[:6]
    count = TIMERS_PER_PAGE * 5 // 2
    for n in range(count // 2):
        due = LONG_AGO + timedelta(minutes=n)
        journeys.replace_timers(
            f"GONE-{run}-{n}",
            [Timer(f"GONE-{run}-{n}", "stall", due, None), Timer(f"GONE-{run}-{n}", "sla", due, "paso")],
        )
    now = LONG_AGO + timedelta(days=1)
    # When a run has no time for a second page, it takes one page; the next run, with time, takes the rest
    service.run_timers(now, seconds_left=lambda: 1.0)
    assert len(journeys.due_timers(now, count)) == count - TIMERS_PER_PAGE
    service.run_timers(now, seconds_left=lambda: 600.0)
    assert journeys.due_timers(now, count) == []


def test_a_contact_announced_again_is_counted_once_in_the_stored_journey(dynamodb: Any, table_name: str) -> None:
    service, journeys = monitor(dynamodb, table_name)
    reference = f"PRE-2026-{uuid.uuid4().int % 1_000_000:06d}"
    run = uuid.uuid4().hex[:6]
    contacts = [
        CaseTouchpointAttached(
            reference=reference,
            procedure="predial",
            touchpoint_id=f"tp-{run}-{n}",
            channel=channel,
            occurred_at=LONG_AGO + timedelta(hours=n),
            rule="inferred:same-procedure",
            progressed=False,
        )
        for n, channel in enumerate((Channel.EMAIL, Channel.MESSAGING))
    ]
    # Given two contacts on a case, the second in another channel (a switch)
    for event in contacts:
        service.on_contact(event)
    stored = journeys.get_state(reference)
    assert stored is not None and stored.seen_touchpoints == tuple(seen_key(e.touchpoint_id) for e in contacts)
    # When the tracker announces the second again, the stored journey is unchanged: read back, it is recognised
    assert service.on_contact(contacts[1]) == []
    assert journeys.get_state(reference) == stored
    assert (stored.contacts, stored.channel_switches, stored.version) == (2, 1, 2)


def test_a_journey_state_is_written_only_over_the_version_it_was_read_at(dynamodb: Any, table_name: str) -> None:
    journeys = DynamoDBJourneyRepository(dynamodb, table_name)
    reference = f"JRN-{uuid.uuid4().hex[:8]}"
    first = JourneyState(reference=reference, procedure="licencia", contacts=1, version=1)
    journeys.save_state(first)
    # a second first write (a concurrent delivery of the case's first contact) is refused
    with pytest.raises(ConflictError):
        journeys.save_state(replace(first, contacts=5))
    journeys.save_state(replace(first, contacts=2, version=2))
    # two writers that read version 2: the second is refused, and the state is the first one's
    journeys.save_state(replace(first, contacts=3, version=3))
    with pytest.raises(ConflictError):
        journeys.save_state(replace(first, contacts=9, version=3))
    stored = journeys.get_state(reference)
    assert stored is not None and (stored.contacts, stored.version) == (3, 3)
