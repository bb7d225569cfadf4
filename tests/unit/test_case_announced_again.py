"""A CitizenResolved delivered again (EventBridge retries a tracker whose PutEvents failed after the case was written;
delivers at least once anyway): the case is not written twice, and what joining it announces is announced again."""

from __future__ import annotations

from typing import Any

import pytest

from shared.exceptions import PublishError
from shared.models.events import CaseOpened, CaseTouchpointAttached, DomainEvent
from shared.models.touchpoint import CaseRef, Channel, Touchpoint, touchpoint_id_for
from tests.unit.test_case_service import LICENCE_DOCUMENTS, Desk

pytestmark = pytest.mark.unit


def resolved(desk: Desk, channel: Channel, name: str, **case: Any) -> str:
    """A touchpoint of María's that identity has resolved (its CitizenResolved is on its way to the tracker)."""
    touchpoint = Touchpoint(
        touchpoint_id=touchpoint_id_for(channel, name),
        channel=channel,
        occurred_at=desk.clock,
        case=CaseRef(**case) if case else None,
    )
    desk.touchpoints.add(touchpoint)
    desk.touchpoints.link_citizen(touchpoint.touchpoint_id, "cit-maria", "linked")
    return touchpoint.touchpoint_id


def announced(desk: Desk, touchpoint_id: str) -> list[DomainEvent]:
    return [
        e
        for e in desk.publisher.published
        if isinstance(e, CaseOpened | CaseTouchpointAttached) and e.touchpoint_id == touchpoint_id
    ]


def same_events(first: list[DomainEvent], again: list[DomainEvent]) -> bool:
    """The same events, but for CaseTouchpointAttached's `emitted_at` (when it was published; nobody keys on it)."""

    def comparable(event: DomainEvent) -> dict[str, Any]:
        return event.model_dump(exclude={"emitted_at"} if isinstance(event, CaseTouchpointAttached) else None)

    return [comparable(e) for e in first] == [comparable(e) for e in again]


def test_a_case_opened_whose_announcement_failed_is_announced_by_the_redelivery() -> None:
    failing, working = Desk(), Desk()
    # Given the bus refuses the tracker's PutEvents once, after the case was written
    failing.publisher.failures_left = 1
    touchpoint_id = resolved(failing, Channel.EMAIL, "m1", procedure="predial")
    with pytest.raises(PublishError):
        failing.service.on_touchpoint(touchpoint_id, "cit-maria", "corr-1")
    assert len(failing.cases.cases) == 1 and announced(failing, touchpoint_id) == []
    # When EventBridge delivers the CitizenResolved again
    result = failing.service.on_touchpoint(touchpoint_id, "cit-maria", "corr-1")
    # Then the case is not written again, and the opening and the contact are announced
    assert (result.outcome, len(failing.cases.cases)) == ("already", 1)
    assert [e.kind for e in failing.cases.history_items[result.reference or ""]] == ["opened"]
    again = announced(failing, touchpoint_id)
    assert [type(e) for e in again] == [CaseOpened, CaseTouchpointAttached]
    # And as the first delivery would have announced them, CaseOpened to the byte (so the receipt goes once)
    resolved(working, Channel.EMAIL, "m1", procedure="predial")
    working.service.on_touchpoint(touchpoint_id, "cit-maria", "corr-1")
    first = announced(working, touchpoint_id)
    assert same_events(first, again) and first[0] == again[0]
    assert first[0].emitted_at == working.cases.cases[result.reference or ""].opened_at
    # And a redelivery after a successful announcement announces the same again (consumers skip it)
    working.service.on_touchpoint(touchpoint_id, "cit-maria", "corr-1")
    assert same_events(announced(working, touchpoint_id), first + first)


def test_a_contact_whose_step_was_refused_is_announced_again_as_refused() -> None:
    failing, working = Desk(), Desk()
    for desk in (failing, working):
        # Given María's licence case, opened at the office with both documents
        opening = resolved(
            desk, Channel.OFFICE, "m1", procedure="licencia-conducir", step="solicitud", documents=LICENCE_DOCUMENTS
        )
        reference = desk.service.on_touchpoint(opening, "cit-maria").reference or ""
        # And a WhatsApp message claiming the payment, which is done on the web (the step is refused)
        asked = resolved(desk, Channel.MESSAGING, "m2", reference=reference, step="pago")
    # When the bus refuses the tracker's PutEvents for it once (the contact is on the case) and it is delivered again
    failing.publisher.failures_left = 1
    with pytest.raises(PublishError):
        failing.service.on_touchpoint(asked, "cit-maria", "corr-2")
    result = failing.service.on_touchpoint(asked, "cit-maria", "corr-2")
    # Then the contact is announced as the first delivery would have: by reference, no progress, its step refused
    assert result.outcome == "already"
    (again,) = announced(failing, asked)
    assert isinstance(again, CaseTouchpointAttached)
    assert (again.rule, again.progressed, again.refused_step) == ("reference", False, True)
    working.service.on_touchpoint(asked, "cit-maria", "corr-2")
    assert same_events(announced(working, asked), [again])
