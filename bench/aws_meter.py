"""Meter every AWS request a block of code makes (moto in-process): counts per service and operation, and
DynamoDB on-demand capacity units computed from the items each request read or wrote.

    with Meter() as m:
        ...            # code under measurement (moto's mock_aws active)
    m.requests         # Counter {("dynamodb", "Query"): 12, ("ce", "GetCostAndUsage"): 1, ...}
    m.rru, m.wru       # read and write request units, as DynamoDB on-demand bills them

Units follow DynamoDB's pricing rules: a read is 1 RRU per 4 KB of item (rounded up per item for
GetItem/BatchGetItem, per page of items for Query), halved when eventually consistent; a write is
1 WRU per 1 KB of item (rounded up per item), doubled inside TransactWriteItems. Item sizes come from
moto's DynamoDB item size (attribute names + values), on the items as read or as stored after the write.
Approximations: a deleted item counts 1 WRU (ours are small markers and locks), and a Query charges for
the items it returned (our queries use no filter expressions).
"""

from __future__ import annotations

import math
from collections import Counter
from decimal import Decimal

ACCOUNT, REGION = "123456789012", "us-east-1"
_TYPES = {"S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"}


def _typed(value):
    """A DynamoDB attribute value in the wire format, whatever boto3 layer handed it to us."""
    from boto3.dynamodb.types import TypeSerializer

    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _TYPES:
        return value
    if isinstance(value, float):
        value = Decimal(str(value))
    return TypeSerializer().serialize(value)


def item_size(item: dict) -> int:
    from moto.dynamodb.models.dynamo_type import DynamoType, bytesize

    return sum(bytesize(name) + DynamoType(_typed(value)).size() for name, value in (item or {}).items())


def _stored_size(table: str, key: dict) -> int:
    from moto.dynamodb.models import dynamodb_backends

    item = dynamodb_backends[ACCOUNT][REGION].get_item(table, {k: _typed(v) for k, v in key.items()})
    return item.size() if item is not None else 0


def _rru(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / 4096)) * (1 if consistent else 0.5)


def _wru(size: int) -> int:
    return max(1, math.ceil(size / 1024))


class Meter:
    def __init__(self):
        self.requests: Counter = Counter()
        self.rru = 0.0
        self.wru = 0.0
        self._original = None

    def __enter__(self) -> "Meter":
        from botocore.client import BaseClient

        self._original = original = BaseClient._make_api_call
        meter = self

        def call(client, operation, params):
            service = client.meta.service_model.service_name
            response = original(client, operation, params)
            meter.requests[(service, operation)] += 1
            if service == "dynamodb":
                meter._units(operation, params, response)
            return response

        BaseClient._make_api_call = call
        return self

    def __exit__(self, *exc) -> None:
        from botocore.client import BaseClient

        BaseClient._make_api_call = self._original

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def of(self, service: str) -> int:
        return sum(n for (s, _), n in self.requests.items() if s == service)

    def _units(self, op: str, p: dict, r: dict) -> None:
        consistent = bool(p.get("ConsistentRead"))
        if op == "GetItem":
            self.rru += _rru(item_size(r.get("Item")), consistent)
        elif op == "BatchGetItem":
            for table, items in r.get("Responses", {}).items():
                strong = bool(p["RequestItems"].get(table, {}).get("ConsistentRead"))
                self.rru += sum(_rru(item_size(i), strong) for i in items)
        elif op == "Query":
            self.rru += _rru(sum(item_size(i) for i in r.get("Items", [])), consistent)
        elif op == "PutItem":
            self.wru += _wru(item_size(p["Item"]))
        elif op == "UpdateItem":
            self.wru += _wru(_stored_size(p["TableName"], p["Key"]))
        elif op == "DeleteItem":
            self.wru += 1
        elif op == "BatchWriteItem":
            for requests in p["RequestItems"].values():
                self.wru += sum(_wru(item_size(q["PutRequest"]["Item"])) if "PutRequest" in q else 1 for q in requests)
        elif op == "TransactWriteItems":
            for action in p["TransactItems"]:
                ((kind, spec),) = action.items()
                if kind == "Put":
                    self.wru += 2 * _wru(item_size(spec["Item"]))
                elif kind == "Update":
                    self.wru += 2 * _wru(_stored_size(spec["TableName"], spec["Key"]))
                elif kind == "Delete":
                    self.wru += 2
                else:  # ConditionCheck: a transactional read
                    self.rru += 2 * _rru(_stored_size(spec["TableName"], spec["Key"]), True)
        elif op in ("CreateTable", "UpdateTimeToLive", "DescribeTable", "ListTables"):
            pass
        else:
            raise AssertionError(f"the meter has no rule for DynamoDB {op}")
