"""What one AWS request costs: who sent it, which operation, and the DynamoDB request units it consumes.

The emulator reports a flat 1.0 for `ReturnConsumedCapacity`, so request units are computed here from the items
themselves with DynamoDB's on-demand sizing rules (item size = attribute names + values, `capacity.item_size`):

- reads: one unit per 4 KB; strongly consistent 1, eventually consistent 0.5, transactional 2 per unit; a GetItem
  of a missing item still costs the minimum; a Query costs the items it read together (at least one unit);
- writes: one unit per 1 KB of the larger of the item before and after the write (a failed condition is still
  charged); TransactWriteItems twice that; every global secondary index whose key the item has before or after
  costs a write of the projected item too (the table projects ALL), two when the index key changes.

https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.identity.capacity import item_size

READ_UNIT = 4096
WRITE_UNIT = 1024
HARNESS = "harness"  # requests without an app id: the local runtime's own plumbing (event pump, provisioning)
READ_FACTOR = {"strong": 1.0, "eventual": 0.5, "transactional": 2.0}

_APP_ID = re.compile(r"(?:^|\s)app/([A-Za-z0-9._-]+)")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")

Item = dict[str, Any]  # an item in DynamoDB's wire format: {"pk": {"S": "..."}, ...}


@dataclass(frozen=True)
class Call:
    caller: str
    service: str
    operation: str


def caller_of(user_agent: str) -> str:
    """The app id botocore puts in its user agent (`AWS_SDK_UA_APP_ID`), else the harness."""
    found = _APP_ID.search(user_agent or "")
    return found.group(1) if found else HARNESS


def call_of(user_agent: str, authorization: str, target: str, form_action: str | None, method: str, path: str) -> Call:
    """Service from the signature's credential scope; operation from X-Amz-Target (JSON protocols) or the form's
    Action (query protocols: SNS, SES), else the HTTP method and path (REST protocols)."""
    scope = _SCOPE.search(authorization or "")
    service = scope.group(2) if scope else "unknown"
    if target:
        operation = target.rsplit(".", 1)[-1]
    elif form_action:
        operation = form_action
    else:
        operation = f"{method} {path}"
    return Call(caller_of(user_agent), service, operation)


def read_units(size: int, mode: str = "strong") -> float:
    return max(1, math.ceil(size / READ_UNIT)) * READ_FACTOR[mode]


def write_units(before: int, after: int, transactional: bool = False) -> float:
    return max(1, math.ceil(max(before, after) / WRITE_UNIT)) * (2.0 if transactional else 1.0)


def sized(item: Item | None) -> int:
    return item_size(item) if item else 0


@dataclass(frozen=True)
class IndexKey:
    name: str
    hash_key: str
    range_key: str | None


def _index_key_of(item: Item | None, index: IndexKey) -> tuple[Any, ...] | None:
    if not item or index.hash_key not in item or (index.range_key and index.range_key not in item):
        return None
    return (repr(item[index.hash_key]), repr(item.get(index.range_key)) if index.range_key else None)


def index_write_units(before: Item | None, after: Item | None, indexes: Sequence[IndexKey]) -> float:
    """Write units a change costs in the table's global secondary indexes (projection ALL)."""
    total = 0.0
    for index in indexes:
        old, new = _index_key_of(before, index), _index_key_of(after, index)
        if old is None and new is None:
            continue
        if old is not None and new is not None and old != new:
            total += write_units(sized(before), 0) + write_units(0, sized(after))  # delete + put
        elif new is None:
            total += write_units(sized(before), 0)
        elif old is None:
            total += write_units(0, sized(after))
        else:
            total += write_units(sized(before), sized(after))
    return total


WRITTEN_KIND = "wru:"  # readings' unit names for write units (table + indexes) by kind of item


def item_kind(item: Item) -> str:
    """What an item is: its `type` attribute, else its partition key's prefix (`MET`, `SEQ`, `CASEOPEN`...)."""
    kind = item.get("type", {}).get("S")
    if kind:
        return str(kind)
    return str(item.get("pk", {}).get("S", "?")).split("#", 1)[0]


def consistency(request: dict[str, Any]) -> str:
    return "strong" if request.get("ConsistentRead") else "eventual"


def read_units_of(operation: str, request: dict[str, Any], response: dict[str, Any]) -> float:
    """Read units of a DynamoDB read from its request and response (writes are sized by the emulator's hook)."""
    if operation == "GetItem":
        return read_units(sized(response.get("Item")), consistency(request))
    if operation == "BatchGetItem":
        total = 0.0
        for table, asked in request.get("RequestItems", {}).items():
            mode = consistency(asked)
            found = response.get("Responses", {}).get(table, [])
            total += sum(read_units(sized(item), mode) for item in found)
            missing = (
                len(asked.get("Keys", []))
                - len(found)
                - len(response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", []))
            )
            total += max(0, missing) * read_units(0, mode)
        return total
    if operation in ("Query", "Scan"):
        items = response.get("Items", [])
        returned = sum(sized(item) for item in items)
        scanned, count = int(response.get("ScannedCount", len(items))), int(response.get("Count", len(items)))
        if scanned > count:  # filtered out after reading: DynamoDB charges what it read
            returned = returned * scanned // count if count else scanned * WRITE_UNIT
        return read_units(returned, consistency(request))
    if operation == "TransactGetItems":
        return sum(read_units(sized(r.get("Item")), "transactional") for r in response.get("Responses", []))
    return 0.0
