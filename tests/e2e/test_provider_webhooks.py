"""Each provider's native webhook, signed as the provider signs it, through `ventanilla up`.

A correctly signed payload becomes a touchpoint on the right citizen; a tampered one is refused and stores
nothing; a replay is stored once. Secrets come from `ventanilla keys`, as a provider SDK would be configured.
"""

from __future__ import annotations

import base64
import json
import random
import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
import requests

from shared.webhooks.signatures import basic_authorization, meta_signature, twilio_signature
from tests.conftest import load_event
from tests.e2e.conftest import Running
from tests.e2e.test_identity_api import operator
from ventanilla_local.emulator import REGION

pytestmark = pytest.mark.e2e


def phone_number() -> str:
    return f"55{random.randint(10_000_000, 99_999_999)}"


def citizen_touchpoints(app: Running, query: dict[str, str]) -> set[str]:
    """The citizen's own contacts on their timeline (not journey signals, not messages sent to them)."""
    found = operator(app, "GET", "/v1/citizens", params=query).json().get("citizens", [])
    return {
        entry["touchpoint_id"]
        for citizen in found
        for entry in citizen["timeline"]
        if not {"signal", "notification"} & set(entry.get("details") or {})
    }


def eventually(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def post_signed_meta(
    app: Running, path: str, payload: dict[str, Any], secret_name: str, tamper: bool = False
) -> requests.Response:
    body = json.dumps(payload).encode()
    signature = meta_signature(body, app.keys[secret_name])
    sent = body.replace(b"Hola", b"Hol4") if tamper else body
    return requests.post(
        f"{app.url}{path}",
        data=sent,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        timeout=30,
    )


def test_whatsapp_cloud_api(ventanilla: Running) -> None:
    # The subscription handshake, with the verify token from `ventanilla keys`
    challenge = requests.get(
        f"{ventanilla.url}/v1/channels/messaging/whatsapp",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": ventanilla.keys["whatsapp_verify_token"],
            "hub.challenge": "42",
        },
        timeout=30,
    )
    assert (challenge.status_code, challenge.text) == (200, "42")
    # A webhook from a new number, with a text message
    number = f"521{phone_number()}"
    payload = load_event("whatsapp_message")
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"] = [{"profile": {"name": "Itzel"}, "wa_id": number}]
    text = next(m for m in value["messages"] if m["type"] == "text")
    value["messages"] = [{**text, "id": f"wamid.{uuid.uuid4().hex}", "from": number, "text": {"body": "Hola"}}]
    tampered = post_signed_meta(ventanilla, "/v1/channels/messaging/whatsapp", payload, "whatsapp_app_secret", True)
    assert tampered.status_code == 403
    unsigned = requests.post(f"{ventanilla.url}/v1/channels/messaging/whatsapp", json=payload, timeout=30)
    assert unsigned.status_code == 401
    first = post_signed_meta(ventanilla, "/v1/channels/messaging/whatsapp", payload, "whatsapp_app_secret")
    assert first.status_code == 200 and len(first.json()["accepted"]) == 1
    (touchpoint_id,) = first.json()["accepted"]
    again = post_signed_meta(ventanilla, "/v1/channels/messaging/whatsapp", payload, "whatsapp_app_secret")
    assert again.json()["accepted"] == [] and again.json()["replayed"] == [touchpoint_id]
    # Then the message is on the timeline of the citizen holding that number (a WhatsApp number is personal)
    assert eventually(lambda: touchpoint_id in citizen_touchpoints(ventanilla, {"phone": number}), "the citizen")


def test_twilio_sms(ventanilla: Running) -> None:
    url = f"{ventanilla.url}/v1/channels/messaging/twilio"
    number = f"+52{phone_number()}"
    params = {**load_event("twilio_sms"), "From": number, "MessageSid": f"SM{uuid.uuid4().hex}", "NumMedia": "0"}
    params = {k: v for k, v in params.items() if not k.startswith("Media")}
    signature = twilio_signature(url, params, ventanilla.keys["twilio_auth_token"])
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    tampered = requests.post(
        url, data=urlencode({**params, "Body": "otro"}), headers={**form, "X-Twilio-Signature": signature}, timeout=30
    )
    assert tampered.status_code == 403
    sent = [
        requests.post(url, data=urlencode(params), headers={**form, "X-Twilio-Signature": signature}, timeout=30)
        for _ in range(2)
    ]
    assert [r.status_code for r in sent] == [200, 200] and "<Response" in sent[0].text
    found = eventually(lambda: citizen_touchpoints(ventanilla, {"phone": number}), "the SMS on a citizen")
    assert len(found) == 1  # the retried delivery was stored once


def test_ses_inbound_mail_through_sns(ventanilla: Running) -> None:
    address = f"lucia.{uuid.uuid4().hex[:6]}@example.mx"
    mail = EmailMessage()
    mail["From"] = f"Lucía Zamora Pérez <{address}>"
    mail["To"] = "atencion@agencia.gob.mx"
    mail["Subject"] = "Consulta sobre mi predial"
    mail["Message-ID"] = f"<{uuid.uuid4().hex}@mail.example.mx>"
    mail.set_content("Buenas tardes, ¿cuánto debo del predial 2026?")
    notification = load_event("ses_sns_notification")
    receipt = json.loads(notification["Message"])
    receipt["content"] = base64.b64encode(mail.as_bytes()).decode()
    receipt["receipt"]["action"]["encoding"] = "BASE64"
    receipt["mail"]["commonHeaders"]["messageId"] = mail["Message-ID"]
    notification = {**notification, "MessageId": str(uuid.uuid4()), "Message": json.dumps(receipt)}
    url = f"{ventanilla.url}/v1/channels/email/ses"
    headers = {"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "Notification"}
    wrong = requests.post(
        url,
        data=json.dumps(notification),
        headers={**headers, "Authorization": basic_authorization("x", "y")},
        timeout=30,
    )
    assert wrong.status_code == 401 and "Basic" in wrong.headers.get("WWW-Authenticate", "")
    auth = basic_authorization(ventanilla.keys["ses_basic_user"], ventanilla.keys["ses_basic_password"])
    sent = [
        requests.post(url, data=json.dumps(notification), headers={**headers, "Authorization": auth}, timeout=30)
        for _ in range(2)
    ]
    assert [r.status_code for r in sent] == [200, 200]
    assert len(sent[0].json()["accepted"]) == 1 and sent[1].json()["replayed"] == sent[0].json()["accepted"]
    found = eventually(lambda: citizen_touchpoints(ventanilla, {"email": address}), "the mail on a citizen")
    assert found == set(sent[0].json()["accepted"])


def test_messenger_webhook(ventanilla: Running) -> None:
    payload = load_event("meta_messenger")
    sender = str(random.randint(10**15, 10**16 - 1))
    event = next(e for e in payload["entry"][0]["messaging"] if "message" in e and not e["message"].get("is_echo"))
    payload["entry"][0]["messaging"] = [
        {**event, "sender": {"id": sender}, "message": {"mid": f"m_{uuid.uuid4().hex}", "text": "Hola, ¿mi apoyo?"}}
    ]
    assert post_signed_meta(ventanilla, "/v1/channels/social/meta", payload, "meta_app_secret", True).status_code == 403
    first = post_signed_meta(ventanilla, "/v1/channels/social/meta", payload, "meta_app_secret")
    assert first.status_code == 200 and len(first.json()["accepted"]) == 1
    assert post_signed_meta(ventanilla, "/v1/channels/social/meta", payload, "meta_app_secret").json()["replayed"]
    handle = {"handle": f"facebook:{sender}"}
    assert eventually(lambda: citizen_touchpoints(ventanilla, handle) == set(first.json()["accepted"]), "citizen")


def test_amazon_connect_contact_records_by_http_and_by_kinesis(ventanilla: Running) -> None:
    number = f"+52{phone_number()}"
    # Given the caller's number is known as their mobile (they wrote on WhatsApp before)
    whatsapp = {**load_event("messaging_touchpoint"), "message_id": uuid.uuid4().hex, "from_number": number}
    whatsapp.pop("case", None)
    headers = {"x-api-key": ventanilla.keys["messaging"]}
    assert requests.post(
        f"{ventanilla.url}/v1/channels/messaging/touchpoints", json=whatsapp, headers=headers, timeout=30
    ).ok
    # (resolved before the calls arrive: announced from the table's stream, a message and a call that arrive together
    # go out in one batch and are resolved side by side, and a nameless call needs the number known as a mobile)
    assert requests.get(f"{ventanilla.url}/__ventanilla/idle", timeout=120).json()["idle"]
    record = {**load_event("connect_ctr"), "ContactId": str(uuid.uuid4())}
    record["CustomerEndpoint"] = {"Address": number, "Type": "TELEPHONE_NUMBER"}
    url = f"{ventanilla.url}/v1/channels/phone/connect"
    assert requests.post(url, json=record, timeout=30).status_code == 403  # the phone channel's key is required
    sent = requests.post(url, json=record, headers={"x-api-key": ventanilla.keys["phone"]}, timeout=30)
    assert sent.status_code == 200 and len(sent.json()["accepted"]) == 1
    # The same contact record streamed by Connect's Kinesis export is the same touchpoint; a new one is stored
    state = json.loads((ventanilla.state_dir / "state.json").read_text())
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=state["emulator_endpoint"],
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    (stream,) = kinesis.list_streams()["StreamNames"]
    later = {**record, "ContactId": str(uuid.uuid4())}
    for streamed in (record, later, {"not": "a contact record"}):
        kinesis.put_record(StreamName=stream, Data=json.dumps(streamed).encode(), PartitionKey=number)
    # Then both calls are on the caller's timeline beside the WhatsApp message, the replayed one once
    found = eventually(
        lambda: (t := citizen_touchpoints(ventanilla, {"phone": number})) and len(t) == 3 and t, "the streamed call"
    )
    assert set(sent.json()["accepted"]) < found
