"""What the services need of each store, in domain terms: one Protocol per store.

Each store has two implementations that the services cannot tell apart:

- DynamoDB (chalicelib/storage/<store>.py): production, the local stack and the end-to-end tests;
- in memory (chalicelib/storage/in_memory.py): the service tests (tests/services/), fast and exact.

One contract suite per store (tests/storage/contracts/) runs the same behaviour tests against both.
The methods take and return domain objects and plain records (dataclasses of the store modules, no
boto3 types). Errors a caller can observe are the same from both: a conditional write that loses
(an outbox email no longer pending, ...) raises botocore's ClientError with DynamoDB's error code,
since that is what the services already handle.

`chalicelib.stores.Stores` holds one of each; `chalicelib.bootstrap` builds the DynamoDB ones once
per process, tests build `Stores` of in-memory ones with `in_memory.in_memory_stores()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Protocol, Sequence

if TYPE_CHECKING:
    from datetime import date, datetime

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


class Revisions(Protocol):
    """How often each day of a month was written (chalicelib/storage/settled_days.py): the pipeline
    stamps a closed month with them and closes it again when they move."""

    def heads(self, months: list[str]) -> dict[str, dict[str, Any]]:
        """month -> its revisions ({"r<dd>": writes, "n<dd>": writes in flight, "t<dd>": the epoch
        second of the last write}, read by `settled_days.written` and `settled`), for the months
        ever written; a month never written is absent."""
        ...


class Tokens(Protocol):
    """API tokens: shown once, kept as hashes."""

    def create(self, scope: str, team: str, now: datetime, label: str = "") -> tuple[str, Grant]:
        """A new token and its grant. ValueError for an unknown scope, or a team token without a team
        (or another scope with one)."""
        ...

    def lookup(self, token: str) -> Optional[Grant]:
        """The grant of an active token; None for an unknown, empty or revoked one."""
        ...

    def list(self) -> list[Grant]:
        """Every grant, revoked ones included, oldest first."""
        ...

    def revoke(self, token_id: str) -> int:
        """Revoke the active tokens with this id; how many were revoked (0: none active)."""
        ...


class Organisations(Protocol):
    """Finance's configuration, replaced whole by each save, and the terms history of its rows."""

    def load(self) -> Organisation:
        """The configuration last saved (an empty one before any save) with every terms history.
        Rows come back ordered by their id, whatever order they were saved in."""
        ...

    def save(self, org: Organisation) -> int:
        """Make `org` the configuration (readers see the old one or this one, never a mix)."""
        ...

    def record_terms(self, org: Organisation, today: date, stored: Optional[Organisation] = None) -> Organisation:
        """Add each changed use case's and team's terms to their history; `org` carrying them all.
        `stored`: the configuration as last loaded (its histories are the ones known)."""
        ...


class WorkItems(Protocol):
    """Work items, and per (use case, day) counters that always equal their items."""

    @property
    def revisions(self) -> Revisions: ...

    @property
    def last_read(self) -> tuple[int, int]:
        """(requests, days read raw) of the last open-month read."""
        ...

    def save(self, items: Sequence[WorkItem], now: datetime) -> SaveOutcome:
        """Store items (unique by (use case, work item id)); a repost replaces the item and moves its
        count (another day, another status), never counting it twice. `replaced`: the keys that
        were stored before."""
        ...

    def units_for_month(self, month: str) -> list[DailyUnits]:
        """Every counter of the month ("YYYY-MM"), by day; a counter whose items all moved away
        stays, at zero."""
        ...

    def units_for_open_month(self, month: str) -> list[DailyUnits]:
        """The same counters as `units_for_month` (read the way the hourly run reads them)."""
        ...

    def units_between(self, use_case: str, first: date, last: date) -> list[DailyUnits]:
        """One use case's counters from `first` to `last` (both included), by day."""
        ...

    def recount_day(self, use_case: str, day: date) -> int:
        """How many items the use case has on `day`, counted from the items themselves."""
        ...


class Guardrails(Protocol):
    """Each use case's latest guardrail, as agents read it."""

    def get(self, use_case: str) -> Optional[Guardrail]: ...

    def all(self) -> list[Guardrail]:
        """Every guardrail, by use case."""
        ...

    def put_all(self, guardrails: Iterable[Guardrail]) -> int:
        """Store each guardrail, unless one judged later (`as_of`) is stored for its use case."""
        ...


class CostFacts(Protocol):
    """The cost ledger: daily cost facts, replaced per (source, day), never counted twice."""

    @property
    def revisions(self) -> Revisions: ...

    @property
    def last_read(self) -> tuple[int, int]:
        """(requests, days read raw) of the last open-month read."""
        ...

    def replace_days(self, source: str, days: Iterable[date], facts: Iterable[CostFact]) -> LedgerWrite:
        """Make `source`'s facts on each of `days` (and each fact's own day) exactly `facts`, the same
        identity summed. Other days and other sources keep what they hold; a named day with no facts
        is emptied. `changed`: the days stated before whose amounts changed (restatements), by day.
        ValueError for a fact of another source (nothing is written)."""
        ...

    def facts_for_month(self, month: str) -> list[CostFact]:
        """Every source's facts of the month, by day."""
        ...

    def facts_for_open_month(self, month: str) -> list[CostFact]:
        """The same facts as `facts_for_month` (read the way the hourly run reads them; any order)."""
        ...

    def facts_between(self, first: date, last: date) -> list[CostFact]:
        """Every fact from `first` to `last`, both included."""
        ...


class Freshness(Protocol):
    """Per billing source: its last pull, the last failure, the days it owes, its restatements."""

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
        """A pull that landed: replaces what the last one said, clears the days owed, logs its
        restatement lines."""
        ...

    def record_restatements(self, source: str, at: str, lines: Iterable[str]) -> None:
        """Add lines (an import's corrected invoice) to the source's running log (the last 100 kept)."""
        ...

    def owe(self, source: str, first_day: str) -> None:
        """The source owes days from `first_day` (ISO) until a pull succeeds; an earlier day owed wins."""
        ...

    def failed(self, source: str, at: str, error: str) -> None:
        """A failed pull: the last success and what it said are kept."""
        ...

    def all(self) -> list[SourceFreshness]:
        """Every source, by name."""
        ...


class PoolCredits(Protocol):
    """Closed months' reallocation pool credits, and the month the product started closing months."""

    def load(self) -> Optional[dict[str, tuple[PoolCredit, ...]]]:
        """month -> its credits, by month; None when no month is closed."""
        ...

    def opened(self) -> Optional[str]: ...

    def open_at(self, month: str) -> str:
        """Record `month` as the opening month unless one is; the one recorded."""
        ...

    def save(self, pool_credits: Mapping[str, Sequence[PoolCredit]]) -> int:
        """Store these months' credits (closing a month again replaces its credits; others stay)."""
        ...


class Runs(Protocol):
    """Pipeline runs: the single-flight lock (a lease) and one record per run."""

    def acquire(self, run_id: str, wall: datetime, lease_seconds: int) -> Optional[dict[str, Any]]:
        """Take the lock for `run_id` ({"run_id", "acquired_at", "expires_at"}); None while another
        run's lease (or this run's own) has not expired at `wall`."""
        ...

    def holder(self) -> Optional[dict[str, Any]]:
        """The lock as held ({"run_id", "acquired_at", "expires_at"}, expired or not), or None."""
        ...

    def release(self, run_id: str) -> None:
        """Drop the lock if `run_id` holds it (a lock taken over by another run is left alone)."""
        ...

    def put(self, record: RunRecord, wall: datetime) -> None: ...

    def get(self, run_id: str) -> Optional[RunRecord]: ...

    def recent(self, limit: int = 20) -> list[RunRecord]:
        """The latest runs, newest first (run ids sort by time)."""
        ...


class Alerts(Protocol):
    """Alert episodes between runs (open ones, and closed ones for the record) and the digest's colours."""

    def open(self) -> list[Episode]:
        """Every open episode, by key."""
        ...

    def save(self, episodes: Iterable[Episode], previous: Iterable[Episode], wall: datetime) -> int:
        """Store this run's episodes: open ones that changed since `previous`; closed ones move out of
        the open ones (when `previous` had them) into the record."""
        ...

    def digest_colours(self) -> dict[str, str]:
        """use case -> colour the last weekly digest reported ({} before any)."""
        ...

    def save_digest_colours(self, colours: dict[str, str]) -> None: ...


class Outbox(Protocol):
    """Exactly one email per notice key: claimed (pending) before it is sent."""

    def claim(self, notice: Notice, now: datetime, rendered: Optional[tuple[str, str, str]] = None) -> bool:
        """Keep `notice` as pending with its rendered (subject, html, text); False when its key was
        ever claimed (pending, sent or abandoned): the caller must not send it."""
        ...

    def get(self, key: str) -> Optional[OutboxItem]: ...

    def claimed(self, keys: Iterable[str]) -> set[str]:
        """Which of `keys` were ever claimed (pending, sent or abandoned)."""
        ...

    def pending(self) -> list[OutboxItem]:
        """Every email claimed and neither sent nor abandoned, oldest claim first."""
        ...

    def mark_sent(self, key: str, now: datetime, message_id: str) -> None:
        """Sent: never pending again. ClientError (TransactionCanceledException) for a key never claimed."""
        ...

    def mark_failed(self, key: str, now: datetime, error: str) -> int:
        """A failed send, counted; the email stays pending. The attempts so far. ClientError
        (ConditionalCheckFailedException) unless the email is pending."""
        ...

    def abandon(self, key: str, now: datetime, reason: str) -> None:
        """Give up on a pending email (kept, never sent). ClientError (TransactionCanceledException)
        unless the email is pending."""
        ...


class TokenUsage(Protocol):
    """Token usage by day, replaced per (source, day) like the cost ledger."""

    def replace_days(self, source: str, days: Iterable[date], facts: Iterable[UsageFact]) -> UsageWrite:
        """Make `source`'s usage on each of `days` (and each row's own day) exactly `facts`, the same
        identity summed; `changed`: days stated before whose rows changed. ValueError for a row of
        another source."""
        ...

    def usage_for_month(self, month: str) -> list[UsageFact]:
        """Every source's usage rows of the month."""
        ...


class Snapshots(Protocol):
    """Closed months' engine inputs, so later runs need not read their raw facts."""

    def load(self, first: str, last: str) -> dict[str, Snapshot]:
        """month -> its snapshot, for the months `first`..`last` ("YYYY-MM", both included) closed."""
        ...

    def save(
        self,
        month: str,
        ledger: Ledger,
        closed_at: str,
        note: str = "closed",
        previous: Optional[Snapshot] = None,
        stamp: Optional[str] = None,
    ) -> int:
        """Store `month`'s snapshot, replacing any. ValueError for a ledger holding another month's day."""
        ...
