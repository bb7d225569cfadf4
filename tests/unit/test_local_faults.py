"""The local fault injector (ventanilla_local/faults.py) on a stand-in emulator: what it answers, and that a seed
makes it repeat itself."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from ventanilla_local.faults import FaultInjector, caller_key

pytestmark = pytest.mark.unit

FUNCTIONS = ("phone", "identity", "tracker")


def emulator(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answers PutEvents with an id per entry, anything else with {}."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    answer: dict[str, Any] = {}
    if environ.get("HTTP_X_AMZ_TARGET") == "AWSEvents.PutEvents":
        entries = json.loads(body)["Entries"]
        answer = {"FailedEntryCount": 0, "Entries": [{"EventId": e["Detail"]} for e in entries]}
    start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1")])
    return [json.dumps(answer).encode()]


def call(app: Any, target: str, body: dict[str, Any], caller: str = "identity") -> tuple[int, dict[str, Any]]:
    raw = json.dumps(body).encode()
    environ = {
        "HTTP_X_AMZ_TARGET": target,
        "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential={caller_key(caller)}/20260301/us-east-1/x/aws4_request, "
        "SignedHeaders=host, Signature=0",
        "CONTENT_LENGTH": str(len(raw)),
        "wsgi.input": io.BytesIO(raw),
    }
    status: list[str] = []
    answer = b"".join(app(environ, lambda line, headers, exc_info=None: status.append(line)))
    return int(status[0][:3]), json.loads(answer)


def put_events(app: Any, count: int, caller: str = "identity") -> tuple[int, dict[str, Any]]:
    entries = [{"Source": "s", "DetailType": "d", "Detail": str(i)} for i in range(count)]
    return call(app, "AWSEvents.PutEvents", {"Entries": entries}, caller)


def test_partial_put_events_fails_some_entries_and_passes_the_others_on_in_order() -> None:
    faults = FaultInjector(FUNCTIONS)
    app = faults.middleware(emulator)
    faults.configure({"provider": "events", "failures": 1, "partial": 1.0, "seed": 1})
    status, answer = put_events(app, 6)
    assert status == 200 and 1 <= answer["FailedEntryCount"] <= 6
    failed = [i for i, e in enumerate(answer["Entries"]) if "ErrorCode" in e]
    assert len(failed) == answer["FailedEntryCount"]
    assert {answer["Entries"][i]["ErrorCode"] for i in failed} <= {"InternalFailure", "ThrottlingException"}
    # the entries that were not failed reached the emulator, each answered in its own position
    assert all(answer["Entries"][i] == {"EventId": str(i)} for i in range(6) if i not in failed)
    # one failure asked for, one given: the next call goes through
    assert put_events(app, 2)[1]["FailedEntryCount"] == 0


def test_whole_call_failures_answer_as_aws_does_and_only_for_the_chosen_functions() -> None:
    faults = FaultInjector(FUNCTIONS)
    app = faults.middleware(emulator)
    faults.configure({"provider": "dynamodb", "failures": -1, "functions": ["tracker"], "operations": ["PutItem"]})
    faults.configure({"provider": "events", "failures": -1, "code": "InternalException"})
    status, answer = call(app, "DynamoDB_20120810.PutItem", {}, caller="tracker")
    assert status == 400 and answer["__type"].split("#")[-1] in (
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
    )
    assert call(app, "DynamoDB_20120810.PutItem", {}, caller="identity")[0] == 200  # another function's call
    assert call(app, "DynamoDB_20120810.GetItem", {}, caller="tracker")[0] == 200  # another operation
    status, answer = put_events(app, 1)
    assert status == 500 and answer["__type"] == "InternalException"
    assert put_events(app, 1, caller="cli")[0] == 200  # the runtime's own calls (the CLI, the pump) never fail
    # what was injected: calls a fault covered, failures by code
    state = faults.state()["providers"]
    assert state["dynamodb"]["injected"]["failed"] == state["dynamodb"]["injected"]["calls"] == 1
    assert state["events"]["injected"]["codes"] == {"InternalException": 1}


def test_the_same_seed_fails_the_same_calls() -> None:
    def run() -> list[int]:
        faults = FaultInjector(FUNCTIONS)
        app = faults.middleware(emulator)
        faults.configure({"provider": "events", "failures": -1, "rate": 0.4, "partial": 0.5, "seed": 42})
        return [put_events(app, 3)[1].get("FailedEntryCount", -1) for _ in range(40)]

    first = run()
    assert first == run()
    assert 0 < sum(1 for n in first if n) < 40


def test_a_delivery_fault_counts_down_and_lambda_takes_functions() -> None:
    faults = FaultInjector(FUNCTIONS)
    faults.middleware(emulator)
    faults.configure({"provider": "lambda", "failures": 2, "functions": ["identity"], "code": "ServiceException"})
    assert faults.lambda_fault("tracker") is None
    assert [faults.lambda_fault("identity") for _ in range(3)] == ["ServiceException", "ServiceException", None]
    assert faults.describe("lambda")["description"] == "working"


@pytest.mark.parametrize(
    ("request_body", "problem"),
    [
        ({"provider": "fax", "failures": 1}, "unknown provider 'fax'"),
        ({"provider": "dynamodb", "failures": 1, "operations": ["PutThing"]}, "no operation PutThing"),
        ({"provider": "events", "failures": 1, "functions": ["nobody"]}, "no function nobody"),
        ({"provider": "dynamodb", "failures": 1, "partial": 0.5}, "events only"),
        ({"provider": "events", "failures": 1, "rate": 0}, "rate"),
        ({"provider": "events", "failures": -2}, "failures"),
        ({"provider": "sns", "failures": 1, "code": "Nope"}, "Throttled"),
        ({"provider": "lambda", "failures": 1, "operations": ["Invoke"]}, "functions"),
    ],
)
def test_a_fault_that_makes_no_sense_is_refused_naming_why(request_body: dict[str, Any], problem: str) -> None:
    faults = FaultInjector(FUNCTIONS)
    faults.middleware(emulator)
    with pytest.raises(ValueError, match=problem):
        faults.configure(request_body)


def test_wire_faults_need_the_embedded_emulator() -> None:
    with pytest.raises(ValueError, match="embedded emulator"):
        FaultInjector(FUNCTIONS).configure({"provider": "events", "failures": 1})
