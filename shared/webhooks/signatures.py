"""How providers sign their webhooks, and checking it in constant time. Pure functions.

- Meta (WhatsApp Cloud API, Messenger, Instagram): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body
  with the app secret>`.
- Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1 with the auth token of the full URL followed by every POST
  parameter name and value, sorted by name>`.
- HTTP basic authentication (an SNS subscription URL may carry `user:password@`): `Authorization: Basic …`.

The `*_signature` functions sign as the provider would, for tests and for `ventanilla keys` users.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence


def meta_signature(body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_meta_signature(body: bytes, header: str | None, app_secret: str) -> bool:
    if not header or not app_secret:
        return False
    return hmac.compare_digest(meta_signature(body, app_secret), header.strip())


def _twilio_payload(url: str, params: Mapping[str, str | Sequence[str]]) -> bytes:
    parts = [url]
    for name in sorted(params):
        values = params[name]
        for value in [values] if isinstance(values, str) else sorted(values):
            parts.append(name + value)
    return "".join(parts).encode()


def twilio_signature(url: str, params: Mapping[str, str | Sequence[str]], auth_token: str) -> str:
    digest = hmac.new(auth_token.encode(), _twilio_payload(url, params), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify_twilio_signature(
    url: str, params: Mapping[str, str | Sequence[str]], header: str | None, auth_token: str
) -> bool:
    if not header or not auth_token:
        return False
    return hmac.compare_digest(twilio_signature(url, params, auth_token), header.strip())


def basic_authorization(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def verify_basic_authorization(header: str | None, user: str, password: str) -> bool:
    if not header or not user or not password:
        return False
    return hmac.compare_digest(basic_authorization(user, password), header.strip())
