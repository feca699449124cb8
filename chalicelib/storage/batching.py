"""DynamoDB batch calls with the part botocore does not retry: unprocessed items and keys."""

from __future__ import annotations

import random
import time
from typing import Any, Callable, Iterable, Iterator, Sequence

WRITE_BATCH = 25  # BatchWriteItem's limit
GET_BATCH = 100  # BatchGetItem's limit
TRANSACT_BATCH = 100  # TransactWriteItems' limit
MAX_ROUNDS = 8


class UnprocessedAfterRetries(RuntimeError):
    pass


def chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _back_off(round_: int) -> None:
    # Full jitter, capped: what AWS recommends for UnprocessedItems.
    time.sleep(random.uniform(0, min(2.0, 0.05 * 2**round_)))


def _until_processed(send: Callable[..., dict], request_items: dict, left_over: str, table: str, what: str) -> int:
    """Send `request_items` (``send(RequestItems=...)``) and again what DynamoDB leaves unprocessed (its
    answer's `left_over`), backing off between tries; returns the calls made."""
    for round_ in range(MAX_ROUNDS):
        request_items = send(RequestItems=request_items).get(left_over) or {}
        if not request_items:
            return round_ + 1
        _back_off(round_)
    raise UnprocessedAfterRetries(f"{table}: {what} still unprocessed after {MAX_ROUNDS} tries")


def batch_write(resource, table: str, requests: Iterable[dict]) -> int:
    """Write Put/Delete requests 25 per call; returns the number of BatchWriteItem calls made."""

    def write(**request: Any) -> dict:
        return resource.batch_write_item(**request)  # called here, where the IAM test's scan finds it

    calls = 0
    for batch in chunks(list(requests), WRITE_BATCH):
        calls += _until_processed(write, {table: list(batch)}, "UnprocessedItems", table, "items")
    return calls


def batch_get(
    resource,
    table: str,
    keys: Sequence[dict],
    projection: str | None = None,
    names: dict | None = None,
    consistent: bool = False,
) -> tuple[list[dict], int]:
    """Fetch items by key, 100 per call; returns (items, calls). `consistent`: strongly
    consistent reads (every write acknowledged before the read is seen)."""
    found: list[dict] = []

    def get(**request) -> dict:
        response = resource.batch_get_item(**request)
        found.extend(response.get("Responses", {}).get(table, []))
        return response

    calls = 0
    for batch in chunks(list(keys), GET_BATCH):
        request: dict = {"Keys": list(batch)}
        if projection:
            request["ProjectionExpression"] = projection
        if names:
            request["ExpressionAttributeNames"] = names
        if consistent:
            request["ConsistentRead"] = True
        calls += _until_processed(get, {table: request}, "UnprocessedKeys", table, "keys")
    return found, calls


def query_all(table, **kwargs) -> list[dict]:
    items: list[dict] = []
    while True:
        response = table.query(**kwargs)
        items.extend(response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return items
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def query_month(table, month: str, sort_key: str = "", first: str = "", last: str = "") -> list[dict]:
    """Every item of `month` ("2026-11") on the table's `by_month` index (partition key `month`); with
    `sort_key`, only those whose sort key is from `first` to `last`, both included."""
    names = {"#m": "month"}
    values = {":m": month}
    condition = "#m = :m"
    if sort_key:
        names["#s"] = sort_key
        values.update({":a": first, ":b": last})
        condition += " AND #s BETWEEN :a AND :b"
    return query_all(
        table,
        IndexName="by_month",
        KeyConditionExpression=condition,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )
