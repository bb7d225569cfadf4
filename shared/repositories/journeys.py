"""Journey state and timers in the single table.

- state: `JRN#<reference>` / `STATE` (conditional on its version);
- timer: `TMR#<reference>` / `<kind>`; gsi2 `TIMERS` / `<due UTC>#<reference>#<kind>`: the scheduled run reads
  only what is due (one Query on the index, oldest first), never the cases.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from shared.exceptions import ConflictError
from shared.journeys.rules import JourneyState, Timer
from shared.models.touchpoint import Channel
from shared.repositories.dynamodb import deserialise, key, serialise, transact_put, translate_errors

TIMERS_PARTITION = "TIMERS"
GSI_DUE = "gsi2"


def _state_from(item: dict[str, Any]) -> JourneyState:
    data = json.loads(item["state"])
    for name in ("last_contact_at", "last_progress_at"):
        data[name] = datetime.fromisoformat(data[name]) if data.get(name) else None
    data["last_channel"] = Channel(data["last_channel"]) if data.get("last_channel") else None
    data["seen_touchpoints"] = tuple(data.get("seen_touchpoints") or ())  # a state written before has none
    known = set(JourneyState.__dataclass_fields__)
    return JourneyState(**{k: v for k, v in data.items() if k in known})


def _state_json(state: JourneyState) -> str:
    return json.dumps(asdict(state), default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v))


class DynamoDBJourneyRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get_state(self, reference: str) -> JourneyState | None:
        with translate_errors():
            response = self._client.get_item(
                TableName=self._table, Key=key(f"JRN#{reference}", "STATE"), ConsistentRead=True
            )
        item = response.get("Item")
        return _state_from(deserialise(item)) if item else None

    def save_state(self, state: JourneyState) -> None:
        """Write a state whose version was bumped by one, only if nobody changed it meanwhile (ConflictError)."""
        item = {"pk": f"JRN#{state.reference}", "sk": "STATE", "type": "journey", "version": state.version}
        item["state"] = _state_json(state)
        request: dict[str, Any] = {"TableName": self._table, "Item": serialise(item)}
        if state.version == 1:
            request["ConditionExpression"] = "attribute_not_exists(pk)"
        else:  # one conditional write: a transaction of one item would cost twice the write units
            request["ConditionExpression"] = "version = :expected"
            request["ExpressionAttributeValues"] = serialise({":expected": state.version - 1})
        with translate_errors():
            self._client.put_item(**request)

    def replace_timers(self, reference: str, timers: list[Timer]) -> None:
        """The case's timers from now on (none: every timer of the case is removed)."""
        kinds = {"stall", "sla", "abandon"}
        writes: list[dict[str, Any]] = [
            {"Delete": {"TableName": self._table, "Key": key(f"TMR#{reference}", kind)}}
            for kind in kinds - {t.kind for t in timers}
        ]
        writes += [transact_put(self._table, _timer_item(t)) for t in timers]
        with translate_errors():
            self._client.transact_write_items(TransactItems=writes)

    def due_timers(self, now: datetime, limit: int) -> list[Timer]:
        with translate_errors():
            response = self._client.query(
                TableName=self._table,
                IndexName=GSI_DUE,
                KeyConditionExpression="gsi2pk = :p AND gsi2sk <= :now",
                ExpressionAttributeValues=serialise(
                    {":p": TIMERS_PARTITION, ":now": now.astimezone(UTC).isoformat() + "~"}
                ),
                Limit=limit,
            )
        return [
            Timer(
                reference=i["reference"],
                kind=i["sk"],
                due_at=datetime.fromisoformat(i["due_at"]),
                step=i.get("step"),
            )
            for i in map(deserialise, response.get("Items", []))
        ]

    def take(self, timer: Timer) -> bool:
        """Remove a due timer before acting on it; False when another run took it or the case replaced it."""
        try:
            with translate_errors():
                self._client.delete_item(
                    TableName=self._table,
                    Key=key(f"TMR#{timer.reference}", timer.kind),
                    ConditionExpression="due_at = :due",
                    ExpressionAttributeValues=serialise({":due": timer.due_at.astimezone(UTC).isoformat()}),
                )
        except ConflictError:
            return False
        return True


def _timer_item(timer: Timer) -> dict[str, Any]:
    due = timer.due_at.astimezone(UTC).isoformat()
    return {
        "pk": f"TMR#{timer.reference}",
        "sk": timer.kind,
        "type": "timer",
        "reference": timer.reference,
        "due_at": due,
        "step": timer.step,
        "gsi2pk": TIMERS_PARTITION,
        "gsi2sk": f"{due}#{timer.reference}#{timer.kind}",
    }
