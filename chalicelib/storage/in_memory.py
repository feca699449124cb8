"""The stores in memory, for the service tests: the same behaviour as the DynamoDB stores, no AWS.

Each class implements one Protocol of chalicelib/storage/interfaces.py and keeps exactly what its
DynamoDB store keeps, as the same records (the DynamoDB stores' own encoders: `records.to_item`,
the cost ledger's items and digests, the usage rows, the snapshot chunks), so what a service can
observe is the same: a rerun that changes nothing, what a replacement of days removes and keeps,
restatements, a lease held by one run, counters equal to their items, ordering, and the errors of a
conditional write that loses (botocore's ClientError with DynamoDB's code: what the services handle).
tests/storage/contracts/ runs one suite against both.

What memory does not have: requests (the counts of DynamoDB requests a write reports are 0),
writes interrupted half-way, eventually consistent indexes, throttling. Every call is atomic (one
lock per store), so concurrent callers see each other's writes whole.

    from chalicelib.storage.in_memory import in_memory_stores

    stores = in_memory_stores()          # chalicelib.stores.Stores, every store empty
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Optional, Sequence

from chalicelib.storage.records import from_item, to_item

if TYPE_CHECKING:
    from chalicelib.domain.alerts import Episode
    from chalicelib.domain.allocation import Ledger
    from chalicelib.domain.facts import CostFact, DailyUnits
    from chalicelib.domain.notices import Notice
    from chalicelib.domain.organisation import Organisation
    from chalicelib.domain.pool import PoolCredit
    from chalicelib.domain.usage import UsageFact
    from chalicelib.domain.work_items import WorkItem
    from chalicelib.storage.cost_ledger import LedgerWrite
    from chalicelib.storage.freshness_store import SourceFreshness
    from chalicelib.storage.guardrail_store import Guardrail
    from chalicelib.storage.outbox_store import OutboxItem
    from chalicelib.storage.run_store import RunRecord
    from chalicelib.storage.snapshot_store import Snapshot
    from chalicelib.storage.tokens import Grant
    from chalicelib.storage.usage_store import UsageWrite
    from chalicelib.storage.work_items import SaveOutcome
    from chalicelib.stores import Stores


def _refused(operation: str, *, transaction: bool) -> Exception:
    """What DynamoDB answers a conditional write whose condition fails (one call, or a transaction)."""
    from botocore.exceptions import ClientError

    if transaction:
        error = {
            "Error": {
                "Code": "TransactionCanceledException",
                "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
                "[ConditionalCheckFailed, None]",
            },
            "CancellationReasons": [{"Code": "ConditionalCheckFailed"}, {"Code": "None"}],
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
    else:
        error = {
            "Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
    refused: Exception = ClientError(error, operation)
    return refused


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


class InMemoryRevisions:
    """Per month, per day: how often it was written (two bumps a write, as DynamoDB's writers open
    and close theirs), none in flight once a call returns, and the epoch second of the last write."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._months: dict[str, dict[str, Decimal]] = {}

    def written(self, days: Iterable[date]) -> None:
        now = Decimal(int(self._clock()))
        for day in days:
            head = self._months.setdefault(_month(day), {})
            dd = f"{day.day:02d}"
            head[f"r{dd}"] = head.get(f"r{dd}", Decimal(0)) + 2
            head[f"n{dd}"] = Decimal(0)
            head[f"t{dd}"] = now

    def heads(self, months: list[str]) -> dict[str, dict[str, Any]]:
        return {m: dict(self._months[m]) for m in months if m in self._months}


# --- the API's stores ---------------------------------------------------------------------------------


class InMemoryTokens:
    def __init__(self) -> None:
        self._grants: dict[str, Grant] = {}  # token hash -> its grant

    def create(self, scope: str, team: str, now: datetime, label: str = "") -> tuple[str, Grant]:
        from chalicelib.storage.tokens import new_token

        token, digest, grant = new_token(scope, team, now, label)
        self._grants[digest] = grant
        return token, grant

    def lookup(self, token: str) -> Optional[Grant]:
        from chalicelib.storage.tokens import token_hash

        if not token:
            return None
        grant = self._grants.get(token_hash(token))
        if grant is None or grant.revoked:
            return None
        return grant

    def list(self) -> list[Grant]:
        by_hash = [self._grants[digest] for digest in sorted(self._grants)]
        return sorted(by_hash, key=lambda g: g.created_at)

    def revoke(self, token_id: str) -> int:
        revoked = 0
        for digest, grant in self._grants.items():
            if grant.token_id == token_id and not grant.revoked:
                self._grants[digest] = replace(grant, revoked=True)
                revoked += 1
        return revoked


class InMemoryOrganisations:
    def __init__(self) -> None:
        self._rows: dict[str, dict[str, Any]] = {}  # the current configuration: sort key -> attributes
        self._histories: dict[str, list[Any]] = {}  # "use_case#<id>" | "team#<id>" -> stored entries
        self._lock = threading.Lock()

    def load(self) -> Organisation:
        from chalicelib.storage.organisation_store import histories_from_rows, organisation_from_rows

        with self._lock:
            rows, histories = dict(self._rows), dict(self._histories)
        return organisation_from_rows(rows, histories_from_rows(histories))

    def save(self, org: Organisation) -> int:
        from chalicelib.storage.organisation_store import organisation_rows

        rows = organisation_rows(org)
        with self._lock:
            self._rows = rows
        return 0

    def record_terms(self, org: Organisation, today: date, stored: Optional[Organisation] = None) -> Organisation:
        from chalicelib.storage.organisation_store import histories_from_rows, recorded_terms

        with self._lock:
            known = (
                histories_from_rows(dict(self._histories))
                if stored is None
                else {"terms_history": stored.terms_history, "team_history": stored.team_history}
            )
            histories, changed = recorded_terms(known, org, today)
            self._histories.update(changed)
        return replace(org, **histories)


class InMemoryWorkItems:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._items: dict[tuple[str, str], dict[str, Any]] = {}  # (use case, id) -> what its counters hold
        self._counters: dict[tuple[str, str], list[Any]] = {}  # (use case, ISO day) -> [units, successes, minutes]
        self.revisions = InMemoryRevisions(clock)
        self.last_read: tuple[int, int] = (0, 0)
        self._lock = threading.Lock()

    def save(self, items: Sequence[WorkItem], now: datetime) -> SaveOutcome:
        from chalicelib.storage.work_items import SaveOutcome, _counted, _deltas, _Stored

        if not items:
            return SaveOutcome(set(), 0)
        with self._lock:
            stored = {
                key: _Stored(1, None, counted)
                for key, counted in ((_key(i), self._items.get(_key(i))) for i in items)
                if counted is not None
            }
            deltas = _deltas(items, stored)  # a repost moves its count; an unchanged one moves nothing
            for (use_case, day), (units, successes, minutes) in deltas.items():
                counter = self._counters.setdefault((use_case, day), [0, 0, Decimal(0)])
                counter[0] += units
                counter[1] += successes
                counter[2] += minutes
            for item in items:
                self._items[_key(item)] = _counted(item)
            self.revisions.written(date.fromisoformat(day) for _, day in deltas)
        return SaveOutcome(set(stored), 0)

    def _units(self, keep: Callable[[str, str], bool]) -> list[DailyUnits]:
        from chalicelib.domain.facts import DailyUnits

        with self._lock:
            rows = sorted(
                (day, use_case, list(c)) for (use_case, day), c in self._counters.items() if keep(use_case, day)
            )
        return [DailyUnits(u, date.fromisoformat(d), int(c[0]), int(c[1]), Decimal(c[2])) for d, u, c in rows]

    def units_for_month(self, month: str) -> list[DailyUnits]:
        return self._units(lambda _, day: day[:7] == month)

    def units_for_open_month(self, month: str) -> list[DailyUnits]:
        return self.units_for_month(month)

    def units_between(self, use_case: str, first: date, last: date) -> list[DailyUnits]:
        a, b = first.isoformat(), last.isoformat()
        return self._units(lambda u, day: u == use_case and a <= day <= b)

    def recount_day(self, use_case: str, day: date) -> int:
        with self._lock:
            return sum(1 for (u, _), c in self._items.items() if u == use_case and c["day"] == day.isoformat())


def _key(item: WorkItem) -> tuple[str, str]:
    return (item.use_case, item.work_item_id)


class InMemoryGuardrails:
    def __init__(self) -> None:
        self._rows: dict[str, dict[str, Any]] = {}  # use case -> the stored record
        self._lock = threading.Lock()

    def get(self, use_case: str) -> Optional[Guardrail]:
        from chalicelib.storage.guardrail_store import Guardrail

        row = self._rows.get(use_case)
        return from_item(Guardrail, row) if row is not None else None

    def all(self) -> list[Guardrail]:
        from chalicelib.storage.guardrail_store import Guardrail

        with self._lock:
            rows = [self._rows[u] for u in sorted(self._rows)]
        return [from_item(Guardrail, r) for r in rows]

    def put_all(self, guardrails: Iterable[Guardrail]) -> int:
        with self._lock:
            later = {u: r["as_of"] for u, r in self._rows.items() if r.get("as_of")}
            for g in guardrails:
                if not (g.as_of and later.get(g.use_case, "") > g.as_of):
                    self._rows[g.use_case] = to_item(g)
        return 0


class InMemoryCostFacts:
    """Per (source, day) the source stated: its facts as the DynamoDB ledger's items (by fact id)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._days: dict[tuple[str, date], dict[str, dict[str, Any]]] = {}
        self.revisions = InMemoryRevisions(clock)
        self.last_read: tuple[int, int] = (0, 0)
        self._lock = threading.Lock()

    def replace_days(self, source: str, days: Iterable[date], facts: Iterable[CostFact]) -> LedgerWrite:
        from chalicelib.storage.cost_ledger import DayChange, LedgerWrite, _amounts, _content, wanted_items

        count, wanted, stored = wanted_items(source, facts)
        puts = deletes = unchanged = 0
        changed, written = [], []
        with self._lock:
            for day in sorted(set(days) | set(wanted)):
                row = self._days.get((source, day))  # None: never stated (an empty answer does not state a day)
                listed = {ident: _content(item) for ident, item in (row or {}).items()}
                new = {ident: _content(item) for ident, item in wanted.get(day, {}).items()}
                if listed == new:
                    unchanged += len(new)
                    continue
                same = sum(1 for ident in new if listed.get(ident) == new[ident])
                unchanged += same
                puts += len(new) - same
                gone = [ident for ident in listed if ident not in new]
                deletes += len(gone)
                if row is not None:
                    old_totals, old_amounts = _amounts(row.values())
                    new_totals, new_amounts = _amounts(wanted.get(day, {}).values())
                    if old_amounts != new_amounts:
                        changed.append(DayChange(source, day, old_totals, new_totals, len(gone)))
                self._days[(source, day)] = dict(wanted.get(day, {}))
                written.append(day)
            self.revisions.written(written)
        return LedgerWrite(count, puts, deletes, unchanged, 0, changed, stored=stored)

    def facts_for_month(self, month: str) -> list[CostFact]:
        from chalicelib.storage.cost_ledger import _fact

        with self._lock:
            items = [item for (_, day), facts in self._days.items() if _month(day) == month for item in facts.values()]
        return [_fact(item) for item in sorted(items, key=lambda i: i["month_key"])]

    def facts_for_open_month(self, month: str) -> list[CostFact]:
        return self.facts_for_month(month)

    def facts_between(self, first: date, last: date) -> list[CostFact]:
        months, day = [], first.replace(day=1)
        while day <= last:
            months.append(_month(day))
            day = (day + timedelta(days=32)).replace(day=1)
        return [f for month in months for f in self.facts_for_month(month) if first <= f.day <= last]


class InMemoryFreshness:
    def __init__(self) -> None:
        self._rows: dict[str, dict[str, Any]] = {}  # source -> its attributes, as DynamoDB keeps them
        self._lock = threading.Lock()

    def succeeded(
        self,
        source: str,
        at: str,
        window: str,
        facts: int,
        *,
        status: str = "ok",
        days_asked: int = 0,
        days_answered: int = 0,
        unanswered_days: Iterable[str] = (),
        restatements: Iterable[str] = (),
        facts_removed: int = 0,
    ) -> None:
        from chalicelib.storage.freshness_store import MAX_RESTATEMENT_LINES, MAX_UNANSWERED_DAYS

        lines = list(restatements)
        with self._lock:
            self._log(source, at, lines)
            row = self._rows.setdefault(source, {})
            row.pop("owed_from", None)
            row.update(
                source=source,
                last_success_at=at,
                last_attempt_at=at,
                last_error="",
                last_window=window,
                facts_last_pull=facts,
                status=status,
                days_asked=days_asked,
                days_answered=days_answered,
                unanswered_days=list(unanswered_days)[:MAX_UNANSWERED_DAYS],
                restated_days=len(lines),
                restatements=lines[:MAX_RESTATEMENT_LINES],
                facts_removed=facts_removed,
            )

    def record_restatements(self, source: str, at: str, lines: Iterable[str]) -> None:
        with self._lock:
            self._log(source, at, list(lines))

    def _log(self, source: str, at: str, lines: list[str]) -> None:
        from chalicelib.storage.freshness_store import MAX_LOGGED_RESTATEMENTS

        if not lines:
            return
        row = self._rows.setdefault(source, {})
        log = list(row.get("restatement_log") or []) + [f"{at} {line}" for line in lines]
        row.update(source=source, restatement_log=log[-MAX_LOGGED_RESTATEMENTS:])

    def owe(self, source: str, first_day: str) -> None:
        with self._lock:
            row = self._rows.get(source, {})
            if not row.get("owed_from") or row["owed_from"] > first_day:  # else an earlier day is owed already
                self._rows.setdefault(source, {}).update(source=source, owed_from=first_day)

    def failed(self, source: str, at: str, error: str) -> None:
        with self._lock:
            self._rows.setdefault(source, {}).update(
                source=source, last_attempt_at=at, last_error=error[:500], status="error"
            )

    def all(self) -> list[SourceFreshness]:
        from chalicelib.storage.freshness_store import SourceFreshness

        with self._lock:
            rows = [dict(self._rows[s]) for s in sorted(self._rows)]
        return [from_item(SourceFreshness, r) for r in rows]


# --- the pipeline's stores ------------------------------------------------------------------------------


class InMemoryPoolCredits:
    def __init__(self) -> None:
        self._months: dict[str, list[dict[str, Any]]] = {}  # month -> its credits as stored
        self._opened: Optional[str] = None
        self._lock = threading.Lock()

    def load(self) -> Optional[dict[str, tuple[PoolCredit, ...]]]:
        from chalicelib.domain.pool import PoolCredit

        with self._lock:
            months = {m: list(self._months[m]) for m in sorted(self._months)}
        if not months:
            return None
        return {m: tuple(from_item(PoolCredit, c) for c in credits) for m, credits in months.items()}

    def opened(self) -> Optional[str]:
        return self._opened

    def open_at(self, month: str) -> str:
        with self._lock:
            if self._opened is None:
                self._opened = month
            return self._opened

    def save(self, pool_credits: Mapping[str, Sequence[PoolCredit]]) -> int:
        with self._lock:
            for month, credits in sorted(pool_credits.items()):
                self._months[month] = [to_item(c) for c in credits]
        return 0


class InMemoryRuns:
    def __init__(self) -> None:
        self._lock_item: Optional[dict[str, Any]] = None
        self._records: dict[str, dict[str, Any]] = {}  # run id -> the stored record
        self._lock = threading.Lock()

    def acquire(self, run_id: str, wall: datetime, lease_seconds: int) -> Optional[dict[str, Any]]:
        from chalicelib.storage.run_store import LOCK, _iso

        epoch = int(wall.timestamp())
        item: dict[str, Any] = {
            **LOCK,
            "run_id": run_id,
            "acquired_at": _iso(wall),
            "expires_at": epoch + lease_seconds,
        }
        with self._lock:
            if self._lock_item is not None and not self._lock_item["expires_at"] < epoch:
                return None
            self._lock_item = {**item, "expires_at": Decimal(item["expires_at"])}
        return item

    def holder(self) -> Optional[dict[str, Any]]:
        held = self._lock_item
        return dict(held) if held is not None else None

    def release(self, run_id: str) -> None:
        with self._lock:
            if self._lock_item is not None and self._lock_item["run_id"] == run_id:
                self._lock_item = None

    def put(self, record: RunRecord, wall: datetime) -> None:
        from chalicelib.storage.run_store import KEEP_RUNS_DAYS

        expires = int((wall + timedelta(days=KEEP_RUNS_DAYS)).timestamp())
        with self._lock:
            self._records[record.run_id] = {**to_item(record), "expires_at": Decimal(expires)}

    def get(self, run_id: str) -> Optional[RunRecord]:
        from chalicelib.storage.run_store import RunRecord

        row = self._records.get(run_id)
        return from_item(RunRecord, row) if row is not None else None

    def recent(self, limit: int = 20) -> list[RunRecord]:
        from chalicelib.storage.run_store import RunRecord

        with self._lock:
            rows = [self._records[r] for r in sorted(self._records, reverse=True)[:limit]]
        return [from_item(RunRecord, r) for r in rows]


class InMemoryAlerts:
    def __init__(self) -> None:
        self._open: dict[str, dict[str, Any]] = {}  # key -> the open episode as stored
        self._closed: dict[str, dict[str, Any]] = {}  # "<key>#<since>" -> the closed episode as stored
        self._digest: dict[str, str] = {}
        self._lock = threading.Lock()

    def open(self) -> list[Episode]:
        from chalicelib.domain.alerts import Episode

        with self._lock:
            rows = [self._open[k] for k in sorted(self._open)]
        return [from_item(Episode, r) for r in rows]

    def save(self, episodes: Iterable[Episode], previous: Iterable[Episode], wall: datetime) -> int:
        before = {e.key: e for e in previous}
        with self._lock:
            for e in episodes:
                if e.open and before.get(e.key) != e:
                    self._open[e.key] = to_item(e)
                elif not e.open:
                    self._closed[f"{e.key}#{e.since.isoformat()}"] = to_item(e)
                    if e.key in before:
                        self._open.pop(e.key, None)
        return 0

    def digest_colours(self) -> dict[str, str]:
        return dict(self._digest)

    def save_digest_colours(self, colours: dict[str, str]) -> None:
        self._digest = dict(colours)


class InMemoryOutbox:
    def __init__(self) -> None:
        self._emails: dict[str, OutboxItem] = {}  # key -> the email, for good
        self._pending: set[str] = set()  # keys claimed and not yet sent nor abandoned
        self._lock = threading.Lock()

    def claim(self, notice: Notice, now: datetime, rendered: Optional[tuple[str, str, str]] = None) -> bool:
        from chalicelib.storage.outbox_store import PENDING, OutboxItem, _iso

        subject, html, text = rendered if rendered is not None else (notice.subject, "", "")
        with self._lock:
            if notice.key in self._emails:
                return False
            self._emails[notice.key] = OutboxItem(
                key=notice.key,
                kind=notice.kind,
                recipients=tuple(notice.recipients),
                subject=subject,
                html=html,
                text=text,
                status=PENDING,
                attempts=0,
                claimed_at=_iso(now),
                use_case=notice.use_case,
                team=notice.team,
            )
            self._pending.add(notice.key)
        return True

    def get(self, key: str) -> Optional[OutboxItem]:
        return self._emails.get(key)

    def claimed(self, keys: Iterable[str]) -> set[str]:
        with self._lock:
            return {k for k in keys if k in self._emails}

    def pending(self) -> list[OutboxItem]:
        from chalicelib.storage.outbox_store import PENDING

        with self._lock:
            items = [self._emails[k] for k in self._pending if self._emails[k].status == PENDING]
        return sorted(items, key=lambda i: (i.claimed_at, i.key))

    def mark_sent(self, key: str, now: datetime, message_id: str) -> None:
        from chalicelib.storage.outbox_store import SENT, _iso

        with self._lock:
            item = self._emails.get(key)
            if item is None:
                raise _refused("TransactWriteItems", transaction=True)
            at = _iso(now)
            self._emails[key] = replace(
                item,
                status=SENT,
                sent_at=at,
                last_attempt_at=at,
                message_id=message_id or "",
                attempts=item.attempts + 1,
            )
            self._pending.discard(key)

    def mark_failed(self, key: str, now: datetime, error: str) -> int:
        from chalicelib.storage.outbox_store import MAX_ERROR_CHARS, PENDING, _iso

        with self._lock:
            item = self._emails.get(key)
            if item is None or item.status != PENDING:
                raise _refused("UpdateItem", transaction=False)
            item = replace(
                item,
                last_attempt_at=_iso(now),
                last_error=(error or "unknown error")[:MAX_ERROR_CHARS],
                attempts=item.attempts + 1,
            )
            self._emails[key] = item
            return item.attempts

    def abandon(self, key: str, now: datetime, reason: str) -> None:
        from chalicelib.storage.outbox_store import ABANDONED, MAX_ERROR_CHARS, PENDING, _iso

        with self._lock:
            item = self._emails.get(key)
            if item is None or item.status != PENDING:
                raise _refused("TransactWriteItems", transaction=True)
            self._emails[key] = replace(
                item,
                status=ABANDONED,
                last_attempt_at=_iso(now),
                last_error=(reason or "abandoned")[:MAX_ERROR_CHARS],
            )
            self._pending.discard(key)


class InMemoryTokenUsage:
    """Per (source, day) the source stated: the digest of its answer, how many items DynamoDB would
    take for it, its token total and its rows (the usage store's compact JSON text)."""

    def __init__(self) -> None:
        self._days: dict[tuple[str, date], tuple[str, int, int, str]] = {}
        self._lock = threading.Lock()

    def replace_days(self, source: str, days: Iterable[date], facts: Iterable[UsageFact]) -> UsageWrite:
        from chalicelib.domain.usage import merge_usage
        from chalicelib.storage.usage_store import ROWS_PER_ITEM, UsageDayChange, UsageWrite, _digest, _row, _text

        wanted: dict[date, list[list[Any]]] = {}
        for f in merge_usage(facts):
            if f.source != source:
                raise ValueError(f"usage from source {f.source!r} given to replace {source!r}")
            wanted.setdefault(f.day, []).append(_row(f))
        result = UsageWrite()
        with self._lock:
            for day in sorted(set(days) | set(wanted)):
                rows = wanted.get(day, [])
                result.stored += len(rows)
                digest = _digest(rows) if rows else ""
                chunks = -(-len(rows) // ROWS_PER_ITEM)
                have = self._days.get((source, day))
                if have is not None and have[:2] == (digest, chunks):
                    continue  # the same answer
                if have is None and not chunks:
                    continue
                tokens = sum(sum(r[5:9]) for r in rows)  # input, cached input, cache writes, output
                result.puts += chunks
                result.deletes += max((have[1] if have else 0) - chunks, 0)
                if have is not None and have[0] != digest:
                    result.changed.append(UsageDayChange(source, day, have[2], tokens))
                if rows:
                    self._days[(source, day)] = (digest, chunks, tokens, _text(rows))
                else:
                    del self._days[(source, day)]
        return result

    def usage_for_month(self, month: str) -> list[UsageFact]:
        from chalicelib.storage.usage_store import usage_fact

        with self._lock:
            days = sorted(
                ((f"{s}#{d.isoformat()}", s, d, v[3]) for (s, d), v in self._days.items() if _month(d) == month)
            )
        return [usage_fact(day, source, row) for _, source, day, text in days for row in json.loads(text)]


class InMemorySnapshots:
    """Per closed month: its head (when and why it was closed) and the ledger's compressed chunks."""

    def __init__(self) -> None:
        self._months: dict[str, tuple[dict[str, str], list[bytes]]] = {}
        self._lock = threading.Lock()

    def load(self, first: str, last: str) -> dict[str, Snapshot]:
        from chalicelib.storage.snapshot_store import Snapshot, unpack

        with self._lock:
            months = {m: self._months[m] for m in sorted(self._months) if first <= m <= last}
        return {
            m: Snapshot(
                m,
                unpack(m, chunks),
                head["closed_at"],
                head["note"],
                head["build"],
                len(chunks),
                head.get("stamp"),
            )
            for m, (head, chunks) in months.items()
        }

    def save(
        self,
        month: str,
        ledger: Ledger,
        closed_at: str,
        note: str = "closed",
        previous: Optional[Snapshot] = None,
        stamp: Optional[str] = None,
    ) -> int:
        from chalicelib.storage.snapshot_store import pack

        chunks = pack(month, ledger)
        head = {"build": uuid.uuid4().hex[:12], "closed_at": closed_at, "note": note}
        if stamp is not None:
            head["stamp"] = stamp
        with self._lock:
            self._months[month] = (head, chunks)
        return 0


def in_memory_stores(clock: Callable[[], float] = time.time) -> Stores:
    """Every store the services use, in memory and empty (`clock`: the epoch seconds the day
    revisions record, as DynamoDB's writers record the wall clock)."""
    from chalicelib.stores import Stores

    pipeline = {
        "pool": InMemoryPoolCredits(),
        "runs": InMemoryRuns(),
        "alerts": InMemoryAlerts(),
        "usage": InMemoryTokenUsage(),
        "snapshots": InMemorySnapshots(),
    }
    return Stores(
        tokens=InMemoryTokens(),
        organisation=InMemoryOrganisations(),
        work_items=InMemoryWorkItems(clock),
        guardrails=InMemoryGuardrails(),
        ledger=InMemoryCostFacts(clock),
        freshness=InMemoryFreshness(),
        pipeline_store=pipeline.__getitem__,
    )
