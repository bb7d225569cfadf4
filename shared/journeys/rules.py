"""Journey signals from what happens on a case. Pure: state in, state and signals out; time comes from events.

- ChannelSwitched: a contact about the case in another channel than the previous one; `forced` when the
  previous contact tried a step that channel cannot do (the catalogue refused it).
- RepeatContact: another contact within the repeat window with no progress since the previous one (progress:
  a contact that completed a step or delivered documents, or the agency / an operator moving the case).
- ResolvedFirstContact: resolved after a single contact.
- Timers (fired by the scheduled run, see `due_timers`): half the current step's SLA without progress ->
  CaseStalled; the whole SLA -> SlaBreached; awaiting the citizen for the inactivity period -> CaseAbandoned.
  Every timer is replaced when the case moves (so it clears), and removed when it closes.

A contact is counted once: the tracker announces a contact again when a delivery finds it already on its case (the
first announcement may have failed), so the state remembers the last `SEEN_TOUCHPOINTS` contacts and skips those.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from shared.models.case import Case
from shared.models.events import (
    CaseTouchpointAttached,
    ChannelSwitched,
    JourneySignal,
    RepeatContact,
    ResolvedFirstContact,
)
from shared.models.procedure import CaseStatus
from shared.models.touchpoint import Channel

TimerKind = Literal["stall", "sla", "abandon"]
# Contacts remembered per case, to skip one announced again. A repeat comes within the bus's retries (8 over 2 h) or
# at a redrive of the dead-letter queue, and no case takes 30 contacts meanwhile. Each is kept as the last
# SEEN_KEY_LENGTH characters of its id (ids end in a hash: no two contacts of a case share them), so the state item,
# written on every contact, stays under 1 KB: one write unit.
SEEN_TOUCHPOINTS = 30
SEEN_KEY_LENGTH = 12


def seen_key(touchpoint_id: str) -> str:
    return touchpoint_id[-SEEN_KEY_LENGTH:]


@dataclass(frozen=True)
class JourneySettings:
    repeat_window: timedelta = timedelta(days=7)
    stall_fraction: float = 0.5  # of the current step's SLA
    abandon_after: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class JourneyState:
    reference: str
    procedure: str
    citizen_id: str | None = None
    contacts: int = 0
    contacts_since_progress: int = 0
    channel_switches: int = 0
    repeat_contacts: int = 0
    last_channel: Channel | None = None
    last_contact_at: datetime | None = None
    last_progress_at: datetime | None = None
    progress_since_contact: bool = False
    last_refused: bool = False
    seen_touchpoints: tuple[str, ...] = ()  # seen_key of the last SEEN_TOUCHPOINTS contacts counted, oldest first
    version: int = 0


@dataclass(frozen=True)
class Timer:
    reference: str
    kind: TimerKind
    due_at: datetime
    step: str | None


def on_contact(
    state: JourneyState | None, event: CaseTouchpointAttached, settings: JourneySettings
) -> tuple[JourneyState, list[JourneySignal]]:
    """A contact's signals and the state after it; a contact counted already changes nothing (the same `state`)."""
    state = state or JourneyState(reference=event.reference, procedure=event.procedure)
    if seen_key(event.touchpoint_id) in state.seen_touchpoints:
        return state, []
    signals: list[JourneySignal] = []
    common = {"reference": event.reference, "procedure": event.procedure, "citizen_id": event.citizen_id}
    if state.last_channel is not None and event.channel != state.last_channel:
        signals.append(
            ChannelSwitched(
                **common,
                at=event.occurred_at,
                from_channel=state.last_channel,
                to_channel=event.channel,
                forced=state.last_refused,
                evidence={"touchpoint_id": event.touchpoint_id, "previous_contact_at": _iso(state.last_contact_at)},
            )
        )
    # Contacts are compared by their own times (the window); progress by order of arrival, since the agency's
    # moves are stamped by the system clock and contacts by when the citizen made them.
    repeat = (
        not event.progressed
        and state.last_contact_at is not None
        and abs(event.occurred_at - state.last_contact_at) <= settings.repeat_window
        and not state.progress_since_contact
    )
    since_progress = 0 if event.progressed else state.contacts_since_progress + 1
    if repeat:
        signals.append(
            RepeatContact(
                **common,
                at=event.occurred_at,
                channel=event.channel,
                contacts_without_progress=since_progress,
                evidence={"touchpoint_id": event.touchpoint_id, "previous_contact_at": _iso(state.last_contact_at)},
            )
        )
    updated = replace(
        state,
        citizen_id=event.citizen_id or state.citizen_id,
        contacts=state.contacts + 1,
        contacts_since_progress=since_progress,
        channel_switches=state.channel_switches + (1 if signals and isinstance(signals[0], ChannelSwitched) else 0),
        repeat_contacts=state.repeat_contacts + (1 if repeat else 0),
        last_channel=event.channel,
        last_contact_at=max(event.occurred_at, state.last_contact_at or event.occurred_at),
        last_progress_at=event.occurred_at if event.progressed else state.last_progress_at,
        progress_since_contact=False,
        last_refused=event.refused_step,
        seen_touchpoints=(*state.seen_touchpoints, seen_key(event.touchpoint_id))[-SEEN_TOUCHPOINTS:],
    )
    return updated, signals


def on_progress(
    state: JourneyState | None, case: Case, at: datetime, *, by_contact: bool = False, resolved_now: bool = False
) -> tuple[JourneyState, list[JourneySignal]]:
    """The case moved (a step, a status); resolved after one contact is a first-contact resolution. A move made
    by a contact was already counted with that contact; any other (agency, operator) is progress since it."""
    state = state or JourneyState(reference=case.reference, procedure=case.procedure, citizen_id=case.citizen_id)
    signals: list[JourneySignal] = []
    if resolved_now and state.contacts <= 1:
        signals.append(
            ResolvedFirstContact(
                reference=case.reference,
                procedure=case.procedure,
                citizen_id=case.citizen_id,
                at=at,
                channel=state.last_channel,
                evidence={"contacts": state.contacts},
            )
        )
    if by_contact:
        return replace(state, citizen_id=case.citizen_id), signals
    moved = replace(state, last_progress_at=at, progress_since_contact=True, contacts_since_progress=0)
    return replace(moved, citizen_id=case.citizen_id), signals


def timers_for(case: Case, step_sla: timedelta | None, at: datetime, settings: JourneySettings) -> list[Timer]:
    """The timers an open case runs from now (none once it is resolved, closed or abandoned)."""
    if not case.is_open:
        return []
    timers = []
    if case.step_due_at is not None and step_sla is not None:
        timers.append(Timer(case.reference, "sla", case.step_due_at, case.current_step))
        timers.append(Timer(case.reference, "stall", at + step_sla * settings.stall_fraction, case.current_step))
    if case.status is CaseStatus.AWAITING_CITIZEN:
        timers.append(Timer(case.reference, "abandon", at + settings.abandon_after, case.current_step))
    return timers


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
