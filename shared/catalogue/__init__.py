"""The procedure catalogue: one JSON file per procedure in `procedures/`, loaded and validated once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from shared.exceptions import NotFoundError
from shared.models.procedure import Procedure

CATALOGUE_DIR = Path(__file__).resolve().parent / "procedures"
SCHEMA_FILE = Path(__file__).resolve().parent / "procedure.schema.json"


class CatalogueError(ValueError):
    """A catalogue file does not follow the schema; names the file and the problem."""


class Catalogue:
    def __init__(self, procedures: dict[str, Procedure]) -> None:
        self._procedures = procedures
        self._by_prefix = {p.reference_prefix: p for p in procedures.values()}

    def __iter__(self) -> Iterator[Procedure]:
        return iter(sorted(self._procedures.values(), key=lambda p: p.id))

    def __len__(self) -> int:
        return len(self._procedures)

    def get(self, procedure_id: str) -> Procedure:
        try:
            return self._procedures[procedure_id]
        except KeyError:
            raise NotFoundError(f"unknown procedure '{procedure_id}'") from None

    def find(self, procedure_id: str | None) -> Procedure | None:
        return self._procedures.get(procedure_id or "")

    def for_reference(self, reference: str) -> Procedure | None:
        """The procedure a case reference (PREFIX-YEAR-NUMBER) belongs to, if the prefix is ours."""
        return self._by_prefix.get(reference.split("-", 1)[0])


def load_catalogue(directory: Path = CATALOGUE_DIR) -> Catalogue:
    procedures: dict[str, Procedure] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            procedure = Procedure.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (ValidationError, ValueError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise CatalogueError(f"{path.name}: {error}") from error
        if path.stem != procedure.id:
            raise CatalogueError(f"{path.name}: the file name must be the procedure id ('{procedure.id}.json')")
        if procedure.id in procedures:
            raise CatalogueError(f"{path.name}: duplicate procedure id '{procedure.id}'")
        procedures[procedure.id] = procedure
    by_prefix: dict[str, str] = {}
    for procedure in procedures.values():
        if procedure.reference_prefix in by_prefix:
            raise CatalogueError(
                f"{procedure.id}.json: reference prefix {procedure.reference_prefix} is already used by "
                f"{by_prefix[procedure.reference_prefix]}.json"
            )
        by_prefix[procedure.reference_prefix] = procedure.id
    if not procedures:
        raise CatalogueError(f"no procedures in {directory}")
    return Catalogue(procedures)


@lru_cache(maxsize=1)
def get_catalogue() -> Catalogue:
    return load_catalogue()
