"""Case commands: open, advance, set status, attach a touchpoint, follow citizen merges and splits.

Plain Python over ports (cases, touchpoints, the catalogue, the event publisher). Every command reads the case,
applies a pure rule (shared/cases/rules.py), writes it conditionally on its version (a racing writer makes us
read again) and publishes what happened: CaseOpened, CaseStepCompleted, CaseStatusChanged, CaseClosed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from shared.cases import rules
from shared.catalogue import Catalogue
from shared.events import EventPublisher
from shared.exceptions import ConflictError, InvalidTransitionError, NotFoundError, ValidationFailedError
from shared.models.case import REFERENCE_PATTERN, Case, CaseChange, CaseHistoryEntry
from shared.models.events import (
    CaseClosed,
    CaseOpened,
    CaseStatusChanged,
    CaseStepCompleted,
    CaseTouchpointAttached,
    DomainEvent,
)
from shared.models.procedure import CaseStatus, Procedure
from shared.models.touchpoint import Channel, StoredTouchpoint, Touchpoint
from shared.repositories.cases import CaseRepository
from shared.repositories.touchpoints import TouchpointRepository

MAX_ATTEMPTS = 5
OPEN_CASES_READ = 20
HISTORY_READ = 50  # newest history entries read to find how a touchpoint already on its case was attached
NOT_APPLIED = "not applied: "  # the note on an attachment whose step the catalogue refused
SYSTEM = "ventanilla"

AttachOutcome = Literal["attached", "opened", "already", "none", "refused"]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TouchpointCaseResult:
    outcome: AttachOutcome
    reference: str | None = None
    rule: str | None = None
    note: str | None = None


def case_opened(case: Case, touchpoint_id: str | None, correlation_id: str | None) -> CaseOpened:
    """CaseOpened, stamped with the time the case was opened: announced again (after a publish that failed), it is
    the same event, so the notifier's id for it (a hash of the detail) is the same and the receipt goes once."""
    return CaseOpened(
        reference=case.reference,
        procedure=case.procedure,
        citizen_id=case.citizen_id,
        channel=case.opened_channel,
        touchpoint_id=touchpoint_id,
        correlation_id=correlation_id,
        emitted_at=case.opened_at,
    )


def events_of(change: CaseChange, procedure: Procedure, correlation_id: str | None = None) -> list[DomainEvent]:
    """The bus events a change announces, derived from its history entries."""
    case = change.case
    events: list[DomainEvent] = []
    for entry in change.history:
        if entry.kind == "opened":
            events.append(case_opened(case, entry.touchpoint_id, correlation_id))
        elif entry.kind == "step_completed" and entry.step:
            ids = [s.id for s in procedure.steps]
            position = ids.index(entry.step)
            events.append(
                CaseStepCompleted(
                    reference=case.reference,
                    procedure=case.procedure,
                    step=entry.step,
                    channel=entry.channel,
                    touchpoint_id=entry.touchpoint_id,
                    next_step=ids[position + 1] if position + 1 < len(ids) else None,
                    correlation_id=correlation_id,
                )
            )
        elif entry.kind == "status_changed" and entry.from_status and entry.to_status:
            events.append(
                CaseStatusChanged(
                    reference=case.reference,
                    procedure=case.procedure,
                    from_status=entry.from_status.value,
                    to_status=entry.to_status.value,
                    channel=entry.channel,
                    touchpoint_id=entry.touchpoint_id,
                    correlation_id=correlation_id,
                )
            )
            if entry.to_status in (CaseStatus.CLOSED, CaseStatus.ABANDONED):
                events.append(
                    CaseClosed(
                        reference=case.reference,
                        procedure=case.procedure,
                        status=entry.to_status.value,
                        correlation_id=correlation_id,
                    )
                )
    return events


@dataclass
class CaseService:
    cases: CaseRepository
    touchpoints: TouchpointRepository
    catalogue: Catalogue
    publisher: EventPublisher
    clock: Callable[[], datetime] = _now

    # -- reads --------------------------------------------------------------------------------------------

    def get(self, reference: str) -> tuple[Case, Procedure]:
        if not re.match(REFERENCE_PATTERN, reference):
            raise ValidationFailedError(f"'{reference}' is not a case reference (like LIC-2026-000123)")
        case = self.cases.get(reference)
        if case is None:
            raise NotFoundError(f"case {reference} not found")
        return case, self.catalogue.get(case.procedure)

    # -- commands -----------------------------------------------------------------------------------------

    def open(
        self,
        procedure_id: str,
        *,
        citizen_id: str | None,
        channel: Channel,
        actor: str,
        language: str = "es",
        step: str | None = None,
        documents: Sequence[str] = (),
        touchpoint_id: str | None = None,
        reference: str | None = None,
        correlation_id: str | None = None,
        new_touchpoint: Touchpoint | None = None,
    ) -> Case:
        """Open a case; with `step`, the contact that opens it also completes that (first) step.

        `new_touchpoint`: a touchpoint not stored yet that opens the case (an Open311 request): stored in the same
        write as the case, so it is never announced (from the table's stream) before its case exists, and a case
        that cannot be opened leaves no touchpoint behind. It is also the `touchpoint_id`."""
        if new_touchpoint is not None:
            touchpoint_id = new_touchpoint.touchpoint_id
        return self._open(
            procedure_id,
            citizen_id=citizen_id,
            channel=channel,
            actor=actor,
            language=language,
            step=step,
            documents=documents,
            touchpoint_id=touchpoint_id,
            reference=reference,
            correlation_id=correlation_id,
            new_touchpoint=new_touchpoint,
        )[0]

    def _open(
        self,
        procedure_id: str,
        *,
        citizen_id: str | None,
        channel: Channel,
        actor: str,
        language: str,
        step: str | None,
        documents: Sequence[str],
        touchpoint_id: str | None,
        reference: str | None,
        correlation_id: str | None,
        new_touchpoint: Touchpoint | None = None,
    ) -> tuple[Case, bool]:
        """`open`, and whether this call opened it (False: the touchpoint had opened it already, e.g. a concurrent
        delivery of the same event)."""
        procedure = self.catalogue.get(procedure_id)
        first = procedure.steps[0]
        if channel not in first.channels and step is None:
            allowed = ", ".join(c.value for c in first.channels)
            raise InvalidTransitionError(f"{procedure.id} is started in {allowed}, not {channel.value}")
        if touchpoint_id and (existing := self.cases.opened_by(touchpoint_id)):
            return self.get(existing)[0], False
        raw = None
        if new_touchpoint is not None:
            _, raw = self.touchpoints.new_item(new_touchpoint, correlation_id=correlation_id)
        now = self.clock()
        for _ in range(MAX_ATTEMPTS):
            number = reference or self.cases.next_reference(procedure.reference_prefix, now.year)
            change = rules.open_case(
                procedure,
                number,
                citizen_id=citizen_id,
                channel=channel,
                actor=actor,
                at=now,
                language=language,
                touchpoint_id=touchpoint_id,
            )
            if documents or step:
                change = self._apply(change, procedure, step, documents, channel, actor, now, touchpoint_id)
            try:
                self.cases.create(change, opened_by=touchpoint_id, new_touchpoint=raw)
            except ConflictError:
                if touchpoint_id and (existing := self.cases.opened_by(touchpoint_id)):
                    return self.get(existing)[0], False
                if reference:
                    raise ConflictError(f"case {reference} already exists") from None
                continue  # a legacy import took this number: draw the next one
            self.publisher.publish(events_of(change, procedure, correlation_id))
            return change.case, True
        raise ConflictError("could not allocate a case reference")

    def _apply(
        self,
        change: CaseChange,
        procedure: Procedure,
        step: str | None,
        documents: Sequence[str],
        channel: Channel,
        actor: str,
        at: datetime,
        touchpoint_id: str | None,
    ) -> CaseChange:
        """Deliver documents and complete a step on top of a change (one write for both)."""
        history = list(change.history)
        case = change.case
        if step:
            done = rules.complete_step(
                case,
                procedure,
                step,
                channel=channel,
                actor=actor,
                at=at,
                documents=documents,
                touchpoint_id=touchpoint_id,
            )
        else:
            done = rules.receive_documents(
                case, procedure, documents, channel=channel, actor=actor, at=at, touchpoint_id=touchpoint_id
            )
        return CaseChange(case=done.case, history=(*history, *done.history))

    def advance(
        self,
        reference: str,
        *,
        step: str | None,
        channel: Channel,
        actor: str,
        documents: Sequence[str] = (),
        correlation_id: str | None = None,
    ) -> Case:
        if not step and not documents:
            raise ValidationFailedError("say which step was completed or which documents were delivered")
        return self._update(
            reference,
            lambda case, procedure, now: self._apply(
                CaseChange(case=case), procedure, step, documents, channel, actor, now, None
            ),
            correlation_id,
        )

    def set_status(
        self,
        reference: str,
        status: CaseStatus,
        *,
        channel: Channel | None,
        actor: str,
        note: str | None = None,
        correlation_id: str | None = None,
    ) -> Case:
        return self._update(
            reference,
            lambda case, procedure, now: rules.change_status(
                case, procedure, status, channel=channel, actor=actor, at=now, note=note
            ),
            correlation_id,
        )

    def _update(
        self,
        reference: str,
        command: Callable[[Case, Procedure, datetime], CaseChange],
        correlation_id: str | None,
        attach: Sequence[tuple[str, str]] = (),
        detach: Sequence[str] = (),
    ) -> Case:
        for _ in range(MAX_ATTEMPTS):
            case, procedure = self.get(reference)
            change = command(case, procedure, self.clock())
            if not change.history:  # nothing to record (attaching or detaching always records why)
                return case
            saved = CaseChange(
                case=change.case.model_copy(update={"version": case.version + 1}), history=change.history
            )
            try:
                self.cases.save(saved, attach=attach, detach=detach, previous=case)
            except ConflictError:
                continue
            self.publisher.publish(events_of(saved, procedure, correlation_id))
            return saved.case
        raise ConflictError(f"case {reference} keeps changing; try again")

    # -- touchpoints --------------------------------------------------------------------------------------

    def on_touchpoint(
        self, touchpoint_id: str, citizen_id: str, correlation_id: str | None = None
    ) -> TouchpointCaseResult:
        """A touchpoint now known to be this citizen's: attach it to its case (by reference, or inferred:
        the citizen's open case of that procedure, or their only open case), opening one when it names a
        procedure that channel can start. Idempotent. Never attaches to another citizen's case.

        A touchpoint already on a case is a redelivery (or an Open311 request, opened before its citizen was
        known): the case is not written again, but what attaching it announces is announced again, since the first
        delivery may have written the case and then failed to publish (that failure is why the event came back).
        Consumers are idempotent."""
        stored = self.touchpoints.get(touchpoint_id)
        if stored is None:
            raise NotFoundError(f"touchpoint {touchpoint_id} not found")
        if stored.case_reference:
            case, _ = self.get(stored.case_reference)
            if case.citizen_id is None:  # opened before anyone knew whose it was (Open311, a form): now we know
                self._reassign(stored.case_reference, None, citizen_id, None, "citizen identified")
            self._announce_again(stored, stored.case_reference, correlation_id)
            return TouchpointCaseResult("already", stored.case_reference)
        claim = stored.touchpoint.case
        procedure = self.catalogue.find(claim.procedure if claim else None)
        reference = claim.reference if claim else None
        if reference and re.match(REFERENCE_PATTERN, reference):
            existing = self.cases.get(reference)
            if existing is not None:
                if existing.citizen_id not in (None, citizen_id):
                    # Somebody else's case: say nothing about it, attach nothing.
                    return TouchpointCaseResult(
                        "refused", None, "reference", "the reference belongs to another citizen"
                    )
                return self._attach(stored, existing.reference, "reference", citizen_id, correlation_id)
            procedure = procedure or self.catalogue.for_reference(reference)
            if procedure is not None and procedure.reference_prefix == reference.split("-", 1)[0]:
                # A reference issued before Ventanilla (an imported history): the case starts here.
                return self._open_from(stored, procedure, citizen_id, reference, correlation_id)
        open_cases = self.cases.of_citizen(citizen_id, OPEN_CASES_READ, open_only=True)
        if procedure is not None:
            same = sorted((c for c in open_cases if c.procedure == procedure.id), key=lambda c: c.updated_at)
            if same:
                return self._attach(stored, same[-1].reference, "inferred:same-procedure", citizen_id, correlation_id)
            if stored.touchpoint.channel in procedure.steps[0].channels:
                return self._open_from(stored, procedure, citizen_id, None, correlation_id)
            return TouchpointCaseResult("none", note=f"{procedure.id} is not started in this channel")
        if claim is None and len(open_cases) == 1:
            return self._attach(stored, open_cases[0].reference, "inferred:only-open-case", citizen_id, correlation_id)
        return TouchpointCaseResult("none")

    def _open_from(
        self,
        stored: StoredTouchpoint,
        procedure: Procedure,
        citizen_id: str,
        reference: str | None,
        correlation_id: str | None,
    ) -> TouchpointCaseResult:
        touchpoint = stored.touchpoint
        step, documents = _opening_claim(touchpoint, procedure)
        try:
            case, opened = self._open(
                procedure.id,
                citizen_id=citizen_id,
                channel=touchpoint.channel,
                actor="citizen",
                language=touchpoint.language or "es",
                step=step,
                documents=documents,
                touchpoint_id=touchpoint.touchpoint_id,
                reference=reference,
                correlation_id=correlation_id,
            )
        except InvalidTransitionError as refused:
            return TouchpointCaseResult("none", note=str(refused))
        except ConflictError:
            if reference is None:
                raise
            # Another contact with the same imported reference opened it a moment ago: join it, if it is theirs.
            existing = self.cases.get(reference)
            if existing is None or existing.citizen_id not in (None, citizen_id):
                return TouchpointCaseResult("refused", None, "reference", "the reference belongs to another citizen")
            return self._attach(stored, reference, "reference", citizen_id, correlation_id)
        if not opened:  # a concurrent delivery of the same event opened it a moment ago, and announces it
            return TouchpointCaseResult("already", case.reference)  # (or its retry does, if its publish fails)
        progressed = bool(step or documents)
        self._announce_contact(
            case, stored, "opened", progressed=progressed, refused=False, correlation_id=correlation_id
        )
        return TouchpointCaseResult("opened", case.reference, "opened")

    def _attach(
        self, stored: StoredTouchpoint, reference: str, rule: str, citizen_id: str, correlation_id: str | None
    ) -> TouchpointCaseResult:
        touchpoint = stored.touchpoint
        claim = touchpoint.case
        notes: list[str] = []
        already: list[str] = []

        def command(case: Case, procedure: Procedure, now: datetime) -> CaseChange:
            notes.clear()
            current = self.touchpoints.get(touchpoint.touchpoint_id)
            if current is not None and current.case_reference:  # a concurrent delivery of the same event won
                already.append(current.case_reference)
                return CaseChange(case=case)
            attached = CaseHistoryEntry(
                at=now,
                kind="touchpoint_attached",
                channel=touchpoint.channel,
                actor=SYSTEM if rule.startswith("inferred") else "citizen",
                touchpoint_id=touchpoint.touchpoint_id,
                rule=rule,
            )
            base = CaseChange(
                case=case.model_copy(
                    update={
                        "last_touchpoint_at": max(
                            case.last_touchpoint_at or touchpoint.occurred_at, touchpoint.occurred_at
                        ),
                        "citizen_id": case.citizen_id or citizen_id,
                        "updated_at": now,
                    }
                ),
                history=(attached,),
            )
            step = claim.step if claim else None
            documents = [d for d in (claim.documents if claim else ()) if procedure.document(d)]
            if not step and not documents:
                return base
            try:
                return self._apply(
                    base, procedure, step, documents, touchpoint.channel, "citizen", now, touchpoint.touchpoint_id
                )
            except InvalidTransitionError as refused:  # the contact is kept on the case; the step is not done
                notes.append(str(refused))
                note = base.history[0].model_copy(update={"note": f"{NOT_APPLIED}{refused}"})
                return CaseChange(case=base.case, history=(note,))

        case = self._update(reference, command, correlation_id, attach=[(touchpoint.touchpoint_id, rule)])
        if already:  # the concurrent delivery that attached it announces it (and its retry, if its publish fails)
            return TouchpointCaseResult("already", already[-1])
        applied = bool(claim and (claim.step or claim.documents)) and not notes
        self._announce_contact(
            case, stored, rule, progressed=applied, refused=bool(notes), correlation_id=correlation_id
        )
        return TouchpointCaseResult("attached", reference, rule, notes[0] if notes else None)

    def _announce_contact(
        self,
        case: Case,
        stored: StoredTouchpoint,
        rule: str,
        *,
        progressed: bool,
        refused: bool,
        correlation_id: str | None,
        opened: CaseOpened | None = None,
    ) -> None:
        touchpoint = stored.touchpoint
        self.publisher.publish(
            [
                *([opened] if opened else []),
                CaseTouchpointAttached(
                    reference=case.reference,
                    procedure=case.procedure,
                    citizen_id=case.citizen_id,
                    touchpoint_id=touchpoint.touchpoint_id,
                    channel=touchpoint.channel,
                    occurred_at=touchpoint.occurred_at,
                    rule=rule,
                    progressed=progressed,
                    refused_step=refused,
                    correlation_id=correlation_id,
                ),
            ]
        )

    def _announce_again(self, stored: StoredTouchpoint, reference: str, correlation_id: str | None) -> None:
        """Announce what attaching this touchpoint to its case announced: CaseTouchpointAttached with the same rule
        and outcome and, when the touchpoint opened the case, CaseOpened (the same event, see `case_opened`)."""
        touchpoint = stored.touchpoint
        case, procedure = self.get(reference)
        if self.cases.opened_by(touchpoint.touchpoint_id) == reference:
            step, documents = _opening_claim(touchpoint, procedure)
            opened = case_opened(case, touchpoint.touchpoint_id, correlation_id)
            self._announce_contact(
                case,
                stored,
                "opened",
                progressed=bool(step or documents),
                refused=False,
                correlation_id=correlation_id,
                opened=opened,
            )
            return
        # How it was attached (the rule, whether its step was refused) is in the case's history, with the touchpoint.
        attached = next(
            (
                entry
                for entry in reversed(self.cases.history(reference, HISTORY_READ))
                if entry.touchpoint_id == touchpoint.touchpoint_id and entry.kind == "touchpoint_attached"
            ),
            None,
        )
        refused = bool(attached and attached.note and attached.note.startswith(NOT_APPLIED))
        claim = touchpoint.case
        self._announce_contact(
            case,
            stored,
            (attached.rule if attached else None) or "redelivered",
            progressed=bool(claim and (claim.step or claim.documents)) and not refused,
            refused=refused,
            correlation_id=correlation_id,
        )

    def move_touchpoint(
        self, touchpoint_id: str, to_reference: str | None, *, actor: str, reason: str
    ) -> tuple[str | None, str | None]:
        """An operator corrects an attachment: take the touchpoint off its case and onto another (or none).

        Returns (from, to). The target must belong to the touchpoint's citizen."""
        stored = self.touchpoints.get(touchpoint_id)
        if stored is None:
            raise NotFoundError(f"touchpoint {touchpoint_id} not found")
        source = stored.case_reference
        if to_reference is not None:
            target, _ = self.get(to_reference)
            if target.citizen_id not in (None, stored.citizen_id):
                raise ValidationFailedError(f"case {to_reference} is not this touchpoint's citizen's case")
        if source == to_reference:
            return source, to_reference
        if source:

            def detach(case: Case, procedure: Procedure, now: datetime) -> CaseChange:
                entry = CaseHistoryEntry(
                    at=now, kind="touchpoint_detached", actor=actor, touchpoint_id=touchpoint_id, note=reason
                )
                return CaseChange(case=case.model_copy(update={"updated_at": now}), history=(entry,))

            self._update(source, detach, None, detach=[touchpoint_id])
        if to_reference:

            def attach(case: Case, procedure: Procedure, now: datetime) -> CaseChange:
                entry = CaseHistoryEntry(
                    at=now,
                    kind="touchpoint_attached",
                    actor=actor,
                    touchpoint_id=touchpoint_id,
                    rule="operator",
                    note=reason,
                )
                return CaseChange(case=case.model_copy(update={"updated_at": now}), history=(entry,))

            self._update(to_reference, attach, None, attach=[(touchpoint_id, "operator")])
        return source, to_reference

    # -- citizens merged and split -------------------------------------------------------------------------

    def follow_merge(self, survivor_id: str, absorbed_id: str, merge_id: str) -> list[str]:
        """The absorbed citizen's cases now belong to the survivor (remembering the merge, for a split)."""
        moved = []
        for case in self.cases.of_citizen(absorbed_id, 1000):
            self._reassign(case.reference, absorbed_id, survivor_id, merge_id, f"merged into {survivor_id}")
            moved.append(case.reference)
        return moved

    def follow_split(self, citizen_id: str, restored_id: str, merge_id: str) -> list[str]:
        """Undo `follow_merge`: cases that merge moved go back to the restored citizen."""
        moved = []
        for case in self.cases.of_citizen(citizen_id, 1000):
            if case.moved_by_merge == merge_id and case.previous_citizen_id:
                self._reassign(case.reference, citizen_id, case.previous_citizen_id, None, f"merge {merge_id} split")
                moved.append(case.reference)
        return moved

    def _reassign(self, reference: str, old: str | None, new: str, merge_id: str | None, note: str) -> None:
        def command(case: Case, procedure: Procedure, now: datetime) -> CaseChange:
            if case.citizen_id != old:
                return CaseChange(case=case)  # already moved (a redelivered event)
            entry = CaseHistoryEntry(at=now, kind="citizen_changed", actor=SYSTEM, note=note)
            update = {
                "citizen_id": new,
                "moved_by_merge": merge_id,
                "previous_citizen_id": old if merge_id else None,
                "updated_at": now,
            }
            return CaseChange(case=case.model_copy(update=update), history=(entry,))

        self._update(reference, command, None)


def _opening_claim(touchpoint: Touchpoint, procedure: Procedure) -> tuple[str | None, list[str]]:
    """What a contact that opens a case also does: the first step it claims, the procedure's documents it brings."""
    claim = touchpoint.case
    step = claim.step if claim and claim.step == procedure.steps[0].id else None
    return step, [d for d in (claim.documents if claim else ()) if procedure.document(d)]
