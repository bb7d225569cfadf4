"""Make the emulator's DynamoDB cost what DynamoDB's does: per item touched, not per table size.

moto 5.2 answers every Query by sorting and filtering *all* items of the table, and snapshots the whole
table (deep copy) before every TransactWriteItems, so both get slower with every item stored: the local
stack slows down as it fills, and benchmark figures would measure the emulator instead of Ventanilla.

- Query on the table's own key: moto gets only the queried partition (same items, same order, same
  filtering and paging code). Queries on an index keep moto's own path.
- TransactWriteItems: instead of copying whole tables, the items the transaction targets are saved
  before it runs and put back if it is cancelled (moto checks each condition before writing that item).
- Writes (PutItem, UpdateItem, DeleteItem, TransactWriteItems) are made atomic with one lock, as DynamoDB's
  conditional writes are: moto's server threads could otherwise both pass the same condition.

Development only; nothing deployed imports this.
"""

from __future__ import annotations

import inspect
import threading
from typing import Any

_local = threading.local()


def install() -> None:
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_ventanilla_keyed", False):
        return
    original_query = Table.query
    original_all_items = Table.all_items
    signature = inspect.signature(original_query)

    def all_items(self: Any) -> list[Any]:
        scoped = getattr(_local, "partition", None)
        if scoped is not None and scoped[0] is self:
            return sorted(scoped[1].values(), key=lambda item: item.range_key)
        return original_all_items(self)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        if bound.arguments.get("index_name") or not self.range_key_attr:
            return original_query(self, *args, **kwargs)
        _local.partition = (self, self.items.get(bound.arguments["hash_key"], {}))
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _local.partition = None

    query._ventanilla_keyed = True  # type: ignore[attr-defined]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
    _install_item_level_transactions()
    _install_atomic_writes()


def _install_atomic_writes() -> None:
    """DynamoDB applies a conditional write atomically. moto checks the condition and then writes, unlocked, so
    two of the emulator server's threads can both pass the same `attribute_not_exists` and both "create" the item
    (measured: about one round in sixty of twelve racing writers). One lock around the write operations makes each
    atomic again, so a race the product wins or loses is the product's, not the emulator's."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        def atomic(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, atomic)


def _install_item_level_transactions() -> None:
    import copy

    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    class _TablesNotCopied:
        """moto's module-level `copy`, except that whole tables are not deep-copied."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    dynamodb_models.copy = _TablesNotCopied()  # type: ignore[assignment]
    backend = dynamodb_models.DynamoDBBackend
    original = backend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Any, Any, Any, Any]] = []
        for item in transact_items:
            op_type, op = next(iter(item.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            key = op.get("Key") or {}
            if op_type == "Put":
                attrs = op.get("Item", {})
                key = {table.hash_key_attr: attrs.get(table.hash_key_attr)}
                if table.range_key_attr:
                    key[table.range_key_attr] = attrs.get(table.range_key_attr)
            try:
                hash_value = DynamoType(key[table.hash_key_attr])
                range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            except (KeyError, TypeError):
                continue  # moto itself reports the malformed key
            current = table.get_item(hash_value, range_value)
            saved.append((table, hash_value, range_value, copy.deepcopy(current) if current else None))
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, before in reversed(saved):
                if before is None:
                    if table.get_item(hash_value, range_value) is not None:
                        table.delete_item(hash_value, range_value)
                elif range_value is not None:
                    table.items[hash_value][range_value] = before
                else:
                    table.items[hash_value] = before
            raise

    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def main() -> None:
    """`python -m ventanilla_local.moto_patches -H 127.0.0.1 -p PORT`: moto server with the patch."""
    install()
    from moto.server import main as moto_main

    moto_main()


if __name__ == "__main__":
    main()
