"""Records of the table's stream as Lambda delivers them, built from the items the repositories really write."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.models.touchpoint import Channel, CitizenClaims, Touchpoint, touchpoint_id_for
from shared.repositories.touchpoints import DynamoDBTouchpointRepository
from ventanilla_local.stream_sources import lambda_json

STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/ventanilla-test/stream/2026-03-01T00:00:00.000"
REQUEST_ID = "7d4c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f"


def a_touchpoint(n: int = 1, channel: Channel = Channel.MESSAGING) -> Touchpoint:
    return Touchpoint(
        touchpoint_id=touchpoint_id_for(channel, f"msg-{n}"),
        channel=channel,
        occurred_at=datetime(2026, 3, 2, 15, n % 60, tzinfo=UTC),
        source_message_id=f"msg-{n}",
        citizen=CitizenClaims(given_name="María José", phone="5215512345678"),
        text="Quiero saber el estado de mi trámite",
    )


def raw_item(touchpoint: Touchpoint, correlation_id: str | None = REQUEST_ID, imported: bool = False) -> dict[str, Any]:
    """The raw touchpoint item the repository writes (DynamoDB JSON)."""
    _, item = DynamoDBTouchpointRepository(None, "ventanilla-test", 90).new_item(
        touchpoint, correlation_id=correlation_id, imported=imported
    )
    return item


def stream_record(event_name: str, item: dict[str, Any], sequence: int) -> dict[str, Any]:
    """One record of the table's stream (NEW_IMAGE) as Lambda puts it in the event (binary values base64)."""
    stream: dict[str, Any] = {
        "ApproximateCreationDateTime": 1772463840.0,
        "Keys": {"pk": item["pk"], "sk": item["sk"]},
        "SequenceNumber": str(sequence),
        "SizeBytes": 900,
        "StreamViewType": "NEW_IMAGE",
    }
    if event_name != "REMOVE":
        stream["NewImage"] = item
    return {
        "eventID": f"event-{sequence}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": lambda_json(stream),
        "eventSourceARN": STREAM_ARN,
    }


def new_touchpoint_records(count: int, first_sequence: int = 100) -> list[dict[str, Any]]:
    return [stream_record("INSERT", raw_item(a_touchpoint(n)), first_sequence + n) for n in range(count)]


def other_items() -> dict[str, dict[str, Any]]:
    """Items written under other key shapes, which are never announced."""
    return {
        "case attachment": {
            "pk": {"S": "CASE#LIC-2026-000123"},
            "sk": {"S": "TP#tp-0123"},
            "type": {"S": "case_touchpoint"},
            "touchpoint_id": {"S": "tp-0123"},
        },
        "delivery status": {
            "pk": {"S": "NOTIFMSG#whatsapp#wamid.HBgL"},
            "sk": {"S": "STATUS#delivered"},
            "status": {"S": "delivered"},
        },
        "case-open marker": {"pk": {"S": "CASEOPEN#tp-0123"}, "sk": {"S": "CASEOPEN"}, "reference": {"S": "LIC-1"}},
        "timeline entry": {"pk": {"S": "CIT#cit-1"}, "sk": {"S": "TL#2026-03-02T15:04:00Z#tp-0123"}},
    }
