"""Cases in the single table.

- case: `CASE#<reference>` / `CASE`; gsi2 `PROC#<procedure>` / `<opened>#<ref>` (a procedure's cases by time);
- the case under its citizen: `CIT#<citizen>` / `CASE#<0 open, 1 done>#<reference>` (a copy of the record,
  written in the same transaction; a citizen's cases are one consistent Query, open first);
- history entry: `CASE#<reference>` / `H#<at>#<n>#<nonce>`;
- attached touchpoint: `CASE#<reference>` / `TP#<touchpoint_id>` (the touchpoint item carries `case_reference`);
- reference sequence: `SEQ#<prefix>#<year>` / `SEQ` (an atomic counter);
- open marker: `CASEOPEN#<touchpoint_id>` / `CASEOPEN` (the case a touchpoint opened; retries reuse it).

Every case write is one transaction: the case (conditional on its version), its history entries and, when
a touchpoint is attached or detached, the attachment and the touchpoint's `case_reference`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from shared.exceptions import ConflictError
from shared.models.case import Case, CaseChange, CaseHistoryEntry
from shared.repositories.dynamodb import deserialise, key, query_all, serialise, transact_put, translate_errors

CASE = "CASE"
HISTORY = "H#"
ATTACHED = "TP#"
GSI_PROCEDURE = "gsi2"
TRANSACTION_LIMIT = 100


class CaseRepository(Protocol):
    def next_reference(self, prefix: str, year: int) -> str: ...
    def get(self, reference: str) -> Case | None: ...
    def opened_by(self, touchpoint_id: str) -> str | None: ...
    def create(
        self, change: CaseChange, opened_by: str | None = None, new_touchpoint: Mapping[str, Any] | None = None
    ) -> None: ...
    def save(
        self,
        change: CaseChange,
        attach: Sequence[tuple[str, str]] = (),
        detach: Sequence[str] = (),
        previous: Case | None = None,
    ) -> None: ...
    def history(self, reference: str, limit: int) -> list[CaseHistoryEntry]: ...
    def of_citizen(self, citizen_id: str, limit: int, open_only: bool = False) -> list[Case]: ...
    def of_procedure(
        self, procedure: str, since: datetime | None, until: datetime | None, limit: int
    ) -> list[Case]: ...


def _pk(reference: str) -> str:
    return f"CASE#{reference}"


def _case_item(case: Case) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": _pk(case.reference),
        "sk": CASE,
        "type": "case",
        "version": case.version,
        "procedure": case.procedure,
        "status": case.status.value,
        "record": case.model_dump_json(),
        "gsi2pk": f"PROC#{case.procedure}",
        "gsi2sk": f"{case.opened_at.astimezone(UTC).isoformat()}#{case.reference}",
    }
    if case.citizen_id:
        item["citizen_id"] = case.citizen_id
    return item


def _pointer_key(citizen_id: str, case: Case) -> dict[str, Any]:
    return key(f"CIT#{citizen_id}", f"CASE#{0 if case.is_open else 1}#{case.reference}")


def _pointer_item(case: Case) -> dict[str, Any]:
    """The case under its citizen (open ones first by sort key), so a citizen's cases are one consistent Query."""
    assert case.citizen_id is not None
    pointer = deserialise(_pointer_key(case.citizen_id, case))
    return {**pointer, "type": "citizen_case", "record": case.model_dump_json()}


def _history_items(reference: str, entries: Sequence[CaseHistoryEntry], offset: int) -> list[dict[str, Any]]:
    return [
        {
            "pk": _pk(reference),
            "sk": f"{HISTORY}{entry.at.isoformat()}#{offset + n:04d}#{uuid.uuid4().hex[:8]}",
            "type": "case_history",
            "entry": entry.model_dump_json(exclude_none=True),
        }
        for n, entry in enumerate(entries)
    ]


class DynamoDBCaseRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def next_reference(self, prefix: str, year: int) -> str:
        """PREFIX-YEAR-NNNNNN from an atomic counter per prefix and year (a retry may leave a gap, never a twin)."""
        with translate_errors():
            response = self._client.update_item(
                TableName=self._table,
                Key=key(f"SEQ#{prefix}#{year}", "SEQ"),
                UpdateExpression="ADD next_value :one",
                ExpressionAttributeValues=serialise({":one": 1}),
                ReturnValues="UPDATED_NEW",
            )
        number = int(deserialise(response["Attributes"])["next_value"])
        return f"{prefix}-{year}-{number:06d}"

    def get(self, reference: str) -> Case | None:
        with translate_errors():
            response = self._client.get_item(TableName=self._table, Key=key(_pk(reference), CASE), ConsistentRead=True)
        item = response.get("Item")
        return Case.model_validate_json(deserialise(item)["record"]) if item else None

    def opened_by(self, touchpoint_id: str) -> str | None:
        with translate_errors():
            response = self._client.get_item(
                TableName=self._table, Key=key(f"CASEOPEN#{touchpoint_id}", "CASEOPEN"), ConsistentRead=True
            )
        item = response.get("Item")
        return str(deserialise(item)["reference"]) if item else None

    def create(
        self, change: CaseChange, opened_by: str | None = None, new_touchpoint: Mapping[str, Any] | None = None
    ) -> None:
        """The new case and its history; with `opened_by`, also the marker that this touchpoint opened it,
        so a redelivered event finds the case instead of opening a second one (ConflictError).

        `new_touchpoint`: the opening touchpoint's raw item (`TouchpointRepository.new_item`), stored in the same
        transaction, already on its case: the table's stream announces it only once its case exists (Open311)."""
        case = change.case
        writes = [transact_put(self._table, _case_item(case), "attribute_not_exists(pk)")]
        writes += [transact_put(self._table, item) for item in _history_items(case.reference, change.history, 0)]
        if case.citizen_id:
            writes.append(transact_put(self._table, _pointer_item(case)))
        if opened_by:
            marker = {"pk": f"CASEOPEN#{opened_by}", "sk": "CASEOPEN", "type": "case_open", "reference": case.reference}
            writes.append(transact_put(self._table, marker, "attribute_not_exists(pk)"))
            writes += self._attach_writes(case.reference, [(opened_by, "opened")], change, new_touchpoint)
        self._transact(writes)

    def save(
        self,
        change: CaseChange,
        attach: Sequence[tuple[str, str]] = (),
        detach: Sequence[str] = (),
        previous: Case | None = None,
    ) -> None:
        """Write a case whose `version` was bumped by one, only if nobody changed it meanwhile (ConflictError).

        `attach`: (touchpoint_id, rule) pairs to attach; `detach`: touchpoint ids to take off this case;
        `previous`: the case as read, so its pointer under its citizen moves when the citizen or openness does.
        """
        case = change.case
        writes = [transact_put(self._table, _case_item(case), "version = :expected", {":expected": case.version - 1})]
        if previous is not None and previous.citizen_id:
            old = _pointer_key(previous.citizen_id, previous)
            if not case.citizen_id or old != _pointer_key(case.citizen_id, case):
                writes.append({"Delete": {"TableName": self._table, "Key": old}})
        if case.citizen_id:
            writes.append(transact_put(self._table, _pointer_item(case)))
        writes += [transact_put(self._table, item) for item in _history_items(case.reference, change.history, 0)]
        writes += self._attach_writes(case.reference, attach, change)
        for touchpoint_id in detach:
            writes.append(
                {"Delete": {"TableName": self._table, "Key": key(_pk(case.reference), ATTACHED + touchpoint_id)}}
            )
            writes.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": key(f"TP#{touchpoint_id}", "TOUCHPOINT"),
                        "UpdateExpression": "REMOVE case_reference",
                        "ConditionExpression": "case_reference = :ref",
                        "ExpressionAttributeValues": serialise({":ref": case.reference}),
                    }
                }
            )
        self._transact(writes)

    def _attach_writes(
        self,
        reference: str,
        attach: Sequence[tuple[str, str]],
        change: CaseChange,
        new_touchpoint: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        writes: list[dict[str, Any]] = []
        for touchpoint_id, rule in attach:
            item = {
                "pk": _pk(reference),
                "sk": ATTACHED + touchpoint_id,
                "type": "case_touchpoint",
                "touchpoint_id": touchpoint_id,
                "rule": rule,
                "at": change.case.updated_at.isoformat(),
            }
            writes.append(transact_put(self._table, item))
            if new_touchpoint is not None and new_touchpoint.get("pk") == {"S": f"TP#{touchpoint_id}"}:
                raw = {**new_touchpoint, "case_reference": {"S": reference}}
                writes.append(
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": raw,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    }
                )
                continue
            writes.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": key(f"TP#{touchpoint_id}", "TOUCHPOINT"),
                        "UpdateExpression": "SET case_reference = :ref",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": serialise({":ref": reference}),
                    }
                }
            )
        return writes

    def _transact(self, writes: list[dict[str, Any]]) -> None:
        if len(writes) > TRANSACTION_LIMIT:
            raise ConflictError("too many changes for one case write")
        with translate_errors():
            self._client.transact_write_items(TransactItems=writes)

    def history(self, reference: str, limit: int) -> list[CaseHistoryEntry]:
        """The newest `limit` history entries, oldest first."""
        with translate_errors():
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
                ExpressionAttributeValues=serialise({":pk": _pk(reference), ":h": HISTORY}),
                ScanIndexForward=False,
                Limit=limit,
            )
        entries = [CaseHistoryEntry.model_validate_json(deserialise(i)["entry"]) for i in response.get("Items", [])]
        return list(reversed(entries))

    def forget_notes(self, reference: str) -> int:
        """Erasure: drop the free-text notes of the case's history (an operator may have written personal data
        there); the steps, statuses and times stay, as the agency's record of the procedure."""
        request = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :h)",
            "ExpressionAttributeValues": serialise({":pk": _pk(reference), ":h": HISTORY}),
        }
        forgotten = 0
        for item in query_all(self._client, request):
            entry = CaseHistoryEntry.model_validate_json(item["entry"])
            if entry.note is None:
                continue
            item["entry"] = entry.model_copy(update={"note": None}).model_dump_json(exclude_none=True)
            with translate_errors():
                self._client.put_item(TableName=self._table, Item=serialise(item))
            forgotten += 1
        return forgotten

    def attached(self, reference: str, limit: int) -> list[dict[str, str]]:
        with translate_errors():
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :t)",
                ExpressionAttributeValues=serialise({":pk": _pk(reference), ":t": ATTACHED}),
                Limit=limit,
            )
        return [
            {"touchpoint_id": i["touchpoint_id"], "rule": i["rule"], "at": i["at"]}
            for i in map(deserialise, response.get("Items", []))
        ]

    def of_citizen(self, citizen_id: str, limit: int, open_only: bool = False) -> list[Case]:
        """A citizen's cases, open ones first: one strongly consistent Query of their partition."""
        with translate_errors():
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues=serialise(
                    {":pk": f"CIT#{citizen_id}", ":prefix": "CASE#0#" if open_only else "CASE#"}
                ),
                Limit=limit,
                ConsistentRead=True,
            )
        return [Case.model_validate_json(deserialise(i)["record"]) for i in response.get("Items", [])]

    def of_procedure(self, procedure: str, since: datetime | None, until: datetime | None, limit: int) -> list[Case]:
        """A procedure's cases by request time, newest first (gsi2)."""
        low = since.astimezone(UTC).isoformat() if since else "0"  # keys hold UTC times
        high = (until.astimezone(UTC).isoformat() if until else "9") + "~"
        with translate_errors():
            response = self._client.query(
                TableName=self._table,
                IndexName=GSI_PROCEDURE,
                KeyConditionExpression="gsi2pk = :pk AND gsi2sk BETWEEN :low AND :high",
                ExpressionAttributeValues=serialise({":pk": f"PROC#{procedure}", ":low": low, ":high": high}),
                ScanIndexForward=False,
                Limit=limit,
            )
        return [Case.model_validate_json(deserialise(i)["record"]) for i in response.get("Items", [])]
