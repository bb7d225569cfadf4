"""Citizen notifications, the pure core: templates as data, channel choice, consent, quiet hours, rate limit, ids."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.cases import rules as case_rules
from shared.cases.service import events_of
from shared.cases.status import status_text
from shared.catalogue import get_catalogue
from shared.models.case import Case
from shared.models.events import (
    CaseClosed,
    CaseOpened,
    CaseStatusChanged,
    CaseStepCompleted,
    DomainEvent,
    TouchpointRecorded,
)
from shared.models.procedure import LANGUAGES, Actor, CaseStatus, Procedure
from shared.models.touchpoint import Channel
from shared.notifications import (
    Contact,
    MessageTooLongError,
    NotificationChannel,
    NotificationKind,
    RenderError,
    TemplateError,
    Templates,
    case_values,
    choose_channel,
    format_date,
    is_opt_in,
    is_opt_out,
    is_quiet,
    kind_for,
    load_templates,
    notification_id,
    quiet_hours_delay,
    render,
    within_rate_limit,
)
from shared.notifications.templates import PLACEHOLDERS, SHORT_LIMIT, TEMPLATES_DIR, Template, placeholders_in

pytestmark = pytest.mark.unit

MX = ZoneInfo("America/Mexico_City")
EMAIL = NotificationChannel.EMAIL
SMS = NotificationChannel.SMS
WHATSAPP = NotificationChannel.WHATSAPP
LONG_NAME = "María de los Ángeles Guadalupe"

# Realistic long values: the longest procedure name, status text, citizen's next action and document list of the
# shipped catalogue, all at once.
LONG_VALUES: dict[str, str | None] = {
    "reference": "PSO-2026-004321",
    "procedure": "Copia certificada de acta de nacimiento",
    "status_text": (
        "Tu trámite PSO-2026-004321 (Programa social) espera tu acción: Regístrate con tu CURP, tu INE y tu "
        "comprobante de domicilio. Documentos pendientes: Clave Única de Registro de Población (CURP), "
        "Credencial para votar (INE), Comprobante de domicilio (no mayor a tres meses)."
    ),
    "next_action": "Acude a la oficina el día de tu cita para presentar el examen teórico y práctico",
    "documents": (
        "Clave Única de Registro de Población (CURP), Credencial para votar (INE), "
        "Comprobante de domicilio (no mayor a tres meses)"
    ),
    "due_date": "30 de septiembre de 2026",
    "given_name": LONG_NAME,
}
TEMPLATES = load_templates()
DECLARED = [(t.kind, channel) for t in TEMPLATES for channel in t.channels]


def _mx(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=MX)


def _template_data(kind: str = "case_status_changed") -> dict[str, Any]:
    return json.loads((TEMPLATES_DIR / f"{kind}.json").read_text(encoding="utf-8"))


def _write_templates(directory: Path, **overrides: dict[str, Any]) -> Path:
    for path in TEMPLATES_DIR.glob("*.json"):
        data = overrides.get(path.stem, json.loads(path.read_text(encoding="utf-8")))
        (directory / path.name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return directory


def _case(procedure: Procedure, status: CaseStatus, step: str | None, language: str = "es", **extra: Any) -> Case:
    at = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
    return Case(
        reference=f"{procedure.reference_prefix}-2026-000123",
        procedure=procedure.id,
        citizen_id="cit-1",
        status=status,
        current_step=step,
        language=language,
        opened_at=at,
        opened_channel=Channel.OFFICE,
        updated_at=at,
        step_due_at=at + timedelta(days=7) if step else None,
        **extra,
    )


def _every_case_state() -> list[tuple[Procedure, Case, str]]:
    """Every (procedure, status, current step, language) of the shipped catalogue, real or not."""
    return [
        (procedure, _case(procedure, status, step.id if step else None, language), language)
        for procedure in get_catalogue()
        for status in CaseStatus
        for step in (*procedure.steps, None)
        for language in LANGUAGES
    ]


# --- templates: the shipped files ------------------------------------------------------------------------------


def test_there_is_one_template_per_kind_named_after_it() -> None:
    # Given the JSON files shipped in shared/notifications/templates/
    # Then each kind has its file, and the file name is the kind
    assert {t.kind for t in TEMPLATES} == set(NotificationKind)
    assert sorted(p.stem for p in TEMPLATES_DIR.glob("*.json")) == sorted(k.value for k in NotificationKind)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("kind", "channel"), DECLARED, ids=[f"{k.value}-{c.value}" for k, c in DECLARED])
def test_every_template_renders_in_both_languages_on_every_channel_it_declares(
    kind: NotificationKind, channel: NotificationChannel, language: str
) -> None:
    # Given realistic long values
    # When the template is filled in
    message = render(kind, channel, language, LONG_VALUES)

    # Then nothing is left unfilled, email has a one-line subject and the short channels have none
    assert message.language == language
    assert "{" not in message.body and "}" not in message.body
    if channel is EMAIL:
        assert message.subject and "\n" not in message.subject and "{" not in message.subject
    else:
        assert message.subject is None
        # and SMS and WhatsApp bodies fit in 320 characters
        assert len(message.body) <= SHORT_LIMIT


def test_english_is_not_a_copy_of_spanish() -> None:
    # Given every text of every template
    for template in TEMPLATES:
        for channel, version in template.channels.items():
            for text in (version.body, version.subject):
                if text is None:
                    continue
                # Then the two languages differ, unless the words are all placeholders (and the brand)
                words = re.sub(r"\{\w+\}|Ventanilla|[\W_]", "", text.es)
                assert text.es != text.en or not words, f"{template.kind.value} {channel.value}: {text.es}"


def test_templates_use_tu_and_carry_no_emojis() -> None:
    # Given every text of every template
    texts = []
    for template in TEMPLATES:
        parts = [p for v in template.channels.values() for p in (v.body, v.subject) if p is not None]
        if template.greeting:
            parts += [template.greeting.named, template.greeting.anonymous]
        texts += [(template.kind.value, p.es, p.en) for p in parts]
    for kind, es, en in texts:
        # Then no emoji or other pictograph, and Spanish addresses the citizen as "tú", never "usted"
        for text in (es, en):
            assert not [c for c in text if unicodedata.category(c) == "So"], f"{kind}: {text}"
        assert not re.search(r"\busted(es)?\b", es, re.IGNORECASE), f"{kind}: {es}"


def test_the_opt_out_confirmation_reads_as_agreed() -> None:
    # Given the opt-out confirmation
    # When rendered in Spanish and English on SMS
    spanish = render("opt_out_confirmed", "sms", "es", {})
    english = render("opt_out_confirmed", "sms", "en", {})
    # Then the words are the agreed ones, and tell how to come back
    assert spanish.body == "Ya no te enviaremos mensajes por este canal. Responde ALTA para volver a recibirlos."
    assert "START" in english.body


@pytest.mark.parametrize("language", ["fr", None, "", "es-MX"])
def test_an_unknown_language_falls_back_to_spanish(language: str | None) -> None:
    # Given a language Ventanilla does not write in
    # When a message is rendered
    message = render("case_status_changed", "email", language, LONG_VALUES)
    # Then it is in Spanish
    assert message.language == "es"
    assert message == render("case_status_changed", "email", "es", LONG_VALUES)


# --- templates: status wording is quoted, never rewritten --------------------------------------------------------


@pytest.mark.parametrize("kind", [NotificationKind.CASE_STATUS_CHANGED, NotificationKind.CASE_CLOSED])
@pytest.mark.parametrize("channel", list(NotificationChannel))
def test_status_notifications_quote_the_one_status_text(kind: NotificationKind, channel: NotificationChannel) -> None:
    # Given a real case of the shipped catalogue
    procedure = get_catalogue().get("licencia-conducir")
    case = _case(procedure, CaseStatus.IN_REVIEW, "revision")
    for language in LANGUAGES:
        # When its notification is rendered from the case's values
        message = render(kind, channel, language, case_values(case, procedure, language, given_name="Ana"))
        # Then the status text appears word for word
        assert status_text(case, procedure, language) in message.body


def test_every_shipped_case_state_fits_an_sms_and_a_whatsapp_message() -> None:
    # Given every procedure x status x step x language of the shipped catalogue, and a long given name
    for procedure, case, language in _every_case_state():
        values = case_values(case, procedure, language, given_name=LONG_NAME)
        kinds = [NotificationKind.CASE_STATUS_CHANGED, NotificationKind.CASE_CLOSED]
        step = procedure.step(case.current_step or "")
        if case.status is CaseStatus.AWAITING_CITIZEN and step and step.actor is Actor.CITIZEN:
            kinds.append(NotificationKind.ACTION_REQUESTED)
        for kind in kinds:
            for channel in (SMS, WHATSAPP):
                # When it is rendered for a short channel
                body = render(kind, channel, language, values).body
                # Then it fits
                assert len(body) <= SHORT_LIMIT, (procedure.id, case.status, case.current_step, kind, channel)


def test_case_values_come_from_the_case_and_its_procedure() -> None:
    # Given a licence case awaiting the citizen's payment, due at 02:00 UTC (the evening before in Mexico City)
    procedure = get_catalogue().get("licencia-conducir")
    case = _case(procedure, CaseStatus.AWAITING_CITIZEN, "pago").model_copy(
        update={"step_due_at": datetime(2026, 3, 10, 2, 0, tzinfo=UTC), "documents": ("ine",)}
    )
    # When its values are taken in Spanish
    values = case_values(case, procedure, "es")
    # Then the status text is the one answer, and the due date is the local date in words
    assert values["status_text"] == status_text(case, procedure, "es")
    assert values["reference"] == "LIC-2026-000123"
    assert values["procedure"] == procedure.name.es
    assert values["next_action"] == procedure.step("pago").next_action.es  # type: ignore[union-attr]
    assert values["due_date"] == "9 de marzo de 2026"
    assert values["documents"] == "ninguno"
    assert values["given_name"] is None
    # And a closed case has no next action nor due date
    closed = case_values(_case(procedure, CaseStatus.CLOSED, None), procedure, "en")
    assert closed["next_action"] is None and closed["due_date"] is None


@pytest.mark.parametrize(
    ("moment", "language", "expected"),
    [
        (datetime(2026, 3, 15, 18, 0, tzinfo=UTC), "es", "15 de marzo de 2026"),
        (datetime(2026, 3, 15, 18, 0, tzinfo=UTC), "en", "15 March 2026"),
        (datetime(2027, 1, 1, 3, 0, tzinfo=UTC), "es", "31 de diciembre de 2026"),
        (datetime(2026, 9, 30, 12, 0), "fr", "30 de septiembre de 2026"),
    ],
)
def test_dates_are_local_and_in_words(moment: datetime, language: str, expected: str) -> None:
    # Given an instant and a language
    # Then the date reads as people write it, in Mexico City's calendar
    assert format_date(moment, language) == expected


# --- templates: greeting --------------------------------------------------------------------------------------


def test_a_citizen_without_a_known_name_is_greeted_too() -> None:
    # Given a citizen we only know by phone (no given name)
    values = {**LONG_VALUES, "given_name": None}
    # When the email is rendered
    spanish = render("case_status_changed", "email", "es", values)
    english = render("case_status_changed", "email", "en", values)
    # Then the greeting does without the name
    assert spanish.body.startswith("Hola:\n")
    assert english.body.startswith("Hello,\n")
    # And with a name, the name is used
    assert render("case_closed", "whatsapp", "es", {**LONG_VALUES, "given_name": " Ana "}).body.startswith(
        "Hola, Ana:\n"
    )


def test_a_name_too_long_for_whatsapp_drops_the_name_not_the_status() -> None:
    # Given a status text that leaves little room, and a very long name
    values = {**LONG_VALUES, "status_text": "x" * 300, "given_name": "Nombre " * 10}
    # When the WhatsApp message is rendered
    body = render("case_status_changed", "whatsapp", "es", values).body
    # Then the citizen is greeted without the name and the status text is whole
    assert body == "Hola:\n" + "x" * 300


def test_a_message_that_cannot_fit_a_short_channel_is_a_clear_error() -> None:
    # Given a status text longer than an SMS can carry
    values = {**LONG_VALUES, "status_text": "y" * 400}
    # When an SMS is rendered
    # Then it is refused, saying why (the caller may send an email instead)
    with pytest.raises(MessageTooLongError, match=r"case_status_changed \(sms, es\).*over the 320"):
        render("case_status_changed", "sms", "es", values)
    # And email carries it
    assert "y" * 400 in render("case_status_changed", "email", "es", values).body


# --- templates: placeholder errors are clear --------------------------------------------------------------------


def test_a_missing_value_names_the_placeholder() -> None:
    # Given the values of an action request without its due date
    values = {k: v for k, v in LONG_VALUES.items() if k != "due_date"}
    # When it is rendered
    # Then the error names the template, channel, language and missing placeholder
    with pytest.raises(RenderError, match=r"action_requested \(sms, en\): missing values for \['due_date'\]"):
        render("action_requested", "sms", "en", values)
    # And a blank value counts as missing
    with pytest.raises(RenderError, match=r"missing values for \['reference'\]"):
        render("case_closed", "email", "es", {**LONG_VALUES, "reference": "  "})


def test_an_unknown_value_names_the_placeholder() -> None:
    # Given a value under a misspelt name
    values = {**LONG_VALUES, "refrence": "LIC-2026-000123"}
    # When it is rendered
    # Then the error names it and lists the known ones
    with pytest.raises(RenderError, match=r"unknown placeholders \['refrence'\]; known: \["):
        render("case_status_changed", "email", "es", values)
    # And the greeting is derived, never given
    with pytest.raises(RenderError, match=r"greeting.*derived from given_name"):
        render("case_status_changed", "email", "es", {**LONG_VALUES, "greeting": "Hola"})


def test_a_value_the_template_does_not_use_is_accepted() -> None:
    # Given the full set of case values (one dict for every kind)
    # When a template that does not use some of them is rendered
    # Then it renders (the caller need not trim values per kind)
    assert render("opt_out_confirmed", "whatsapp", "en", LONG_VALUES).body.startswith("We will no longer")


def test_an_undeclared_channel_or_kind_is_a_clear_error() -> None:
    # Given a template set where the opt-out confirmation goes out by SMS only
    data = _template_data("opt_out_confirmed")
    data["channels"] = {"sms": data["channels"]["sms"]}
    templates = Templates({t.kind: t for t in TEMPLATES} | {NotificationKind.OPT_OUT_CONFIRMED: Template(**data)})
    # When it is asked for by email
    # Then the error says which channels it has
    with pytest.raises(RenderError, match="opt_out_confirmed has no email version; it declares sms"):
        templates.render("opt_out_confirmed", "email", "es", {})
    with pytest.raises(RenderError, match="no template for notification kind 'birthday'"):
        templates.render("birthday", "sms", "es", {})
    with pytest.raises(RenderError, match="unknown channel 'fax'"):
        templates.render("opt_out_confirmed", "fax", "es", {})


def _broken(change: Any) -> dict[str, Any]:
    data = _template_data()
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["channels"]["sms"]["body"].update(es="Ventanilla: {refrence}", en="Ventanilla: {refrence}"),
            r"undeclared placeholders \['refrence'\]",
        ),
        (lambda d: d["placeholders"].append("curp"), r"unknown placeholders \['curp'\] declared"),
        (lambda d: d["placeholders"].append("due_date"), r"\['due_date'\] are declared but no text uses them"),
        (
            lambda d: d["channels"]["sms"]["body"].update(en="Ventanilla: {reference}"),
            r"sms body: Spanish uses \['status_text'\] but English uses \['reference'\]",
        ),
        (
            lambda d: d["channels"]["sms"]["body"].update(es="{status_text:>10}", en="{status_text:>10}"),
            "placeholders are plain",
        ),
        (lambda d: d["channels"]["sms"]["body"].update(es="{status_text", en="{status_text"), "unbalanced braces"),
        (lambda d: d["channels"]["email"].pop("subject"), "email needs a subject"),
        (lambda d: d["channels"]["sms"].update(subject={"es": "x", "en": "x"}), "SMS and WhatsApp have none"),
        (
            lambda d: d["channels"]["sms"]["body"].update(es="a" * 321 + "{status_text}"),
            r"sms body \(es\) is 321 characters before filling in; the limit is 320",
        ),
        (
            lambda d: d["channels"]["whatsapp"]["body"].update(
                es="{given_name} {status_text}", en="{given_name} {status_text}"
            ),
            r"use \{greeting\}, not \{given_name\}",
        ),
        (lambda d: d.pop("greeting"), "uses {greeting} but the template has no greeting"),
        (lambda d: d["channels"]["email"]["subject"].update(es="Novedades\n{reference}"), "must be one line"),
        (lambda d: d["channels"].update(fax={"body": {"es": "x", "en": "x"}}), "channels.fax"),
    ],
    ids=[
        "unknown-in-text",
        "unknown-declared",
        "declared-unused",
        "language-mismatch",
        "format-spec",
        "unbalanced",
        "email-without-subject",
        "sms-with-subject",
        "sms-too-long",
        "bare-given-name",
        "greeting-without-greeting",
        "multiline-subject",
        "unknown-channel",
    ],
)
def test_a_broken_template_file_is_refused_at_load_naming_file_and_problem(
    tmp_path: Path, change: Any, message: str
) -> None:
    # Given the shipped templates with case_status_changed.json broken
    directory = _write_templates(tmp_path, case_status_changed=_broken(change))
    # When they are loaded
    # Then the error names the file and the problem
    with pytest.raises(TemplateError, match=r"^case_status_changed\.json: ") as error:
        load_templates(directory)
    assert re.search(message, str(error.value)), str(error.value)


def test_a_misnamed_or_missing_template_file_is_refused(tmp_path: Path) -> None:
    # Given a file named after the wrong kind
    directory = _write_templates(tmp_path)
    (directory / "case_closed.json").rename(directory / "closing.json")
    # When loaded, then both problems are named
    with pytest.raises(TemplateError, match=r"closing\.json: the file name must be the kind \('case_closed\.json'\)"):
        load_templates(directory)
    (directory / "closing.json").unlink()
    with pytest.raises(TemplateError, match=r"no template in .* for \['case_closed'\]"):
        load_templates(directory)
    (directory / "case_closed.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"case_closed\.json: "):
        load_templates(directory)


def test_every_placeholder_of_the_vocabulary_is_used_by_some_template() -> None:
    # Given the shipped templates
    used = set()
    for template in TEMPLATES:
        for version in template.channels.values():
            for text in (version.body, version.subject):
                if text is not None:
                    used |= placeholders_in(text.es)
        if template.greeting:
            used |= placeholders_in(template.greeting.named.es)
    # Then the vocabulary has no dead words
    assert used - {"greeting"} == set(PLACEHOLDERS)


# --- channel choice -----------------------------------------------------------------------------------------------

EVERYTHING = Contact(email="ana@example.mx", phone="+525512345678", whatsapp_opted_in=True)
NO_WHATSAPP = Contact(email="ana@example.mx", phone="+525512345678")
PHONE_ONLY = Contact(phone="+525512345678")
EMAIL_ONLY = Contact(email="ana@example.mx")


@pytest.mark.parametrize(
    ("preferred", "recent", "contact", "opted_out", "expected"),
    [
        # the preferred channel when it reaches the citizen
        (EMAIL, [Channel.MESSAGING], EVERYTHING, set(), EMAIL),
        (SMS, [Channel.EMAIL], EVERYTHING, set(), SMS),
        # preferred but opted out: the last channel they used that carries messages
        (EMAIL, [Channel.PHONE, Channel.MESSAGING, Channel.EMAIL], EVERYTHING, {EMAIL}, WHATSAPP),
        # preferred but unreachable (no address): the last used
        (EMAIL, [Channel.MESSAGING], PHONE_ONLY, set(), SMS),
        # WhatsApp only with the citizen's opt-in
        (WHATSAPP, [], NO_WHATSAPP, set(), SMS),
        (None, [Channel.MESSAGING], NO_WHATSAPP, set(), SMS),
        (None, [Channel.MESSAGING], EVERYTHING, set(), WHATSAPP),
        # phone, office, web, mobile, chat and social carry nothing: keep looking
        (
            None,
            [Channel.PHONE, Channel.OFFICE, Channel.WEB, Channel.EMAIL, Channel.MESSAGING],
            EVERYTHING,
            set(),
            EMAIL,
        ),
        # a citizen who only calls or visits gets an SMS when we have a number (equal service)
        (None, [Channel.PHONE, Channel.OFFICE], PHONE_ONLY, set(), SMS),
        (None, [], PHONE_ONLY, set(), SMS),
        # nothing used carries: WhatsApp (opted in), then SMS, then email
        (None, [Channel.OFFICE], EVERYTHING, set(), WHATSAPP),
        (None, [Channel.OFFICE], NO_WHATSAPP, set(), SMS),
        (None, [Channel.OFFICE], EVERYTHING, {WHATSAPP, SMS}, EMAIL),
        (None, [Channel.CHAT, Channel.SOCIAL, Channel.MOBILE], EMAIL_ONLY, set(), EMAIL),
        # messaging means WhatsApp for an opted-in citizen; opted out of it, keep looking
        (None, [Channel.MESSAGING, Channel.EMAIL], EVERYTHING, {WHATSAPP}, EMAIL),
        # nothing reachable
        (None, [Channel.PHONE], Contact(), set(), None),
        (EMAIL, [Channel.EMAIL], EMAIL_ONLY, {EMAIL}, None),
        (None, [Channel.MESSAGING], EVERYTHING, set(NotificationChannel), None),
        (None, [Channel.MESSAGING], Contact(email="  ", phone=""), set(), None),
    ],
)
def test_channel_choice(
    preferred: NotificationChannel | None,
    recent: list[Channel],
    contact: Contact,
    opted_out: set[NotificationChannel],
    expected: NotificationChannel | None,
) -> None:
    # Given a citizen's preference, recent touchpoint channels (newest first), contact and opt-outs
    # When a channel is chosen
    # Then it is the expected one
    assert choose_channel(preferred, recent, contact, opted_out) == expected


@given(
    preferred=st.none() | st.sampled_from(NotificationChannel),
    recent=st.lists(st.sampled_from(Channel), max_size=6),
    email=st.none() | st.just("ana@example.mx"),
    phone=st.none() | st.just("+525512345678"),
    whatsapp_opted_in=st.booleans(),
    opted_out=st.sets(st.sampled_from(NotificationChannel)),
)
def test_the_chosen_channel_always_reaches_the_citizen_and_respects_opt_outs(
    preferred: NotificationChannel | None,
    recent: list[Channel],
    email: str | None,
    phone: str | None,
    whatsapp_opted_in: bool,
    opted_out: set[NotificationChannel],
) -> None:
    # Given any citizen
    contact = Contact(email=email, phone=phone, whatsapp_opted_in=whatsapp_opted_in)
    # When a channel is chosen
    chosen = choose_channel(preferred, recent, contact, opted_out)
    # Then it is never opted out nor unreachable, and it is None only when no channel is reachable
    reachable = {c for c in NotificationChannel if c not in opted_out and contact.can_carry(c)}
    if chosen is None:
        assert not reachable
    else:
        assert chosen in reachable
        assert chosen is not WHATSAPP or whatsapp_opted_in


# --- consent --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "BAJA",
        "baja.",
        "Baja por favor",
        "STOP",
        "stop",
        "¡Alto!",
        "CANCELAR",
        "Unsubscribe",
        "  bája  ",
        "BAJA!!!",
        "Baja, gracias",
        "«baja»",
    ],
)
def test_opt_out_words(text: str) -> None:
    # Given a reply that is, or starts with, an opt-out word in any case, accent or punctuation
    # Then it is an opt-out, and not an opt-in
    assert is_opt_out(text)
    assert not is_opt_in(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        None,
        "¿?",
        "Quiero saber de mi trámite",
        "no me den de baja",
        "bajar",
        "ALTA",
        "stopped",
        "Hola, STOP",
    ],
)
def test_not_opt_out(text: str | None) -> None:
    # Given a reply where no opt-out word comes first
    # Then it is not an opt-out
    assert not is_opt_out(text)


@pytest.mark.parametrize("text", ["ALTA", "alta.", "Start", "SUSCRIBIR", "Alta por favor", "¡Álta!"])
def test_opt_in_words(text: str) -> None:
    # Given a reply that is, or starts with, an opt-in word
    # Then it is an opt-in, and not an opt-out
    assert is_opt_in(text)
    assert not is_opt_out(text)


@given(st.text(max_size=40))
def test_a_reply_is_never_both_opt_out_and_opt_in(text: str) -> None:
    assert not (is_opt_out(text) and is_opt_in(text))


# --- quiet hours ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (_mx(2026, 3, 2, 12, 0), None),
        (_mx(2026, 3, 2, 21, 59, 59), None),
        (_mx(2026, 3, 2, 8, 0), None),
        (_mx(2026, 3, 2, 22, 0), _mx(2026, 3, 3, 8, 0)),
        (_mx(2026, 3, 2, 23, 30), _mx(2026, 3, 3, 8, 0)),
        (_mx(2026, 3, 3, 0, 0), _mx(2026, 3, 3, 8, 0)),
        (_mx(2026, 3, 3, 2, 0), _mx(2026, 3, 3, 8, 0)),
        (_mx(2026, 3, 3, 7, 59, 59), _mx(2026, 3, 3, 8, 0)),
        (_mx(2026, 12, 31, 23, 0), _mx(2027, 1, 1, 8, 0)),  # across the year
        (_mx(2026, 2, 28, 22, 30), _mx(2026, 3, 1, 8, 0)),  # across the month
    ],
)
def test_quiet_hours_across_midnight(at: datetime, expected: datetime | None) -> None:
    # Given a moment, local time in Mexico City
    # When we ask whether to wait
    delay = quiet_hours_delay(at)
    # Then we send now between 08:00 and 22:00, else at the next 08:00
    assert delay == expected
    if delay is not None:
        # and the answer is a UTC instant
        assert delay.tzinfo is UTC


def test_quiet_hours_read_the_local_clock_whatever_zone_the_moment_is_in() -> None:
    # Given 03:30 UTC, which is 21:30 in Mexico City, and 04:30 UTC, which is 22:30
    # Then the first goes now and the second waits until 08:00 local (14:00 UTC)
    assert quiet_hours_delay(datetime(2026, 7, 1, 3, 30, tzinfo=UTC)) is None
    delay = quiet_hours_delay(datetime(2026, 7, 1, 4, 30, tzinfo=UTC))
    assert delay == datetime(2026, 7, 1, 14, 0, tzinfo=UTC)


def test_mexico_city_has_no_daylight_saving_since_2022_and_zoneinfo_agrees() -> None:
    # Given the time zone database in use
    # Then Mexico City is UTC-6 all year from 2023 (it was UTC-5 in summer 2022, before DST was abolished)
    assert _mx(2022, 7, 1, 12).utcoffset() == timedelta(hours=-5)
    for month in range(1, 13):
        moment = _mx(2026, month, 15, 12)
        assert moment.utcoffset() == timedelta(hours=-6) and moment.dst() == timedelta(0)
    # And 08:00 on the first Sunday of April (the old spring-forward day) is 14:00 UTC
    assert quiet_hours_delay(_mx(2026, 4, 5, 3, 0)) == datetime(2026, 4, 5, 14, 0, tzinfo=UTC)
    # And the old fall-back night (last Sunday of October) is an ordinary night
    assert quiet_hours_delay(_mx(2026, 10, 24, 23, 0)) == datetime(2026, 10, 25, 14, 0, tzinfo=UTC)


def test_quiet_hours_in_a_zone_with_daylight_saving() -> None:
    ny = ZoneInfo("America/New_York")
    # Given New York, where 02:00-03:00 does not exist on 8 March 2026 (clocks go forward)
    # When quiet hours end at 02:30, a wall time that does not exist that day
    delay = quiet_hours_delay(datetime(2026, 3, 8, 1, 0, tzinfo=ny), "America/New_York", time(22), time(2, 30))
    # Then we may send at the first instant after the jump, 03:00 EDT
    assert delay == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    # Given 1 November 2026, where 01:00-02:00 happens twice (clocks go back), and quiet hours end at 01:30
    second_pass = datetime(2026, 11, 1, 1, 10, tzinfo=ny, fold=1)  # 06:10 UTC
    delay = quiet_hours_delay(second_pass, "America/New_York", time(22), time(1, 30))
    # Then a moment in the second pass waits for the second 01:30, never going back in time
    assert delay == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    # Given Madrid on 29 March 2026, where 02:00-03:00 is skipped, and sending allowed only 02:00-02:01
    at = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # 01:00 CET
    delay = quiet_hours_delay(at, "Europe/Madrid", time(2, 1), time(2, 0))
    # Then the window that never happens that day is skipped: 02:00 the next day (CEST)
    assert delay == datetime(2026, 3, 30, 0, 0, tzinfo=UTC)
    # And the usual 08:00 is 08:00 local on either side of the change
    assert quiet_hours_delay(datetime(2026, 3, 8, 5, 0, tzinfo=ny), "America/New_York") == datetime(
        2026, 3, 8, 12, 0, tzinfo=UTC
    )
    assert quiet_hours_delay(datetime(2026, 11, 1, 5, 0, tzinfo=ny), "America/New_York") == datetime(
        2026, 11, 1, 13, 0, tzinfo=UTC
    )


def test_quiet_hours_within_a_day_or_none_at_all() -> None:
    # Given quiet hours that do not cross midnight (a siesta 14:00-16:00)
    siesta = {"start": time(14), "end": time(16)}
    assert quiet_hours_delay(_mx(2026, 3, 2, 15), **siesta) == _mx(2026, 3, 2, 16)
    assert quiet_hours_delay(_mx(2026, 3, 2, 23), **siesta) is None
    # Given start == end: no quiet hours
    assert quiet_hours_delay(_mx(2026, 3, 2, 23), start=time(8), end=time(8)) is None


def test_quiet_hours_refuse_a_naive_moment() -> None:
    # Given a moment without a time zone, then the error says so
    with pytest.raises(ValueError, match="at must be timezone-aware"):
        quiet_hours_delay(datetime(2026, 3, 2, 23, 0))


ZONES = ["America/Mexico_City", "America/New_York", "America/Tijuana", "Europe/Madrid", "UTC"]
MINUTES = st.integers(min_value=0, max_value=24 * 60 - 1).map(lambda m: time(m // 60, m % 60))


@given(
    at=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)),
    tz=st.sampled_from(ZONES),
    start=MINUTES,
    end=MINUTES,
)
def test_quiet_hours_delay_never_lands_in_quiet_hours_nor_before_the_moment(
    at: datetime, tz: str, start: time, end: time
) -> None:
    # Given any moment, zone and quiet hours
    # When we ask whether to wait
    delay = quiet_hours_delay(at, tz, start, end)
    # Then None means the moment is fine; otherwise the answer is later, outside quiet hours, and the first such
    if delay is None:
        assert not is_quiet(at, tz, start, end)
    else:
        assert is_quiet(at, tz, start, end)
        assert delay.tzinfo is not None
        assert delay > at
        assert not is_quiet(delay, tz, start, end)
        assert is_quiet(delay - timedelta(seconds=1), tz, start, end)
        assert delay - at <= timedelta(hours=25)


# --- rate limit ----------------------------------------------------------------------------------------------------

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ([], True),
        ([NOW - timedelta(minutes=30)], False),  # one in the last hour already
        ([NOW - timedelta(hours=1)], True),  # exactly an hour ago: the hour has passed
        ([NOW - timedelta(minutes=61)], True),
        ([NOW - timedelta(hours=2), NOW - timedelta(hours=5)], True),  # the third today
        ([NOW - timedelta(hours=2), NOW - timedelta(hours=5), NOW - timedelta(hours=20)], False),  # a fourth
        ([NOW - timedelta(hours=2), NOW - timedelta(hours=5), NOW - timedelta(hours=25)], True),  # rolling 24 h
        ([NOW + timedelta(minutes=2)], False),  # stamped after now (clock skew): counted
    ],
)
def test_rate_limit(sent: list[datetime], expected: bool) -> None:
    # Given the messages already sent to a citizen
    # When one more is considered now (defaults: 1 an hour, 3 a day)
    # Then it is allowed only within both limits
    assert within_rate_limit(sent, NOW) is expected


def test_rate_limit_with_other_limits_and_zones() -> None:
    # Given two sends in the last hour, stamped in Mexico City time
    sent = [(NOW - timedelta(minutes=10)).astimezone(MX), (NOW - timedelta(minutes=40)).astimezone(MX)]
    # Then 3 an hour allows one more, 2 a day does not
    assert within_rate_limit(sent, NOW, per_day=10, per_hour=3)
    assert not within_rate_limit(sent, NOW, per_day=2, per_hour=3)
    with pytest.raises(ValueError, match="sent_at must be timezone-aware"):
        within_rate_limit([datetime(2026, 3, 2, 17, 0)], NOW)


@given(st.lists(st.integers(min_value=0, max_value=48 * 60), max_size=8))
def test_allowed_sends_never_exceed_the_limits(offsets: list[int]) -> None:
    # Given candidate sends over two days, each sent only when within the limits
    sent: list[datetime] = []
    for minutes in sorted(offsets):
        at = NOW + timedelta(minutes=minutes)
        if within_rate_limit(sent, at):
            sent.append(at)
    # Then no hour holds two and no 24 hours hold four
    for i, moment in enumerate(sent):
        assert sum(1 for s in sent[: i + 1] if s > moment - timedelta(hours=1)) <= 1
        assert sum(1 for s in sent[: i + 1] if s > moment - timedelta(days=1)) <= 3


# --- idempotency -----------------------------------------------------------------------------------------------------


def test_one_triggering_event_gives_one_notification_id() -> None:
    # Given the same event, citizen and kind delivered twice
    first = notification_id("evt-1", "cit-1", "case_closed")
    again = notification_id("evt-1", "cit-1", NotificationKind.CASE_CLOSED)
    # Then the id is the same, shaped ntf- + 32 hex
    assert first == again
    assert re.fullmatch(r"ntf-[0-9a-f]{32}", first)
    # And any other event, citizen or kind gives another id, even when the parts run together
    others = {
        notification_id("evt-2", "cit-1", "case_closed"),
        notification_id("evt-1", "cit-2", "case_closed"),
        notification_id("evt-1", "cit-1", "case_status_changed"),
        notification_id("evt-1c", "it-1", "case_closed"),
    }
    assert first not in others and len(others) == 4


@given(st.text(), st.text(), st.sampled_from(NotificationKind))
def test_notification_ids_are_deterministic_and_well_formed(event_id: str, citizen_id: str, kind: str) -> None:
    assert notification_id(event_id, citizen_id, kind) == notification_id(event_id, citizen_id, kind)
    assert re.fullmatch(r"ntf-[0-9a-f]{32}", notification_id(event_id, citizen_id, kind))


# --- which notification -----------------------------------------------------------------------------------------------


def _status_changed(from_status: str, to_status: str) -> CaseStatusChanged:
    return CaseStatusChanged(
        reference="LIC-2026-000123", procedure="licencia-conducir", from_status=from_status, to_status=to_status
    )


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            CaseOpened(reference="LIC-2026-000123", procedure="licencia-conducir", channel=Channel.OFFICE),
            NotificationKind.CASE_STATUS_CHANGED,
        ),
        (_status_changed("received", "awaiting_citizen"), NotificationKind.ACTION_REQUESTED),
        (_status_changed("in_review", "awaiting_citizen"), NotificationKind.ACTION_REQUESTED),
        (_status_changed("received", "in_review"), NotificationKind.CASE_STATUS_CHANGED),
        (_status_changed("in_review", "resolved"), NotificationKind.CASE_STATUS_CHANGED),
        (_status_changed("abandoned", "received"), NotificationKind.CASE_STATUS_CHANGED),  # reopened
        (_status_changed("resolved", "closed"), None),  # CaseClosed follows and notifies
        (_status_changed("in_review", "abandoned"), None),  # idem
        (_status_changed("in_review", "in_review"), None),
        (_status_changed("in_review", "lost"), None),
        (CaseClosed(reference="LIC-2026-000123", procedure="licencia-conducir", status="closed"), "case_closed"),
        (CaseClosed(reference="LIC-2026-000123", procedure="licencia-conducir", status="abandoned"), "case_closed"),
        (CaseStepCompleted(reference="LIC-2026-000123", procedure="licencia-conducir", step="examen"), None),
        (TouchpointRecorded(touchpoint_id="tp-1", channel=Channel.WEB, occurred_at=NOW), None),
    ],
)
def test_kind_for(event: DomainEvent, expected: str | None) -> None:
    # Given a bus event
    # Then it deserves the expected notification, or none
    assert kind_for(event) == expected


def _kinds(events: list[DomainEvent]) -> list[NotificationKind]:
    return [kind for event in events if (kind := kind_for(event)) is not None]


def test_each_real_case_change_gives_at_most_one_notification() -> None:
    # Given a licence case opened at the office
    procedure = get_catalogue().get("licencia-conducir")
    at = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
    opened = case_rules.open_case(
        procedure, "LIC-2026-000123", citizen_id="cit-1", channel=Channel.OFFICE, actor="citizen", at=at
    )
    assert _kinds(events_of(opened, procedure)) == [NotificationKind.CASE_STATUS_CHANGED]
    # When the application is completed with its documents (the citizen must now pay)
    applied = case_rules.complete_step(
        opened.case,
        procedure,
        "solicitud",
        channel=Channel.WEB,
        actor="citizen",
        at=at,
        documents=["ine", "comprobante-domicilio"],
    )
    # Then one action request, not also a step notification
    assert _kinds(events_of(applied, procedure)) == [NotificationKind.ACTION_REQUESTED]
    # When the payment is made (the next step is the citizen's too: the status does not change)
    paid = case_rules.complete_step(applied.case, procedure, "pago", channel=Channel.WEB, actor="citizen", at=at)
    assert _kinds(events_of(paid, procedure)) == []
    # When the case is abandoned: one closing notification, not also a status change
    abandoned = case_rules.change_status(
        paid.case, procedure, CaseStatus.ABANDONED, channel=Channel.OFFICE, actor="op-1", at=at
    )
    assert _kinds(events_of(abandoned, procedure)) == [NotificationKind.CASE_CLOSED]
