"""Cases across channels: opened anywhere, continued anywhere, the same answer everywhere, never mixed up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.cases.service import CaseService
from shared.cases.status import status_text
from shared.catalogue import get_catalogue
from shared.exceptions import InvalidTransitionError, NotFoundError, ValidationFailedError
from shared.models.events import CaseClosed, CaseOpened, CaseStatusChanged, CaseStepCompleted
from shared.models.procedure import CaseStatus
from shared.models.touchpoint import CaseRef, Channel, Touchpoint, touchpoint_id_for
from tests.fakes import FakeCaseRepository, FakePublisher, FakeTouchpointRepository

pytestmark = pytest.mark.unit

LICENCE_DOCUMENTS = ("ine", "comprobante-domicilio")


class Desk:
    def __init__(self) -> None:
        self.touchpoints = FakeTouchpointRepository()
        self.cases = FakeCaseRepository(self.touchpoints)
        self.publisher = FakePublisher()
        self.clock = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
        self.service = CaseService(
            self.cases, self.touchpoints, get_catalogue(), self.publisher, clock=lambda: self.clock
        )
        self._n = 0

    def contact(self, channel: Channel, citizen_id: str, **case: Any) -> Any:
        """A touchpoint of `citizen_id` arrives and identity has resolved it."""
        self._n += 1
        self.clock += timedelta(hours=2)
        touchpoint = Touchpoint(
            touchpoint_id=touchpoint_id_for(channel, f"m{self._n}"),
            channel=channel,
            occurred_at=self.clock,
            case=CaseRef(**case) if case else None,
        )
        self.touchpoints.add(touchpoint)
        self.touchpoints.link_citizen(touchpoint.touchpoint_id, citizen_id, "linked")
        return self.service.on_touchpoint(touchpoint.touchpoint_id, citizen_id), touchpoint.touchpoint_id


@pytest.fixture
def desk() -> Desk:
    return Desk()


def test_office_visit_opens_the_case_and_the_web_continues_it(desk: Desk) -> None:
    # Given María starts her licence at the office, handing in both documents
    opened, _ = desk.contact(
        Channel.OFFICE, "cit-maria", procedure="licencia-conducir", step="solicitud", documents=LICENCE_DOCUMENTS
    )
    assert opened.outcome == "opened" and opened.reference.startswith("LIC-2026-")
    case, _ = desk.service.get(opened.reference)
    # Then it waits for her payment
    assert case.status is CaseStatus.AWAITING_CITIZEN and case.current_step == "pago"
    # When she asks on WhatsApp without a reference, the message joins her only open case
    asked, _ = desk.contact(Channel.MESSAGING, "cit-maria")
    assert (asked.outcome, asked.reference, asked.rule) == ("attached", opened.reference, "inferred:only-open-case")
    # When she pays on the web quoting the reference
    paid, _ = desk.contact(Channel.WEB, "cit-maria", reference=opened.reference, step="pago")
    assert paid.outcome == "attached" and paid.note is None
    case, _ = desk.service.get(opened.reference)
    assert case.completed_steps == ("solicitud", "pago") and case.current_step == "examen"
    # And every step and status change went to the bus
    kinds = [type(e) for e in desk.publisher.published]
    assert kinds.count(CaseOpened) == 1 and kinds.count(CaseStepCompleted) == 2
    assert CaseStatusChanged in kinds


def test_the_status_text_is_one_answer_whatever_channel_asks(desk: Desk) -> None:
    opened, _ = desk.contact(
        Channel.OFFICE, "cit-maria", procedure="licencia-conducir", step="solicitud", documents=LICENCE_DOCUMENTS
    )
    case, procedure = desk.service.get(opened.reference)
    spanish = status_text(case, procedure, "es")
    assert opened.reference in spanish and "pag" in spanish.lower()  # it tells her to pay
    assert status_text(case, procedure, "en") != spanish
    assert status_text(case, procedure) == spanish  # the case's own language by default


def test_a_step_in_a_channel_the_catalogue_does_not_allow_is_refused_but_the_contact_is_kept(desk: Desk) -> None:
    opened, _ = desk.contact(
        Channel.OFFICE, "cit-maria", procedure="licencia-conducir", step="solicitud", documents=LICENCE_DOCUMENTS
    )
    # The exam is taken at the office, not on WhatsApp
    desk.contact(Channel.WEB, "cit-maria", reference=opened.reference, step="pago")
    result, touchpoint_id = desk.contact(Channel.MESSAGING, "cit-maria", reference=opened.reference, step="examen")
    assert result.outcome == "attached" and "office" in (result.note or "")
    case, _ = desk.service.get(opened.reference)
    assert case.current_step == "examen"
    assert desk.touchpoints.items[touchpoint_id].case_reference == opened.reference


def test_skipping_a_step_or_closing_while_documents_are_missing_is_refused(desk: Desk) -> None:
    case = desk.service.open("licencia-conducir", citizen_id="cit-1", channel=Channel.WEB, actor="citizen")
    with pytest.raises(InvalidTransitionError, match="at step 'solicitud'"):
        desk.service.advance(case.reference, step="pago", channel=Channel.WEB, actor="citizen")
    with pytest.raises(InvalidTransitionError, match="needs the documents"):
        desk.service.advance(case.reference, step="solicitud", channel=Channel.WEB, actor="citizen")
    with pytest.raises(InvalidTransitionError, match="cannot go from received to closed"):
        desk.service.set_status(case.reference, CaseStatus.CLOSED, channel=Channel.OFFICE, actor="op-1")
    unchanged, _ = desk.service.get(case.reference)
    assert unchanged == case


def test_a_resolved_case_closes_only_with_every_required_document(desk: Desk) -> None:
    # Given a birth-certificate case whose CURP was never recorded, walked to the end by an operator
    case = desk.service.open("acta-nacimiento", citizen_id="cit-1", channel=Channel.WEB, actor="citizen")
    desk.cases.cases[case.reference] = case.model_copy(
        update={"status": CaseStatus.RESOLVED, "current_step": None, "completed_steps": ("solicitud",)}
    )
    # When an operator closes it, it is refused naming the document
    with pytest.raises(InvalidTransitionError, match="awaits the documents curp"):
        desk.service.set_status(case.reference, CaseStatus.CLOSED, channel=Channel.OFFICE, actor="op-1")
    # Once the CURP is delivered, it closes and CaseClosed goes out
    desk.cases.cases[case.reference] = desk.cases.cases[case.reference].model_copy(update={"documents": ("curp",)})
    closed = desk.service.set_status(case.reference, CaseStatus.CLOSED, channel=Channel.OFFICE, actor="op-1")
    assert closed.status is CaseStatus.CLOSED and closed.closed_at is not None
    assert any(isinstance(e, CaseClosed) for e in desk.publisher.published)


def test_a_reference_of_another_citizen_is_never_attached_nor_revealed(desk: Desk) -> None:
    opened, _ = desk.contact(Channel.OFFICE, "cit-maria", procedure="predial")
    result, touchpoint_id = desk.contact(Channel.WEB, "cit-pedro", reference=opened.reference, step="consulta")
    assert result.outcome == "refused" and result.reference is None
    assert desk.touchpoints.items[touchpoint_id].case_reference is None
    case, _ = desk.service.get(opened.reference)
    assert case.citizen_id == "cit-maria" and case.completed_steps == ()


def test_same_procedure_contact_is_inferred_onto_the_open_case_and_can_be_corrected(desk: Desk) -> None:
    first, _ = desk.contact(Channel.OFFICE, "cit-1", procedure="programa-social")
    again, touchpoint_id = desk.contact(Channel.PHONE, "cit-1", procedure="programa-social")
    assert (again.reference, again.rule) == (first.reference, "inferred:same-procedure")
    other = desk.service.open("predial", citizen_id="cit-1", channel=Channel.WEB, actor="citizen")
    # An operator moves the call to the right case
    moved = desk.service.move_touchpoint(touchpoint_id, other.reference, actor="op-1", reason="hablaba del predial")
    assert moved == (first.reference, other.reference)
    assert desk.touchpoints.items[touchpoint_id].case_reference == other.reference
    assert touchpoint_id not in desk.cases.attachments[first.reference]
    assert [h.kind for h in desk.cases.history(first.reference, 10)][-1] == "touchpoint_detached"


def test_redelivered_touchpoint_event_opens_one_case(desk: Desk) -> None:
    opened, touchpoint_id = desk.contact(Channel.OFFICE, "cit-1", procedure="predial")
    again = desk.service.on_touchpoint(touchpoint_id, "cit-1")
    assert (again.outcome, again.reference) == ("already", opened.reference)
    assert len(desk.cases.cases) == 1


def test_a_procedure_the_channel_cannot_start_opens_nothing(desk: Desk) -> None:
    result, _ = desk.contact(Channel.SOCIAL, "cit-1", procedure="licencia-conducir")
    assert result.outcome == "none" and desk.cases.cases == {}


def test_cases_follow_a_merge_and_go_back_on_the_split(desk: Desk) -> None:
    mine, _ = desk.contact(Channel.OFFICE, "cit-a", procedure="predial")
    theirs, _ = desk.contact(Channel.OFFICE, "cit-b", procedure="programa-social")
    assert desk.service.follow_merge("cit-a", "cit-b", "mrg-1") == [theirs.reference]
    assert {c.reference for c in desk.cases.of_citizen("cit-a", 10)} == {mine.reference, theirs.reference}
    # A redelivered merge event changes nothing
    assert desk.service.follow_merge("cit-a", "cit-b", "mrg-1") == []
    assert desk.service.follow_split("cit-a", "cit-b", "mrg-1") == [theirs.reference]
    assert [c.reference for c in desk.cases.of_citizen("cit-b", 10)] == [theirs.reference]
    assert [c.reference for c in desk.cases.of_citizen("cit-a", 10)] == [mine.reference]


def test_unknown_procedure_and_malformed_reference_are_clear_errors(desk: Desk) -> None:
    with pytest.raises(NotFoundError, match="unknown procedure 'pasaporte-lunar'"):
        desk.service.open("pasaporte-lunar", citizen_id=None, channel=Channel.WEB, actor="citizen")
    with pytest.raises(ValidationFailedError, match="not a case reference"):
        desk.service.get("LIC-26-1")
    with pytest.raises(NotFoundError):
        desk.service.get("LIC-2026-999999")


def test_imported_history_keeps_its_own_reference(desk: Desk) -> None:
    result, _ = desk.contact(Channel.OFFICE, "cit-1", procedure="acta-nacimiento", reference="ACT-2024-000048")
    assert (result.outcome, result.reference) == ("opened", "ACT-2024-000048")


def test_a_case_opened_before_its_citizen_was_known_gets_them_when_identity_resolves(desk: Desk) -> None:
    # Given a civic app files a request: the case opens with the touchpoint, nobody identified yet
    touchpoint = Touchpoint(
        touchpoint_id=touchpoint_id_for(Channel.WEB, "open311-1"),
        channel=Channel.WEB,
        occurred_at=desk.clock,
        case=CaseRef(procedure="predial"),
    )
    desk.touchpoints.add(touchpoint)
    case = desk.service.open(
        "predial", citizen_id=None, channel=Channel.WEB, actor="open311:app", touchpoint_id=touchpoint.touchpoint_id
    )
    # When identity resolves the touchpoint to a citizen
    result = desk.service.on_touchpoint(touchpoint.touchpoint_id, "cit-jorge")
    # Then the case is theirs
    assert result.outcome == "already"
    assert desk.service.get(case.reference)[0].citizen_id == "cit-jorge"
