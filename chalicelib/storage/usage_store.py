"""Token usage by day in the config table, replaced per (source, day), never added twice.

Items: pk ``USAGE#<YYYY-MM>``, sk ``<source>#<YYYY-MM-DD>#<chunk>``: one item per (source, day) holds
that day's rows (one per vendor key and model, up to `ROWS_PER_ITEM`; a larger day takes more
items) as one compact JSON text (an array per row, `_FIELDS` in order: a string attribute is
cheaper to store, read and parse than a list of maps), a digest of the day's whole answer, the
number of items it takes and its token total. A month is one Query.

`replace_days(source, days, facts)` follows the cost ledger's rule (chalicelib/storage/cost_ledger.py):
only the days the source answered are replaced; a day answered with no rows is emptied; a day
the answer leaves out keeps what it holds. A re-pull of unchanged days reads one Query a month and
writes nothing; a day whose answer changed is rewritten (its new items first, then its items the
answer no longer needs deleted) and returned as a `UsageDayChange` (tokens before and after).
A reader takes, for each day, only the items carrying the digest of the day's first item, so a day
caught mid-rewrite is never counted twice; a rewrite interrupted before it ended is finished by
the next pull of that day (its items' digests or count disagree, so it is written again).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Optional

from chalicelib.domain.periods import months_of
from chalicelib.domain.usage import UsageFact, merge_usage
from chalicelib.storage.batching import batch_write, query_all

PK_PREFIX = "USAGE#"
ROWS_PER_ITEM = 1000  # ~130 bytes a row: an item stays far under DynamoDB's 400 KB
_FIELDS = (
    "provider",
    "model",
    "vendor_key",
    "team",
    "use_case",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "requests",
)


@dataclass(frozen=True)
class UsageDayChange:
    source: str
    day: date
    tokens_before: int
    tokens_after: int


@dataclass
class UsageWrite:
    stored: int = 0  # rows the named days hold now
    puts: int = 0
    deletes: int = 0
    write_requests: int = 0
    changed: list = field(default_factory=list)  # UsageDayChange of days stated before whose rows changed


def _row(f: UsageFact) -> list:
    return [getattr(f, name) for name in _FIELDS]


def usage_fact(day: date, source: str, row: list) -> UsageFact:
    """A stored row (`_row`'s order) back into its UsageFact."""
    return UsageFact(
        day,
        source,
        provider=row[0],
        model=row[1],
        vendor_key=row[2],
        input_tokens=row[5],
        cached_input_tokens=row[6],
        cache_write_tokens=row[7],
        output_tokens=row[8],
        requests=row[9],
        team=row[3],
        use_case=row[4],
    )


def _text(rows: list) -> str:
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False)


def _digest(rows: list) -> str:
    text = "\n".join(sorted(_text(r) for r in rows))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _sk(source: str, day: date, chunk: int) -> str:
    return f"{source}#{day.isoformat()}#{chunk:03d}"


def _parse_sk(sk: str) -> tuple:
    source, day, chunk = sk.rsplit("#", 2)
    return source, date.fromisoformat(day), int(chunk)


class UsageStore:
    def __init__(self, resource, table: str):
        self._resource = resource
        self._table_name = table

    def _month(self, month: str, source: Optional[str] = None, projection: Optional[str] = None) -> list:
        kwargs: dict = {"ExpressionAttributeValues": {":pk": f"{PK_PREFIX}{month}"}}
        if source is None:
            kwargs["KeyConditionExpression"] = "pk = :pk"
        else:
            kwargs["KeyConditionExpression"] = "pk = :pk AND begins_with(sk, :s)"
            kwargs["ExpressionAttributeValues"][":s"] = f"{source}#"
        if projection:
            kwargs["ProjectionExpression"] = projection
            kwargs["ExpressionAttributeNames"] = {"#k": "sk", "#d": "digest", "#c": "chunks", "#t": "tokens"}
        return query_all(self._resource.Table(self._table_name), **kwargs)

    def replace_days(self, source: str, days: Iterable[date], facts: Iterable[UsageFact]) -> UsageWrite:
        """Make the stored usage of `source` on each of `days` exactly `facts` (summed by identity)."""
        wanted: dict = {}
        for f in merge_usage(facts):
            if f.source != source:
                raise ValueError(f"usage from source {f.source!r} given to replace {source!r}")
            wanted.setdefault(f.day, []).append(_row(f))
        day_list = sorted(set(days) | set(wanted))
        stored: dict = {}  # day -> [(chunk, digest, chunks, tokens)]
        for month in months_of(day_list):
            for item in self._month(month, source, "#k, #d, #c, #t"):
                _, day, chunk = _parse_sk(item["sk"])
                stored.setdefault(day, []).append(
                    (chunk, item.get("digest", ""), int(item.get("chunks", 0)), int(item.get("tokens", 0)))
                )
        result = UsageWrite()
        puts, deletes = [], []
        for day in day_list:
            rows = wanted.get(day, [])
            result.stored += len(rows)
            digest = _digest(rows) if rows else ""
            chunks = [rows[i : i + ROWS_PER_ITEM] for i in range(0, len(rows), ROWS_PER_ITEM)]
            have = sorted(stored.get(day, []))
            if have and all(h[1] == digest and h[2] == len(chunks) for h in have) and len(have) == len(chunks):
                continue  # the same answer, whole
            if not have and not chunks:
                continue
            tokens = sum(sum(r[5:9]) for r in rows)  # input, cached input, cache writes, output
            pk = f"{PK_PREFIX}{day.isoformat()[:7]}"
            for n, chunk in enumerate(chunks):
                item = {
                    "pk": pk,
                    "sk": _sk(source, day, n),
                    "digest": digest,
                    "chunks": len(chunks),
                    "rows": _text(chunk),
                }
                if n == 0:
                    item["tokens"] = tokens
                puts.append({"PutRequest": {"Item": item}})
            deletes += [
                {"DeleteRequest": {"Key": {"pk": pk, "sk": _sk(source, day, h[0])}}}
                for h in have
                if h[0] >= len(chunks)
            ]
            first = next((h for h in have if h[0] == 0), None)
            if first is not None and first[1] != digest:
                result.changed.append(UsageDayChange(source, day, first[3], tokens))
        result.puts, result.deletes = len(puts), len(deletes)
        # New items first (a reader follows the first item's digest), then the ones no longer needed.
        result.write_requests = batch_write(self._resource, self._table_name, puts)
        result.write_requests += batch_write(self._resource, self._table_name, deletes)
        return result

    def usage_for_month(self, month: str) -> list[UsageFact]:
        """Every stored usage row of `month` ("YYYY-MM"), all sources: one Query."""
        items = self._month(month)
        first = {}
        for item in items:
            source, day, chunk = _parse_sk(item["sk"])
            if chunk == 0:
                first[(source, day)] = item.get("digest", "")
        facts = []
        for item in items:
            source, day, _ = _parse_sk(item["sk"])
            if first.get((source, day)) != item.get("digest", ""):
                continue  # an item of a rewrite in progress, or left over by one
            facts += [usage_fact(day, source, row) for row in json.loads(item.get("rows") or "[]")]
        return facts
