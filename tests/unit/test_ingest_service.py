"""record_touchpoint: stored once, announced, retries healed."""

from datetime import UTC, datetime

import pytest

from shared.exceptions import DuplicateMismatchError, PublishError
from shared.ingest.service import record_touchpoint
from shared.models.events import TouchpointRecorded
from shared.models.touchpoint import Channel, CitizenClaims, Touchpoint, touchpoint_id_for
from tests.fakes import FakePublisher, FakeTouchpointRepository

pytestmark = pytest.mark.unit


def make_touchpoint(message_id: str = "wamid.1", text: str = "Hola") -> Touchpoint:
    return Touchpoint(
        touchpoint_id=touchpoint_id_for(Channel.MESSAGING, message_id),
        channel=Channel.MESSAGING,
        occurred_at=datetime(2026, 3, 2, 15, 4, tzinfo=UTC),
        source_message_id=message_id,
        citizen=CitizenClaims(phone="5215512345678"),
        text=text,
    )


def test_new_touchpoint_is_stored_and_announced() -> None:
    # Given an empty store
    repo, publisher = FakeTouchpointRepository(), FakePublisher()
    touchpoint = make_touchpoint()
    # When it is recorded
    outcome = record_touchpoint(touchpoint, repo, publisher, correlation_id="req-1")
    # Then it is stored once and one TouchpointRecorded carries its id, not its content
    assert outcome.created is True
    assert list(repo.items) == [touchpoint.touchpoint_id]
    (event,) = publisher.published
    assert isinstance(event, TouchpointRecorded)
    assert (event.touchpoint_id, event.channel, event.correlation_id) == (
        touchpoint.touchpoint_id,
        "messaging",
        "req-1",
    )
    assert "Hola" not in event.model_dump_json() and "5215512345678" not in event.model_dump_json()


def test_retried_delivery_returns_same_id_and_stores_nothing_new() -> None:
    repo, publisher = FakeTouchpointRepository(), FakePublisher()
    first = record_touchpoint(make_touchpoint(), repo, publisher)
    repo.link_citizen(first.touchpoint_id, "cit-1", "created")
    # When the provider delivers the same message again
    second = record_touchpoint(make_touchpoint(), repo, publisher)
    # Then the answer names the same touchpoint, nothing new is stored and, being resolved, nothing re-announced
    assert second.touchpoint_id == first.touchpoint_id and second.created is False
    assert len(repo.items) == 1
    assert len(publisher.published) == 1


def test_failed_publish_is_healed_by_the_callers_retry() -> None:
    # Given the bus fails on the first attempt
    repo, publisher = FakeTouchpointRepository(), FakePublisher(failures_left=1)
    with pytest.raises(PublishError):
        record_touchpoint(make_touchpoint(), repo, publisher)
    # When the channel retries (it got a 503)
    outcome = record_touchpoint(make_touchpoint(), repo, publisher)
    # Then the touchpoint is still stored once and is announced now
    assert outcome.created is False
    assert len(repo.items) == 1
    assert [e.touchpoint_id for e in publisher.published] == [outcome.touchpoint_id]


def test_reused_message_id_with_other_content_is_refused() -> None:
    repo, publisher = FakeTouchpointRepository(), FakePublisher()
    record_touchpoint(make_touchpoint(text="Hola"), repo, publisher)
    with pytest.raises(DuplicateMismatchError):
        record_touchpoint(make_touchpoint(text="Otra cosa"), repo, publisher)
    assert len(publisher.published) == 1
    assert repo.items[touchpoint_id_for(Channel.MESSAGING, "wamid.1")].touchpoint.text == "Hola"
