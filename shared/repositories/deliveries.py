"""Delivery statuses, recorded against the notification they belong to.

`NOTIFMSG#<provider>#<provider_message_id>` is the partition of one sent message: the notifier writes the
notification there (sk `NOTIFICATION`) when it sends, providers' callbacks add one `STATUS#<state>` item per state,
in any order (a status may arrive before the send is recorded). A replayed callback rewrites the same item.
"""

from __future__ import annotations

from typing import Any, Protocol

from shared.models.delivery import DeliveryStatus
from shared.repositories.dynamodb import deserialise, serialise, translate_errors


class DeliveryRepository(Protocol):
    def record(self, status: DeliveryStatus) -> None: ...
    def statuses(self, provider: str, provider_message_id: str) -> list[DeliveryStatus]: ...


def _pk(provider: str, provider_message_id: str) -> str:
    return f"NOTIFMSG#{provider}#{provider_message_id}"


class DynamoDBDeliveryRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(self, status: DeliveryStatus) -> None:
        item = {
            "pk": _pk(status.provider, status.provider_message_id),
            "sk": f"STATUS#{status.status}",  # one item per state: a replayed callback rewrites it
            "type": "delivery_status",
            "status": status.model_dump_json(),
        }
        with translate_errors():
            self._client.put_item(TableName=self._table, Item=serialise(item))

    def statuses(self, provider: str, provider_message_id: str) -> list[DeliveryStatus]:
        with translate_errors():
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
                ExpressionAttributeValues=serialise({":pk": _pk(provider, provider_message_id), ":s": "STATUS#"}),
            )
        return [DeliveryStatus.model_validate_json(deserialise(i)["status"]) for i in response.get("Items", [])]
