"""The procedure catalogue's schema: what a *trámite* is made of, kept as data (shared/catalogue/procedures/).

One JSON file per procedure, validated by this model when a function loads the catalogue and, through the
JSON Schema generated from it (shared/catalogue/procedure.schema.json), when the CDK app synthesizes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.models.touchpoint import Channel

LANGUAGES = ("es", "en")
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$")]
Prefix = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    """The same words in every language Ventanilla answers in."""

    es: Message
    en: Message

    def in_language(self, language: str | None) -> str:
        return self.en if language == "en" else self.es


class CaseStatus(StrEnum):
    RECEIVED = "received"
    IN_REVIEW = "in_review"
    AWAITING_CITIZEN = "awaiting_citizen"
    RESOLVED = "resolved"
    CLOSED = "closed"
    ABANDONED = "abandoned"


class Actor(StrEnum):
    CITIZEN = "citizen"  # the citizen acts (fills a form, brings a document, pays, attends)
    AGENCY = "agency"  # the agency acts (reviews, prints, decides)


class Document(_Model):
    code: Code
    name: Text


class Step(_Model):
    id: Code
    name: Text
    actor: Actor
    sla_hours: int = Field(gt=0, le=24 * 365, description="How long this step may take before it breaches its SLA")
    channels: tuple[Channel, ...] = Field(min_length=1, description="Channels where this step can be performed")
    documents: tuple[Code, ...] = Field(default=(), description="Documents this step needs delivered")
    next_action: Text = Field(description="What has to happen for this step, told to the citizen")


class AttributeValue(_Model):
    key: Code
    name: Text


class Attribute(_Model):
    """An Open311 service attribute: an extra question asked when the procedure is requested."""

    code: Code
    datatype: str = Field(pattern=r"^(string|number|datetime|text|singlevaluelist|multivaluelist)$")
    required: bool = False
    description: Text
    values: tuple[AttributeValue, ...] = ()

    @model_validator(mode="after")
    def _lists_have_values(self) -> Attribute:
        if self.datatype.endswith("valuelist") and not self.values:
            raise ValueError(f"attribute {self.code}: a {self.datatype} needs values")
        return self


class Procedure(_Model):
    id: Code
    reference_prefix: Prefix = Field(description="Case references read PREFIX-YEAR-NUMBER, e.g. LIC-2026-000123")
    name: Text
    description: Text
    group: Label
    keywords: tuple[Label, ...] = ()
    documents: tuple[Document, ...] = ()
    steps: tuple[Step, ...] = Field(min_length=1)
    status_messages: dict[CaseStatus, Text] = Field(
        description="What a citizen is told in each status; {reference}, {procedure}, {step}, {next_action} "
        "and {documents} are filled in"
    )
    attributes: tuple[Attribute, ...] = ()
    priority: Literal["normal", "high"] = Field(
        default="normal",
        description="high: a stalled case alerts operators at once (e.g. social benefits people live on)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Procedure:
        step_ids = [s.id for s in self.steps]
        if len(set(step_ids)) != len(step_ids):
            raise ValueError(f"procedure {self.id}: step ids must be unique")
        known = {d.code for d in self.documents}
        for step in self.steps:
            unknown = set(step.documents) - known
            if unknown:
                raise ValueError(f"procedure {self.id}, step {step.id}: unknown documents {sorted(unknown)}")
        missing = set(CaseStatus) - set(self.status_messages)
        if missing:
            raise ValueError(f"procedure {self.id}: status messages missing for {sorted(m.value for m in missing)}")
        return self

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def document(self, code: str) -> Document | None:
        return next((d for d in self.documents if d.code == code), None)

    @property
    def required_documents(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(code for step in self.steps for code in step.documents))
