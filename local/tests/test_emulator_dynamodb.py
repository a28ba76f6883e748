"""DynamoDB through the emulator: what moto lacks and the product relies on."""

from __future__ import annotations

import uuid
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def table(client: Callable[..., Any]) -> str:
    name = f"idempotency-{uuid.uuid4().hex[:8]}"
    client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def put_once(table: str, pk: str, value: str) -> list[dict[str, Any]]:
    return [
        {
            "Put": {
                "TableName": table,
                "Item": {"pk": {"S": pk}, "value": {"S": value}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
    ]


def test_a_transaction_sent_again_with_its_token_succeeds_without_applying_again(
    client: Callable[..., Any], table: str
) -> None:
    dynamodb = client("dynamodb")
    token = uuid.uuid4().hex
    dynamodb.transact_write_items(TransactItems=put_once(table, "a", "first"), ClientRequestToken=token)

    # What an SDK's retry after a lost answer sends: the same request and token. Without the token's memory its
    # own condition would now fail.
    dynamodb.transact_write_items(TransactItems=put_once(table, "a", "first"), ClientRequestToken=token)

    assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]["value"] == {"S": "first"}


def test_another_request_with_a_used_token_is_a_mismatch(client: Callable[..., Any], table: str) -> None:
    dynamodb = client("dynamodb")
    token = uuid.uuid4().hex
    dynamodb.transact_write_items(TransactItems=put_once(table, "b", "first"), ClientRequestToken=token)

    with pytest.raises(ClientError) as excinfo:
        dynamodb.transact_write_items(TransactItems=put_once(table, "b", "other"), ClientRequestToken=token)

    assert excinfo.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "b"}})["Item"]["value"] == {"S": "first"}


def test_a_new_token_is_a_new_transaction(client: Callable[..., Any], table: str) -> None:
    dynamodb = client("dynamodb")
    dynamodb.transact_write_items(TransactItems=put_once(table, "c", "first"), ClientRequestToken=uuid.uuid4().hex)

    with pytest.raises(ClientError) as excinfo:
        dynamodb.transact_write_items(TransactItems=put_once(table, "c", "first"), ClientRequestToken=uuid.uuid4().hex)

    assert excinfo.value.response["Error"]["Code"] == "TransactionCanceledException"


def test_a_cancelled_transaction_is_not_remembered(client: Callable[..., Any], table: str) -> None:
    dynamodb = client("dynamodb")
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "d"}, "value": {"S": "there"}})
    token = uuid.uuid4().hex
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=put_once(table, "d", "first"), ClientRequestToken=token)
    dynamodb.delete_item(TableName=table, Key={"pk": {"S": "d"}})

    dynamodb.transact_write_items(TransactItems=put_once(table, "d", "first"), ClientRequestToken=token)

    assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "d"}})["Item"]["value"] == {"S": "first"}
