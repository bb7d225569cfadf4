"""A resolution whose announcement failed is announced when its event comes again (the function's retry, a redrive)."""

from __future__ import annotations

import pytest

from shared.exceptions import PublishError
from shared.models.events import CitizenResolved, CitizensMerged
from shared.models.touchpoint import Channel
from tests.unit.test_identity_engine import World, maria

pytestmark = pytest.mark.unit


def test_a_resolution_whose_announcement_failed_is_announced_on_redelivery() -> None:
    world = World()
    # Given the bus refuses the announcement of a new citizen, after the citizen and the link were written
    world.publisher.failures_left = 1
    with pytest.raises(PublishError):
        world.arrive(Channel.OFFICE, **maria())
    (touchpoint_id,) = world.touchpoints.items
    stored = world.touchpoints.get(touchpoint_id)
    assert stored is not None and stored.resolution == "created" and world.publisher.published == []
    # When the same TouchpointRecorded is delivered again (the asynchronous retry)
    again = world.engine.resolve(touchpoint_id)
    # Then nothing is resolved twice, and the case tracker hears of the citizen now
    assert again.outcome == "already" and len(world.survivors()) == 1
    (resolved,) = world.publisher.published
    assert isinstance(resolved, CitizenResolved)
    assert (resolved.touchpoint_id, resolved.citizen_id, resolved.outcome) == (
        touchpoint_id,
        stored.citizen_id,
        "created",
    )


def test_a_bridging_link_announces_its_merge_again_and_names_the_survivor() -> None:
    world = World()
    world.arrive(Channel.WEB, login_subject="sso|mj", email="mj@example.mx")
    world.arrive(Channel.OFFICE, **maria())
    published = len(world.publisher.published)
    # Given the touchpoint that bridges her two records could not announce the merge
    world.publisher.failures_left = 1
    with pytest.raises(PublishError):
        world.arrive(Channel.MOBILE, login_subject="sso|mj", phone="55 1234 5678", given_name="María José")
    (survivor,) = world.survivors()
    bridge = next(t for t, s in world.touchpoints.items.items() if s.touchpoint.channel is Channel.MOBILE)
    # When its event comes again, the link and the merge are announced (and only once each)
    world.engine.resolve(bridge)
    events = world.publisher.published[published:]
    assert [type(e) for e in events] == [CitizenResolved, CitizensMerged]
    assert isinstance(events[0], CitizenResolved) and events[0].citizen_id == survivor
    assert events[0].rule == "verified:login_subject"
    assert isinstance(events[1], CitizensMerged) and events[1].survivor_id == survivor
