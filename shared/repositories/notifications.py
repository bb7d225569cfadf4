"""Notifications, consent and preferences in the single table.

- a notification: `NTF#<notification id>` / `NOTIFICATION`; while deferred also gsi2 `NOTIFDUE` /
  `<due UTC>#<id>`, so the scheduled run reads only what is due (one Query on the index, never a Scan);
- a citizen's notifications, whatever their state: gsi1 `NTFOF#<citizen>` / `<created UTC>#<id>` (their export
  and erasure);
- what was sent to a citizen, for the rate limit: `CIT#<citizen>` / `NTFSENT#<sent UTC>#<id>`;
- consent per channel: `CIT#<citizen>` / `CONSENT#<channel>`; preferences: `CIT#<citizen>` / `PREFS`;
- the provider's id of a sent message: `NOTIFMSG#<provider>#<message id>` / `NOTIFICATION`, beside the delivery
  statuses the provider reports there (shared/repositories/deliveries.py).

Sending is claimed with a conditional update (one invocation at a time, with a lease), and "sent" is one
transaction: the notification, the sent log, the provider pointer and the citizen's timeline entry, so a retry
after a crash either sees it sent or sends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from shared.exceptions import ConflictError
from shared.models.citizen import LinkExplanation, TimelineEntry
from shared.models.notification import Consent, Notification, Preferences
from shared.notifications.rules import NotificationChannel
from shared.repositories.dynamodb import deserialise, key, query_all, serialise, transact_put, translate_errors
from shared.repositories.identity import timeline_item

DUE_PARTITION = "NOTIFDUE"
GSI_DUE = "gsi2"
ITEM = "NOTIFICATION"
SENT = "NTFSENT#"
CONSENT = "CONSENT#"
PREFS = "PREFS"
CLAIMABLE = ("pending", "deferred", "failed")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _notification_item(notification: Notification) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": f"NTF#{notification.notification_id}",
        "sk": ITEM,
        "type": "notification",
        "state": notification.state,
        "gsi1pk": f"NTFOF#{notification.citizen_id}",
        "gsi1sk": f"{_iso(notification.created_at)}#{notification.notification_id}",
        "notification": notification.model_dump_json(exclude_none=True),
    }
    if notification.state == "deferred" and notification.due_at is not None:
        item["gsi2pk"] = DUE_PARTITION
        item["gsi2sk"] = f"{_iso(notification.due_at)}#{notification.notification_id}"
    if notification.lease_until is not None:
        item["lease_until"] = _iso(notification.lease_until)
    return item


class NotificationRepository(Protocol):
    def create(self, notification: Notification) -> Notification: ...
    def get(self, notification_id: str) -> Notification | None: ...
    def save(self, notification: Notification, expected_state: str) -> None: ...
    def claim(self, notification: Notification, now: datetime, lease: timedelta) -> Notification | None: ...
    def mark_sent(self, notification: Notification, entry: TimelineEntry, link: LinkExplanation) -> None: ...
    def pointer(self, provider: str, provider_message_id: str) -> Notification | None: ...
    def due(self, now: datetime, limit: int) -> list[Notification]: ...
    def sent_since(self, citizen_ids: Sequence[str], since: datetime) -> list[datetime]: ...
    def consents(self, citizen_ids: Sequence[str]) -> dict[NotificationChannel, Consent]: ...
    def set_consent(self, citizen_id: str, consent: Consent) -> None: ...
    def preferences(self, citizen_id: str) -> Preferences: ...
    def set_preferences(self, citizen_id: str, preferences: Preferences) -> None: ...


class DynamoDBNotificationRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # -- notifications ----------------------------------------------------------------------------

    def create(self, notification: Notification) -> Notification:
        """Store a new notification; if one with this id exists (a retried event), return that one instead."""
        try:
            with translate_errors():
                self._client.put_item(
                    TableName=self._table,
                    Item=serialise(_notification_item(notification)),
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except ConflictError:
            existing = self.get(notification.notification_id)
            if existing is None:  # pragma: no cover - deleted between the two calls
                raise
            return existing
        return notification

    def get(self, notification_id: str) -> Notification | None:
        with translate_errors():
            response = self._client.get_item(
                TableName=self._table, Key=key(f"NTF#{notification_id}", ITEM), ConsistentRead=True
            )
        item = response.get("Item")
        return Notification.model_validate_json(deserialise(item)["notification"]) if item else None

    def save(self, notification: Notification, expected_state: str) -> None:
        """Replace the notification if it is still in `expected_state` (ConflictError otherwise)."""
        with translate_errors():
            self._client.put_item(
                TableName=self._table,
                Item=serialise(_notification_item(notification)),
                ConditionExpression="#s = :expected",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues=serialise({":expected": expected_state}),
            )

    def claim(self, notification: Notification, now: datetime, lease: timedelta) -> Notification | None:
        """Take the notification for sending: it must be claimable, or claimed by someone whose lease ran out.
        None when it is sent, unreachable, or being sent by another invocation right now."""
        claimed = notification.model_copy(
            update={"state": "sending", "lease_until": now + lease, "attempts": notification.attempts + 1}
        )
        try:
            with translate_errors():
                self._client.put_item(
                    TableName=self._table,
                    Item=serialise(_notification_item(claimed)),
                    ConditionExpression="#s IN (:p, :d, :f) OR (#s = :sending AND lease_until < :now)",
                    ExpressionAttributeNames={"#s": "state"},
                    ExpressionAttributeValues=serialise(
                        {":p": "pending", ":d": "deferred", ":f": "failed", ":sending": "sending", ":now": _iso(now)}
                    ),
                )
        except ConflictError:
            return None
        return claimed

    def mark_sent(self, notification: Notification, entry: TimelineEntry, link: LinkExplanation) -> None:
        """One transaction: the notification sent, the citizen's sent log, the provider pointer, the timeline."""
        assert notification.sent_at and notification.provider and notification.provider_message_id
        item = _notification_item(notification)
        writes = [
            transact_put(
                self._table,
                item,
                "#s = :sending",
                {":sending": "sending"},
            ),
            transact_put(
                self._table,
                {
                    "pk": f"CIT#{notification.citizen_id}",
                    "sk": f"{SENT}{_iso(notification.sent_at)}#{notification.notification_id}",
                    "type": "notification_sent",
                    "notification_id": notification.notification_id,
                },
            ),
            transact_put(
                self._table,
                {
                    "pk": f"NOTIFMSG#{notification.provider}#{notification.provider_message_id}",
                    "sk": ITEM,
                    "type": "notification_pointer",
                    "notification_id": notification.notification_id,
                    "citizen_id": notification.citizen_id,
                },
            ),
            transact_put(self._table, timeline_item(notification.citizen_id, entry, link)),
        ]
        writes[0]["Put"]["ExpressionAttributeNames"] = {"#s": "state"}
        with translate_errors():
            self._client.transact_write_items(TransactItems=writes)

    def pointer(self, provider: str, provider_message_id: str) -> Notification | None:
        """The notification a provider's message id belongs to."""
        with translate_errors():
            response = self._client.get_item(
                TableName=self._table, Key=key(f"NOTIFMSG#{provider}#{provider_message_id}", ITEM)
            )
        item = response.get("Item")
        return self.get(deserialise(item)["notification_id"]) if item else None

    def due(self, now: datetime, limit: int) -> list[Notification]:
        """Deferred notifications due by `now`, oldest first (keys only from the index, then one read each)."""
        with translate_errors():
            response = self._client.query(
                TableName=self._table,
                IndexName=GSI_DUE,
                KeyConditionExpression="gsi2pk = :p AND gsi2sk <= :now",
                ExpressionAttributeValues=serialise({":p": DUE_PARTITION, ":now": _iso(now) + "~"}),
                Limit=limit,
            )
        found = []
        for item in map(deserialise, response.get("Items", [])):
            if "notification" in item:
                found.append(Notification.model_validate_json(item["notification"]))
        return found

    # -- per citizen ------------------------------------------------------------------------------

    def _query(self, pk: str, low: str, high: str, limit: int = 100) -> list[dict[str, Any]]:
        with translate_errors():
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
                ExpressionAttributeValues=serialise({":pk": pk, ":lo": low, ":hi": high}),
                ConsistentRead=True,
                Limit=limit,
            )
        return [deserialise(i) for i in response.get("Items", [])]

    def sent_since(self, citizen_ids: Sequence[str], since: datetime) -> list[datetime]:
        """When messages went to these records (a survivor and its members) since `since`."""
        moments = []
        for citizen_id in dict.fromkeys(citizen_ids):
            for item in self._query(f"CIT#{citizen_id}", f"{SENT}{_iso(since)}", f"{SENT}~"):
                moments.append(datetime.fromisoformat(item["sk"][len(SENT) :].split("#", 1)[0]))
        return moments

    def consents(self, citizen_ids: Sequence[str]) -> dict[NotificationChannel, Consent]:
        """The newest consent per channel across the records (an opt-out on a merged record still counts)."""
        newest: dict[NotificationChannel, Consent] = {}
        for citizen_id in dict.fromkeys(citizen_ids):
            for item in self._query(f"CIT#{citizen_id}", CONSENT, CONSENT + "~"):
                consent = Consent.model_validate_json(item["consent"])
                if consent.channel not in newest or newest[consent.channel].at < consent.at:
                    newest[consent.channel] = consent
        return newest

    def set_consent(self, citizen_id: str, consent: Consent) -> None:
        item = {
            "pk": f"CIT#{citizen_id}",
            "sk": f"{CONSENT}{consent.channel.value}",
            "type": "consent",
            "consent": consent.model_dump_json(exclude_none=True),
        }
        with translate_errors():
            self._client.put_item(TableName=self._table, Item=serialise(item))

    def preferences(self, citizen_id: str) -> Preferences:
        with translate_errors():
            response = self._client.get_item(TableName=self._table, Key=key(f"CIT#{citizen_id}", PREFS))
        item = response.get("Item")
        return Preferences.model_validate_json(deserialise(item)["preferences"]) if item else Preferences()

    def set_preferences(self, citizen_id: str, preferences: Preferences) -> None:
        item = {"pk": f"CIT#{citizen_id}", "sk": PREFS, "type": "preferences"}
        item["preferences"] = preferences.model_dump_json()
        with translate_errors():
            self._client.put_item(TableName=self._table, Item=serialise(item))

    # -- privacy ----------------------------------------------------------------------------------

    def of_citizen(self, citizen_id: str) -> list[Notification]:
        """Every notification to this record, whatever its state, oldest first (export and erasure)."""
        request = {
            "TableName": self._table,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": serialise({":pk": f"NTFOF#{citizen_id}"}),
        }
        return [Notification.model_validate_json(i["notification"]) for i in query_all(self._client, request)]

    def erase(self, notification: Notification) -> None:
        """Erasure: drop the values the message quoted; one not sent yet is withheld for good (never sent)."""
        unsent = notification.state in (*CLAIMABLE, "sending")
        erased = notification.model_copy(
            update={
                "values": {},
                "state": "withheld" if unsent else notification.state,
                "deferred_because": "erased" if unsent else notification.deferred_because,
                "due_at": None if unsent else notification.due_at,
                "lease_until": None,
            }
        )
        with translate_errors():
            self._client.put_item(TableName=self._table, Item=serialise(_notification_item(erased)))
