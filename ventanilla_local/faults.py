"""Injected failures for the local stack (`ventanilla fault`, `/__ventanilla/faults`). Development only.

What can be made to fail, and how the code under test sees it:

- `events`: PutEvents calls fail whole (500 InternalException, 400 ThrottlingException) or, for the share
  `partial` of the failures, partly: 200 with FailedEntryCount and a per-entry ErrorCode (InternalFailure,
  ThrottlingException) on some entries, which are not put on the bus; the others are.
- `dynamodb`: any operation (`operations` narrows it) answers 400 ProvisionedThroughputExceededException,
  ThrottlingException or RequestLimitExceeded.
- `ses` (SendEmail, SendRawEmail: 400 Throttling, 503 ServiceUnavailable) and `sns` (Publish, the SMS sender:
  429 Throttled, 500 InternalError): the notification providers are down.
- `lambda`: an EventBridge rule's delivery to a function (`functions`: the targets) fails before the function
  runs, as a failed asynchronous invocation: the pump's retries, then the rule target's dead-letter queue; a stream
  mapping's invocation of a function (the announcer, the phone function's Kinesis mapping) fails as a function
  error: the mapping's retries and bisection, then its on-failure queue.
- `whatsapp`: the WhatsApp Cloud API stand-in (ventanilla_local/outbox.py) answers 500.

The AWS faults are answered on the wire, by a WSGI layer in front of the embedded moto server, so the
functions' boto3 clients see exactly what AWS would send and apply their own retries (botocore's standard
mode: three attempts with jittered backoff for throttling and 5xx; never for a partial PutEvents failure).
Each function calls the emulator with its own access key id (as each Lambda has its own role), so a fault
can be limited to the calls of some functions (`functions`); the local runtime's own calls (provisioning, the
event pump, the CLI, a test reading the table) never fail.

A fault says how many failures to inject (`failures`: N, or -1 until switched off) and the chance that a
matching call is one of them (`rate`, default 1). Every decision is drawn from one random generator, seeded
(`seed`), so the same calls in the same order fail the same way. `GET /__ventanilla/faults` reports what is
set and what was injected so far (calls seen while a fault was on, failures by kind and code).
"""

from __future__ import annotations

import io
import json
import random
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qs

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

ALWAYS = -1
DEFAULT_SEED = 8
WIRE_PROVIDERS = ("events", "dynamodb", "ses", "sns")
PROVIDERS = ("whatsapp", *WIRE_PROVIDERS, "lambda")
# The error codes a provider can answer with, and their HTTP status.
CODES: dict[str, dict[str, int]] = {
    "events": {"InternalException": 500, "ThrottlingException": 400},
    "dynamodb": {
        "ProvisionedThroughputExceededException": 400,
        "ThrottlingException": 400,
        "RequestLimitExceeded": 400,
    },
    "ses": {"Throttling": 400, "ServiceUnavailable": 503},
    "sns": {"Throttled": 429, "InternalError": 500},
    "lambda": {"TooManyRequestsException": 429, "ServiceException": 500},
}
ENTRY_CODES = ("InternalFailure", "ThrottlingException")  # a PutEvents entry's ErrorCode
# What a fault covers when no `operations` are given: what the stack's functions call on that service.
DEFAULT_OPERATIONS: dict[str, frozenset[str]] = {
    "events": frozenset({"PutEvents"}),
    "ses": frozenset({"SendEmail", "SendRawEmail"}),
    "sns": frozenset({"Publish"}),
}
JSON_TARGETS = {"DynamoDB_20120810": "dynamodb", "AWSEvents": "events"}
QUERY_SERVICES = {"email": "ses", "ses": "ses", "sns": "sns"}  # SigV4 scope name -> provider
XML_NAMESPACES = {"ses": "http://ses.amazonaws.com/doc/2010-12-01/", "sns": "http://sns.amazonaws.com/doc/2010-03-31/"}
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/")
CALLER_KEY_PREFIX = "local-"


def caller_key(function: str) -> str:
    """The access key id a function calls the emulator with (one per function, as one role per Lambda)."""
    return f"{CALLER_KEY_PREFIX}{function}"


@cache
def _operations_of(service: str) -> frozenset[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    return frozenset(model.operation_names)


@dataclass
class Fault:
    provider: str
    failures: int  # still to inject; ALWAYS: until switched off
    rate: float = 1.0
    partial: float = 0.0
    code: str | None = None  # None: drawn from the provider's codes
    operations: frozenset[str] = frozenset()  # empty: every operation
    functions: frozenset[str] = frozenset()  # empty: every caller

    @property
    def scope(self) -> tuple[frozenset[str], frozenset[str]]:
        return self.functions, self.operations

    def covers(self, operation: str, caller: str | None, functions: frozenset[str]) -> bool:
        """Does this fault apply to a call of `operation` by `caller`? Only the stack's functions' calls fail:
        the local runtime's own (provisioning, the event pump, the CLI, a test reading the table) never do."""
        if self.operations and operation not in self.operations:
            return False
        return caller in (self.functions or functions)

    def describe(self) -> str:
        if self.failures == 0:
            return "working"
        unit, units = ("delivery", "deliveries") if self.provider == "lambda" else ("call", "calls")
        if self.rate < 1:
            what = f"{self.rate:.0%} of {units} fail"
            what += "" if self.failures == ALWAYS else f" until {self.failures} more have failed"
        elif self.failures == ALWAYS:
            what = f"every {unit} fails"
        else:
            what = f"the next {unit} fails" if self.failures == 1 else f"the next {self.failures} {units} fail"
        details = [f"{self.partial:.0%} as partial failures"] if self.partial else []
        details += [", ".join(sorted(self.operations))] if self.operations else []
        details += ["functions " + ", ".join(sorted(self.functions))] if self.functions else []
        details += [self.code] if self.code else []
        return what + (f" ({'; '.join(details)})" if details else "")


@dataclass
class Tally:
    """What one provider's fault did: calls seen while it was on, failures injected by kind and code."""

    calls: int = 0
    failed: int = 0
    partial: int = 0
    entries: int = 0  # PutEvents entries sent in the calls seen
    entries_failed: int = 0
    codes: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "failed": self.failed,
            "partial": self.partial,
            "entries": self.entries,
            "entries_failed": self.entries_failed,
            "codes": dict(self.codes),
        }


@dataclass(frozen=True)
class _Decision:
    provider: str
    code: str
    status: int
    failed_entries: dict[int, str] = field(default_factory=dict)  # partial PutEvents: entry index -> ErrorCode


class FaultInjector:
    """The faults set on the local stack, the WSGI layer that injects them, and the pump's hook."""

    def __init__(self, functions: Iterable[str] = (), seed: int = DEFAULT_SEED) -> None:
        self._functions = frozenset(functions)
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._seed = seed
        self._faults: dict[str, list[Fault]] = {}  # by provider, in the order set: the first that covers a call
        self._tallies: dict[str, Tally] = {p: Tally() for p in PROVIDERS if p != "whatsapp"}
        self.on_the_wire = False  # set once the embedded emulator is wrapped (not with AWS_ENDPOINT_URL)

    # -- control ----------------------------------------------------------------------------------

    def configure(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Set a provider's fault for some functions and operations (replacing one set for the same ones), or with
        `failures: 0` clear it (without functions or operations: all of the provider's). ValueError says why not."""
        fault = self._parse(request)
        with self._lock:
            if "seed" in request:
                self._seed = _integer(request["seed"], "seed")
                self._random = random.Random(self._seed)
            current = self._faults.get(fault.provider, [])
            everything = fault.failures == 0 and not fault.functions and "operations" not in request
            kept = [f for f in current if not everything and (f.functions, f.operations) != fault.scope]
            self._faults[fault.provider] = [*kept, fault] if fault.failures else kept
        return self.describe(fault.provider)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def describe(self, provider: str) -> dict[str, Any]:
        with self._lock:
            faults = self._faults.get(provider, [])
            return {
                "provider": provider,
                "faults": [
                    {
                        "failures": f.failures,
                        "rate": f.rate,
                        "partial": f.partial,
                        "code": f.code,
                        "operations": sorted(f.operations),
                        "functions": sorted(f.functions),
                    }
                    for f in faults
                ],
                "description": "; ".join(f.describe() for f in faults) or "working",
                "injected": self._tallies[provider].as_dict(),
            }

    def state(self) -> dict[str, Any]:
        return {
            "seed": self._seed,
            "providers": {p: self.describe(p) for p in PROVIDERS if p != "whatsapp"},
        }

    def _parse(self, request: Mapping[str, Any]) -> Fault:
        provider = str(request.get("provider", ""))
        if provider not in PROVIDERS or provider == "whatsapp":
            raise ValueError(f"unknown provider {provider!r}: one of {', '.join(PROVIDERS)} (or all, with failures 0)")
        if provider in WIRE_PROVIDERS and not self.on_the_wire:
            raise ValueError(f"{provider} faults need the embedded emulator (AWS_ENDPOINT_URL points elsewhere)")
        failures = _integer(request.get("failures", 0), "failures")
        if failures < ALWAYS:
            raise ValueError("failures is a count, -1 (until switched off) or 0 (off)")
        rate = _number(request.get("rate", 1.0), "rate")
        if not 0 < rate <= 1:
            raise ValueError("rate is the chance a matching call fails: above 0, at most 1")
        partial = _number(request.get("partial", 0.0), "partial")
        if not 0 <= partial <= 1 or (partial and provider != "events"):
            raise ValueError("partial is the share of PutEvents failures answered as partial: 0 to 1, events only")
        code = request.get("code")
        if code is not None and code not in CODES[provider]:
            raise ValueError(f"code for {provider} is one of {', '.join(CODES[provider])}")
        operations = _names(request.get("operations"), "operations")
        if operations and provider == "lambda":
            raise ValueError("lambda faults take functions (the rule targets), not operations")
        if operations:
            unknown = sorted(operations - _operations_of(provider))
            if unknown:
                raise ValueError(f"{provider} has no operation {', '.join(unknown)}")
        functions = _names(request.get("functions"), "functions")
        unknown = sorted(functions - self._functions)
        if unknown:
            raise ValueError(f"no function {', '.join(unknown)}: one of {', '.join(sorted(self._functions))}")
        return Fault(
            provider=provider,
            failures=failures,
            rate=rate,
            partial=partial,
            code=code,
            operations=operations or DEFAULT_OPERATIONS.get(provider, frozenset()),
            functions=functions,
        )

    # -- deciding ---------------------------------------------------------------------------------

    def _decide(self, provider: str, operation: str, caller: str | None, entries: int = 0) -> _Decision | None:
        with self._lock:
            faults = self._faults.get(provider, [])
            fault = next((f for f in faults if f.covers(operation, caller, self._functions)), None)
            if fault is None:
                return None
            tally = self._tallies[provider]
            tally.calls += 1
            tally.entries += entries
            if self._random.random() >= fault.rate:
                return None
            if fault.failures > 0:
                fault.failures -= 1
                if fault.failures == 0:
                    self._faults[provider].remove(fault)
            tally.failed += 1
            if entries and self._random.random() < fault.partial:
                count = self._random.randint(1, entries)
                failed = {i: self._random.choice(ENTRY_CODES) for i in self._random.sample(range(entries), count)}
                tally.partial += 1
                tally.entries_failed += count
                tally.codes.update(failed.values())
                return _Decision(provider, "partial", 200, failed)
            code = fault.code or self._random.choice(sorted(CODES[provider]))
            tally.entries_failed += entries
            tally.codes[code] += 1
            return _Decision(provider, code, CODES[provider][code])

    def lambda_fault(self, function: str) -> str | None:
        """For the event pump and the stream pollers: the error an invocation of `function` fails with, or None."""
        decision = self._decide("lambda", "Invoke", function)
        return decision.code if decision else None

    # -- the wire ---------------------------------------------------------------------------------

    def middleware(self, app: WSGIApp) -> WSGIApp:
        """Wrap the emulator's WSGI app: requests a fault covers get AWS's error (or partial) answer."""
        self.on_the_wire = True

        def faulty(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if not any(self._faults.values()):
                return app(environ, start_response)
            match = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
            key, scope = (match.group(1), match.group(2)) if match else ("", "")
            caller = key.removeprefix(CALLER_KEY_PREFIX) if key.startswith(CALLER_KEY_PREFIX) else None
            service, _, operation = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
            provider = JSON_TARGETS.get(service)
            body = b""
            if provider is None and self._faults.get(QUERY_SERVICES.get(scope, "")):
                provider = QUERY_SERVICES[scope]
                body = _read_body(environ)
                operation = (parse_qs(body.decode("utf-8", "replace")).get("Action") or [""])[0]
            if provider is None or not self._faults.get(provider):
                return app(environ, start_response)
            entries: list[Any] = []
            if provider == "events" and operation == "PutEvents":
                body = _read_body(environ)
                request = json.loads(body or b"{}")
                entries = request.get("Entries") or []
            decision = self._decide(provider, operation, caller, len(entries))
            if decision is None:
                return app(environ, start_response)
            if decision.failed_entries:
                return _partial_put_events(app, environ, start_response, request, decision.failed_entries)
            return _error(start_response, decision)

        return faulty


def _read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back, so the emulator can read it again."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return bytes(body)


def _respond(start_response: Callable[..., Any], status: int, content_type: str, body: bytes, code: str) -> list[bytes]:
    reason = {200: "OK", 400: "Bad Request", 429: "Too Many Requests", 500: "Internal Server Error"}
    start_response(
        f"{status} {reason.get(status, 'Service Unavailable')}",
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
            *([("x-amzn-ErrorType", code)] if status != 200 else []),
        ],
    )
    return [body]


def _error(start_response: Callable[..., Any], decision: _Decision) -> list[bytes]:
    message = f"{decision.code} (injected by `ventanilla fault {decision.provider}`)"
    if decision.provider in ("ses", "sns"):
        kind = "Sender" if decision.status < 500 else "Receiver"
        xml = (
            f'<ErrorResponse xmlns="{XML_NAMESPACES[decision.provider]}"><Error><Type>{kind}</Type>'
            f"<Code>{decision.code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        )
        return _respond(start_response, decision.status, "text/xml", xml.encode(), decision.code)
    prefix = "com.amazonaws.dynamodb.v20120810#" if decision.provider == "dynamodb" else ""
    content_type = "application/x-amz-json-1.0" if decision.provider == "dynamodb" else "application/x-amz-json-1.1"
    body = json.dumps({"__type": f"{prefix}{decision.code}", "message": message}).encode()
    return _respond(start_response, decision.status, content_type, body, decision.code)


def _partial_put_events(
    app: WSGIApp,
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    request: dict[str, Any],
    failed: dict[int, str],
) -> list[bytes] | Iterable[bytes]:
    """PutEvents with some entries failed: the others go to the emulator, the answer lists both, in order."""
    entries = request["Entries"]
    kept = [entry for i, entry in enumerate(entries) if i not in failed]
    answered: list[dict[str, Any]] = []
    failed_count = 0
    if kept:
        body = json.dumps({**request, "Entries": kept}).encode()
        forwarded = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        status: list[str] = []

        def capture(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            status.append(line)
            return lambda _: None

        result = app(forwarded, capture)
        try:
            raw = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if not status or not status[0].startswith("200"):  # the emulator refused the rest: pass its answer on
            return _respond(start_response, int(status[0][:3]) if status else 500, "application/json", raw, "")
        moto = json.loads(raw)
        answered = list(moto.get("Entries") or [])
        failed_count = int(moto.get("FailedEntryCount") or 0)
    remaining = iter(answered)
    merged = [
        {"ErrorCode": failed[i], "ErrorMessage": f"{failed[i]} (injected by `ventanilla fault events`)"}
        if i in failed
        else next(remaining, {})
        for i in range(len(entries))
    ]
    payload = json.dumps({"FailedEntryCount": failed_count + len(failed), "Entries": merged}).encode()
    return _respond(start_response, 200, "application/x-amz-json-1.1", payload, "")


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{name} must be a whole number")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number") from None


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be a number")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number") from None


def _names(value: Any, name: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        value = [v for v in value.split(",") if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name} is a list of names")
    return frozenset(v.strip() for v in value)
