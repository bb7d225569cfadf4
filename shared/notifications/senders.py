"""The providers that carry a message to a citizen: SES (email), SNS (SMS), the WhatsApp Cloud API.

Each sender returns the provider's message id, or raises `ProviderError`: the notifier records the failure and
lets the event's retries (then the dead-letter queue) take it from there. No sender logs the address or the text,
and errors carry the provider's error code only (their messages may quote the address).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from shared.notifications.rules import NotificationChannel
from shared.notifications.templates import RenderedMessage

WHATSAPP_TIMEOUT_SECONDS = 10


class ProviderError(Exception):
    """The provider did not take the message (an error answer, a timeout, a refused address)."""


@dataclass(frozen=True)
class Accepted:
    provider: str
    message_id: str


class Sender(Protocol):
    channel: NotificationChannel

    def send(self, to: str, message: RenderedMessage, notification_id: str) -> Accepted: ...


class SesEmailSender:
    """Email through Amazon SES (the `From` identity must be verified in SES)."""

    channel = NotificationChannel.EMAIL

    def __init__(self, client: Any, source: str, configuration_set: str | None = None) -> None:
        self._client = client
        self._source = source
        self._configuration_set = configuration_set

    def send(self, to: str, message: RenderedMessage, notification_id: str) -> Accepted:
        request: dict[str, Any] = {
            "Source": self._source,
            "Destination": {"ToAddresses": [to]},
            "Message": {
                "Subject": {"Data": message.subject or "", "Charset": "UTF-8"},
                "Body": {"Text": {"Data": message.body, "Charset": "UTF-8"}},
            },
            "Tags": [{"Name": "notification", "Value": notification_id}],
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            response = self._client.send_email(**request)
        except (ClientError, BotoCoreError) as error:
            raise ProviderError(f"SES: {_aws_error(error)}") from error
        return Accepted(provider="ses", message_id=response["MessageId"])


class SnsSmsSender:
    """SMS through Amazon SNS (transactional SMS, as End User Messaging delivers it)."""

    channel = NotificationChannel.SMS

    def __init__(self, client: Any, sender_id: str | None = None) -> None:
        self._client = client
        self._sender_id = sender_id

    def send(self, to: str, message: RenderedMessage, notification_id: str) -> Accepted:
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if self._sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self._sender_id}
        try:
            response = self._client.publish(PhoneNumber=to, Message=message.body, MessageAttributes=attributes)
        except (ClientError, BotoCoreError) as error:
            raise ProviderError(f"SNS SMS: {_aws_error(error)}") from error
        return Accepted(provider="sns", message_id=response["MessageId"])


class WhatsAppCloudSender:
    """A text message through the WhatsApp Cloud API (`POST /{phone-number-id}/messages`).

    Business-initiated messages are only allowed to citizens who wrote to the agency's number first (their
    opt-in); the notifier only picks WhatsApp for them.
    """

    channel = NotificationChannel.WHATSAPP

    def __init__(self, api_url: str, phone_number_id: Callable[[], str], access_token: Callable[[], str]) -> None:
        self._api_url = api_url.rstrip("/")
        self._phone_number_id = phone_number_id
        self._access_token = access_token

    def send(self, to: str, message: RenderedMessage, notification_id: str) -> Accepted:
        number_id, token = self._phone_number_id(), self._access_token()
        if not number_id or not token:
            raise ProviderError("WhatsApp: whatsapp_phone_number_id / whatsapp_access_token are not set")
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to.lstrip("+"),
            "type": "text",
            "text": {"preview_url": False, "body": message.body},
            "biz_opaque_callback_data": notification_id,
        }
        request = urllib.request.Request(  # noqa: S310 - the URL is the configured https Graph API (or local stub)
            f"{self._api_url}/{number_id}/messages",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=WHATSAPP_TIMEOUT_SECONDS) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise ProviderError(f"WhatsApp: HTTP {error.code} {_graph_error(error)}") from error
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            raise ProviderError(f"WhatsApp: {type(error).__name__}") from error
        messages = answer.get("messages") if isinstance(answer, dict) else None
        if not messages or not isinstance(messages[0], dict) or not messages[0].get("id"):
            raise ProviderError("WhatsApp: the answer carries no message id")
        return Accepted(provider="whatsapp", message_id=str(messages[0]["id"]))


def _aws_error(error: Exception) -> str:
    """The error's code only: AWS messages may quote the address (SES: 'identities failed the check: ...')."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"{details.get('Code', 'Error')} (HTTP {status})"
    return type(error).__name__


def _graph_error(error: urllib.error.HTTPError) -> str:
    """Meta's error code only (documented per code; the message may quote the recipient)."""
    try:
        details = json.loads(error.read() or b"{}").get("error", {})
    except ValueError:
        return ""
    return str(details.get("code", "")) if isinstance(details, dict) else ""
