"""Read side: find a citizen by any identifier in any format, read the timeline newest first."""

from datetime import UTC, datetime

import pytest

from functions.citizens.service import find_citizens, get_citizen
from functions.identity.service import resolve_touchpoint
from shared.exceptions import NotFoundError, ValidationFailedError
from shared.models.citizen import IdentifierKind
from shared.models.touchpoint import Channel, CitizenClaims, Touchpoint, touchpoint_id_for
from tests.fakes import FakeCitizenRepository, FakePublisher, FakeTouchpointRepository

pytestmark = pytest.mark.unit


@pytest.fixture
def citizens() -> FakeCitizenRepository:
    touchpoints, citizens = FakeTouchpointRepository(), FakeCitizenRepository()
    for minute, (channel, phone) in enumerate(
        [(Channel.OFFICE, "55 1234 5678"), (Channel.PHONE, "044 55 1234 5678"), (Channel.MESSAGING, "5215512345678")]
    ):
        touchpoint = Touchpoint(
            touchpoint_id=touchpoint_id_for(channel, f"m{minute}"),
            channel=channel,
            occurred_at=datetime(2026, 3, 2, 15, minute, tzinfo=UTC),
            citizen=CitizenClaims(phone=phone, given_name="María José"),
        )
        touchpoints.add(touchpoint)
        resolve_touchpoint(touchpoint.touchpoint_id, touchpoints, citizens, FakePublisher(), default_region="MX")
    return citizens


def test_find_by_phone_in_another_format_shows_the_timeline_newest_first(citizens: FakeCitizenRepository) -> None:
    (found,) = find_citizens({IdentifierKind.PHONE: "+52 (55) 1234-5678"}, citizens, default_region="MX", limit=20)
    assert found.given_name == "María José"
    assert [e.channel for e in found.timeline] == ["messaging", "phone", "office"]
    assert [(i.kind, i.value) for i in found.identifiers] == [("phone", "+525512345678")]


def test_timeline_pages(citizens: FakeCitizenRepository) -> None:
    (citizen_id,) = citizens.profiles
    first = get_citizen(citizen_id, citizens, limit=2)
    second = get_citizen(citizen_id, citizens, limit=2, cursor=first.next_cursor)
    assert [e.channel for e in first.timeline + second.timeline] == ["messaging", "phone", "office"]
    assert second.next_cursor is None


def test_unknown_identifier_finds_nobody(citizens: FakeCitizenRepository) -> None:
    assert find_citizens({IdentifierKind.EMAIL: "nadie@example.mx"}, citizens, default_region="MX", limit=5) == []


@pytest.mark.parametrize(
    "query",
    [{}, {IdentifierKind.PHONE: "55 1234 5678", IdentifierKind.EMAIL: "a@example.mx"}, {IdentifierKind.PHONE: "12"}],
)
def test_search_needs_exactly_one_valid_identifier(citizens: FakeCitizenRepository, query: dict) -> None:
    with pytest.raises(ValidationFailedError):
        find_citizens(query, citizens, default_region="MX", limit=5)


def test_unknown_citizen_is_not_found(citizens: FakeCitizenRepository) -> None:
    with pytest.raises(NotFoundError):
        get_citizen("cit-" + "0" * 32, citizens, limit=5)
