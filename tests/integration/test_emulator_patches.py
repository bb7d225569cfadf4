"""The emulator patches change cost, not behaviour: keyed Query and item-level transaction rollback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from ventanilla_local import moto_patches

pytestmark = pytest.mark.integration


@pytest.fixture
def table() -> Iterator[Any]:
    moto_patches.install()
    os.environ.setdefault("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for p in ("a", "b", "c"):
            for s in range(5):
                client.put_item(TableName="t", Item={"pk": {"S": p}, "sk": {"S": f"{s:02d}"}, "v": {"N": str(s)}})
        yield client


def test_keyed_query_returns_the_partition_in_order_with_paging(table: Any) -> None:
    first = table.query(
        TableName="t",
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": {"S": "b"}, ":s": {"S": "0"}},
        ScanIndexForward=False,
        Limit=3,
    )
    assert [i["sk"]["S"] for i in first["Items"]] == ["04", "03", "02"]
    rest = table.query(
        TableName="t",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "b"}},
        ScanIndexForward=False,
        ExclusiveStartKey=first["LastEvaluatedKey"],
    )
    assert [i["sk"]["S"] for i in rest["Items"]] == ["01", "00"]
    assert (
        table.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "z"}})[
            "Items"
        ]
        == []
    )


def test_cancelled_transaction_leaves_every_item_as_it_was(table: Any) -> None:
    with pytest.raises(ClientError) as raised:
        table.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"S": "00"}, "v": {"N": "99"}}}},
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "new"}, "sk": {"S": "00"}}}},
                {
                    "Put": {
                        "TableName": "t",
                        "Item": {"pk": {"S": "b"}, "sk": {"S": "00"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert table.get_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"S": "00"}})["Item"]["v"] == {"N": "0"}
    assert "Item" not in table.get_item(TableName="t", Key={"pk": {"S": "new"}, "sk": {"S": "00"}})
