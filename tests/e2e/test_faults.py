"""Faults injected into the running stack: nothing accepted is lost, nothing is stored twice, one person stays one.

Through `ventanilla up` and its fault injector (ventanilla_local/faults.py, `ventanilla fault`): PutEvents fails
whole and partly (the announcer's included: its table-stream batches are retried, parked, re-read and redriven),
DynamoDB throttles, EventBridge deliveries fail until the events are parked and redriven, one message arrives ten
times at once, fifty messages of one person arrive at once over every channel. The clients retry as channel systems
do (5xx and 429, honouring Retry-After). Each test prints what it injected and counted.
"""

from __future__ import annotations

import json
import os
import random
import string
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
import requests
from stdnum.mx import curp

from tests.conftest import CHANNELS
from tests.e2e.conftest import Running, operator_headers
from tests.e2e.test_dead_letters import ventanilla_cli

pytestmark = pytest.mark.e2e
# Faults of AWS services are answered by a layer in front of the embedded emulator; LocalStack has none
on_the_wire = pytest.mark.skipif(
    bool(os.environ.get("AWS_ENDPOINT_URL")), reason="AWS faults need the embedded emulator, not AWS_ENDPOINT_URL"
)

GIVEN = ("Alma", "Berenice", "Ciro", "Dalia", "Emilio", "Fabiola", "Gael", "Hortensia", "Ignacio", "Julieta")
SURNAMES = ("Arriaga", "Bustos", "Cervantes", "Duarte", "Esquivel", "Figueroa", "Galindo", "Huerta", "Iturbide")
ROUTINE = "predial"  # a procedure every channel can start: each touchpoint below opens (or joins) a case


# -- the stack's controls -------------------------------------------------------------------------------------


def set_fault(app: Running, provider: str, failures: int, **options: Any) -> dict[str, Any]:
    answer = requests.post(
        f"{app.url}/__ventanilla/faults", json={"provider": provider, "failures": failures, **options}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def injected(app: Running) -> dict[str, dict[str, Any]]:
    answer = requests.get(f"{app.url}/__ventanilla/faults", timeout=30)
    assert answer.status_code == 200, answer.text
    return {p: d.get("injected", {}) for p, d in answer.json()["providers"].items()}


def since(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]], provider: str) -> dict[str, Any]:
    """What a provider's faults did between two readings."""
    old, new = before.get(provider, {}), after.get(provider, {})
    delta: dict[str, Any] = {k: new[k] - old.get(k, 0) for k in new if isinstance(new[k], int)}
    delta["codes"] = dict(Counter(new.get("codes", {})) - Counter(old.get("codes", {})))
    return delta


def settle(app: Running) -> Counter[str]:
    """Wait until every event published so far was delivered or parked; the failed deliveries so far, by function
    (each retried by the event pump, or parked after the last retry)."""
    answer = requests.get(f"{app.url}/__ventanilla/idle", timeout=120)
    assert answer.status_code == 200 and answer.json()["idle"], answer.text
    return Counter(answer.json()["deliveries"]["failed_attempts"])


def redrive(app: Running) -> int:
    """`ventanilla dlq redrive`, then wait for the redriven events: how many were redriven."""
    printed = ventanilla_cli(app, "dlq", "redrive")
    settle(app)
    return int(printed.split("redriven ")[1].split(" ")[0])


def parked(app: Running) -> int:
    queue_url = json.loads((app.state_dir / "state.json").read_text())["dead_letter_queue_url"]
    attributes = _client(app, "sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def _client(app: Running, service: str) -> Any:
    """A client of the stack's emulator with credentials of no function (so no function's fault applies to it)."""
    env = json.loads((app.state_dir / "state.json").read_text())["identity_environment"]
    return boto3.client(
        service,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id="test-reader",
        aws_secret_access_key="test",
    )


def stored_touchpoint(app: Running, touchpoint_id: str) -> dict[str, Any] | None:
    table = json.loads((app.state_dir / "state.json").read_text())["identity_environment"]["TABLE_NAME"]
    item = (
        _client(app, "dynamodb")
        .get_item(TableName=table, Key={"pk": {"S": f"TP#{touchpoint_id}"}, "sk": {"S": "TOUCHPOINT"}})
        .get("Item")
    )
    return {k: next(iter(v.values())) for k, v in item.items()} if item else None


@pytest.fixture(autouse=True)
def faults_off(ventanilla: Running) -> Iterator[None]:
    set_fault(ventanilla, "all", 0)
    yield
    set_fault(ventanilla, "all", 0)


# -- channel systems ------------------------------------------------------------------------------------------


@dataclass
class Sent:
    """One channel message, and what became of it."""

    channel: str
    body: dict[str, Any]
    lookup: dict[str, str]
    statuses: list[int] = field(default_factory=list)
    touchpoint_id: str | None = None
    replay: str | None = None

    @property
    def accepted(self) -> bool:
        return self.touchpoint_id is not None


def deliver(app: Running, sent: Sent, attempts: int = 15) -> Sent:
    """What a channel system does: POST; on a 5xx or a 429 wait what Retry-After says (here at most 0.3 s) and
    POST the same message again."""
    for _ in range(attempts):
        answer = requests.post(
            f"{app.url}/v1/channels/{sent.channel}/touchpoints",
            json=sent.body,
            headers={"x-api-key": app.keys[sent.channel]},
            timeout=60,
        )
        sent.statuses.append(answer.status_code)
        if answer.status_code == 202:
            sent.touchpoint_id = answer.json()["touchpoint_id"]
            sent.replay = answer.headers.get("Idempotent-Replay")
            return sent
        if answer.status_code < 500 and answer.status_code != 429:
            raise AssertionError(f"{sent.channel} refused: {answer.status_code} {answer.text}")
        if answer.status_code == 503:
            assert answer.headers.get("Retry-After"), "a 503 says when to retry"
        time.sleep(min(float(answer.headers.get("Retry-After") or 0.1), 0.3))
    return sent


def deliver_all(app: Running, messages: list[Sent], workers: int = 8) -> list[Sent]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda m: deliver(app, m), messages))


def _letters(n: int = 6) -> str:
    return "".join(random.choices(string.ascii_lowercase, k=n)).capitalize()


def _phone() -> str:
    return f"81{random.randint(10_000_000, 99_999_999)}"


def stranger(channel: str, run: str, n: int, case: bool = True) -> Sent:
    """A message from a new person over `channel` (unique name, phone, email, handle or sign-on subject)."""
    given, family = random.choice(GIVEN), f"{random.choice(SURNAMES)} {_letters()}"
    phone, email = _phone(), f"{given.lower()}.{family.split()[1].lower()}.{run}{n}@example.com"
    person = {"given_name": given, "family_name": family, "phone": phone}
    when = f"2026-03-{1 + n % 27:02d}T10:{n % 60:02d}:00-06:00"
    message_id = f"flt-{run}-{n}"
    claim = {"case": {"procedure": ROUTINE}} if case else {}
    login = f"sso|{uuid.uuid4()}"
    bodies: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
        "phone": (
            {"call_id": message_id, "caller_number": phone, "started_at": when, "caller": person},
            {"phone": phone},
        ),
        "messaging": (
            {
                "message_id": message_id,
                "network": "sms",
                "from_number": phone,
                "to_number": "+52 55 5000 1234",
                "sent_at": when,
                "text": "Quiero pagar mi predial",
                "sender": person,
            },
            {"phone": phone},
        ),
        "email": (
            {
                "message_id": f"<{message_id}@example.com>",
                "from_address": email,
                "from_name": f"{given} {family}",
                "to_address": "atencion@tesoreria.example.mx",
                "subject": "Predial",
                "text_body": "¿Cuánto debo de predial?",
                "received_at": when,
            },
            {"email": email},
        ),
        "chat": (
            {
                "session_id": message_id,
                "started_at": when,
                "ended_at": when.replace(":00-06:00", ":30-06:00"),
                "visitor": {**person, "email": email},
            },
            {"email": email},
        ),
        "social": (
            {
                "platform": "facebook",
                "message_id": message_id,
                "handle": f"{given.lower()}.{run}{n}",
                "sent_at": when,
                "is_public": False,
                "text": "Hola, una duda del predial",
                "sender": person,
            },
            {"handle": f"facebook:{given.lower()}.{run}{n}"},
        ),
        "web": (
            {"event_id": message_id, "login_subject": login, "occurred_at": when, "action": "form_submitted"},
            {"login_subject": login},
        ),
        "mobile": (
            {
                "event_id": message_id,
                "login_subject": login,
                "device_id": f"sha256:{uuid.uuid4().hex}",
                "platform": "android",
                "app_version": "3.4.1",
                "occurred_at": when,
                "action": "status_checked",
                "person": person,
            },
            {"login_subject": login},
        ),
        "office": (
            {
                "ticket_id": f"F-{run}-{n}",
                "office_id": "CDMX-CUAUH-01",
                "checked_in_at": when,
                "person": {**person, "birth_date": "1990-01-01"},
            },
            {"phone": phone},
        ),
    }
    body, lookup = bodies[channel]
    return Sent(channel, {**body, **claim}, lookup)


def strangers(run: str, per_channel: int, case: bool = True) -> list[Sent]:
    return [stranger(c, run, i * len(CHANNELS) + j, case) for i in range(per_channel) for j, c in enumerate(CHANNELS)]


# -- what an operator sees ------------------------------------------------------------------------------------


def find(app: Running, query: dict[str, str]) -> list[dict[str, Any]]:
    answer = requests.get(
        f"{app.url}/v1/citizens", params={**query, "limit": 100}, headers=operator_headers(app), timeout=30
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["citizens"])


def contacts(citizen: dict[str, Any]) -> list[str]:
    """Touchpoint ids on a citizen's timeline (not the notifications and journey signals shown beside them)."""
    return [
        e["touchpoint_id"] for e in citizen["timeline"] if not {"notification", "signal"} & set(e.get("details") or {})
    ]


def problems_of(app: Running, sent: Sent, with_case: bool = True) -> list[str]:
    """Why an accepted message did not fully arrive: stored once, resolved, on one citizen's timeline, once."""
    if not sent.accepted:
        return [f"{sent.channel}: never accepted ({sent.statuses})"]
    assert sent.touchpoint_id is not None
    item = stored_touchpoint(app, sent.touchpoint_id)
    if item is None:
        return [f"{sent.touchpoint_id}: accepted but not stored"]
    found: list[str] = []
    if item.get("resolution") not in ("created", "linked") or not item.get("citizen_id"):
        found.append(f"{sent.touchpoint_id} ({sent.channel}): not resolved ({item.get('resolution')})")
    if with_case and not item.get("case_reference"):
        found.append(f"{sent.touchpoint_id} ({sent.channel}): resolved but on no case")
    elif with_case:
        case = requests.get(
            f"{app.url}/v1/cases/{item['case_reference']}", headers=operator_headers(app), timeout=30
        ).json()
        joined = [e for e in case["history"] if e.get("touchpoint_id") == sent.touchpoint_id]
        joined = [e for e in joined if e["kind"] in ("opened", "touchpoint_attached")]
        listed = [t for t in case["touchpoints"] if t["touchpoint_id"] == sent.touchpoint_id]
        if len(joined) != 1 or len(listed) != 1:
            found.append(f"{sent.touchpoint_id} ({sent.channel}): joined its case {len(joined)} times")
    citizens = find(app, sent.lookup)
    on_timelines = [c["citizen_id"] for c in citizens for t in contacts(c) if t == sent.touchpoint_id]
    if len(citizens) != 1 or len(on_timelines) != 1:
        found.append(f"{sent.touchpoint_id} ({sent.channel}): {len(citizens)} citizens, {len(on_timelines)} entries")
    return found


def check_arrived(app: Running, messages: list[Sent], with_case: bool = True, timeout: float = 30) -> list[str]:
    """Problems left once the stack had `timeout` seconds to settle (an empty list: everything arrived)."""
    deadline = time.monotonic() + timeout
    while True:
        problems = [p for m in messages for p in problems_of(app, m, with_case)]
        if not problems or time.monotonic() > deadline:
            return problems
        time.sleep(0.5)


@dataclass
class Recovery:
    """A fault scenario's outcome: what the fault did, what the pipeline retried and parked, what arrived."""

    counts: dict[str, Any]
    failed: Counter[str]
    parked: int
    redriven: int
    problems: list[str]
    accepted: list[Sent]
    seconds: float


def deliver_through_fault(
    app: Running, messages: list[Sent], provider: str, before: dict[str, dict[str, Any]], failing: Counter[str]
) -> Recovery:
    """Deliver the messages while `provider` fails (the channel systems retrying what is refused), then turn the
    fault off, redrive what was parked, and check every accepted message arrived once."""
    started = time.monotonic()
    deliver_all(app, messages)
    failed = settle(app) - failing
    set_fault(app, provider, 0)
    counts = since(before, injected(app), provider)
    parked_count = parked(app)
    redriven = redrive(app)
    problems = check_arrived(app, messages)
    accepted = [m for m in messages if m.accepted]
    return Recovery(counts, failed, parked_count, redriven, problems, accepted, time.monotonic() - started)


def retried(messages: list[Sent]) -> Counter[int]:
    """The answers that made clients retry (5xx, 429), by status."""
    return Counter(s for m in messages for s in m.statuses if s != 202)


# -- the tests ------------------------------------------------------------------------------------------------


@on_the_wire
def test_put_events_failures_whole_and_partial_lose_no_touchpoint(ventanilla: Running) -> None:
    run = uuid.uuid4().hex[:6]
    messages = strangers(run, per_channel=3)
    before, failing = injected(ventanilla), settle(ventanilla)
    # Given PutEvents fails for every function a third of the time, half of the failures partial (some entries)
    set_fault(ventanilla, "events", -1, rate=0.35, partial=0.5, seed=11)
    # When 24 new people write over the 8 channels at once, and the channel systems retry what is refused;
    # then, once the bus works again and what was parked is redriven, every accepted message arrived, once
    run_ = deliver_through_fault(ventanilla, messages, "events", before, failing)
    counts, failed, problems, accepted = run_.counts, run_.failed, run_.problems, run_.accepted
    print(
        f"faults: {counts['failed']} of {counts['calls']} PutEvents calls failed ({counts['partial']} partial: "
        f"{counts['entries_failed']} of {counts['entries']} entries refused; codes {counts['codes']}); "
        f"clients retried {sum(retried(messages).values())} times {dict(retried(messages))}; the event pump and "
        f"the table stream retried {sum(failed.values())} failed deliveries {dict(failed)} (announcer: batches "
        f"retried from their first unpublished touchpoint), {run_.parked} events / stream batches parked, "
        f"{run_.redriven} redriven; touchpoints {len(messages)} sent, {len(accepted)} "
        f"accepted, {len(accepted) - len({p.split()[0] for p in problems})} stored once, resolved, on one timeline "
        f"and a case ({run_.seconds:.1f} s)"
    )
    assert counts["failed"] and counts["partial"], "the fault was injected, whole and partial"
    # The bus failing is no longer the caller's problem: every message was accepted at its first POST
    assert len(accepted) == len(messages) and retried(messages) == Counter()
    assert problems == []


def test_a_failing_delivery_is_parked_and_a_redrive_delivers_it_once(ventanilla: Running) -> None:
    run = uuid.uuid4().hex[:6]
    messages = strangers(run, per_channel=1, case=False)
    before = injected(ventanilla)
    # Given every delivery of TouchpointRecorded to the identity function fails (between the rule and its target)
    said = ventanilla_cli(ventanilla, "fault", "lambda", "on", "--functions", "identity")
    assert said.strip() == "lambda: every delivery fails (functions identity)"
    unknown = requests.post(f"{ventanilla.url}/__ventanilla/faults", json={"provider": "fax"}, timeout=30)
    assert unknown.status_code == 400 and "unknown provider 'fax'" in unknown.json()["error"]
    # When 8 people write, and each channel system sends its message twice (a retry that crossed our answer)
    deliver_all(ventanilla, messages)
    deliver_all(ventanilla, messages)
    settle(ventanilla)
    # Then each announcement is parked after its retries, and nobody is resolved yet (a redelivery stores nothing
    # new, so it announces nothing again: one announcement per touchpoint)
    parked_count = parked(ventanilla)
    assert all((stored_touchpoint(ventanilla, m.touchpoint_id or "") or {}).get("resolution") is None for m in messages)
    # When the function works again and the dead-letter queue is redriven
    status = ventanilla_cli(ventanilla, "fault")  # what is failing, and what was injected so far
    assert "lambda    every delivery fails (functions identity)" in status
    set_fault(ventanilla, "lambda", 0)
    counts = since(before, injected(ventanilla), "lambda")
    redriven = redrive(ventanilla)
    # Then every touchpoint is on its citizen's timeline exactly once
    problems = check_arrived(ventanilla, messages, with_case=False)
    again = redrive(ventanilla)  # and a second redrive finds nothing more to deliver
    print(
        f"faults: {counts['failed']} deliveries to identity failed ({counts['codes']}); touchpoints "
        f"{len(messages)} sent twice, {parked_count} announcements parked, {redriven} redriven, then {again}; "
        f"{len(messages) - len(problems)} of {len(messages)} on one citizen's timeline once"
    )
    assert parked_count >= len(messages)
    assert redriven >= len(messages) and again == 0
    assert problems == []


@on_the_wire
def test_the_announcers_failed_publishes_are_parked_re_read_from_the_stream_and_redriven(ventanilla: Running) -> None:
    run = uuid.uuid4().hex[:6]
    messages = strangers(run, per_channel=1, case=False)
    before, failing = injected(ventanilla), settle(ventanilla)
    # Given every PutEvents of the announcer fails (the touchpoints are stored; their announcements are not)
    set_fault(ventanilla, "events", -1, functions=["announcer"])
    # When 8 people write, one per channel
    started = time.monotonic()
    deliver_all(ventanilla, messages)
    failed = settle(ventanilla) - failing
    # Then every POST was accepted at once, each touchpoint is stored and unresolved, and after the mapping's retries
    # the stream batches are parked: shard positions, listed as such
    assert all(m.statuses == [202] for m in messages)
    assert all((stored_touchpoint(ventanilla, m.touchpoint_id or "") or {}).get("resolution") is None for m in messages)
    parked_count = parked(ventanilla)
    listed = ventanilla_cli(ventanilla, "dlq", "list")
    assert "stream-batch" in listed and "table stream" in listed
    # When the bus works again and the dead-letter queue is redriven (the batches re-read from the table's stream)
    set_fault(ventanilla, "events", 0)
    counts = since(before, injected(ventanilla), "events")
    printed = ventanilla_cli(ventanilla, "dlq", "redrive")
    settle(ventanilla)
    redriven = int(printed.split("redriven ")[1].split(" ")[0])
    again = redrive(ventanilla)
    # Then every touchpoint is resolved and on its citizen's timeline once
    problems = check_arrived(ventanilla, messages, with_case=False)
    print(
        f"faults: {counts['failed']} of {counts['calls']} announcer PutEvents failed; {failed.get('announcer', 0)} "
        f"announcer invocations failed (retried), {parked_count} stream batches parked; "
        f"redrive: {printed.strip().splitlines()[0]}; "
        f"then {again}; {len(messages) - len(problems)} of {len(messages)} on one citizen's timeline once "
        f"({time.monotonic() - started:.1f} s)"
    )
    assert counts["failed"] and parked_count >= 1 and failed["announcer"] > 8
    assert redriven == len(messages) and again == 0
    assert problems == []


@on_the_wire
def test_dynamodb_throttling_on_ingest_identity_and_cases_loses_nothing(ventanilla: Running) -> None:
    run = uuid.uuid4().hex[:6]
    messages = strangers(run, per_channel=2)
    before, failing = injected(ventanilla), settle(ventanilla)
    # Given DynamoDB throttles the channel functions' writes often (some beyond the SDK's three attempts), fails the
    # identity function's first 12 transactions outright (with two running at once, at least three of its calls
    # fail all three attempts), and throttles the identity and case-tracking functions' calls now and then
    set_fault(ventanilla, "dynamodb", -1, rate=0.75, functions=list(CHANNELS), operations=["PutItem"], seed=5)
    set_fault(ventanilla, "dynamodb", 12, functions=["identity"], operations=["TransactWriteItems"])
    set_fault(ventanilla, "dynamodb", -1, rate=0.08, functions=["identity", "tracker"])
    # When 16 new people write over the 8 channels at once, and the channel systems retry what is refused
    run_ = deliver_through_fault(ventanilla, messages, "dynamodb", before, failing)
    # Then every accepted message is stored once, resolved, on its citizen's timeline once and on a case
    counts, failed, problems, accepted = run_.counts, run_.failed, run_.problems, run_.accepted
    refused = retried(messages)
    print(
        f"faults: {counts['failed']} of {counts['calls']} DynamoDB calls throttled ({counts['codes']}); "
        f"ingest answered {refused.get(503, 0)} x 503 (Retry-After), clients retried; the event pump retried "
        f"{sum(failed.values())} failed deliveries {dict(failed)}, {run_.parked} events parked, {run_.redriven} "
        f"redriven; touchpoints {len(messages)} sent, {len(accepted)} accepted, "
        f"{len(accepted) - len({p.split()[0] for p in problems})} stored once, resolved, on one timeline and a case "
        f"({run_.seconds:.1f} s)"
    )
    assert refused[503] and failed["identity"], "throttling reached the channel systems and the event pipeline"
    assert len(accepted) == len(messages)
    assert problems == []


def test_each_message_delivered_ten_times_at_once_is_stored_once(ventanilla: Running) -> None:
    run = uuid.uuid4().hex[:6]
    originals = strangers(run, per_channel=1)
    # When every channel delivers its message 10 times concurrently (80 requests in flight)
    copies = [Sent(m.channel, m.body, m.lookup) for m in originals for _ in range(10)]  # same id, same content
    deliver_all(ventanilla, copies, workers=40)
    # Then each got 202 ten times with one touchpoint id; exactly one delivery created it, nine were replays
    by_channel: dict[str, list[Sent]] = {}
    for sent in copies:
        by_channel.setdefault(sent.channel, []).append(sent)
    for channel, sends in by_channel.items():
        assert all(s.statuses == [202] for s in sends), (channel, [s.statuses for s in sends])
        assert len({s.touchpoint_id for s in sends}) == 1, channel
        assert sorted(s.replay or "" for s in sends) == ["false"] + ["true"] * 9, channel
    # And each is on its one citizen's timeline once
    for original in originals:
        original.touchpoint_id = by_channel[original.channel][0].touchpoint_id
    problems = check_arrived(ventanilla, originals)
    print(
        f"races: {len(originals)} messages x 10 concurrent deliveries = {len(copies)} requests: "
        f"{sum(s.statuses == [202] for s in copies)} answered 202, {sum(s.replay == 'false' for s in copies)} "
        f"created, {sum(s.replay == 'true' for s in copies)} replays; "
        f"{len(originals) - len(problems)} of {len(originals)} stored once and on one citizen's timeline once"
    )
    assert problems == []


def _valid_curp(birth: str, sex: str = "M") -> str:
    """A CURP with a right check digit for a made-up person born on `birth` (YYMMDD), in Mexico City."""
    letters = "".join(random.choices("BCDFGHJKLMNPQRSTVWXZ", k=3))
    first17 = f"F{random.choice('AEIOU')}{random.choice('BCDFGHLMNPRSTV')}{random.choice('AEIOU')}"
    first17 = f"{first17}{birth}{sex}DF{letters}0"
    return first17 + curp.calc_check_digit(first17)


def one_person(run: str) -> dict[str, str]:
    given, family = random.choice(GIVEN), f"{random.choice(SURNAMES)} {_letters()}"
    phone = _phone()
    return {
        "given_name": given,
        "family_name": family,
        "birth_date": "1988-11-23",
        "national_id": _valid_curp("881123"),
        "phone": phone,
        "email": f"{given.lower()}.{run}@example.com",
        "login_subject": f"sso|{uuid.uuid4()}",
        "handle": f"{given.lower()}.{run}",
    }


def from_person(channel: str, who: dict[str, str], n: int) -> dict[str, Any]:
    """Message `n` of this person over `channel`, carrying what that channel knows about them."""
    person = {k: who[k] for k in ("given_name", "family_name", "birth_date", "national_id", "phone", "email")}
    when = f"2026-04-{1 + n % 28:02d}T{8 + n % 10:02d}:{n % 60:02d}:00-06:00"
    message_id = f"one-{who['handle']}-{n}"
    return {
        "phone": {"call_id": message_id, "caller_number": who["phone"], "started_at": when, "caller": person},
        "messaging": {
            "message_id": message_id,
            "network": "sms",
            "from_number": who["phone"],
            "to_number": "+52 55 5000 1234",
            "sent_at": when,
            "text": f"Mensaje {n}",
            "sender": person,
        },
        "email": {
            "message_id": f"<{message_id}@example.com>",
            "from_address": who["email"],
            "from_name": f"{who['given_name']} {who['family_name']}",
            "to_address": "atencion@tesoreria.example.mx",
            "subject": f"Consulta {n}",
            "received_at": when,
        },
        "chat": {
            "session_id": message_id,
            "started_at": when,
            "ended_at": when.replace(":00-06:00", ":40-06:00"),
            "visitor": {**person, "login_subject": who["login_subject"]},
        },
        "social": {
            "platform": "facebook",
            "message_id": message_id,
            "handle": who["handle"],
            "sent_at": when,
            "is_public": False,
            "text": f"Hola {n}",
            "sender": person,
        },
        "web": {
            "event_id": message_id,
            "login_subject": who["login_subject"],
            "occurred_at": when,
            "action": "status_checked",
            "person": person,
        },
        "mobile": {
            "event_id": message_id,
            "login_subject": who["login_subject"],
            "device_id": "sha256:" + "ab" * 16,
            "platform": "ios",
            "app_version": "3.4.1",
            "occurred_at": when,
            "action": "status_checked",
            "person": person,
        },
        "office": {
            "ticket_id": f"O-{n}",
            "office_id": f"CDMX-{who['handle'][-6:].upper()}",
            "checked_in_at": when,
            "presented_document": {"type": "ine", "national_id": who["national_id"]},
            "person": person,
        },
    }[channel]


def test_fifty_touchpoints_of_one_person_at_once_over_every_channel_make_one_citizen(ventanilla: Running) -> None:
    run = uuid.uuid4().hex[:6]
    who = one_person(run)
    messages = [
        Sent(channel, from_person(channel, who, n), {"email": who["email"]})
        for n, channel in enumerate(CHANNELS[i % len(CHANNELS)] for i in range(50))
    ]
    # When a new person's 50 messages arrive at once over the 8 channels (phone, email, CURP, sign-on, handle)
    started = time.monotonic()
    deliver_all(ventanilla, messages, workers=25)
    settle(ventanilla)
    # Then all 50 are stored, each linked at resolution to the same one citizen (no second record was created
    # by the race and merged afterwards), and that citizen's timeline holds all 50, once each
    accepted = [m for m in messages if m.accepted]
    items = [stored_touchpoint(ventanilla, m.touchpoint_id or "") or {} for m in accepted]
    linked_to = Counter(i.get("citizen_id") for i in items)
    resolutions = Counter(i.get("resolution") for i in items)
    found = {
        kind: [c["citizen_id"] for c in find(ventanilla, {kind: value})]
        for kind, value in (
            ("email", who["email"]),
            ("phone", who["phone"]),
            ("national_id", who["national_id"]),
            ("login_subject", who["login_subject"]),
            ("handle", f"facebook:{who['handle']}"),
        )
    }
    (citizen,) = find(ventanilla, {"email": who["email"]})
    timeline = contacts(citizen)
    print(
        f"races: 50 touchpoints of one person at once over {len(set(m.channel for m in messages))} channels: "
        f"{len(accepted)} accepted, {len(items)} stored, resolutions {dict(resolutions)}, linked to "
        f"{len(linked_to)} citizen record(s), {len(timeline)} on the timeline ({len(set(timeline))} distinct), "
        f"{len(citizen['merged_ids'])} records merged in; every identifier finds "
        f"{len({c for ids in found.values() for c in ids})} citizen ({time.monotonic() - started:.1f} s)"
    )
    assert len(accepted) == 50
    assert sorted(timeline) == sorted(m.touchpoint_id for m in accepted)
    assert all(ids == [citizen["citizen_id"]] for ids in found.values()), found
    assert citizen["merged_ids"] == [] and list(linked_to) == [citizen["citizen_id"]], linked_to


@on_the_wire
def test_email_and_sms_outages_park_the_message_and_a_redrive_sends_it_once(ventanilla: Running) -> None:
    from tests.e2e.test_notifications import advance_to_local_noon, outbox_for

    advance_to_local_noon(ventanilla)  # no quiet hours: the receipts go out at once
    settle(ventanilla)
    run = uuid.uuid4().hex[:6]
    by_email, by_sms = stranger("email", run, 1), stranger("phone", run, 2)
    email, phone = by_email.body["from_address"], f"+52{by_sms.body['caller_number']}"
    before = injected(ventanilla)
    # Given SES and SNS are down: every SendEmail and every SMS Publish fails
    set_fault(ventanilla, "ses", -1, seed=3)
    set_fault(ventanilla, "sns", -1)
    # When two new people start a procedure, one by email, one by phone (their receipts go by email and by SMS)
    deliver_all(ventanilla, [by_email, by_sms])
    settle(ventanilla)
    # Then nothing was sent, and each receipt (its CaseOpened) was parked after its retries
    assert outbox_for(ventanilla, email, phone) == []
    parked_count = parked(ventanilla)
    # When the providers are back and the dead-letter queue is redriven, each receipt goes out once
    set_fault(ventanilla, "ses", 0)
    set_fault(ventanilla, "sns", 0)
    after = injected(ventanilla)
    redriven = redrive(ventanilla)
    again = redrive(ventanilla)
    sent = outbox_for(ventanilla, email, phone)
    ses, sns = since(before, after, "ses"), since(before, after, "sns")
    print(
        f"faults: SES {ses['failed']} of {ses['calls']} SendEmail calls failed {ses['codes']}, SNS {sns['failed']} "
        f"of {sns['calls']} Publish calls failed {sns['codes']}; {parked_count} events parked, {redriven} redriven, "
        f"then {again}; receipts sent {sorted(m['channel'] for m in sent)} (1 email, 1 SMS expected)"
    )
    assert ses["failed"] and sns["failed"] and parked_count >= 2
    assert sorted(m["channel"] for m in sent) == ["email", "sms"]
    assert problems_of(ventanilla, by_email) == problems_of(ventanilla, by_sms) == []


def journey_state(app: Running, reference: str) -> dict[str, Any] | None:
    table = json.loads((app.state_dir / "state.json").read_text())["identity_environment"]["TABLE_NAME"]
    item = (
        _client(app, "dynamodb")
        .get_item(TableName=table, Key={"pk": {"S": f"JRN#{reference}"}, "sk": {"S": "STATE"}})
        .get("Item")
    )
    return dict(item) if item else None


@on_the_wire
def test_case_events_whose_publish_failed_still_reach_the_journey_monitor(ventanilla: Running) -> None:
    run = uuid.uuid4().hex[:6]
    messages = [stranger(c, run, i) for i, c in enumerate(("email", "office", "web"))]
    # Given every PutEvents of the case tracker fails (the case is written, its announcement is not)
    set_fault(ventanilla, "events", -1, functions=["tracker"])
    # When three people start a procedure, and once the bus is back whatever was parked is redriven
    deliver_all(ventanilla, messages)
    failed = settle(ventanilla)
    set_fault(ventanilla, "events", 0)
    parked_count = parked(ventanilla)
    redriven = redrive(ventanilla)
    # Then each case is opened once and its journey is being watched (CaseOpened / CaseTouchpointAttached arrived)
    references = [(stored_touchpoint(ventanilla, m.touchpoint_id or "") or {}).get("case_reference") for m in messages]
    watched = [r for r in references if r and journey_state(ventanilla, r)]
    print(
        f"faults: every tracker PutEvents failed; tracker deliveries failed {failed.get('tracker', 0)} times in all, "
        f"{parked_count} events parked, {redriven} redriven; cases {len([r for r in references if r])} of "
        f"{len(messages)} opened, {len(watched)} watched by the journey monitor"
    )
    assert len(watched) == len(messages)
    # And each journey counted its contact once
    assert [json.loads((journey_state(ventanilla, r) or {})["state"]["S"])["contacts"] for r in watched] == [1] * 3
