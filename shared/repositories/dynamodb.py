"""Helpers every DynamoDB adapter shares: (de)serialisation, key layout, error mapping, opaque cursors.

Single-table layout (pk / sk):

| item                     | pk                         | sk                                  |
|--------------------------|----------------------------|-------------------------------------|
| touchpoint               | TP#<touchpoint_id>         | TOUCHPOINT                          |
| citizen profile          | CIT#<citizen_id>           | PROFILE                             |
| citizen timeline entry   | CIT#<citizen_id>           | TL#<occurred_at ISO>#<touchpoint_id>|
| identifier claim         | IDN#<kind>#<value>         | CITIZEN                             |
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from shared.exceptions import ConflictError, ThrottledError, ValidationFailedError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

THROTTLING_CODES = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"})


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


def serialise(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in item.items() if v is not None}


def deserialise(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn the DynamoDB errors callers can act on into domain errors."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ConditionalCheckFailedException":
            raise ConflictError("the item changed or already exists") from error
        if code == "TransactionCanceledException":
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if any(r in THROTTLING_CODES for r in reasons):
                raise ThrottledError("DynamoDB throttled a transaction") from error
            raise ConflictError(f"transaction cancelled: {reasons}") from error
        if code in THROTTLING_CODES:
            raise ThrottledError("DynamoDB throttled the request") from error
        raise


def query_all(client: Any, request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item a Query matches, page after page (for reads that must see all of a partition or index key:
    a citizen's export and erasure)."""
    request = dict(request)
    items: list[dict[str, Any]] = []
    while True:
        with translate_errors():
            response = client.query(**request)
        items += [deserialise(i) for i in response.get("Items", [])]
        if not response.get("LastEvaluatedKey"):
            return items
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def encode_cursor(last_evaluated_key: Mapping[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(deserialise(last_evaluated_key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, expected_pk: str) -> dict[str, Any] | None:
    """Opaque cursor back into an ExclusiveStartKey; a cursor for another record is refused."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise ValidationFailedError("cursor is not valid") from error
    if not isinstance(data, dict) or data.get("pk") != expected_pk or not isinstance(data.get("sk"), str):
        raise ValidationFailedError("cursor is not valid for this record")
    return key(data["pk"], data["sk"])


def transact_put(
    table: str, item: dict[str, Any], condition: str | None = None, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One Put of a TransactWriteItems call, optionally conditional."""
    put: dict[str, Any] = {"TableName": table, "Item": serialise(item)}
    if condition:
        put["ConditionExpression"] = condition
    if values:
        put["ExpressionAttributeValues"] = serialise(values)
    return {"Put": put}
