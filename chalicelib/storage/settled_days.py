"""Settled days of an open month, kept compressed beside the raw rows, so the hourly run reads only
the days that changed since it last looked instead of every cost fact and unit counter of the month.

Why: the hourly run needs the whole open month (allocation, weeks, anomalies), but only the last
few days change between runs. Reading ~30 days × every use case × every source each hour is what
made a 1,000-use-case run slow; a settled day is now one compressed item.

Two kinds of item live in the table they cache (keyed by its own hash and range attributes, and
without the `month` attribute, so they stay out of its month index):

- the month's *revisions* ("~revs#YYYY-MM", "~"): per day of month `dd`, `r<dd>` counts writes,
  `n<dd>` counts writes in flight, `t<dd>` is the wall-clock second of the last bump. Every writer
  of the table's rows goes through `DayRevisions.writing(days)`: one bump before its writes (a
  write in flight) and one after (done, even when the write failed). A writer killed mid-way
  leaves its day in flight, so that day is read raw until the month closes: slower, never wrong.
- the *cache* ("~days#YYYY-MM", "<dd>#<chunk>"): a day's rows as zlib-compressed JSON, tagged with
  the revision it was read at and a build id (chunks of one write share it; a torn set is no cache).

A reader takes a day from the cache only when the cache's revision is the day's revision now.
Other days are read raw (contiguous days in one query) and cached for the next run when no write
is in flight and the last bump is older than the index's settling time: the raw read goes through
an eventually consistent global index, so a day written a moment ago may not be all there yet. Any
write after the reader read the revisions bumps them, so a cache written from an older state is
never taken. Days with no revisions entry were written before revisions existed: they count as
revision 0, settled.
"""

from __future__ import annotations

import json
import os
import time
import uuid
import zlib
from calendar import monthrange
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Callable, Iterable, Iterator

from chalicelib.domain.periods import month_key
from chalicelib.storage.batching import batch_get, batch_write, query_all

CHUNK_BYTES = 300_000  # well under DynamoDB's 400 KB item limit


def settle_seconds() -> float:
    """INDEX_SETTLE_SECONDS: how long after a write a day read through a global index may be cached.
    DynamoDB's indexes catch up within a fraction of a second, so the default of 60 is generous;
    moto's indexes are synchronous, so the local stack and the tests use 0."""
    return float(os.environ.get("INDEX_SETTLE_SECONDS", "60"))


def _months(days: Iterable[date]) -> dict:
    by_month: dict = {}
    for day in days:
        by_month.setdefault(month_key(day), set()).add(day.day)
    return by_month


class DayRevisions:
    """The write side: bumps the revisions of the days a write touches, before and after it."""

    def __init__(self, resource, table: str, hash_key: str, range_key: str):
        self._resource = resource
        self._table_name = table
        self._hash, self._range = hash_key, range_key

    def key(self, month: str) -> dict:
        return {self._hash: f"~revs#{month}", self._range: "~"}

    def bump(self, days: Iterable[date], in_flight: int) -> int:
        """One UpdateItem per month: every day's revision +1, its writes in flight +`in_flight`."""
        calls = 0
        now = Decimal(int(time.time()))
        table = self._resource.Table(self._table_name)
        for month, doms in sorted(_months(days).items()):
            adds, sets, values = [], [], {":one": 1, ":n": in_flight, ":t": now}
            for dd in sorted(doms):
                adds += [f"r{dd:02d} :one", f"n{dd:02d} :n"]
                sets.append(f"t{dd:02d} = :t")
            table.update_item(
                Key=self.key(month),
                UpdateExpression=f"ADD {', '.join(adds)} SET {', '.join(sets)}",
                ExpressionAttributeValues=values,
            )
            calls += 1
        return calls

    def heads(self, months: list) -> dict:
        """month -> its revisions item (strongly consistent), for the months that have one."""
        rows, _ = batch_get(self._resource, self._table_name, [self.key(m) for m in months], consistent=True)
        return {r[self._hash].split("#", 1)[1]: r for r in rows}

    @contextmanager
    def writing(self, days: Iterable[date]) -> Iterator["OpenWrite"]:
        """Mark `days` as being written for the duration of the block (more may be added in it)."""
        write = OpenWrite(self)
        write.add(days)
        try:
            yield write
        finally:
            write.close()


class OpenWrite:
    def __init__(self, revisions: DayRevisions):
        self._revisions = revisions
        self.days: set = set()
        self.calls = 0

    def add(self, days: Iterable[date]) -> None:
        new = set(days) - self.days
        if new:
            self.calls += self._revisions.bump(new, 1)
            self.days |= new

    def close(self) -> None:
        if self.days:
            self.calls += self._revisions.bump(self.days, -1)


class SettledDays:
    """The read side: a month's rows, settled days from the cache and the others read raw.

    `read_raw(month, first_dd, last_dd)` reads the rows of days first..last of the month from the
    table (raw); `day_of(row)` gives a row's day of month. Rows are JSON-able dicts (Decimals are
    kept exact as text and handed back as Decimal)."""

    def __init__(
        self, revisions: DayRevisions, read_raw: Callable[[str, int, int], list], day_of: Callable[[dict], int]
    ):
        self._revisions = revisions
        self._read_raw = read_raw
        self._day_of = day_of
        self.requests = 0
        self.days_read_raw = 0

    def rows(self, month: str) -> list[dict]:
        rev = self._revisions
        table = rev._resource.Table(rev._table_name)
        head = table.get_item(Key=rev.key(month), ConsistentRead=True).get("Item") or {}
        cached_rows = query_all(
            table,
            ConsistentRead=True,
            KeyConditionExpression="#h = :h",
            ExpressionAttributeNames={"#h": rev._hash},
            ExpressionAttributeValues={":h": f"~days#{month}"},
        )
        self.requests += 2
        cached = _cached_days(cached_rows, rev._range)
        last_dd = monthrange(int(month[:4]), int(month[5:7]))[1]
        out: list[dict] = []
        stale = []
        for dd in range(1, last_dd + 1):
            revision = int(head.get(f"r{dd:02d}", 0))
            hit = cached.get(dd)
            if hit is not None and hit[0] == revision:
                out += hit[1]
            else:
                stale.append(dd)
        fresh: dict = {dd: [] for dd in stale}
        for first, last in _runs(stale):
            for row in self._read_raw(month, first, last):
                fresh.setdefault(self._day_of(row), []).append(row)
            self.requests += 1
            self.days_read_raw += last - first + 1
        now = time.time()
        settle = settle_seconds()
        puts, deletes = [], []
        for dd in stale:
            rows = fresh.get(dd, [])
            out += rows
            in_flight = int(head.get(f"n{dd:02d}", 0))
            bumped = float(head.get(f"t{dd:02d}", 0))
            if in_flight == 0 and now - bumped >= settle:
                new = _chunks(rows)
                build = uuid.uuid4().hex[:12]
                revision = int(head.get(f"r{dd:02d}", 0))
                puts += [
                    {
                        "PutRequest": {
                            "Item": {
                                rev._hash: f"~days#{month}",
                                rev._range: f"{dd:02d}#{i:03d}",
                                "rev": revision,
                                "build": build,
                                "chunks": len(new),
                                "data": c,
                            }
                        }
                    }
                    for i, c in enumerate(new)
                ]
                deletes += [
                    {"DeleteRequest": {"Key": {rev._hash: f"~days#{month}", rev._range: f"{dd:02d}#{i:03d}"}}}
                    for i in range(len(new), _chunk_count(cached_rows, rev._range, dd))
                ]
        if puts or deletes:
            self.requests += batch_write(rev._resource, rev._table_name, puts + deletes)
        return out


def open_month_rows(revisions: DayRevisions, read_raw: Callable[[str, int, int], list], month: str) -> tuple:
    """(rows of `month`, (requests, days read raw)) for a table whose rows carry an ISO `day`."""
    reader = SettledDays(revisions, read_raw, lambda row: int(row["day"][8:10]))
    rows = reader.rows(month)
    return rows, (reader.requests, reader.days_read_raw)


def _encode(value):
    if isinstance(value, Decimal):
        return {"$d": str(value)}
    raise TypeError(f"{type(value).__name__} is not kept in the day cache")


def _decode(obj: dict):
    return Decimal(obj["$d"]) if len(obj) == 1 and "$d" in obj else obj


def _chunks(rows: list) -> list:
    blob = zlib.compress(json.dumps(rows, separators=(",", ":"), default=_encode).encode("utf-8"), 6)
    return [blob[i : i + CHUNK_BYTES] for i in range(0, len(blob), CHUNK_BYTES)] or [b""]


def _bytes(value) -> bytes:
    return bytes(value.value) if hasattr(value, "value") else bytes(value)  # boto3 Binary or bytes


def _cached_days(items: list, range_key: str) -> dict:
    """dd -> (revision, rows) for every day whose chunks are all there from one build."""
    parts: dict = {}
    for item in items:
        dd, _, index = item[range_key].partition("#")
        parts.setdefault(int(dd), {})[int(index)] = item
    out = {}
    for dd, chunks in parts.items():
        first = chunks.get(0)
        if first is None:
            continue
        build, n = first.get("build"), int(first.get("chunks", 0))
        got = [chunks.get(i) for i in range(n)]
        if n == 0 or any(c is None or c.get("build") != build for c in got):
            continue  # torn: read raw and cached again
        try:
            rows = json.loads(
                zlib.decompress(b"".join(_bytes(c["data"]) for c in got)).decode("utf-8"), object_hook=_decode
            )
        except (ValueError, KeyError, zlib.error):
            continue
        out[dd] = (int(first.get("rev", -1)), rows)
    return out


def _chunk_count(items: list, range_key: str, dd: int) -> int:
    prefix = f"{dd:02d}#"
    return sum(1 for item in items if item[range_key].startswith(prefix))


def _runs(days: list) -> list:
    """Sorted days of month as (first, last) runs of consecutive days: one raw query each."""
    runs: list = []
    for dd in days:
        if runs and runs[-1][1] == dd - 1:
            runs[-1] = (runs[-1][0], dd)
        else:
            runs.append((dd, dd))
    return runs


def written(head: dict) -> int:
    """How many bumps the month has had: it grows with every write, so two reads of it differ
    exactly when the month was written in between."""
    return sum(int(v) for k, v in head.items() if k[:1] == "r" and k[1:].isdigit())


def settled(head: dict, now: float) -> bool:
    """No write in flight and none within the index's settling time: a raw read is complete."""
    in_flight = any(int(v) for k, v in head.items() if k[:1] == "n" and k[1:].isdigit())
    last = max((float(v) for k, v in head.items() if k[:1] == "t" and k[1:].isdigit()), default=0.0)
    return not in_flight and now - last >= settle_seconds()
