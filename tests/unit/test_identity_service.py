"""The minimal linker: exact match on normalised identifiers, never moving an identifier between people."""

from datetime import UTC, date, datetime

import pytest

from functions.identity.service import resolve_touchpoint
from shared.exceptions import NotFoundError
from shared.models.citizen import Identifier, IdentifierKind
from shared.models.touchpoint import Channel, CitizenClaims, SocialAccount, Touchpoint, touchpoint_id_for
from tests.fakes import FakeCitizenRepository, FakePublisher, FakeTouchpointRepository

pytestmark = pytest.mark.unit


class World:
    def __init__(self) -> None:
        self.touchpoints = FakeTouchpointRepository()
        self.citizens = FakeCitizenRepository()
        self.publisher = FakePublisher()
        self._n = 0

    def arrive(self, channel: Channel, **claims: object) -> str:
        self._n += 1
        touchpoint = Touchpoint(
            touchpoint_id=touchpoint_id_for(channel, f"m{self._n}"),
            channel=channel,
            occurred_at=datetime(2026, 3, 2, 15, self._n, tzinfo=UTC),
            citizen=CitizenClaims.model_validate(claims),
        )
        self.touchpoints.add(touchpoint)
        return touchpoint.touchpoint_id

    def resolve(self, touchpoint_id: str):
        return resolve_touchpoint(touchpoint_id, self.touchpoints, self.citizens, self.publisher, default_region="MX")


def test_same_phone_in_any_format_across_channels_is_one_citizen() -> None:
    world = World()
    # Given María visits the office, then calls and writes on WhatsApp, each channel formatting the number its own way
    office = world.resolve(world.arrive(Channel.OFFICE, phone="55 1234 5678", given_name="María José"))
    call = world.resolve(world.arrive(Channel.PHONE, phone="044 55 1234 5678"))
    whatsapp = world.resolve(world.arrive(Channel.MESSAGING, phone="5215512345678"))
    # Then all three are on one citizen record, created once and matched twice on the phone
    assert office.outcome == "created"
    assert call.citizen_id == whatsapp.citizen_id == office.citizen_id
    assert call.matched_on == [IdentifierKind.PHONE]
    assert len(world.citizens.profiles) == 1
    assert len(world.citizens.timelines[office.citizen_id]) == 3


def test_new_identifier_is_added_to_the_matched_citizen() -> None:
    world = World()
    first = world.resolve(world.arrive(Channel.PHONE, phone="55 1234 5678"))
    # When a later email carries the known phone and a new email
    world.resolve(world.arrive(Channel.EMAIL, phone="+52 55 1234 5678", email=" MJ.Hernandez@Example.MX "))
    # Then the email now finds the same person
    by_email = world.citizens.owners([Identifier(kind=IdentifierKind.EMAIL, value="mj.hernandez@example.mx")])
    assert list(by_email.values()) == [first.citizen_id]


def test_identifier_held_by_someone_else_is_reported_not_moved() -> None:
    world = World()
    ana = world.resolve(world.arrive(Channel.WEB, email="ana@example.mx"))
    luis = world.resolve(world.arrive(Channel.PHONE, phone="55 8765 4321"))
    # When a touchpoint carries Ana's email (strongest) and Luis's phone
    mixed = world.resolve(world.arrive(Channel.EMAIL, email="ana@example.mx", phone="55 8765 4321"))
    # Then it goes to Ana, the phone stays Luis's, and the conflict is reported
    assert mixed.citizen_id == ana.citizen_id
    assert mixed.conflicting == [IdentifierKind.PHONE]
    phone = Identifier(kind=IdentifierKind.PHONE, value="+525587654321")
    assert world.citizens.owners([phone])[phone] == luis.citizen_id


def test_verified_login_subject_outranks_phone() -> None:
    world = World()
    by_phone = world.resolve(world.arrive(Channel.PHONE, phone="55 1234 5678"))
    by_login = world.resolve(world.arrive(Channel.WEB, login_subject="sso|abc"))
    both = world.resolve(world.arrive(Channel.MOBILE, login_subject="sso|abc", phone="55 1234 5678"))
    assert by_phone.citizen_id != by_login.citizen_id
    assert both.citizen_id == by_login.citizen_id


def test_resolution_is_idempotent() -> None:
    world = World()
    touchpoint_id = world.arrive(Channel.SOCIAL, social=SocialAccount(platform="Facebook", handle="@MJHG87"))
    first = world.resolve(touchpoint_id)
    again = world.resolve(touchpoint_id)
    assert again.citizen_id == first.citizen_id
    assert len(world.citizens.profiles) == 1
    assert len(world.citizens.timelines[first.citizen_id]) == 1
    assert world.touchpoints.get(touchpoint_id).citizen_id == first.citizen_id


def test_losing_a_creation_race_links_to_the_winner() -> None:
    world = World()
    phone = Identifier(kind=IdentifierKind.PHONE, value="+525512345678")
    # Given another touchpoint of the same new person claims the phone while we create
    world.citizens.steal_on_create = phone
    resolved = world.resolve(world.arrive(Channel.PHONE, phone="55 1234 5678"))
    # Then we end up on the winner's record, not on a second one
    assert len(world.citizens.profiles) == 1
    assert resolved.citizen_id == world.citizens.claims[phone]
    assert resolved.outcome == "matched"


def test_profile_facts_fill_gaps_only() -> None:
    world = World()
    first = world.resolve(world.arrive(Channel.OFFICE, phone="55 1234 5678", given_name="María José"))
    world.resolve(world.arrive(Channel.PHONE, phone="55 1234 5678", given_name="Majo", birth_date=date(1987, 4, 12)))
    profile = world.citizens.get(first.citizen_id)
    assert profile.given_name == "María José"
    assert profile.birth_date == date(1987, 4, 12)


def test_anonymous_touchpoint_creates_no_citizen() -> None:
    world = World()
    touchpoint_id = world.arrive(Channel.CHAT, given_name="Visitante")
    assert world.resolve(touchpoint_id) is None
    assert world.citizens.profiles == {}
    assert world.touchpoints.get(touchpoint_id).resolution == "anonymous"


def test_unknown_touchpoint_is_an_error() -> None:
    with pytest.raises(NotFoundError):
        World().resolve("tp-missing")
