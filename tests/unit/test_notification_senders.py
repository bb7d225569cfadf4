"""The notifier's pure helpers and the WhatsApp Cloud API sender (against the local Cloud API stand-in)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from shared.notifications.rules import within_rate_limit
from shared.notifications.senders import ProviderError, WhatsAppCloudSender
from shared.notifications.service import next_allowed, trigger_id
from shared.notifications.templates import RenderedMessage
from ventanilla_local.outbox import WhatsAppStub

pytestmark = pytest.mark.unit

AT = datetime(2030, 5, 6, 18, 0, tzinfo=UTC)
MESSAGE = RenderedMessage(body="Hola: tu trámite ACT-2026-000001 está en revisión.", language="es")


def test_trigger_id_is_the_same_for_the_same_detail_in_any_key_order_and_differs_otherwise() -> None:
    detail = {"reference": "ACT-2026-000001", "to_status": "in_review", "emitted_at": "2026-03-01T10:00:00Z"}
    again = dict(reversed(list(detail.items())))
    assert trigger_id("CaseStatusChanged", detail) == trigger_id("CaseStatusChanged", again)
    assert trigger_id("CaseStatusChanged", detail) != trigger_id("CaseClosed", detail)
    assert trigger_id("CaseStatusChanged", detail) != trigger_id("CaseStatusChanged", {**detail, "to_status": "x"})


def test_trigger_id_of_a_case_opening_is_its_case_whoever_announces_it() -> None:
    # A case opens once: announced again by the tracker (its first publish failed), with the citizen known by then or
    # under another correlation id, it is the same trigger, so the receipt is sent once
    opened = {"reference": "PRE-2026-000001", "citizen_id": None, "correlation_id": "a", "emitted_at": "2026-03-01"}
    again = {**opened, "citizen_id": "cit-1", "correlation_id": "b"}
    assert trigger_id("CaseOpened", opened) == trigger_id("CaseOpened", again)
    assert trigger_id("CaseOpened", opened) != trigger_id("CaseOpened", {**opened, "reference": "PRE-2026-000002"})


@pytest.mark.parametrize(
    ("sent_minutes_ago", "expected_wait"),
    [
        ((), timedelta()),  # nothing sent: now
        ((10,), timedelta()),  # one of three this hour: now
        ((50, 30, 10), timedelta(minutes=10)),  # three this hour: when the oldest leaves the hour
    ],
)
def test_next_allowed_is_the_first_moment_the_rolling_windows_allow(
    sent_minutes_ago: tuple[int, ...], expected_wait: timedelta
) -> None:
    sent = [AT - timedelta(minutes=m) for m in sent_minutes_ago]
    allowed = next_allowed(sent, AT, per_day=10, per_hour=3)
    assert allowed - AT == expected_wait
    assert within_rate_limit(sent, allowed, per_day=10, per_hour=3)


def test_next_allowed_waits_for_the_day_window_when_the_day_is_full() -> None:
    sent = [AT - timedelta(hours=h) for h in (23, 20, 15, 10, 5)]
    allowed = next_allowed(sent, AT, per_day=5, per_hour=3)
    assert allowed == AT + timedelta(hours=1)  # the send 23 h ago leaves the 24-hour window
    assert not within_rate_limit(sent, allowed - timedelta(seconds=1), per_day=5, per_hour=3)


@pytest.fixture()
def stub() -> Iterator[WhatsAppStub]:
    started = WhatsAppStub().start()
    started.access_token, started.phone_number_id = "token-1", "1098765"
    yield started
    started.stop()


def test_whatsapp_sender_posts_a_text_message_and_returns_the_wamid(stub: WhatsAppStub) -> None:
    sender = WhatsAppCloudSender(stub.url, phone_number_id=lambda: "1098765", access_token=lambda: "token-1")
    accepted = sender.send("+525512345678", MESSAGE, "ntf-1")
    assert accepted.provider == "whatsapp" and accepted.message_id.startswith("wamid.")
    (sent,) = stub.sent()
    assert (sent.to, sent.body, sent.message_id) == ("525512345678", MESSAGE.body, accepted.message_id)


@pytest.mark.parametrize(
    ("number_id", "token", "failures", "error"),
    [
        ("1098765", "wrong", 0, "HTTP 401"),
        ("999", "token-1", 0, "HTTP 400"),
        ("1098765", "token-1", 1, "HTTP 500 131000"),
        ("", "token-1", 0, "not set"),
    ],
)
def test_whatsapp_sender_raises_provider_errors_naming_the_problem(
    stub: WhatsAppStub, number_id: str, token: str, failures: int, error: str
) -> None:
    stub.fail(failures)
    sender = WhatsAppCloudSender(stub.url, phone_number_id=lambda: number_id, access_token=lambda: token)
    with pytest.raises(ProviderError, match=error):
        sender.send("+525512345678", MESSAGE, "ntf-2")
    assert stub.sent() == []


def test_whatsapp_sender_reports_an_unreachable_api_as_a_provider_error() -> None:
    sender = WhatsAppCloudSender("http://127.0.0.1:9/v21.0", phone_number_id=lambda: "1", access_token=lambda: "t")
    with pytest.raises(ProviderError, match="WhatsApp"):
        sender.send("+525512345678", MESSAGE, "ntf-3")
