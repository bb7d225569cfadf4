"""How a case may move, checked against its procedure in the catalogue. Pure: no I/O, no clock.

- A case opens `received` on the procedure's first step. A step completes only when it is the current
  step, in one of the channels the catalogue allows for it, with the documents it needs delivered (now or
  before). Then the next step decides the status: the citizen's turn -> `awaiting_citizen`, the agency's ->
  `in_review`; no step left -> `resolved`.
- Statuses an operator may set: `in_review` and `awaiting_citizen` while open (never skipping steps),
  `resolved` only when every step is done, `closed` only from `resolved` with every required document
  delivered, `abandoned` from any open status, and an abandoned case reopens to `received`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from shared.exceptions import InvalidTransitionError
from shared.models.case import OPEN_STATUSES, Case, CaseChange, CaseHistoryEntry
from shared.models.procedure import Actor, CaseStatus, Procedure, Step
from shared.models.touchpoint import Channel

SETTABLE: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.RECEIVED: frozenset({CaseStatus.IN_REVIEW, CaseStatus.AWAITING_CITIZEN, CaseStatus.ABANDONED}),
    CaseStatus.IN_REVIEW: frozenset({CaseStatus.AWAITING_CITIZEN, CaseStatus.RESOLVED, CaseStatus.ABANDONED}),
    CaseStatus.AWAITING_CITIZEN: frozenset({CaseStatus.IN_REVIEW, CaseStatus.RESOLVED, CaseStatus.ABANDONED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED, CaseStatus.IN_REVIEW}),
    CaseStatus.CLOSED: frozenset(),
    CaseStatus.ABANDONED: frozenset({CaseStatus.RECEIVED}),
}


def _status_for(step: Step | None) -> CaseStatus:
    if step is None:
        return CaseStatus.RESOLVED
    return CaseStatus.AWAITING_CITIZEN if step.actor is Actor.CITIZEN else CaseStatus.IN_REVIEW


def _due(step: Step | None, at: datetime) -> datetime | None:
    return at + timedelta(hours=step.sla_hours) if step else None


def _known_documents(procedure: Procedure, documents: Iterable[str]) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(documents))
    unknown = [c for c in codes if procedure.document(c) is None]
    if unknown:
        raise InvalidTransitionError(f"{procedure.id} has no document {', '.join(unknown)}")
    return codes


def missing_documents(case: Case, procedure: Procedure, step: Step | None = None) -> list[str]:
    """Required documents not delivered yet: of one step, or of the whole procedure."""
    needed = step.documents if step else procedure.required_documents
    return [code for code in needed if code not in case.documents]


def open_case(
    procedure: Procedure,
    reference: str,
    *,
    citizen_id: str | None,
    channel: Channel,
    actor: str,
    at: datetime,
    language: str = "es",
    touchpoint_id: str | None = None,
) -> CaseChange:
    first = procedure.steps[0]
    case = Case(
        reference=reference,
        procedure=procedure.id,
        citizen_id=citizen_id,
        status=CaseStatus.RECEIVED,
        current_step=first.id,
        language=language,
        opened_at=at,
        opened_channel=channel,
        updated_at=at,
        step_due_at=_due(first, at),
        last_touchpoint_at=at if touchpoint_id else None,
    )
    entry = CaseHistoryEntry(
        at=at,
        kind="opened",
        channel=channel,
        actor=actor,
        to_status=CaseStatus.RECEIVED,
        step=first.id,
        touchpoint_id=touchpoint_id,
    )
    return CaseChange(case=case, history=(entry,))


def receive_documents(
    case: Case,
    procedure: Procedure,
    documents: Iterable[str],
    *,
    channel: Channel,
    actor: str,
    at: datetime,
    touchpoint_id: str | None = None,
) -> CaseChange:
    codes = [c for c in _known_documents(procedure, documents) if c not in case.documents]
    if not codes:
        return CaseChange(case=case)
    if not case.is_open:
        raise InvalidTransitionError(f"case {case.reference} is {case.status.value}: it takes no more documents")
    updated = case.model_copy(update={"documents": (*case.documents, *codes), "updated_at": at})
    entry = CaseHistoryEntry(
        at=at,
        kind="documents_received",
        channel=channel,
        actor=actor,
        documents=tuple(codes),
        touchpoint_id=touchpoint_id,
    )
    return CaseChange(case=updated, history=(entry,))


def complete_step(
    case: Case,
    procedure: Procedure,
    step_id: str,
    *,
    channel: Channel,
    actor: str,
    at: datetime,
    documents: Iterable[str] = (),
    touchpoint_id: str | None = None,
) -> CaseChange:
    step = procedure.step(step_id)
    if step is None:
        raise InvalidTransitionError(f"{procedure.id} has no step '{step_id}'")
    if not case.is_open:
        raise InvalidTransitionError(f"case {case.reference} is {case.status.value}: no step can be completed")
    if step_id in case.completed_steps:
        raise InvalidTransitionError(f"step '{step_id}' of case {case.reference} is already completed")
    if step_id != case.current_step:
        raise InvalidTransitionError(
            f"case {case.reference} is at step '{case.current_step}': step '{step_id}' cannot be completed yet"
        )
    if channel not in step.channels:
        allowed = ", ".join(c.value for c in step.channels)
        raise InvalidTransitionError(f"step '{step_id}' of {procedure.id} is done in {allowed}, not {channel.value}")
    received = receive_documents(
        case, procedure, documents, channel=channel, actor=actor, at=at, touchpoint_id=touchpoint_id
    )
    missing = missing_documents(received.case, procedure, step)
    if missing:
        raise InvalidTransitionError(f"step '{step_id}' needs the documents {', '.join(missing)} first")
    position = [s.id for s in procedure.steps].index(step_id)
    following = procedure.steps[position + 1] if position + 1 < len(procedure.steps) else None
    status = _status_for(following)
    updated = received.case.model_copy(
        update={
            "completed_steps": (*case.completed_steps, step_id),
            "current_step": following.id if following else None,
            "status": status,
            "step_due_at": _due(following, at),
            "updated_at": at,
        }
    )
    entries = [
        *received.history,
        CaseHistoryEntry(
            at=at, kind="step_completed", channel=channel, actor=actor, step=step_id, touchpoint_id=touchpoint_id
        ),
    ]
    if status is not case.status:
        entries.append(
            CaseHistoryEntry(
                at=at,
                kind="status_changed",
                channel=channel,
                actor=actor,
                from_status=case.status,
                to_status=status,
                step=following.id if following else None,
                touchpoint_id=touchpoint_id,
            )
        )
    return CaseChange(case=updated, history=tuple(entries))


def change_status(
    case: Case,
    procedure: Procedure,
    status: CaseStatus,
    *,
    channel: Channel | None,
    actor: str,
    at: datetime,
    note: str | None = None,
) -> CaseChange:
    if status is case.status:
        raise InvalidTransitionError(f"case {case.reference} is already {status.value}")
    if status not in SETTABLE[case.status]:
        raise InvalidTransitionError(f"case {case.reference} cannot go from {case.status.value} to {status.value}")
    if status is CaseStatus.RESOLVED and case.current_step is not None:
        raise InvalidTransitionError(
            f"case {case.reference} cannot be resolved: step '{case.current_step}' is not completed"
        )
    if status is CaseStatus.CLOSED:
        missing = missing_documents(case, procedure)
        if missing:
            raise InvalidTransitionError(
                f"case {case.reference} cannot be closed: it awaits the documents {', '.join(missing)}"
            )
    step = procedure.step(case.current_step or "")
    if status in (CaseStatus.IN_REVIEW, CaseStatus.AWAITING_CITIZEN) and step is None:
        raise InvalidTransitionError(f"case {case.reference} has no step left: it can only be closed or reopened")
    update: dict[str, object] = {"status": status, "updated_at": at}
    if status is CaseStatus.CLOSED:
        update["closed_at"] = at
    if status in OPEN_STATUSES and case.status not in OPEN_STATUSES:  # reopened: the step starts over
        update["step_due_at"] = _due(step, at)
    if status in (CaseStatus.CLOSED, CaseStatus.ABANDONED, CaseStatus.RESOLVED):
        update["step_due_at"] = None
    entry = CaseHistoryEntry(
        at=at,
        kind="status_changed",
        channel=channel,
        actor=actor,
        from_status=case.status,
        to_status=status,
        step=case.current_step,
        note=note,
    )
    return CaseChange(case=case.model_copy(update=update), history=(entry,))
