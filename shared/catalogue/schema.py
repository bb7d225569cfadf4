"""The JSON Schema of a catalogue file, generated from the `Procedure` model.

Regenerate shared/catalogue/procedure.schema.json after changing the model:

    python -m shared.catalogue.schema
"""

from __future__ import annotations

import json

from shared.catalogue import SCHEMA_FILE
from shared.models.procedure import Procedure


def procedure_json_schema() -> str:
    """The schema text exactly as committed in procedure.schema.json."""
    return json.dumps(Procedure.model_json_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    SCHEMA_FILE.write_text(procedure_json_schema(), encoding="utf-8", newline="\n")
    print(f"wrote {SCHEMA_FILE}")


if __name__ == "__main__":
    main()
