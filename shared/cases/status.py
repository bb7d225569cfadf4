"""The one answer: the status text a citizen gets for a case, the same whatever channel asks.

Every channel-facing reader (the context API for the IVR, chatbot and agent desktop, the case API, Open311's
`status_notes`) calls `status_text`; none of them words a status itself.
"""

from __future__ import annotations

from shared.cases.rules import missing_documents
from shared.models.case import Case
from shared.models.procedure import CaseStatus, Procedure

NONE = {"es": "ninguno", "en": "none"}


def status_text(case: Case, procedure: Procedure, language: str | None = None) -> str:
    lang = language if language in ("es", "en") else case.language
    step = procedure.step(case.current_step or "")
    needed = missing_documents(case, procedure, step) if step else []
    if case.status is CaseStatus.CLOSED:
        needed = []
    documents = ", ".join(d.name.in_language(lang) for code in needed if (d := procedure.document(code))) or NONE[lang]
    return (
        procedure.status_messages[case.status]
        .in_language(lang)
        .format(
            reference=case.reference,
            procedure=procedure.name.in_language(lang),
            step=step.name.in_language(lang) if step else "",
            next_action=step.next_action.in_language(lang) if step else "",
            documents=documents,
        )
    )


def next_action(case: Case, procedure: Procedure, language: str | None = None) -> str | None:
    lang = language if language in ("es", "en") else case.language
    step = procedure.step(case.current_step or "")
    return step.next_action.in_language(lang) if step and case.is_open else None
