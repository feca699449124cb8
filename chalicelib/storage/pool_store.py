"""Closed months' reallocation pool credits, one config-table item per month.

`engine.close_month` returns the whole month -> credits mapping; `save` stores it (closing a
month again replaces that month's item), `load` gives what `engine.compute` takes as
`pool_credits` (None when no month is closed yet).
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

from chalicelib.domain.pool import PoolCredit
from chalicelib.storage.batching import batch_write, query_all
from chalicelib.storage.records import from_item, to_item

PK = "POOL"


class PoolStore:
    def __init__(self, resource, table: str):
        self._resource = resource
        self._table_name = table

    def load(self) -> Optional[dict]:
        rows = query_all(self._resource.Table(self._table_name), KeyConditionExpression="pk = :pk",
                         ExpressionAttributeValues={":pk": PK})
        if not rows:
            return None
        return {r["sk"]: tuple(from_item(PoolCredit, c) for c in r.get("credits") or []) for r in rows}

    def save(self, pool_credits: Mapping[str, Sequence[PoolCredit]]) -> int:
        requests = [{"PutRequest": {"Item": {"pk": PK, "sk": month, "credits": [to_item(c) for c in credits]}}}
                    for month, credits in sorted(pool_credits.items())]
        return batch_write(self._resource, self._table_name, requests)
