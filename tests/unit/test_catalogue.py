"""The procedure catalogue: the shipped trámites load, read well in both languages and refuse broken files."""

from __future__ import annotations

import copy
import json
import re
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.catalogue import CATALOGUE_DIR, SCHEMA_FILE, Catalogue, CatalogueError, get_catalogue, load_catalogue
from shared.catalogue.schema import procedure_json_schema
from shared.exceptions import NotFoundError
from shared.models.procedure import LANGUAGES, CaseStatus, Procedure, Text
from shared.models.touchpoint import Channel

pytestmark = pytest.mark.unit

SHIPPED = {
    "licencia-conducir": "LIC",
    "acta-nacimiento": "ACT",
    "cita-pasaporte": "PAS",
    "predial": "PRE",
    "programa-social": "PSO",
}
PLACEHOLDERS = {"reference", "procedure", "step", "next_action", "documents"}
SHIPPED_FILES = sorted(CATALOGUE_DIR.glob("*.json"))


def _texts(procedure: Procedure) -> list[tuple[str, Text]]:
    """Every citizen-facing text of a procedure, labelled for assertion messages."""
    texts = [("name", procedure.name), ("description", procedure.description)]
    texts += [(f"document {d.code}", d.name) for d in procedure.documents]
    texts += [(f"step {s.id} name", s.name) for s in procedure.steps]
    texts += [(f"step {s.id} next_action", s.next_action) for s in procedure.steps]
    texts += [(f"status {status}", message) for status, message in procedure.status_messages.items()]
    for attribute in procedure.attributes:
        texts.append((f"attribute {attribute.code}", attribute.description))
        texts += [(f"attribute {attribute.code} value {v.key}", v.name) for v in attribute.values]
    return texts


def _render(template: str, procedure: Procedure, language: str) -> str:
    step = procedure.steps[0]
    documents = ", ".join(d.name.in_language(language) for code in step.documents if (d := procedure.document(code)))
    return template.format(
        reference=f"{procedure.reference_prefix}-2026-000123",
        procedure=procedure.name.in_language(language),
        step=step.name.in_language(language),
        next_action=step.next_action.in_language(language),
        documents=documents or "-",
    )


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _licencia() -> dict[str, Any]:
    return json.loads((CATALOGUE_DIR / "licencia-conducir.json").read_text(encoding="utf-8"))


# --- the shipped catalogue ---------------------------------------------------------------------------------------


def test_the_shipped_catalogue_has_the_five_procedures(catalogue: Catalogue) -> None:
    # Given the JSON files shipped in shared/catalogue/procedures/
    # Then each procedure loads with its own reference prefix
    assert len(catalogue) == len(SHIPPED)
    assert {p.id: p.reference_prefix for p in catalogue} == SHIPPED
    assert [p.id for p in catalogue] == sorted(SHIPPED)


def test_reference_prefixes_are_unique(catalogue: Catalogue) -> None:
    prefixes = [p.reference_prefix for p in catalogue]
    assert len(prefixes) == len(set(prefixes))


def test_get_catalogue_loads_once() -> None:
    assert get_catalogue() is get_catalogue()
    assert len(get_catalogue()) == len(SHIPPED)


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_each_file_is_named_after_its_procedure(path: Path) -> None:
    assert json.loads(path.read_text(encoding="utf-8"))["id"] == path.stem


def test_every_text_is_written_in_spanish_and_english(catalogue: Catalogue) -> None:
    # Given every citizen-facing text of every procedure
    # Then both languages are filled in, and the English is not a copy of the Spanish for sentences
    for procedure in catalogue:
        for label, text in _texts(procedure):
            assert text.es and text.en, f"{procedure.id}: {label}"
        assert procedure.name.es != procedure.name.en, procedure.id
        assert procedure.description.es != procedure.description.en, procedure.id
        for step in procedure.steps:
            assert step.next_action.es != step.next_action.en, f"{procedure.id}: step {step.id}"
        for status, message in procedure.status_messages.items():
            assert message.es != message.en, f"{procedure.id}: status {status}"


def test_every_procedure_is_findable_and_explained(catalogue: Catalogue) -> None:
    for procedure in catalogue:
        assert procedure.group, procedure.id
        assert procedure.keywords, procedure.id
        assert 1 <= len(procedure.attributes) <= 3, procedure.id


def test_every_status_has_a_message(catalogue: Catalogue) -> None:
    for procedure in catalogue:
        assert set(procedure.status_messages) == set(CaseStatus), procedure.id


@pytest.mark.parametrize("language", LANGUAGES)
def test_status_messages_and_next_actions_render_in_both_languages(catalogue: Catalogue, language: str) -> None:
    # Given every status message and next_action, in each language
    for procedure in catalogue:
        templates = [(f"status {s}", m.in_language(language)) for s, m in procedure.status_messages.items()]
        templates += [(f"step {s.id} next_action", s.next_action.in_language(language)) for s in procedure.steps]
        for label, template in templates:
            # When it is filled in the way the platform fills it
            rendered = _render(template, procedure, language)  # a stray brace raises KeyError/IndexError/ValueError
            # Then only the known placeholders were used and no brace reaches the citizen
            fields = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
            assert fields <= PLACEHOLDERS, f"{procedure.id} {label} ({language}): {fields - PLACEHOLDERS}"
            assert "{" not in rendered and "}" not in rendered, f"{procedure.id} {label} ({language})"
            assert len(rendered) <= 1000, f"{procedure.id} {label} ({language})"


def test_every_message_tells_the_citizen_their_reference(catalogue: Catalogue) -> None:
    # A citizen reading any status message can quote their folio on another channel
    for procedure in catalogue:
        for status, message in procedure.status_messages.items():
            for language in LANGUAGES:
                assert "{reference}" in message.in_language(language), f"{procedure.id} {status} ({language})"


def test_awaiting_citizen_says_what_to_do_and_what_to_bring(catalogue: Catalogue) -> None:
    for procedure in catalogue:
        message = procedure.status_messages[CaseStatus.AWAITING_CITIZEN]
        for language in LANGUAGES:
            assert "{next_action}" in message.in_language(language), procedure.id
            assert "{documents}" in message.in_language(language), procedure.id


def test_awaiting_citizen_renders_the_pending_documents_by_name() -> None:
    # Given a passport appointment waiting for the citizen at the attendance step
    procedure = get_catalogue().get("cita-pasaporte")
    step = procedure.step("comparecencia")
    assert step is not None
    documents = ", ".join(d.name.es for code in step.documents if (d := procedure.document(code)))
    # When the Spanish awaiting_citizen message is filled in
    message = procedure.status_messages[CaseStatus.AWAITING_CITIZEN].es.format(
        reference="PAS-2026-000042",
        procedure=procedure.name.es,
        step=step.name.es,
        next_action=step.next_action.es,
        documents=documents,
    )
    # Then the citizen reads their folio, what to do and which documents to bring
    assert "PAS-2026-000042" in message
    assert "Cita para pasaporte" in message
    assert "Acta de nacimiento" in message
    assert "Credencial para votar (INE)" in message


def test_steps_use_only_real_channels(catalogue: Catalogue) -> None:
    # The raw files, not just the parsed model, name only channels Ventanilla has
    known = {c.value for c in Channel}
    for path in SHIPPED_FILES:
        for step in json.loads(path.read_text(encoding="utf-8"))["steps"]:
            assert step["channels"], f"{path.name}: step {step['id']}"
            assert set(step["channels"]) <= known, f"{path.name}: step {step['id']}"
            assert len(step["channels"]) == len(set(step["channels"])), f"{path.name}: step {step['id']}"


def test_every_procedure_can_be_started_in_at_least_two_channels(catalogue: Catalogue) -> None:
    # Equal service across channels: nobody is forced to one channel to begin a trámite
    for procedure in catalogue:
        first = procedure.steps[0]
        assert first.actor == "citizen", procedure.id
        assert len(set(first.channels)) >= 2, procedure.id


def test_steps_have_realistic_slas(catalogue: Catalogue) -> None:
    for procedure in catalogue:
        for step in procedure.steps:
            assert 24 <= step.sla_hours <= 720, f"{procedure.id}: step {step.id}"


def test_every_document_is_asked_for_by_some_step(catalogue: Catalogue) -> None:
    for procedure in catalogue:
        assert set(procedure.required_documents) == {d.code for d in procedure.documents}, procedure.id


def test_list_attributes_offer_distinct_choices(catalogue: Catalogue) -> None:
    for procedure in catalogue:
        codes = [a.code for a in procedure.attributes]
        assert len(codes) == len(set(codes)), procedure.id
        for attribute in procedure.attributes:
            keys = [v.key for v in attribute.values]
            assert len(keys) == len(set(keys)), f"{procedure.id}: {attribute.code}"


def test_licencia_asks_which_kind_of_licence_procedure() -> None:
    licencia = get_catalogue().get("licencia-conducir")
    tipo = next(a for a in licencia.attributes if a.code == "tipo")
    assert tipo.required
    assert tipo.datatype == "singlevaluelist"
    assert [v.key for v in tipo.values] == ["primera-vez", "renovacion", "reposicion"]


def test_predial_asks_for_the_cadastral_account() -> None:
    predial = get_catalogue().get("predial")
    cuenta = next(a for a in predial.attributes if a.code == "cuenta-catastral")
    assert cuenta.required
    assert cuenta.datatype == "string"


# --- looking procedures up -----------------------------------------------------------------------------------------


def test_a_case_reference_finds_its_procedure(catalogue: Catalogue) -> None:
    # Given a reference a citizen types into any channel
    procedure = catalogue.for_reference("LIC-2026-000123")
    # Then it belongs to the driver's licence procedure
    assert procedure is not None
    assert procedure.id == "licencia-conducir"


@pytest.mark.parametrize(("procedure_id", "prefix"), sorted(SHIPPED.items()))
def test_every_prefix_finds_its_procedure(catalogue: Catalogue, procedure_id: str, prefix: str) -> None:
    found = catalogue.for_reference(f"{prefix}-2026-000001")
    assert found is not None
    assert found.id == procedure_id


@pytest.mark.parametrize("reference", ["XYZ-2026-000123", "", "nada", "LICX-2026-000123"])
def test_an_unknown_reference_prefix_finds_nothing(catalogue: Catalogue, reference: str) -> None:
    assert catalogue.for_reference(reference) is None


def test_an_unknown_procedure_is_not_found(catalogue: Catalogue) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        catalogue.get("nope")
    assert catalogue.find("nope") is None
    assert catalogue.find(None) is None
    assert catalogue.get("predial").reference_prefix == "PRE"


# --- the generated JSON Schema ----------------------------------------------------------------------------------------


def test_the_committed_schema_matches_the_model() -> None:
    # If this fails, regenerate it: python -m shared.catalogue.schema
    assert SCHEMA_FILE.read_text(encoding="utf-8") == procedure_json_schema()


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_each_shipped_file_validates_against_the_json_schema(path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(json.loads(path.read_text(encoding="utf-8")))
    ]
    assert errors == []


# --- broken catalogue files are refused -------------------------------------------------------------------------


def _unknown_document(p: dict[str, Any]) -> None:
    p["steps"][0]["documents"].append("pasaporte-vigente")


def _missing_status_message(p: dict[str, Any]) -> None:
    del p["status_messages"]["abandoned"]


def _unknown_channel(p: dict[str, Any]) -> None:
    p["steps"][1]["channels"].append("fax")


def _unknown_field(p: dict[str, Any]) -> None:
    p["costo"] = 500


def _duplicate_step(p: dict[str, Any]) -> None:
    p["steps"].append(copy.deepcopy(p["steps"][0]))


def _list_attribute_without_values(p: dict[str, Any]) -> None:
    p["attributes"][0]["values"] = []


@pytest.mark.parametrize(
    ("breakage", "problem"),
    [
        pytest.param(
            _unknown_document, r"step solicitud: unknown documents \['pasaporte-vigente'\]", id="unknown-document"
        ),
        pytest.param(_missing_status_message, r"status messages missing for .*abandoned", id="missing-message"),
        pytest.param(_unknown_channel, r"steps\.1\.channels\.3\n.*'fax'", id="unknown-channel"),
        pytest.param(_unknown_field, r"costo\n\s+Extra inputs are not permitted", id="unknown-field"),
        pytest.param(_duplicate_step, "step ids must be unique", id="duplicate-step"),
        pytest.param(_list_attribute_without_values, "needs values", id="list-without-values"),
    ],
)
def test_a_broken_procedure_is_refused_naming_the_file(
    tmp_path: Path, breakage: Callable[[dict[str, Any]], None], problem: str
) -> None:
    # Given a catalogue directory with one valid file and one broken file
    (tmp_path / "predial.json").write_text((CATALOGUE_DIR / "predial.json").read_text(encoding="utf-8"))
    procedure = _licencia()
    breakage(procedure)
    (tmp_path / "licencia-conducir.json").write_text(json.dumps(procedure, ensure_ascii=False), encoding="utf-8")
    # When the catalogue is loaded
    with pytest.raises(CatalogueError) as error:
        load_catalogue(tmp_path)
    # Then the error names the broken file and what is wrong with it
    assert str(error.value).startswith("licencia-conducir.json: ")
    assert re.search(problem, str(error.value)), str(error.value)


def test_a_file_not_named_after_its_procedure_is_refused(tmp_path: Path) -> None:
    (tmp_path / "licencia.json").write_text(json.dumps(_licencia(), ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"^licencia\.json: .*licencia-conducir\.json"):
        load_catalogue(tmp_path)


def test_a_file_with_invalid_json_is_refused(tmp_path: Path) -> None:
    (tmp_path / "predial.json").write_text('{"id": "predial", "steps": [', encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"^predial\.json: "):
        load_catalogue(tmp_path)


def test_two_procedures_sharing_a_prefix_are_refused(tmp_path: Path) -> None:
    other = _licencia()
    other["id"] = "licencia-motociclista"
    (tmp_path / "licencia-conducir.json").write_text(json.dumps(_licencia(), ensure_ascii=False), encoding="utf-8")
    (tmp_path / "licencia-motociclista.json").write_text(json.dumps(other, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CatalogueError, match="reference prefix"):
        load_catalogue(tmp_path)


def test_an_empty_catalogue_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no procedures"):
        load_catalogue(tmp_path)


def test_a_valid_copy_of_the_catalogue_loads(tmp_path: Path) -> None:
    # The broken-file tests above start from this: the shipped files load from any directory
    for path in SHIPPED_FILES:
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert [p.id for p in load_catalogue(tmp_path)] == sorted(SHIPPED)
