"""The scheduled run of the journey monitor acts on every due timer, a page at a time, not only the first hundred."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.cases.service import CaseService
from shared.catalogue import get_catalogue
from shared.journeys.rules import Timer
from shared.journeys.service import TIMERS_PER_PAGE, JourneyService
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
