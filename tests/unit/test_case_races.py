"""Two deliveries of the same CitizenResolved handled at once (EventBridge delivers at least once; identity announces
again when its first announcement may have failed): the touchpoint joins its case once, and is announced once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.models.events import CaseOpened, CaseTouchpointAttached
from shared.models.touchpoint import Channel, Touchpoint, touchpoint_id_for
from tests.unit.test_case_service import Desk

pytestmark = pytest.mark.unit


def arrive(desk: Desk, n: int, citizen_id: str = "cit-1") -> str:
    touchpoint = Touchpoint(
        touchpoint_id=touchpoint_id_for(Channel.PHONE, f"race-{n}"),
        channel=Channel.PHONE,
        occurred_at=desk.clock,
        case={"procedure": "predial"},
    )
    desk.touchpoints.add(touchpoint)
    desk.touchpoints.link_citizen(touchpoint.touchpoint_id, citizen_id, "linked")
    return touchpoint.touchpoint_id


def meanwhile(target: Any, name: str, other: Callable[[], Any]) -> None:
    """The first call of `target.name` lets `other` (the concurrent delivery) run to its end first."""
    original = getattr(target, name)
    pending = [other]

    def first_lets_the_other_finish(*args: Any, **kwargs: Any) -> Any:
        if pending:
            pending.pop()()
        return original(*args, **kwargs)

    setattr(target, name, first_lets_the_other_finish)


def joined(desk: Desk, touchpoint_id: str) -> list[str]:
    return [e.kind for h in desk.cases.history_items.values() for e in h if e.touchpoint_id == touchpoint_id]


def announced(desk: Desk, touchpoint_id: str) -> list[str]:
    return [
        type(e).__name__
        for e in desk.publisher.published
        if isinstance(e, CaseOpened | CaseTouchpointAttached) and e.touchpoint_id == touchpoint_id
    ]


def test_two_deliveries_racing_to_open_the_case_open_one_and_announce_it_once() -> None:
    desk = Desk()
    touchpoint_id = arrive(desk, 1)
    results = []
    # While one delivery is about to open the case, the other opens it
    meanwhile(desk.cases, "next_reference", lambda: results.append(desk.service.on_touchpoint(touchpoint_id, "cit-1")))
    results.append(desk.service.on_touchpoint(touchpoint_id, "cit-1"))
    assert sorted(r.outcome for r in results) == ["already", "opened"]
    assert len(desk.cases.cases) == 1
    assert joined(desk, touchpoint_id) == ["opened"]
    assert announced(desk, touchpoint_id) == ["CaseOpened", "CaseTouchpointAttached"]


def test_two_deliveries_racing_to_join_an_open_case_join_it_once() -> None:
    desk = Desk()
    desk.service.on_touchpoint(arrive(desk, 1), "cit-1")  # her case is open
    second = arrive(desk, 2)
    results = []
    # While one delivery is looking for her open cases, the other attaches the touchpoint
    meanwhile(desk.cases, "of_citizen", lambda: results.append(desk.service.on_touchpoint(second, "cit-1")))
    results.append(desk.service.on_touchpoint(second, "cit-1"))
    assert sorted(r.outcome for r in results) == ["already", "attached"]
    assert joined(desk, second) == ["touchpoint_attached"]
    assert announced(desk, second) == ["CaseTouchpointAttached"]
