"""DynamoDB's time to live, played locally: items whose TTL attribute is in the past (on the runtime's clock)
are deleted, as DynamoDB's background sweep would. moto keeps expired items forever; LocalStack sweeps on its
own, and this sweep is then a harmless no-op. Development only; nothing deployed imports this.

DynamoDB deletes within about two days of expiry; locally the sweep runs when the clock is advanced
(`ventanilla clock advance 91d`) and once an hour.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ventanilla_local.emulator import Emulator, Physical
from ventanilla_local.template import TABLE, AppTemplate

log = logging.getLogger("ventanilla.ttl")


class TimeToLive:
    def __init__(self, template: AppTemplate, emulator: Emulator, physical: Physical) -> None:
        self._client: Callable[[], Any] = lambda: emulator.client("dynamodb")
        self._tables: list[tuple[str, str]] = []
        for logical_id, resource in template.of_type(TABLE).items():
            spec = resource["Properties"].get("TimeToLiveSpecification") or {}
            if spec.get("Enabled") and logical_id in physical.refs:
                self._tables.append((physical.refs[logical_id], spec["AttributeName"]))
        self.deleted = 0

    def sweep(self, now: datetime) -> int:
        """Delete every item whose TTL attribute is before `now`; returns how many went."""
        dynamodb = self._client()
        deleted = 0
        for table, attribute in self._tables:
            request: dict[str, Any] = {
                "TableName": table,
                "FilterExpression": "#ttl < :now",
                "ExpressionAttributeNames": {"#ttl": attribute},
                "ExpressionAttributeValues": {":now": {"N": str(int(now.timestamp()))}},
                "ProjectionExpression": "pk, sk",
            }
            while True:
                page = dynamodb.scan(**request)
                keys = [{"DeleteRequest": {"Key": item}} for item in page.get("Items", [])]
                for start in range(0, len(keys), 25):
                    pending: dict[str, Any] = {table: keys[start : start + 25]}
                    while pending:
                        pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                deleted += len(keys)
                if not page.get("LastEvaluatedKey"):
                    break
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        if deleted:
            log.info("time to live: %d expired items deleted", deleted)
        self.deleted += deleted
        return deleted
