"""The known population of a scale run, written with the repositories' own item mapping, loaded in bulk.

Each citizen is what the identity engine would start from their first contact (`IdentityEngine.citizen_from`),
and every `CASE_EVERY`-th has an open case; both are written by the repositories themselves
(`DynamoDBIdentityRepository.load`, `DynamoDBCaseRepository.create`) into a client that keeps the items instead
of sending them; the items then go straight into the emulator's store (`MeteredEmulator.load`). So the table
holds exactly the items live traffic would have left, without minutes of BatchWriteItem calls that measure
nothing.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from benchmarks.suite.emulator import MeteredEmulator
from shared.catalogue import get_catalogue
from shared.identity.engine import IdentityEngine
from shared.models.case import Case, CaseChange, CaseHistoryEntry
from shared.models.touchpoint import Channel, Touchpoint
from shared.repositories.cases import DynamoDBCaseRepository
from shared.repositories.identity import DynamoDBIdentityRepository

CASE_YEAR = 2019  # references of a year the probe never uses: LIC-2019-000001 ...
CASE_EVERY = 4


class KeepingClient:
    """Stands in for a DynamoDB client: keeps what BatchWriteItem and TransactWriteItems would have written."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def batch_write_item(self, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        for requests in RequestItems.values():
            self.items += [r["PutRequest"]["Item"] for r in requests if "PutRequest" in r]
        return {"UnprocessedItems": {}}

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:
        self.items += [action["Put"]["Item"] for action in TransactItems if "Put" in action]
        return {}


def _case_change(number: int, citizen_id: str, opened: datetime) -> CaseChange:
    procedures = list(get_catalogue())
    procedure = procedures[number % len(procedures)]
    case = Case(
        reference=f"{procedure.reference_prefix}-{CASE_YEAR}-{number + 1:06d}",
        procedure=procedure.id,
        citizen_id=citizen_id,
        current_step=procedure.steps[0].id,
        opened_at=opened,
        opened_channel=Channel.OFFICE,
        updated_at=opened,
        version=1,
    )
    history = CaseHistoryEntry(at=opened, kind="opened", channel=Channel.OFFICE, actor="citizen")
    return CaseChange(case=case, history=(history,))


def population_items(
    engine: IdentityEngine, lines: Iterable[dict[str, Any]], table: str, first: int = 0
) -> list[dict[str, Any]]:
    """Every item of the citizens the lines start, and of their open cases (`first`: the first line's number)."""
    keeper = KeepingClient()
    identity = DynamoDBIdentityRepository(keeper, table)
    cases = DynamoDBCaseRepository(keeper, table)
    batch = []
    for number, line in enumerate(lines, start=first):
        touchpoint = Touchpoint.model_validate(line)
        record, entries, blocks = engine.citizen_from(touchpoint)
        batch.append((record, entries, blocks))
        if number % CASE_EVERY == 0:
            cases.create(_case_change(number, record.citizen_id, touchpoint.occurred_at.astimezone(UTC)))
        if len(batch) == 1000:
            identity.load(batch)
            batch = []
    if batch:
        identity.load(batch)
    return keeper.items


def _chunks(lines: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(lines)
    while chunk := list(islice(iterator, size)):
        yield chunk


_builder: tuple[IdentityEngine, str] | None = None


def _start_builder(state_dir: str, table: str) -> None:
    global _builder
    from ventanilla_local import bulk

    _builder = (bulk.engine_for(bulk.local_target(Path(state_dir))), table)


def _build(part: list[dict[str, Any]], first: int) -> list[dict[str, Any]]:
    assert _builder is not None, "builder process not started"
    engine, table = _builder
    return population_items(engine, part, table, first=first)


def load_population(
    emulator: MeteredEmulator, state_dir: Path, lines: Iterable[dict[str, Any]], table: str, chunk: int = 5000
) -> int:
    """Build in a separate process (the engine of the stack in `state_dir`), load from here, chunk by chunk: the
    builder makes the next chunk while the emulator stores this one (two cores busy, not one)."""
    loaded = 0
    context = multiprocessing.get_context("spawn")  # never fork a process that runs threads
    with ProcessPoolExecutor(1, context, _start_builder, (str(state_dir), table)) as builder:
        pending: Future[list[dict[str, Any]]] | None = None
        for number, part in enumerate(_chunks(lines, chunk)):
            following = builder.submit(_build, part, number * chunk)
            if pending is not None:
                loaded += emulator.load(table, pending.result())
            pending = following
        if pending is not None:
            loaded += emulator.load(table, pending.result())
    return loaded
