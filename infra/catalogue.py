"""Synth-time check of the procedure catalogue (shared/catalogue/procedures/*.json) against its JSON Schema.

`infra/` does not import runtime code, so it validates the data with the schema file the runtime model
generates (shared/catalogue/procedure.schema.json, kept in step by a unit test); the runtime validates again
with the model when a function loads the catalogue. A bad file fails `cdk synth`, naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from infra.config import PROJECT_ROOT

CATALOGUE_DIR = PROJECT_ROOT / "shared" / "catalogue"


class CatalogueInvalidError(ValueError):
    pass


def validate_catalogue(directory: Path = CATALOGUE_DIR) -> list[str]:
    """The procedure ids, after checking every file; raises CatalogueInvalidError naming each problem."""
    validator = Draft202012Validator(json.loads((directory / "procedure.schema.json").read_text(encoding="utf-8")))
    problems: list[str] = []
    ids: list[str] = []
    prefixes: dict[str, str] = {}
    files = sorted((directory / "procedures").glob("*.json"))
    if not files:
        problems.append(f"{directory / 'procedures'}: no procedure files")
    for path in files:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            problems.append(f"{path.name}: not JSON ({error})")
            continue
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        problems += [f"{path.name}: {'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors[:5]]
        if errors:
            continue
        if document["id"] != path.stem:
            problems.append(f"{path.name}: the file name must be the procedure id ('{document['id']}.json')")
        prefix = document["reference_prefix"]
        if prefix in prefixes:
            problems.append(f"{path.name}: reference prefix {prefix} is already used by {prefixes[prefix]}")
        prefixes[prefix] = path.name
        ids.append(document["id"])
    if problems:
        raise CatalogueInvalidError("procedure catalogue is invalid:\n  " + "\n  ".join(problems))
    return ids
