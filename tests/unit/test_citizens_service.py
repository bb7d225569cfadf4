"""Read side: find a citizen by any identifier in any format, read the timeline newest first, explain it."""

from __future__ import annotations

import pytest

from functions.citizens.service import explain_identity, find_citizens, get_citizen
from shared.exceptions import NotFoundError, ValidationFailedError
from shared.models.citizen import IdentifierKind
from shared.models.touchpoint import Channel, SocialAccount
from tests.unit.test_identity_engine import World

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> World:
    world = World()
    world.arrive(Channel.OFFICE, given_name="María José", family_name="Hernández García", phone="55 1234 5678")
    world.arrive(Channel.MESSAGING, phone="5215512345678")  # WhatsApp: the number is her mobile
    world.arrive(Channel.PHONE, phone="044 55 1234 5678")
    return world


def find(world: World, **query: str) -> list:
    given = {IdentifierKind(k): v for k, v in query.items()}
    return find_citizens(given, world.identity, world.engine.hasher, default_region="MX", limit=20)


def test_find_by_phone_in_another_format_shows_the_timeline_newest_first(world: World) -> None:
    (found,) = find(world, phone="+52 (55) 1234-5678")
    assert found.given_name == "María José"
    assert [e.channel for e in found.timeline] == ["phone", "messaging", "office"]
    assert [(i.kind, i.value) for i in found.identifiers] == [("phone", "+525512345678")]


def test_timeline_pages(world: World) -> None:
    (citizen_id,) = world.survivors()
    first = get_citizen(citizen_id, world.identity, limit=2)
    second = get_citizen(citizen_id, world.identity, limit=2, cursor=first.next_cursor)
    assert [e.channel for e in first.timeline + second.timeline] == ["phone", "messaging", "office"]
    assert second.next_cursor is None


def test_merged_id_resolves_to_the_survivor_with_both_timelines(world: World) -> None:
    (maria,) = world.survivors()
    other = world.arrive(Channel.SOCIAL, social=SocialAccount(platform="Instagram", handle="@majo87"))
    world.engine.merge(maria, other.citizen_id, rule="manual", actor="supervisor-1")
    response = get_citizen(other.citizen_id, world.identity, limit=20)
    assert response.citizen_id == maria and response.merged_ids == [other.citizen_id]
    assert {e.channel for e in response.timeline} == {"office", "phone", "messaging", "social"}


def test_explanation_names_the_rule_of_every_link(world: World) -> None:
    (citizen_id,) = world.survivors()
    explained = explain_identity(citizen_id, world.identity, limit=20)
    assert [t.rule for t in explained.touchpoints] == ["sole-holder:phone", "sole-holder:phone", "new"]
    (phone,) = explained.identifiers
    assert phone.rule == "new" and phone.kind == "phone"


def test_unknown_identifier_finds_nobody(world: World) -> None:
    assert find(world, email="nadie@example.mx") == []


@pytest.mark.parametrize(
    "query",
    [{}, {"phone": "55 1234 5678", "email": "a@example.mx"}, {"phone": "12"}],
)
def test_search_needs_exactly_one_valid_identifier(world: World, query: dict) -> None:
    with pytest.raises(ValidationFailedError):
        find(world, **query)


def test_unknown_citizen_is_not_found(world: World) -> None:
    with pytest.raises(NotFoundError):
        get_citizen("cit-" + "0" * 32, world.identity, limit=5)
