"""What the benchmarks send: the bundled sample's channel bodies as new messages, and REST proxy events.

`samples/seed.jsonl` holds 33 channel bodies over the eight channels (eight people, five procedures, case steps);
each is re-sent with a fresh channel message id so it is a new touchpoint, never a retry.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "seed.jsonl"
# The field that carries each channel's own message id (the touchpoint id is derived from it).
ID_FIELD = {
    "phone": "call_id",
    "messaging": "message_id",
    "email": "message_id",
    "chat": "session_id",
    "social": "message_id",
    "web": "event_id",
    "mobile": "event_id",
    "office": "ticket_id",
}
MEXICO_CITY = timezone(timedelta(hours=-6))


@dataclass(frozen=True)
class Message:
    channel: str
    body: dict[str, Any]

    @property
    def has_step(self) -> bool:
        return bool((self.body.get("case") or {}).get("step"))

    def renewed(self, tag: str) -> Message:
        """The same message as a new one: a fresh channel message id."""
        body = copy.deepcopy(self.body)
        body[ID_FIELD[self.channel]] = f"bench-{tag}-{uuid.uuid4().hex[:12]}"
        return Message(self.channel, body)


def sample_messages(path: Path = SAMPLE) -> list[Message]:
    """The sample's channel bodies in file order (operator actions left out)."""
    messages = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            if "channel" in record:
                messages.append(Message(record["channel"], record["body"]))
    return messages


def first_of(channel: str) -> Message:
    return next(m for m in sample_messages() if m.channel == channel)


def phone_call_now(caller_number: str, given_name: str, family_name: str) -> Message:
    """A call record that happens now (the newest entry on the caller's timeline), without a case."""
    body = copy.deepcopy(first_of("phone").body)
    body.pop("case", None)
    started = datetime.now(UTC).astimezone(MEXICO_CITY).replace(microsecond=0)
    body.update(
        caller_number=caller_number,
        started_at=started.isoformat(),
        ended_at=(started + timedelta(minutes=3)).isoformat(),
        caller={"given_name": given_name, "family_name": family_name},
    )
    return Message("phone", body).renewed("call")


def rest_event(path: str, body: dict[str, Any], api_key_id: str, resource: str | None = None) -> dict[str, Any]:
    """A REST proxy event as API Gateway sends it after its key check (POST with a JSON body)."""
    text = json.dumps(body, ensure_ascii=False)
    headers = {"content-type": "application/json", "x-api-key": "checked-by-the-gateway"}
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or path,
            "httpMethod": "POST",
            "path": f"/api{path}",
            "stage": "api",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(datetime.now(UTC).timestamp() * 1000),
            "accountId": "123456789012",
            "apiId": "bench",
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": "127.0.0.1", "apiKeyId": api_key_id},
        },
        "body": text,
        "isBase64Encoded": False,
    }
