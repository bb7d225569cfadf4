"""Journey signals from contacts and case moves: switches, repeats, first-contact resolution, timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.journeys.rules import SEEN_TOUCHPOINTS, JourneySettings, on_contact, on_progress, seen_key, timers_for
from shared.models.case import Case
from shared.models.events import CaseTouchpointAttached, ChannelSwitched, RepeatContact, ResolvedFirstContact
from shared.models.procedure import CaseStatus
from shared.models.touchpoint import Channel

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SETTINGS = JourneySettings(repeat_window=timedelta(days=7))


def contact(
    channel: Channel, hours: float, *, progressed: bool = False, refused: bool = False
) -> CaseTouchpointAttached:
    return CaseTouchpointAttached(
        reference="LIC-2026-000001",
        procedure="licencia-conducir",
        citizen_id="cit-1",
        touchpoint_id=f"tp-{channel.value}-{hours}",
        channel=channel,
        occurred_at=T0 + timedelta(hours=hours),
        rule="reference",
        progressed=progressed,
        refused_step=refused,
    )


def case(status: CaseStatus = CaseStatus.AWAITING_CITIZEN, due: datetime | None = T0 + timedelta(days=3)) -> Case:
    return Case(
        reference="LIC-2026-000001",
        procedure="licencia-conducir",
        citizen_id="cit-1",
        status=status,
        current_step="pago" if status is not CaseStatus.RESOLVED else None,
        opened_at=T0,
        opened_channel=Channel.OFFICE,
        updated_at=T0,
        step_due_at=due,
    )


def test_office_then_whatsapp_then_phone_is_two_switches_and_a_repeat() -> None:
    # Given the case started at the office with progress
    state, signals = on_contact(None, contact(Channel.OFFICE, 0, progressed=True), SETTINGS)
    assert signals == []
    # When she writes on WhatsApp a day later, nothing having moved since: a switch and a repeat contact
    state, signals = on_contact(state, contact(Channel.MESSAGING, 24), SETTINGS)
    assert [type(s) for s in signals] == [ChannelSwitched, RepeatContact]
    assert (signals[0].from_channel, signals[0].to_channel, signals[0].forced) == (
        Channel.OFFICE,
        Channel.MESSAGING,
        False,
    )
    # When she calls the next day, still without progress: another switch, and the second repeat in a row
    state, signals = on_contact(state, contact(Channel.PHONE, 48), SETTINGS)
    assert [type(s) for s in signals] == [ChannelSwitched, RepeatContact]
    assert signals[1].contacts_without_progress == 2
    assert (state.contacts, state.channel_switches, state.repeat_contacts) == (3, 2, 2)


def test_a_switch_after_a_refused_step_is_forced() -> None:
    state, _ = on_contact(None, contact(Channel.MESSAGING, 0, refused=True), SETTINGS)
    _, signals = on_contact(state, contact(Channel.OFFICE, 5, progressed=True), SETTINGS)
    assert isinstance(signals[0], ChannelSwitched) and signals[0].forced


def test_no_repeat_outside_the_window_or_after_progress() -> None:
    state, _ = on_contact(None, contact(Channel.PHONE, 0), SETTINGS)
    _, late = on_contact(state, contact(Channel.PHONE, 24 * 8), SETTINGS)
    assert late == []
    state, _ = on_contact(None, contact(Channel.PHONE, 0), SETTINGS)
    progressed, _ = on_progress(state, case(), T0 + timedelta(hours=1))
    _, after_progress = on_contact(progressed, contact(Channel.PHONE, 2), SETTINGS)
    assert after_progress == []


def test_a_contact_announced_again_is_counted_once() -> None:
    # Given an office visit with progress, then a WhatsApp message a day later (a switch and a repeat)
    state, _ = on_contact(None, contact(Channel.OFFICE, 0, progressed=True), SETTINGS)
    state, signals = on_contact(state, contact(Channel.MESSAGING, 24), SETTINGS)
    assert [type(s) for s in signals] == [ChannelSwitched, RepeatContact]
    # When the tracker announces the WhatsApp message again (its first announcement may have failed)
    again, signals = on_contact(state, contact(Channel.MESSAGING, 24), SETTINGS)
    # Then nothing changes: no second contact, switch or repeat
    assert again is state and signals == []
    assert (again.contacts, again.channel_switches, again.repeat_contacts) == (2, 1, 1)


def test_the_contacts_remembered_are_the_last_few() -> None:
    state = None
    for hours in range(SEEN_TOUCHPOINTS + 10):
        state, _ = on_contact(state, contact(Channel.PHONE, hours), SETTINGS)
    assert state is not None and state.contacts == SEEN_TOUCHPOINTS + 10
    assert state.seen_touchpoints == tuple(seen_key(f"tp-phone-{h}") for h in range(10, SEEN_TOUCHPOINTS + 10))
    # A contact older than the last SEEN_TOUCHPOINTS is no longer recognised (the bound on the state's size)
    later, _ = on_contact(state, contact(Channel.PHONE, 0), SETTINGS)
    assert later.contacts == state.contacts + 1


def test_resolved_after_one_contact_is_a_first_contact_resolution() -> None:
    state, _ = on_contact(None, contact(Channel.OFFICE, 0, progressed=True), SETTINGS)
    _, signals = on_progress(state, case(CaseStatus.RESOLVED, None), T0 + timedelta(hours=1), resolved_now=True)
    assert [type(s) for s in signals] == [ResolvedFirstContact]
    state, _ = on_contact(state, contact(Channel.PHONE, 2), SETTINGS)
    _, signals = on_progress(state, case(CaseStatus.RESOLVED, None), T0 + timedelta(hours=3), resolved_now=True)
    assert signals == []


def test_timers_follow_the_step_sla_and_stop_when_the_case_is_done() -> None:
    timers = {t.kind: t for t in timers_for(case(), timedelta(hours=72), T0, SETTINGS)}
    assert timers["sla"].due_at == T0 + timedelta(days=3)
    assert timers["stall"].due_at == T0 + timedelta(hours=36)
    assert timers["abandon"].due_at == T0 + SETTINGS.abandon_after
    in_review = {t.kind for t in timers_for(case(CaseStatus.IN_REVIEW), timedelta(hours=72), T0, SETTINGS)}
    assert in_review == {"sla", "stall"}  # the agency's turn: the citizen cannot abandon it
    assert timers_for(case(CaseStatus.RESOLVED, None), None, T0, SETTINGS) == []
