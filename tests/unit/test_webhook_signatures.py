"""Provider signatures: what a genuine provider request carries passes, anything altered does not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.webhooks.signatures import (
    basic_authorization,
    meta_signature,
    twilio_signature,
    verify_basic_authorization,
    verify_meta_signature,
    verify_twilio_signature,
)

pytestmark = pytest.mark.unit

URL = "https://api.agencia.gob.mx/api/v1/channels/messaging/twilio"
PARAMS = {"MessageSid": "SM0123456789abcdef0123456789abcdef", "From": "+5215512345678", "Body": "Hola"}


def test_meta_signature_is_the_hmac_of_the_raw_body() -> None:
    body = b'{"object":"whatsapp_business_account"}'
    header = meta_signature(body, "app-secret")
    assert header.startswith("sha256=") and len(header) == len("sha256=") + 64
    assert verify_meta_signature(body, header, "app-secret")
    assert not verify_meta_signature(body + b" ", header, "app-secret")
    assert not verify_meta_signature(body, header, "another-secret")
    assert not verify_meta_signature(body, None, "app-secret")
    assert not verify_meta_signature(body, header, "")  # an unconfigured secret never verifies


def test_twilio_signature_covers_the_url_and_every_parameter() -> None:
    header = twilio_signature(URL, PARAMS, "auth-token")
    assert verify_twilio_signature(URL, dict(reversed(PARAMS.items())), header, "auth-token")  # order-free
    assert not verify_twilio_signature(URL, {**PARAMS, "Body": "Adiós"}, header, "auth-token")
    assert not verify_twilio_signature(URL.replace("https", "http"), PARAMS, header, "auth-token")
    assert not verify_twilio_signature(URL, PARAMS, header, "other-token")
    assert not verify_twilio_signature(URL, PARAMS, None, "auth-token")


def test_basic_authorization_for_sns_subscriptions() -> None:
    header = basic_authorization("ses", "s3cr3t")
    assert verify_basic_authorization(header, "ses", "s3cr3t")
    assert not verify_basic_authorization(header, "ses", "other")
    assert not verify_basic_authorization(None, "ses", "s3cr3t")
    assert not verify_basic_authorization(header, "", "")


@given(st.binary(max_size=200), st.text(min_size=1, max_size=40))
def test_meta_signature_verifies_exactly_its_own_body(body: bytes, secret: str) -> None:
    assert verify_meta_signature(body, meta_signature(body, secret), secret)
    assert not verify_meta_signature(body + b"x", meta_signature(body, secret), secret)


def test_infra_knows_the_same_provider_secret_names_as_the_functions() -> None:
    from infra.config import CHANNEL_SECRET_NAMES
    from shared.webhooks.secrets import SECRET_NAMES

    assert CHANNEL_SECRET_NAMES == SECRET_NAMES
