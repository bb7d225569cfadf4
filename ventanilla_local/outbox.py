"""Messages the local stack sent to citizens, captured instead of delivered (`ventanilla outbox`).

- Email and SMS go to the emulator's SES and SNS, which keep what was sent: read from moto's backends in this
  process, or from LocalStack's `/_aws/ses` and `/_aws/sns/sms-messages` when AWS_ENDPOINT_URL points there.
- WhatsApp goes to a local stand-in for the WhatsApp Cloud API (the functions' WHATSAPP_API_URL points here). It
  checks the bearer token and phone-number id as Meta would, keeps each message, and can be told to fail
  (`ventanilla fault whatsapp on`), so retries and the dead-letter queue can be shown end to end.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from ventanilla_local.emulator import ACCOUNT, REGION

log = logging.getLogger("ventanilla.outbox")
GRAPH_PATH = re.compile(r"^/whatsapp/v[\d.]+/(?P<number_id>[^/]+)/messages$")
ALWAYS = -1


@dataclass(frozen=True)
class SentMessage:
    provider: str  # ses | sns | whatsapp
    channel: str  # email | sms | whatsapp
    to: str
    body: str
    message_id: str
    subject: str | None = None
    at: str | None = None


class WhatsAppStub:
    """The WhatsApp Cloud API's `POST /{version}/{phone-number-id}/messages`, on 127.0.0.1."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.access_token = ""
        self.phone_number_id = ""
        self._sent: list[SentMessage] = []
        self._failures = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="whatsapp-stub", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/whatsapp/v21.0"

    def start(self) -> WhatsAppStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def fail(self, failures: int) -> None:
        """The next `failures` sends answer HTTP 500 (ALWAYS: every send until told 0)."""
        with self._lock:
            self._failures = failures

    @property
    def failing(self) -> int:
        return self._failures

    def sent(self) -> list[SentMessage]:
        with self._lock:
            return list(self._sent)

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        match = GRAPH_PATH.match(path)
        if match is None:
            return 404, _graph_error(803, "Unknown path")
        if headers.get("authorization") != f"Bearer {self.access_token}" or not self.access_token:
            return 401, _graph_error(190, "Invalid OAuth access token")
        if match.group("number_id") != self.phone_number_id:
            return 400, _graph_error(100, "Unsupported post request: unknown phone number id")
        try:
            request = json.loads(body or b"{}")
            to, text = str(request["to"]), str(request["text"]["body"])
        except (ValueError, KeyError, TypeError):
            return 400, _graph_error(100, "Invalid parameter: messaging_product, to, type=text and text.body")
        if request.get("messaging_product") != "whatsapp" or request.get("type") != "text":
            return 400, _graph_error(100, "Invalid parameter: messaging_product must be whatsapp, type text")
        with self._lock:
            if self._failures:
                if self._failures > 0:
                    self._failures -= 1
                return 500, _graph_error(131000, "Something went wrong (injected by `ventanilla fault`)")
            message_id = f"wamid.LOCAL{secrets.token_hex(12).upper()}"
            self._sent.append(
                SentMessage(
                    provider="whatsapp",
                    channel="whatsapp",
                    to=to,
                    body=text,
                    message_id=message_id,
                    at=datetime.now(UTC).isoformat(),
                )
            )
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": message_id}],
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, answer = stub.answer(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def _graph_error(code: int, message: str) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "OAuthException" if code == 190 else "GraphMethodException", "code": code}
    }


def emulator_messages(endpoint: str, external: bool) -> list[SentMessage]:
    """Email and SMS the emulator's SES and SNS accepted."""
    if external:
        return _localstack_messages(endpoint)
    from moto.backends import get_backend

    found = []
    ses = get_backend("ses")[ACCOUNT][REGION]
    for message in ses.sent_messages:
        if not hasattr(message, "destinations"):
            continue
        for to in message.destinations.get("ToAddresses", []):
            found.append(
                SentMessage("ses", "email", to, str(message.body), str(message.id), subject=str(message.subject))
            )
    sns = get_backend("sns")[ACCOUNT][REGION]
    for message_id, (phone, text) in sns.sms_messages.items():
        found.append(SentMessage("sns", "sms", phone, text, message_id))
    return found


def _localstack_messages(endpoint: str) -> list[SentMessage]:
    found = []
    try:
        for message in requests.get(f"{endpoint}/_aws/ses", timeout=10).json().get("messages", []):
            body = message.get("Body") or {}
            for to in (message.get("Destination") or {}).get("ToAddresses", []):
                found.append(
                    SentMessage(
                        "ses",
                        "email",
                        to,
                        str(body.get("text_part") or ""),
                        str(message.get("Id")),
                        subject=message.get("Subject"),
                        at=message.get("Timestamp"),
                    )
                )
        answer = requests.get(f"{endpoint}/_aws/sns/sms-messages", timeout=10).json()
        for by_region in (answer.get("sms_messages") or {}).values():
            for phone, messages in (by_region or {}).items():
                for message in messages:
                    found.append(
                        SentMessage("sns", "sms", phone, str(message.get("Message")), str(message.get("MessageId")))
                    )
    except (requests.RequestException, ValueError, AttributeError) as error:
        log.warning("cannot read the external emulator's outbox: %s", error)
    return found


def as_json(messages: list[SentMessage]) -> list[dict[str, Any]]:
    return [asdict(m) for m in messages]
