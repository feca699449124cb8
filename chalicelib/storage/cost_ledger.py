"""The cost ledger: daily cost facts in DynamoDB, replaced per (source, day), never added twice.

Key (source_day = "<source>#<day>", fact_id = hash of the fact's identity). Each (source, day)
also has a manifest item listing its facts with a digest of each, so a re-pull reads one small
item per day (100 to a BatchGetItem) instead of the facts, and writes only the difference, packed
25 to a BatchWriteItem across days: a month of facts costs about ceil(facts / 25) writes and a
re-pull of unchanged days costs none. A GSI on month reads a whole month in one paged query.

Only the days a caller names (the days the source answered for) are replaced; any other stored
day is never read nor touched. The manifest also keeps the day's effective totals by currency
and a digest of its amounts, so a replaced day whose amounts changed is returned as a
``DayChange`` (old and new totals, facts removed) without reading the old facts. A manifest
written before those fields existed is completed by reading that day's facts once, when the day
changes.

Interrupted writes. A replacement first marks each day it changes *pending* (its manifest lists
the old ids with their old digests, the new ids with none, and keeps the old totals), then
deletes the facts the answer no longer has, then puts the new and changed facts, and writes the
exact manifests last. A retry after a kill at any point finds the pending days and rewrites
every wanted fact of them and deletes everything they list that is not wanted, so it ends with
exactly the answer's facts. Removals go before additions: a reader never sees a removed fact
beside the fact that replaces it (a day mid-write may be partly old and partly new, each
identity counted once, never twice).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Iterable

from chalicelib.domain.facts import CostFact
from chalicelib.domain.periods import months_between
from chalicelib.storage.batching import batch_get, batch_write, query_all, query_month
from chalicelib.storage.settled_days import DayRevisions, open_month_rows

_KEYS = ("source_day", "fact_id", "month", "month_key")  # what a cached day need not keep
MANIFEST = "~manifest"  # per (source, day): fact_id -> content digest of what is stored
_NOT_YET = ""  # a pending manifest's digest for an id being added: no content digest is ever empty
_STORED = (
    "category",
    "provider",
    "service",
    "billed_cost",
    "effective_cost",
    "currency",
    "vendor_key",
    "team",
    "use_case",
    "provenance",
)


@dataclass(frozen=True)
class DayChange:
    """A replaced day whose amounts changed: effective totals by currency before and after, and
    how many stored facts the new answer no longer has."""

    source: str
    day: date
    before: dict  # currency -> Decimal
    after: dict
    facts_removed: int = 0


@dataclass
class LedgerWrite:
    facts_in: int
    puts: int
    deletes: int
    unchanged: int
    write_requests: int
    changed: list = field(default_factory=list)  # DayChange, by day: days stated before whose amounts changed
    stored: int = 0  # facts the named days hold now (same identity summed): what a reader finds


def joined(parts: Iterable[str]) -> str:
    """Fields joined by ``|`` with ``\\`` and ``|`` escaped, so the join is unambiguous: ("a|b", "c")
    and ("a", "b|c") differ. A field with neither character is unchanged (ids stay as they were)."""
    return "|".join(str(p).replace("\\", "\\\\").replace("|", "\\|") for p in parts)


def fact_id(fact: CostFact) -> str:
    ident = joined((fact.category, fact.provider, fact.service, fact.vendor_key, fact.team, fact.use_case))
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:32]


def _item(fact: CostFact) -> dict:
    day = fact.day.isoformat()
    ident = fact_id(fact)
    item = {
        "source_day": f"{fact.source}#{day}",
        "fact_id": ident,
        "source": fact.source,
        "day": day,
        "month": day[:7],
        "month_key": f"{day}#{fact.source}#{ident}",
    }
    for name in _STORED:
        value = getattr(fact, name)
        if value != "":
            item[name] = value
    return item


def wanted_items(source: str, facts: Iterable[CostFact]) -> tuple[int, dict, int]:
    """(facts given, day -> fact_id -> item of what the days must hold, facts kept): the same identity
    twice is one fact with the sum. ValueError for a fact of another source."""
    merged: dict = {}
    count = 0
    for fact in facts:
        count += 1
        if fact.source != source:
            raise ValueError(f"fact from source {fact.source!r} given to replace {source!r}")
        key = (fact.day, fact_id(fact))
        if key in merged:  # the same identity twice: one fact with the sum
            prev = merged[key]
            fact = replace(
                prev,
                billed_cost=prev.billed_cost + fact.billed_cost,
                effective_cost=prev.effective_cost + fact.effective_cost,
            )
        merged[key] = fact
    wanted: dict = defaultdict(dict)  # day -> fact_id -> item
    for (day, ident), fact in merged.items():
        wanted[day][ident] = _item(fact)
    return count, wanted, len(merged)


def _fact(item: dict) -> CostFact:
    return CostFact(
        day=date.fromisoformat(item["day"]),
        source=item["source"],
        category=item["category"],
        provider=item.get("provider", ""),
        service=item.get("service", ""),
        billed_cost=Decimal(item["billed_cost"]),
        effective_cost=Decimal(item["effective_cost"]),
        currency=item.get("currency", "USD"),
        vendor_key=item.get("vendor_key", ""),
        team=item["team"],
        use_case=item["use_case"],
        provenance=item.get("provenance", ""),
    )


def _content(item: dict) -> str:
    """A short digest of what a fact says, so a re-pull can tell changed facts without reading them."""
    text = joined(str(item.get(k, "")) for k in _STORED)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _canon(amount) -> str:
    """One text per value: 1.50 and 1.5 (as DynamoDB hands it back) read the same."""
    amount = Decimal(amount)
    return "0" if amount == 0 else str(amount.normalize())


def _amounts(items: Iterable[dict]) -> tuple[dict, str]:
    """A day's effective totals by currency and a digest of every fact's amounts (not its text)."""
    totals: dict = {}
    lines = []
    for item in items:
        currency = item.get("currency", "USD")
        totals[currency] = totals.get(currency, Decimal(0)) + Decimal(item["effective_cost"])
        lines.append(f"{item['fact_id']}|{_canon(item['billed_cost'])}|{_canon(item['effective_cost'])}|{currency}")
    digest = hashlib.sha256("\n".join(sorted(lines)).encode("utf-8")).hexdigest()[:16]
    return totals, digest


def _manifest_item(
    source: str,
    day: date,
    facts: dict,
    totals: dict | None = None,
    amounts: str | None = None,
    *,
    stated: bool = True,
    pending: bool = False,
) -> dict:
    # No `month` attribute: the manifest stays out of the month index.
    item: dict[str, Any] = {"source_day": f"{source}#{day.isoformat()}", "fact_id": MANIFEST, "facts": facts}
    if amounts is not None:
        item.update(totals=totals or {}, amounts=amounts)
    if not stated:
        item["stated"] = False  # written ahead of a day's first facts: not yet a day the source stated
    if pending:
        item["pending"] = True  # written ahead of a replacement: until the exact manifest, redo the day
    return item


class CostLedger:
    def __init__(self, resource, table: str):
        self._resource = resource
        self._table_name = table
        self.revisions = DayRevisions(resource, table, "source_day", "fact_id")
        self.last_read = (0, 0)

    def replace_days(self, source: str, days: Iterable[date], facts: Iterable[CostFact]) -> LedgerWrite:
        """Make the stored facts of `source` on each of `days` exactly `facts` (summed by identity).

        `days` are the days the source answered for; a fact's own day counts as answered. Other
        days keep what they hold. An answered day with no facts is emptied (the source said so)."""
        count, wanted, stored = wanted_items(source, facts)
        day_list = sorted(set(days) | set(wanted))
        manifests = self._manifests(source, day_list)
        puts, deletes, unchanged = [], [], 0
        before, after, changed = [], [], []
        for day in day_list:
            row = manifests.get(day)
            # A pending day was being replaced when a write stopped: any of its facts may hold either
            # version, so none of its digests is trusted and every id it lists is checked again.
            pending = row is not None and (bool(row.get("pending")) or row.get("stated") is False)
            listed = dict(row.get("facts", {})) if row else {}
            new = {ident: _content(item) for ident, item in wanted.get(day, {}).items()}
            if not pending and listed == new:
                unchanged += len(new)
                continue
            trusted = {} if pending else listed
            for ident, item in wanted.get(day, {}).items():
                if trusted.get(ident) == new[ident]:
                    unchanged += 1
                else:
                    puts.append({"PutRequest": {"Item": item}})
            gone = [ident for ident in listed if ident not in new]
            deletes += [
                {"DeleteRequest": {"Key": {"source_day": f"{source}#{day.isoformat()}", "fact_id": ident}}}
                for ident in gone
            ]
            removed = sum(1 for ident in gone if listed[ident] != _NOT_YET)  # stated facts, not a retry's leftovers
            new_totals, new_amounts = _amounts(wanted.get(day, {}).values())
            # The pending manifest: the old ids keep their digests, the new ones have none yet.
            marker = {**{ident: _NOT_YET for ident in new}, **listed}
            if row is not None and row.get("stated", True):
                if "amounts" in row:
                    old_totals, old_amounts = dict(row.get("totals", {})), row["amounts"]
                else:  # a manifest from before totals were kept: read the day's facts once
                    old_totals, old_amounts = _amounts(self._day_items(source, day))
                if old_amounts != new_amounts:
                    changed.append(DayChange(source, day, old_totals, new_totals, removed))
                before.append(_manifest_item(source, day, marker, old_totals, old_amounts, pending=True))
            else:
                before.append(_manifest_item(source, day, marker, stated=False))
            after.append(_manifest_item(source, day, new, new_totals, new_amounts))
        # Pending manifests first, listing every id about to be written, so an interrupted write
        # leaves no fact the next replacement cannot see and marks its days to be redone; then the
        # removals, before any addition (never a removed fact beside its replacement); the exact
        # manifests last.
        written = [date.fromisoformat(m["source_day"].rsplit("#", 1)[1]) for m in after]
        if not written:
            return LedgerWrite(count, 0, 0, unchanged, 0, changed, stored=stored)
        with self.revisions.writing(written) as write:  # the open month's cached days go stale
            calls = batch_write(self._resource, self._table_name, [{"PutRequest": {"Item": m}} for m in before])
            calls += batch_write(self._resource, self._table_name, deletes)
            calls += batch_write(self._resource, self._table_name, puts)
            calls += batch_write(self._resource, self._table_name, [{"PutRequest": {"Item": m}} for m in after])
        return LedgerWrite(count, len(puts), len(deletes), unchanged, calls + write.calls, changed, stored=stored)

    def _manifests(self, source: str, days: list[date]) -> dict:
        keys = [{"source_day": f"{source}#{d.isoformat()}", "fact_id": MANIFEST} for d in days]
        rows, _ = batch_get(self._resource, self._table_name, keys)
        return {date.fromisoformat(r["source_day"].rsplit("#", 1)[1]): r for r in rows}

    def _day_items(self, source: str, day: date) -> list[dict]:
        rows = query_all(
            self._resource.Table(self._table_name),
            KeyConditionExpression="source_day = :k",
            ExpressionAttributeValues={":k": f"{source}#{day.isoformat()}"},
        )
        return [r for r in rows if r["fact_id"] != MANIFEST]

    def facts_for_month(self, month: str) -> list[CostFact]:
        return [_fact(r) for r in query_month(self._resource.Table(self._table_name), month)]

    def facts_for_open_month(self, month: str) -> list[CostFact]:
        """The same facts as `facts_for_month`, settled days from their cache (settled_days.py):
        what the scheduled runs read each hour. `last_read`: the read's requests and days read raw."""
        rows, self.last_read = open_month_rows(self.revisions, self._month_days, month)
        return [_fact(r) for r in rows]

    def _month_days(self, month: str, first: int, last: int) -> list[dict]:
        table = self._resource.Table(self._table_name)
        rows = query_month(table, month, "month_key", f"{month}-{first:02d}#", f"{month}-{last:02d}#~")
        return [{k: v for k, v in r.items() if k not in _KEYS} for r in rows]

    def facts_between(self, first: date, last: date) -> list[CostFact]:
        return [
            f for month in months_between(first, last) for f in self.facts_for_month(month) if first <= f.day <= last
        ]
