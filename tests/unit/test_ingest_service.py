"""record_touchpoint: stored once, with the request's correlation id; nothing published on the request path."""

from datetime import UTC, datetime

import pytest

from shared.exceptions import DuplicateMismatchError
from shared.ingest.service import record_touchpoint
from shared.models.touchpoint import Channel, CitizenClaims, Touchpoint, touchpoint_id_for
from tests.fakes import FakeTouchpointRepository

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


def test_new_touchpoint_is_stored_once_with_the_requests_correlation_id() -> None:
    # Given an empty store
    repo = FakeTouchpointRepository()
    touchpoint = make_touchpoint()
    # When it is recorded
    outcome = record_touchpoint(touchpoint, repo, correlation_id="req-1")
    # Then it is stored once, with the correlation id the announcer will carry into TouchpointRecorded
    assert outcome.created is True and outcome.touchpoint_id == touchpoint.touchpoint_id
    assert list(repo.items) == [touchpoint.touchpoint_id]
    assert repo.correlation_ids == {touchpoint.touchpoint_id: "req-1"}
    # And it is not marked as imported, so the table stream's announcer announces it
    assert repo.imported == set()


def test_retried_delivery_returns_same_id_and_stores_nothing_new() -> None:
    repo = FakeTouchpointRepository()
    first = record_touchpoint(make_touchpoint(), repo, correlation_id="req-1")
    # When the provider delivers the same message again (before or after it was resolved)
    second = record_touchpoint(make_touchpoint(), repo, correlation_id="req-2")
    repo.link_citizen(first.touchpoint_id, "cit-1", "created")
    third = record_touchpoint(make_touchpoint(), repo, correlation_id="req-3")
    # Then the answer names the same touchpoint and nothing new is stored (so nothing is announced again)
    assert second.touchpoint_id == third.touchpoint_id == first.touchpoint_id
    assert (second.created, third.created) == (False, False)
    assert len(repo.items) == 1 and repo.correlation_ids == {first.touchpoint_id: "req-1"}


def test_reused_message_id_with_other_content_is_refused() -> None:
    repo = FakeTouchpointRepository()
    record_touchpoint(make_touchpoint(text="Hola"), repo)
    with pytest.raises(DuplicateMismatchError):
        record_touchpoint(make_touchpoint(text="Otra cosa"), repo)
    assert repo.items[touchpoint_id_for(Channel.MESSAGING, "wamid.1")].touchpoint.text == "Hola"
