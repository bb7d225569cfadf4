"""The transactional outbox against the emulator: the table's stream, the mapping as synthesized (its filter played
with Lambda's semantics), the announcer function in its worker, the bus, and identity after it."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from shared.repositories.touchpoints import DynamoDBTouchpointRepository
from tests.channels import fresh_body
from tests.integration.conftest import api_event, key_id
from tests.streams import a_touchpoint, other_items
from ventanilla_local.runtime import LocalRuntime
from ventanilla_local.streams import StreamPoller
from ventanilla_local.template import DYNAMODB

pytestmark = pytest.mark.integration


def table_stream(runtime: LocalRuntime) -> StreamPoller:
    (poller,) = [p for p in runtime.pollers if p.mapping.kind == DYNAMODB]
    return poller


def logged(runtime: LocalRuntime, function: str, text: str, timeout: float = 20) -> bool:
    path = runtime.state_dir / "logs" / f"{function}.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(encoding="utf-8", errors="replace"):
            return True
        time.sleep(0.2)
    return False


def test_a_stored_touchpoint_is_announced_from_the_stream_with_its_requests_id(runtime: LocalRuntime) -> None:
    assert runtime.wait_idle(timeout=60)
    stream = table_stream(runtime)
    delivered = stream.delivered
    # When a channel stores a touchpoint (its request id is the correlation id)
    event = api_event(
        "POST", "/v1/channels/web/touchpoints", body=json.dumps(fresh_body("web")), api_key_id=key_id(runtime, "web")
    )
    answer: dict[str, Any] = runtime.invoke("web", event)
    assert answer["statusCode"] == 202, answer["body"]
    touchpoint_id = json.loads(answer["body"])["touchpoint_id"]
    request_id = event["requestContext"]["requestId"]
    # Then the announcer gets it from the table's stream, and identity resolves it under the same correlation id
    assert runtime.wait_idle(timeout=60)
    assert stream.delivered == delivered + 1
    assert logged(runtime, "announcer", touchpoint_id)
    assert logged(runtime, "identity", request_id)


def test_imported_touchpoints_and_other_items_never_reach_the_announcer(
    runtime: LocalRuntime, dynamodb: Any, table_name: str
) -> None:
    assert runtime.wait_idle(timeout=60)
    stream = table_stream(runtime)
    delivered, filtered = stream.delivered, stream.filtered_out
    touchpoints = DynamoDBTouchpointRepository(dynamodb, table_name)
    # When a bulk import stores a touchpoint, and items of other key shapes are written under TP# / beside it
    imported = a_touchpoint(int(uuid.uuid4().int % 1000))
    imported = imported.model_copy(update={"touchpoint_id": f"tp-imp-{uuid.uuid4().hex}"})
    touchpoints.add(imported, imported=True)
    for item in other_items().values():
        dynamodb.put_item(TableName=table_name, Item={**item, "pk": {"S": item["pk"]["S"] + uuid.uuid4().hex}})
    assert runtime.wait_idle(timeout=60)
    # Then the mapping's filter kept them all from the announcer, and the imported touchpoint stays unannounced
    assert stream.delivered == delivered
    assert stream.filtered_out >= filtered + 1 + len(other_items())
    stored = touchpoints.get(imported.touchpoint_id)
    assert stored is not None and stored.resolution is None
