"""Per billing source: when it last pulled successfully, and the last failure if any."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from chalicelib.storage.batching import query_all
from chalicelib.storage.records import from_item

PK = "SOURCE"


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    last_success_at: Optional[str] = None
    last_attempt_at: Optional[str] = None
    last_error: str = ""
    last_window: str = ""  # e.g. 2026-11-20..2026-11-22
    facts_last_pull: int = 0


class FreshnessStore:
    def __init__(self, resource, table: str):
        self._table = resource.Table(table)

    def succeeded(self, source: str, at: str, window: str, facts: int) -> None:
        self._table.update_item(
            Key={"pk": PK, "sk": source},
            UpdateExpression="SET #s = :src, last_success_at = :at, last_attempt_at = :at, last_error = :e, "
                             "last_window = :w, facts_last_pull = :n",
            ExpressionAttributeNames={"#s": "source"},
            ExpressionAttributeValues={":src": source, ":at": at, ":e": "", ":w": window, ":n": facts},
        )

    def failed(self, source: str, at: str, error: str) -> None:
        # The last success stays as it was: the sheet shows how stale this source now is.
        self._table.update_item(
            Key={"pk": PK, "sk": source},
            UpdateExpression="SET #s = :src, last_attempt_at = :at, last_error = :e",
            ExpressionAttributeNames={"#s": "source"},
            ExpressionAttributeValues={":src": source, ":at": at, ":e": error[:500]},
        )

    def all(self) -> list[SourceFreshness]:
        rows = query_all(self._table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": PK})
        return sorted((from_item(SourceFreshness, r) for r in rows), key=lambda f: f.source)
