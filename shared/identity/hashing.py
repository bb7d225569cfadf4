"""Keyed hashes for index keys, so the table's keys never hold a raw phone, email, national id or name.

HMAC-SHA256 with a secret key from AWS Secrets Manager (read through Powertools parameters, cached).
Equal inputs give equal digests, so exact look-ups still work; without the key the digests reveal nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from shared.models.citizen import Identifier

SECRET_MAX_AGE_SECONDS = 300


class IdentifierHasher:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the identifier key must be at least 32 bytes")
        self._key = key

    def _digest(self, text: str) -> str:
        mac = hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).digest()
        return base64.b32encode(mac[:20]).decode().rstrip("=").lower()

    def identifier(self, identifier: Identifier) -> str:
        return self._digest(f"id|{identifier.kind.value}|{identifier.value}")

    def block(self, block_key: str) -> str:
        return self._digest(f"blk|{block_key}")


def load_hasher(secret_id: str) -> IdentifierHasher:
    from aws_lambda_powertools.utilities import parameters

    secret = parameters.get_secret(secret_id, max_age=SECRET_MAX_AGE_SECONDS)
    value = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    return IdentifierHasher(value)
