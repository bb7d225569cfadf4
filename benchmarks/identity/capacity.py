"""DynamoDB capacity a client consumes, computed from what it sends and receives with DynamoDB's sizing rules.

The emulator reports a flat 1.0 for every call, so the meter sizes items itself (attribute names plus values,
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):

- reads, strongly consistent: GetItem / BatchGetItem one RCU per 4 KB of each item; Query one RCU per
  4 KB of all items returned together (at least one);
- writes: PutItem / UpdateItem / DeleteItem and each BatchWriteItem put one WCU per 1 KB of the item;
  TransactWriteItems twice that (UpdateItem sized from what it sends: a lower bound).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

READ_UNIT = 4096
WRITE_UNIT = 1024


def attribute_size(value: dict[str, Any]) -> int:
    (kind, body), *_ = value.items()
    if kind == "S":
        return len(str(body).encode("utf-8"))
    if kind == "N":
        digits = len(str(body).lstrip("-").replace(".", "").lstrip("0")) or 1
        return 1 + math.ceil(digits / 2)
    if kind == "B":
        return len(body)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + attribute_size(v) for k, v in body.items())
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in body)
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: member}) for member in body)
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + attribute_size(value) for name, value in item.items())


def _units(size: int, unit: int) -> int:
    return max(1, math.ceil(size / unit))


class CapacityMeter:
    """Counts read and write capacity units of one boto3 DynamoDB client (register with `attach`)."""

    def __init__(self) -> None:
        self.units: Counter[str] = Counter()
        self._pending: dict[str, Any] = {}

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.dynamodb.*", self._request)
        client.meta.events.register("after-call.dynamodb.*", self._response)

    def _request(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        name = model.name
        if name == "PutItem":
            self.units["write"] += _units(item_size(params["Item"]), WRITE_UNIT)
        elif name in ("UpdateItem", "DeleteItem"):
            # Charged on the stored item's size, which the request does not carry: key plus new values is a
            # lower bound (the touchpoints updated here are a few hundred bytes, so it is one unit either way).
            sent = item_size(params["Key"]) + item_size(params.get("ExpressionAttributeValues", {}))
            self.units["write"] += _units(sent, WRITE_UNIT)
        elif name == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    item = request.get("PutRequest", {}).get("Item") or request.get("DeleteRequest", {}).get("Key", {})
                    self.units["write"] += _units(item_size(item), WRITE_UNIT)
        elif name == "TransactWriteItems":
            for action in params["TransactItems"]:
                body = next(iter(action.values()))
                item = body.get("Item") or body.get("Key", {})
                self.units["write"] += 2 * _units(item_size(item), WRITE_UNIT)

    def _response(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        name = model.name
        if name == "GetItem" and "Item" in parsed:
            self.units["read"] += _units(item_size(parsed["Item"]), READ_UNIT)
        elif name == "BatchGetItem":
            for items in parsed.get("Responses", {}).values():
                self.units["read"] += sum(_units(item_size(i), READ_UNIT) for i in items)
        elif name == "Query":
            self.units["read"] += _units(sum(item_size(i) for i in parsed.get("Items", [])), READ_UNIT)
