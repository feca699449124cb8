"""Closed months' snapshots: the month's engine inputs, pre-aggregated, so later runs read them
instead of every raw cost fact and unit counter of the month.

A snapshot is the month's `allocation.Ledger` (built from that month's raw facts and counters,
after mappings and shared splits): per-owner daily effective cost, month cells by category
[effective, billed], vendor months, shared splits, unallocated sums, rejected facts, per-use-case
daily units and the latest day with posted items, and the sets the warnings come from. Merging
closed months' snapshots with the open months' ledger (`allocation.merge_ledgers`) gives the
engine exactly the ledger all the raw facts would (tests/domain/test_snapshots.py).

Storage: config-table items, pk "SNAPSHOT". Per month a head item (sk "YYYY-MM": when it was
closed, why, the build id, how many chunks) and chunks (sk "YYYY-MM#000", ...), each at most
CHUNK_BYTES of zlib-compressed JSON (every amount a Decimal's exact text), well under DynamoDB's
400 KB item limit. One query reads every month of a window; 200 use cases' month is ~25 KB.

Writes are torn-proof: the chunks are written first under a new build id, the head last; a
reader takes only chunks of the head's build (a head whose chunks are not all there is no
snapshot: the month is read from raw facts and closed again). Chunks of an older build are
deleted after the head.
"""

from __future__ import annotations

import json
import uuid
import zlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Optional

from chalicelib.domain.allocation import Ledger, RejectedFact
from chalicelib.storage.batching import batch_write, query_all

PK = "SNAPSHOT"
CHUNK_BYTES = 300_000
FORMAT = 1


@dataclass(frozen=True)
class Snapshot:
    month: str
    ledger: Ledger
    closed_at: str  # ISO instant of the run that closed it (the run's `now`)
    note: str = ""  # "closed" | "re-closed: restated by aws" ...
    build: str = ""
    chunks: int = 0
    # What the month's revisions were when it was read to close ("facts/units" bumps, settled_days.py);
    # "" when writes were still settling then, None for a snapshot stored before stamps existed.
    stamp: Optional[str] = None


# --- the ledger of one month as compact JSON (exact Decimal text, days as day of month) -------------


def _d(x: Decimal) -> str:
    return str(x)


def encode(month: str, ledger: Ledger) -> dict:
    """The month's ledger as plain JSON-able data (amounts as exact Decimal text)."""

    def dom(day: date) -> int:
        if f"{day.year:04d}-{day.month:02d}" != month:
            raise ValueError(f"{day} is not in {month}: a snapshot holds one month")
        return day.day

    return {
        "v": FORMAT,
        "month": month,
        "owner_days": [
            [t, u, [[dom(d), _d(a)] for d, a in sorted(days.items())]]
            for (t, u), days in sorted(ledger.owner_days.items())
            if days
        ],
        "month_cells": [[t, u, m, c, _d(e), _d(b)] for ((t, u), m, c), (e, b) in sorted(ledger.month_cells.items())],
        "vendor_months": [[m, p, s, _d(e), _d(b)] for (m, p, s), (e, b) in sorted(ledger.vendor_months.items())],
        "units": [
            [u, [[dom(d), n] for d, n in sorted(days.items())]] for u, days in sorted(ledger.units.items()) if days
        ],
        "reported_through": [[u, dom(d)] for u, d in sorted(ledger.reported_through.items())],
        "shared_splits": [[m, k, t, _d(e), _d(b)] for (m, k, t), (e, b) in sorted(ledger.shared_splits.items())],
        "unallocated": [[m, r, k, _d(e), _d(b)] for (m, r, k), (e, b) in sorted(ledger.unallocated.items())],
        "rejected": [
            [dom(r.day), r.provider, r.service, r.vendor_key, r.team, r.use_case, r.currency, _d(r.amount), r.reason]
            for r in ledger.rejected
        ],
        "unknown_units": sorted(ledger.unknown_unit_use_cases),
        "odd_categories": sorted(ledger.odd_categories),
        "shared_warnings": sorted(ledger.shared_warnings),
    }


def decode(data: dict) -> Ledger:
    if data.get("v") != FORMAT:
        raise ValueError(f"snapshot format {data.get('v')!r} is not {FORMAT}")
    month = data["month"]
    year, mon = int(month[:4]), int(month[5:7])
    days: dict = {}

    def day(n: int) -> date:
        d = days.get(n)
        if d is None:
            d = days[n] = date(year, mon, n)
        return d

    ledger = Ledger()
    for t, u, rows in data["owner_days"]:
        ledger.owner_days[(t, u)] = {day(n): Decimal(a) for n, a in rows}
    ledger.month_cells = {((t, u), m, c): [Decimal(e), Decimal(b)] for t, u, m, c, e, b in data["month_cells"]}
    ledger.vendor_months = {(m, p, s): [Decimal(e), Decimal(b)] for m, p, s, e, b in data["vendor_months"]}
    for u, rows in data["units"]:
        ledger.units[u] = {day(n): int(k) for n, k in rows}
    ledger.reported_through = {u: day(n) for u, n in data["reported_through"]}
    ledger.shared_splits = {(m, k, t): [Decimal(e), Decimal(b)] for m, k, t, e, b in data["shared_splits"]}
    ledger.unallocated = {(m, r, k): [Decimal(e), Decimal(b)] for m, r, k, e, b in data["unallocated"]}
    ledger.rejected = [
        RejectedFact(day(n), p, s, vk, t, u, c, Decimal(a), reason)
        for n, p, s, vk, t, u, c, a, reason in data["rejected"]
    ]
    ledger.unknown_unit_use_cases = set(data["unknown_units"])
    ledger.odd_categories = set(data["odd_categories"])
    ledger.shared_warnings = set(data["shared_warnings"])
    return ledger.finish()


def pack(month: str, ledger: Ledger, chunk_bytes: int = CHUNK_BYTES) -> list:
    """The month's ledger as compressed chunks (bytes), each at most `chunk_bytes`."""
    blob = zlib.compress(json.dumps(encode(month, ledger), separators=(",", ":")).encode("utf-8"), 6)
    return [blob[i : i + chunk_bytes] for i in range(0, len(blob), chunk_bytes)] or [b""]


def unpack(month: str, chunks: Iterable[bytes]) -> Ledger:
    return decode(json.loads(zlib.decompress(b"".join(chunks)).decode("utf-8")))


def _bytes(value) -> bytes:
    return bytes(value.value) if hasattr(value, "value") else bytes(value)  # boto3 Binary or bytes


class SnapshotStore:
    def __init__(self, resource, table: str, chunk_bytes: int = CHUNK_BYTES):
        self._resource = resource
        self._table_name = table
        self._chunk_bytes = chunk_bytes

    def load(self, first: str, last: str) -> dict:
        """month -> Snapshot for every whole snapshot of the months first..last (one paged query)."""
        rows = query_all(
            self._resource.Table(self._table_name),
            ConsistentRead=True,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues={":pk": PK, ":a": first, ":b": last + "#~"},
        )
        heads: dict[str, dict] = {}
        parts: dict[str, dict[tuple[Optional[str], int], Any]] = {}  # month -> (build, index) -> chunk
        for r in rows:
            month, _, index = r["sk"].partition("#")
            if index:
                parts.setdefault(month, {})[(r.get("build"), int(index))] = r.get("data")
            else:
                heads[month] = r
        out = {}
        for month, head in heads.items():
            build, n = head.get("build"), int(head.get("chunks", 0))
            got = parts.get(month, {})
            chunks = [got.get((build, i)) for i in range(n)]
            if n == 0 or any(c is None for c in chunks):
                continue  # torn: not a snapshot (the month is read raw and closed again)
            try:
                ledger = unpack(month, (_bytes(c) for c in chunks))
            except (ValueError, KeyError, zlib.error):
                continue
            out[month] = Snapshot(
                month, ledger, head.get("closed_at", ""), head.get("note", ""), build or "", n, head.get("stamp")
            )
        return out

    def heads(self, first: str, last: str) -> dict:
        """month -> the head item only (when and why each month was closed)."""
        rows = query_all(
            self._resource.Table(self._table_name),
            KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues={":pk": PK, ":a": first, ":b": last},
        )
        return {r["sk"]: r for r in rows if "#" not in r["sk"]}

    def save(
        self,
        month: str,
        ledger: Ledger,
        closed_at: str,
        note: str = "closed",
        previous: Optional[Snapshot] = None,
        stamp: Optional[str] = None,
    ) -> int:
        """Store `month`'s snapshot (replacing any); returns the BatchWriteItem calls made."""
        build = uuid.uuid4().hex[:12]
        chunks = pack(month, ledger, self._chunk_bytes)
        calls = batch_write(
            self._resource,
            self._table_name,
            [
                {"PutRequest": {"Item": {"pk": PK, "sk": f"{month}#{i:03d}", "build": build, "data": chunk}}}
                for i, chunk in enumerate(chunks)
            ],
        )
        head = {"pk": PK, "sk": month, "build": build, "chunks": len(chunks), "closed_at": closed_at, "note": note}
        if stamp is not None:
            head["stamp"] = stamp
        self._resource.Table(self._table_name).put_item(Item=head)
        calls += 1
        if previous is not None and previous.chunks > len(chunks):
            calls += batch_write(
                self._resource,
                self._table_name,
                [
                    {"DeleteRequest": {"Key": {"pk": PK, "sk": f"{month}#{i:03d}"}}}
                    for i in range(len(chunks), previous.chunks)
                ],
            )
        return calls
