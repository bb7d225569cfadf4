"""Notification templates, kept as data (shared/notifications/templates/*.json), and the one way to fill them in.

One JSON file per kind, in Spanish and English, with a version per channel it can go out on: email (subject and
body), SMS and WhatsApp (a short body, at most 320 characters once filled in). Placeholders are `{name}` from a
fixed vocabulary; each file declares the ones it takes. Messages about a status quote `{status_text}`, the one
status wording (shared/cases/status.py): templates never word a status themselves.

`{greeting}` is not a value: the template's `greeting.named` (with `{given_name}`) when the citizen's name is
known, its `greeting.anonymous` when not, so a citizen we only know by phone is greeted too.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from shared.cases.rules import missing_documents
from shared.cases.status import NONE, next_action, status_text
from shared.models.case import Case
from shared.models.procedure import LANGUAGES, Procedure
from shared.notifications.rules import DEFAULT_TZ, NotificationChannel, NotificationKind

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
DEFAULT_LANGUAGE = "es"
SHORT_LIMIT = 320  # SMS and WhatsApp bodies, filled in
SUBJECT_LIMIT = 150  # email subjects, filled in
SHORT_CHANNELS = frozenset({NotificationChannel.SMS, NotificationChannel.WHATSAPP})

GREETING = "greeting"
GIVEN_NAME = "given_name"
PLACEHOLDERS: dict[str, str] = {
    "reference": "The case reference, e.g. LIC-2026-000123",
    "procedure": "The procedure's name in the message's language",
    "status_text": "The case's status text (shared/cases/status.py), quoted as is",
    "next_action": "What the citizen has to do next (the current step's next_action)",
    "documents": "The documents still needed, comma-separated ('ninguno' / 'none' when none)",
    "due_date": "When the current step is due, a local date in words",
    GIVEN_NAME: "The citizen's given name; optional: without it the anonymous greeting is used",
}

Placeholder = Annotated[str, StringConstraints(pattern=r"^[a-z_]+$")]
TemplateString = Annotated[str, StringConstraints(min_length=1, max_length=4000)]

MONTHS = {
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


class TemplateError(ValueError):
    """A template file does not follow the schema; names the file and the problem."""


class RenderError(ValueError):
    """A template cannot be filled in with these values (missing or unknown placeholder, channel not declared)."""


class MessageTooLongError(RenderError):
    """The filled-in message does not fit its channel (SMS/WhatsApp bodies, email subjects)."""


def placeholders_in(text: str) -> set[str]:
    """The `{name}` placeholders of a text; anything else between braces (format specs, indexes) is refused."""
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as error:
        raise ValueError(f"unbalanced braces in {text!r}: {error}") from None
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise ValueError(
                f"placeholders are plain {{name}}, got {{{field}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}} in {text!r}"
            )
        names.add(field)
    return names


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedText(_Model):
    """The same words in Spanish and English."""

    es: TemplateString
    en: TemplateString

    def in_language(self, language: str) -> str:
        return self.en if language == "en" else self.es

    def placeholders(self, label: str) -> set[str]:
        """Placeholders of the text; both languages must use the same ones."""
        es, en = placeholders_in(self.es), placeholders_in(self.en)
        if es != en:
            raise ValueError(f"{label}: Spanish uses {sorted(es)} but English uses {sorted(en)}")
        return es


class Greeting(_Model):
    named: LocalizedText = Field(description="With {given_name}: 'Hola, {given_name}:'")
    anonymous: LocalizedText = Field(description="Without a name: 'Hola:'")


class ChannelTemplate(_Model):
    subject: LocalizedText | None = Field(default=None, description="Email only")
    body: LocalizedText


class Template(_Model):
    kind: NotificationKind
    description: str = Field(min_length=1, max_length=300)
    placeholders: tuple[Placeholder, ...] = Field(default=(), description="The values this template takes")
    greeting: Greeting | None = None
    channels: dict[NotificationChannel, ChannelTemplate] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Template:
        unknown = set(self.placeholders) - set(PLACEHOLDERS)
        if unknown:
            raise ValueError(f"unknown placeholders {sorted(unknown)} declared; known: {sorted(PLACEHOLDERS)}")
        declared = set(self.placeholders)
        if self.greeting is not None:
            if self.greeting.named.placeholders("greeting.named") != {GIVEN_NAME}:
                raise ValueError("greeting.named must use {given_name} and nothing else")
            if self.greeting.anonymous.placeholders("greeting.anonymous"):
                raise ValueError("greeting.anonymous takes no placeholders")
            if GIVEN_NAME not in declared:
                raise ValueError("a template with a greeting must declare given_name")
        everywhere: set[str] = set()
        for channel, version in self.channels.items():
            if (channel is NotificationChannel.EMAIL) != (version.subject is not None):
                raise ValueError(f"{channel.value}: email needs a subject, SMS and WhatsApp have none")
            texts = [("body", version.body)] + ([("subject", version.subject)] if version.subject else [])
            for part, text in texts:
                label = f"{channel.value} {part}"
                used = text.placeholders(label)
                everywhere |= used
                if GREETING in used and self.greeting is None:
                    raise ValueError(f"{label} uses {{greeting}} but the template has no greeting")
                undeclared = used - declared - {GREETING}
                if undeclared:
                    raise ValueError(
                        f"{label} uses undeclared placeholders {sorted(undeclared)}; declared: {sorted(declared)}"
                    )
                if GIVEN_NAME in used:
                    raise ValueError(f"{label}: use {{greeting}}, not {{given_name}}, so a nameless citizen reads well")
                for language in LANGUAGES:
                    words = text.in_language(language)
                    literal = "".join(chunk for chunk, *_ in string.Formatter().parse(words))
                    if part == "subject" and "\n" in words:
                        raise ValueError(f"{label} ({language}) must be one line")
                    limit = SUBJECT_LIMIT if part == "subject" else SHORT_LIMIT if channel in SHORT_CHANNELS else None
                    if limit is not None and len(literal) > limit:
                        raise ValueError(
                            f"{label} ({language}) is {len(literal)} characters before filling in; the limit is {limit}"
                        )
        if GREETING in everywhere:
            everywhere.add(GIVEN_NAME)
        unused = declared - everywhere
        if unused:
            raise ValueError(f"placeholders {sorted(unused)} are declared but no text uses them")
        return self

    def version(self, channel: NotificationChannel) -> ChannelTemplate:
        try:
            return self.channels[channel]
        except KeyError:
            declared = ", ".join(c.value for c in self.channels)
            raise RenderError(
                f"template {self.kind.value} has no {channel.value} version; it declares {declared}"
            ) from None


class RenderedMessage(_Model):
    subject: str | None = None
    body: str
    language: str = Field(description="The language actually used (unknown languages fall back to Spanish)")


class Templates:
    def __init__(self, templates: Mapping[NotificationKind, Template]) -> None:
        self._templates = dict(templates)

    def __iter__(self) -> Iterator[Template]:
        return iter(sorted(self._templates.values(), key=lambda t: t.kind.value))

    def __len__(self) -> int:
        return len(self._templates)

    def get(self, kind: NotificationKind | str) -> Template:
        try:
            return self._templates[NotificationKind(kind)]
        except (KeyError, ValueError):
            known = ", ".join(sorted(k.value for k in self._templates))
            raise RenderError(f"no template for notification kind '{kind}'; known: {known}") from None

    def render(
        self,
        kind: NotificationKind | str,
        channel: NotificationChannel | str,
        language: str | None,
        values: Mapping[str, str | None],
    ) -> RenderedMessage:
        template = self.get(kind)
        try:
            channel = NotificationChannel(channel)
        except ValueError:
            raise RenderError(f"unknown channel '{channel}'; channels: email, sms, whatsapp") from None
        version = template.version(channel)
        lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
        where = f"template {template.kind.value} ({channel.value}, {lang})"

        unknown = set(values) - set(PLACEHOLDERS)
        if unknown:
            hint = " ({greeting} is derived from given_name)" if GREETING in unknown else ""
            raise RenderError(f"{where}: unknown placeholders {sorted(unknown)}{hint}; known: {sorted(PLACEHOLDERS)}")
        texts = {"body": version.body.in_language(lang)}
        if version.subject is not None:
            texts["subject"] = version.subject.in_language(lang)
        used = set().union(*(placeholders_in(t) for t in texts.values())) - {GREETING}
        filled = {name: (values.get(name) or "").strip() for name in PLACEHOLDERS}
        missing = sorted(name for name in used if not filled[name])
        if missing:
            raise RenderError(f"{where}: missing values for {missing}")

        greetings = [""]
        if template.greeting is not None:
            anonymous = template.greeting.anonymous.in_language(lang)
            named = template.greeting.named.in_language(lang).format(given_name=filled[GIVEN_NAME])
            greetings = [named, anonymous] if filled[GIVEN_NAME] else [anonymous]
        for greeting in greetings:  # a name too long for a short channel: greet without it
            rendered = {part: text.format(**filled, greeting=greeting) for part, text in texts.items()}
            if channel not in SHORT_CHANNELS or len(rendered["body"]) <= SHORT_LIMIT:
                break
        if channel in SHORT_CHANNELS and len(rendered["body"]) > SHORT_LIMIT:
            raise MessageTooLongError(
                f"{where}: the body is {len(rendered['body'])} characters, over the {SHORT_LIMIT} a "
                f"{channel.value} message may have"
            )
        if len(rendered.get("subject", "")) > SUBJECT_LIMIT:
            raise MessageTooLongError(f"{where}: the subject is over {SUBJECT_LIMIT} characters")
        return RenderedMessage(subject=rendered.get("subject"), body=rendered["body"], language=lang)


def load_templates(directory: Path = TEMPLATES_DIR) -> Templates:
    templates: dict[NotificationKind, Template] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            template = Template.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (ValidationError, ValueError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise TemplateError(f"{path.name}: {error}") from error
        if path.stem != template.kind.value:
            raise TemplateError(f"{path.name}: the file name must be the kind ('{template.kind.value}.json')")
        templates[template.kind] = template
    missing = sorted(kind.value for kind in NotificationKind if kind not in templates)
    if missing:
        raise TemplateError(f"no template in {directory} for {missing}")
    return Templates(templates)


@lru_cache(maxsize=1)
def get_templates() -> Templates:
    return load_templates()


def render(
    kind: NotificationKind | str,
    channel: NotificationChannel | str,
    language: str | None,
    values: Mapping[str, str | None],
) -> RenderedMessage:
    """Fill in the shipped template for `kind` on `channel`; unknown languages fall back to Spanish."""
    return get_templates().render(kind, channel, language, values)


# -- values from a case ---------------------------------------------------------------------------------------


def format_date(moment: datetime, language: str | None, tz: str = DEFAULT_TZ) -> str:
    """A local date in words: '15 de marzo de 2026', '15 March 2026'."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # naive instants are UTC, as stored
    local = aware.astimezone(ZoneInfo(tz))
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    month = MONTHS[lang][local.month - 1]
    return f"{local.day} de {month} de {local.year}" if lang == "es" else f"{local.day} {month} {local.year}"


def case_values(
    case: Case,
    procedure: Procedure,
    language: str | None = None,
    *,
    given_name: str | None = None,
    tz: str = DEFAULT_TZ,
) -> dict[str, str | None]:
    """Every placeholder's value for a case, from the same sources the status text uses.

    `status_text` is shared/cases/status.py's, word for word. Values that do not apply (no next action on a
    closed case, no due date) are None, and a template that uses them refuses to render.
    """
    lang = language if language in LANGUAGES else (case.language if case.language in LANGUAGES else DEFAULT_LANGUAGE)
    step = procedure.step(case.current_step or "")
    needed = missing_documents(case, procedure, step) if step else []
    documents = ", ".join(d.name.in_language(lang) for code in needed if (d := procedure.document(code)))
    return {
        "reference": case.reference,
        "procedure": procedure.name.in_language(lang),
        "status_text": status_text(case, procedure, lang),
        "next_action": next_action(case, procedure, lang),
        "documents": documents or NONE[lang],
        "due_date": format_date(case.step_due_at, lang, tz) if case.step_due_at and case.is_open else None,
        GIVEN_NAME: given_name,
    }
