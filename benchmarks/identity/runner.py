"""Run the engine under test on one interchange file. Wired by the lead; a stub until then."""

from __future__ import annotations

from pathlib import Path


def run_engine(interchange_path: Path, links_out_path: Path) -> None:
    """Feed `interchange_path` to Ventanilla and write its touchpoint -> citizen links to `links_out_path`.

    It will run, against a local stack started with `ventanilla up`:

    1. `ventanilla import FILE` — ingest every interchange line in file order (the stream an online engine
       sees), waiting until identity resolution has processed them all;
    2. `ventanilla export-links OUT` — write one `{"touchpoint_id": ..., "citizen_id": ... | null}` line per
       touchpoint, the format `benchmarks.identity.scoring.load_links` reads.

    Neither command exists yet; the caller then scores with
    `python -m benchmarks.identity.scoring --truth <name>.truth.jsonl --links OUT`.
    """
    raise NotImplementedError(
        f"engine runner not wired yet: would run `ventanilla import {interchange_path}` then "
        f"`ventanilla export-links {links_out_path}` against a running local stack"
    )
