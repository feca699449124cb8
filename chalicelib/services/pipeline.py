"""The scheduled pipeline: pull billing, read the sheet, compute, store guardrails, write the sheet,
alert by email, close the month. Every schedule (and POST /v1/runs) is one call to `run`.

    from chalicelib.bootstrap import dependencies
    from chalicelib.services import pipeline

    record = pipeline.run("hourly", dependencies(), now)          # -> RunRecord (stored too)

Kinds:
- sync: read the sheet, compute, store the guardrails, write the sheet (no pull, no email);
- hourly: pull the last 3 days from every source, then sync, evaluate alerts and send email;
- daily: the same, pulling the current and the previous month (late restatements);
- weekly: daily + the SLO digest to finance;
- monthly: daily + close the previous month (pool credits stored; closing again replaces them)
  and the board report to the board list (its HTML page also stored in S3 when REPORTS_BUCKET is
  set: board-reports/YYYY-MM.html; a failed upload fails that step alone).

A run is single-flight (a lock item with a lease; an overlapping run exits with status
"skipped" and says who holds the lock) and idempotent: each step replaces what it writes, and
each email has a deterministic key the outbox holds once. Steps are recorded with their
timings; a failing step (a source, the sheet, SES) never loses the others' work: the guardrails
are stored before the sheet is written, so they follow the spend when the sheet is unreachable.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol, Sequence

from chalicelib.storage.run_store import RunLog, RunRecord, new_run_id

if TYPE_CHECKING:
    from chalicelib.sheet_sync import SyncReport
    from chalicelib.storage.interfaces import Alerts, Outbox, PoolCredits, Runs, Snapshots
    from chalicelib.stores import Stores

KINDS = ("sync", "hourly", "daily", "weekly", "monthly")
HISTORY_MONTHS = 13  # months of facts and units the engine reads (the longest history the sheet shows)
LEASE_SECONDS = 900  # the pipeline Lambda's time-out: a lock older than this belongs to a dead run


class Mailer(Protocol):
    """Sends one email; its provider's message id (SesMailer; tests record instead)."""

    def send(self, recipients: Sequence[str], subject: str, html: str, text: str, key: str = "") -> str: ...


@dataclass
class Deps:
    """Everything a run touches, built once by chalicelib.bootstrap (tests hand it in-memory stores)."""

    stores: Stores  # organisation, work_items, guardrails, ledger, freshness, tokens, usage, snapshots
    pool: PoolCredits
    runs: Runs
    alerts: Alerts
    outbox: Optional[Outbox]  # None: no email
    mailer: Optional[Mailer]  # None: no email
    sources: Callable[..., Any]  # org -> [BillingSource]
    open_sheet: Callable[[], Any]  # () -> SheetSession (may raise: the sheet is then "unreachable")
    sheet_url: str = ""
    wall: Callable[[], datetime] = lambda: datetime.now(timezone.utc)  # real time, for leases; runs judge `now`
    count_requests: Callable[[], int] = lambda: 0  # DynamoDB requests made so far by this process
    snapshots: Optional[Snapshots] = None  # None: the stores' own
    usage_sources: Optional[Callable[..., Any]] = None  # () -> [usage_pull.UsageSource] (None: no usage pulled)


@dataclass
class _RunState:
    """What one run's steps tell each other about closed months."""

    kind: str
    now: datetime
    touched: dict = field(default_factory=dict)  # "YYYY-MM" -> {source}: days this run's pull changed
    notes: list = field(default_factory=list)  # "closed 2026-09", "re-closed 2026-10: restated by aws"
    opened: Optional[str] = None  # the month of the first scheduled run (PoolStore.opened)


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def pull_window(kind: str, today: date) -> Optional[tuple]:
    """[start, end) of the days a run pulls; None for a sync."""
    if kind == "sync":
        return None
    if kind == "hourly":
        return today - timedelta(days=2), today + timedelta(days=1)
    from chalicelib.domain.periods import month_first_day, previous_month

    return month_first_day(previous_month(today)), today + timedelta(days=1)


def run(
    kind: str, deps: Deps, now: datetime, run_id: Optional[str] = None, requested_by: str = "schedule"
) -> RunResult:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    now = (now if now.tzinfo else now.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    wall = deps.wall()
    run_id = run_id or new_run_id(kind, wall)
    queued = deps.runs.get(run_id)
    record = RunRecord(
        run_id,
        kind,
        "running",
        requested_by=queued.requested_by if queued else requested_by,
        queued_at=queued.queued_at if queued else "",
        started_at=_iso(wall),
        now=_iso(now),
    )
    before = deps.runs.holder()  # a lock left by a dead run (its lease ran out) is taken over below
    if deps.runs.acquire(run_id, wall, LEASE_SECONDS) is None:
        holder = deps.runs.holder() or {}
        record = replace(
            record,
            status="skipped",
            finished_at=_iso(deps.wall()),
            message=f"another run ({holder.get('run_id', 'unknown')}, since "
            f"{holder.get('acquired_at', '?')}) holds the lock: nothing done",
        )
        deps.runs.put(record, wall)
        from chalicelib.sheet_sync import SyncReport

        return RunResult(record, SyncReport(False, _iso(now), error=record.message))
    deps.runs.put(record, wall)
    _bury(deps, before, run_id, wall)
    try:
        return _run_locked(kind, deps, now, record)
    finally:
        deps.runs.release(run_id)


def _bury(deps: Deps, before: Optional[dict], run_id: str, wall: datetime) -> None:
    """The run whose expired lock this run took died mid-way (killed, timed out): its record, left
    "running" for ever, now says so (GET /v1/runs/{id})."""
    dead_id = (before or {}).get("run_id")
    if not dead_id or dead_id == run_id:
        return
    try:
        dead = deps.runs.get(dead_id)
        if dead is not None and dead.status == "running":
            deps.runs.put(
                replace(
                    dead,
                    status="failed",
                    finished_at=_iso(wall),
                    message=f"did not finish (killed or timed out): its lock's lease ran out and run "
                    f"{run_id} took over",
                ),
                wall,
            )
    except Exception:  # noqa: BLE001 - bookkeeping only: never stops the run that took over
        from chalicelib.observability import logger

        logger.exception(f"could not mark run {dead_id} as failed")


class _Steps:
    """Runs each step (a function returning (value, detail)), timing it and recording its outcome;
    a failed step is recorded and gives None: it never stops the steps after it."""

    def __init__(self):
        self.log = RunLog()
        self.failed: list = []
        self.degraded: list = []  # steps that ran but left work undone (a failing source, unsent email)

    def __call__(self, name: str, fn: Callable, *args):
        started = time.perf_counter()
        try:
            value, detail = fn(*args)
        except Exception as exc:  # noqa: BLE001 - recorded; the run goes on with what it has
            from chalicelib.observability import logger

            logger.exception(f"pipeline step {name} failed")
            self.failed.append(name)
            self.log.add(name, "failed", time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
            return None
        self.log.add(name, "ok", time.perf_counter() - started, detail)
        return value


@dataclass(frozen=True)
class RunResult:
    record: RunRecord  # what is stored and GET /v1/runs/{id} answers
    sheet: SyncReport  # the sheet's side, for the CLI and tests


def _run_locked(kind: str, deps: Deps, now: datetime, record: RunRecord) -> RunResult:
    from chalicelib.sheet_sync import SyncReport

    today = now.date()
    steps = _Steps()
    requests_before = deps.count_requests()
    s = deps.stores
    previous = s.organisation.load()
    report = SyncReport(False, _iso(now))
    freshness_lines: tuple = ()

    state = _RunState(kind, now)
    window = pull_window(kind, today)
    pulled = None
    if window is not None:
        pulled = steps("pull billing", _pull, deps, previous, window, now, state)
        if pulled is not None:
            freshness_lines = tuple(
                f"{r.source} {r.status or ('ok' if r.ok else 'error')} {r.days_answered}/{r.days_asked} days"
                for r in pulled.results
            )
            failing = [r.source for r in pulled.results if not r.ok]
            if failing:  # the other sources landed; the run still says it is not whole
                steps.degraded.append(f"source failing: {', '.join(failing)}")
    sheet = steps("read sheet", _read_sheet, deps, previous, report)
    org = steps("configuration", _configuration, deps, sheet, previous, today) or previous
    out = steps("compute", _compute, deps, org, today, state)
    if out is None:
        return _finish(deps, record, steps, report, requests_before, freshness_lines, "failed", 0)
    report.use_cases = len(out.statuses)
    alloc = out.allocation.get(out.month)
    report.month_to_date = alloc.total if alloc else Decimal(0)
    rails = steps("store guardrails", _store_guardrails, deps, out, report.at)
    report.guardrails = len(rails) if rails is not None else 0
    if kind == "monthly":
        closed = steps("close month", _close_month, deps, out, today)
        if closed is not None:
            out = steps("compute after close", _compute, deps, org, today, state) or out
    notices: list = []
    stored_board = None
    if kind != "sync":
        notices = steps("alerts", _alerts, deps, out, org, today, now, state.opened) or []
        if kind == "weekly":
            notices += steps("weekly digest", _digest, deps, out, org, today, now) or []
        if _board_due(deps, kind, out, state.opened):
            short = _sources_short(pulled, window is not None)
            if short:  # no verdict without the data: the board gets the month once every source answered
                steps("board report held", _hold_board, deps, out.board.month, short, today)
                steps.degraded.append(f"board report held ({', '.join(short)})")
            else:
                notices += steps("board report", _board_notice, deps, out, org, today) or []
                if reports_bucket():  # the one-pager kept in S3; a failed upload fails this step alone
                    stored_board = steps("store board report", _store_board_report, out, deps.sheet_url)
    if sheet is not None:
        label = "; ".join([f"{kind} run {record.run_id}"] + [n for n in state.notes if n.startswith("re-closed")])
        board_page = (
            steps("board report location", _board_report_location, out, stored_board) if reports_bucket() else None
        )
        steps("write sheet", _write_sheet, deps, sheet, out, org, now, report, label, board_page)
    else:  # the sheet could not be read: nothing is written to it (the guardrails are stored)
        steps.log.add("write sheet", "skipped", 0.0, report.error or "the sheet could not be read")
        steps.degraded.append("sheet not written")
    sent = 0
    if kind != "sync":
        delivered = steps("email", _email, deps, notices, now)
        sent = len(getattr(delivered, "sent", ()) or ()) if delivered is not None else 0
        if delivered is not None and not delivered.ok:  # left pending: the next run retries
            steps.degraded.append(f"email: {delivered}")
    status = "ok" if not (steps.failed or steps.degraded) else "partial"
    return _finish(deps, record, steps, report, requests_before, freshness_lines, status, sent)


def _finish(
    deps: Deps, record: RunRecord, steps: _Steps, report, requests_before: int, freshness: tuple, status: str, sent: int
) -> RunResult:
    failed = f"; failed: {', '.join(steps.failed)}" if steps.failed else ""
    failed += "".join(f"; {d}" for d in steps.degraded)
    report.seconds = float(sum(step.seconds for step in steps.log.steps))
    record = replace(
        record,
        status=status,
        finished_at=_iso(deps.wall()),
        steps=tuple(steps.log.steps),
        message=f"{report.use_cases} use cases{failed}" + (f"; sheet: {report.error}" if report.error else ""),
        dynamodb_requests=deps.count_requests() - requests_before,
        sheets_requests=report.requests,
        emails_sent=sent,
        freshness=freshness,
    )
    deps.runs.put(record, deps.wall())
    return RunResult(record, report)


# --- the steps ------------------------------------------------------------------------------


def _pull(deps: Deps, org, window: tuple, now: datetime, state: Optional[_RunState] = None):
    from chalicelib.billing import pull_sources

    s = deps.stores
    ledger = _MonthWrites(s.ledger, state.touched if state is not None else {})
    report = pull_sources(deps.sources(org), window[0], window[1], org, ledger, s.freshness, now)
    failed = [r.source for r in report.results if not r.ok]
    if deps.usage_sources is not None:  # the vendors' token usage beside their costs (usage_pull.py)
        from chalicelib.usage_pull import pull_usage

        usage = pull_usage(deps.usage_sources(), window[0], window[1], org, s.usage, s.freshness, now)
        failed += [r.source for r in usage if not r.ok]  # in freshness; the costs' report is unchanged
    return report, f"{len(report.results)} sources" + (f"; failing: {', '.join(failed)}" if failed else "")


def _read_sheet(deps: Deps, previous, report):
    from chalicelib.sheet_sync import read_configuration

    try:
        session = deps.open_sheet()
    except Exception as exc:  # no sheet configured or no credentials: the step fails, the run goes on
        report.error = f"opening the sheet failed: {type(exc).__name__}: {exc}"
        report.configuration = "stored"
        raise SheetUnreadable(report.error) from exc
    sheet = read_configuration(previous, report, session)
    if sheet is None:  # the step fails (recorded); the run computes with the stored configuration
        raise SheetUnreadable(report.error)
    return sheet, f"{len(report.issues)} issue(s)"


class SheetUnreadable(RuntimeError):
    pass


def _configuration(deps: Deps, sheet, previous, today: date):
    """Finance's configuration: the sheet's when it was read (saved, terms history recorded), else stored."""
    from chalicelib.sheet_sync import same_configuration

    store = deps.stores.organisation
    if sheet is None:
        return previous, "the stored configuration (the sheet could not be read)"
    org = sheet.inputs.organisation
    if not same_configuration(org, previous):
        store.save(org)
    return store.record_terms(org, today, stored=previous), "from the sheet"


class _MonthWrites:
    """The cost ledger as a pull writes it, one call per calendar month, noting which months' stored
    facts the pull changed (facts put or removed) and by which source: a change to a closed month
    is a restatement, and the month is closed again from its raw facts."""

    def __init__(self, ledger, touched: dict):
        self._ledger = ledger
        self.touched = touched

    def replace_days(self, source: str, days, facts):
        from chalicelib.domain.periods import month_key
        from chalicelib.storage.cost_ledger import LedgerWrite

        by_month: dict = {}
        for day in days:
            by_month.setdefault(month_key(day), ([], []))[0].append(day)
        for fact in facts:
            by_month.setdefault(month_key(fact.day), ([], []))[1].append(fact)
        total = LedgerWrite(0, 0, 0, 0, 0)
        for month, (month_days, month_facts) in sorted(by_month.items()):
            w = self._ledger.replace_days(source, month_days, month_facts)
            if w.puts or w.deletes:
                self.touched.setdefault(month, set()).add(source)
            total = LedgerWrite(
                total.facts_in + w.facts_in,
                total.puts + w.puts,
                total.deletes + w.deletes,
                total.unchanged + w.unchanged,
                total.write_requests + w.write_requests,
                total.changed + list(w.changed),
                total.stored + w.stored,
            )
        return total

    def __getattr__(self, name):
        return getattr(self._ledger, name)


def _snapshots(deps: Deps):
    """The closed months' snapshots (Deps.snapshots, else the stores' own)."""
    if deps.snapshots is None:
        deps.snapshots = deps.stores.snapshots
    return deps.snapshots


def _instant(text: str) -> Optional[datetime]:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


_RESTATED = re.compile(r"^(?P<source>.+?) (?P<day>\d{4}-\d{2}-\d{2}): restated")


def _month_stamps(deps: Deps, months: list) -> dict:
    """month -> what its cost facts' and unit counters' revisions say now ("facts/units" bumps), or
    "" while a write is in flight or settling: a closed month whose stamp moved was written since."""
    import time

    from chalicelib.storage.settled_days import settled, written

    if not months:
        return {}
    s = deps.stores
    facts, units = s.ledger.revisions.heads(months), s.work_items.revisions.heads(months)
    now = time.time()
    return {
        m: (
            f"{written(facts.get(m, {}))}/{written(units.get(m, {}))}"
            if settled(facts.get(m, {}), now) and settled(units.get(m, {}), now)
            else ""
        )
        for m in months
    }


def _restated(deps: Deps, snaps: dict, stamps: dict, state: _RunState) -> dict:
    """month -> {source} for each closed month written since it was closed: its revisions moved
    (any pull, import or late work item, a day never stated before included), named by the sources
    this run's pull changed or the restatement lines logged for the month, else by what moved. A
    snapshot stored before stamps existed is judged by the lines logged after its close."""
    out: dict = {}
    for month, sources in state.touched.items():
        if month in snaps:
            out.setdefault(month, set()).update(sources)
    logged: dict = {}
    for f in deps.stores.freshness.all() if snaps else ():
        for entry in f.restatement_log:
            at, _, line = entry.partition(" ")
            hit, when = _RESTATED.match(line), _instant(at)
            if hit is not None and when is not None:
                logged.setdefault(hit.group("day")[:7], []).append((when, hit.group("source")))
    for month, snap in snaps.items():
        now = stamps.get(month, "")
        if snap.stamp is None:  # before stamps: the lines logged after the close
            closed = _instant(snap.closed_at)
            sources = {src for when, src in logged.get(month, ()) if closed is not None and when > closed}
        elif now and now != snap.stamp:
            sources = {src for _, src in logged.get(month, ())} or {_moved(snap.stamp, now)}
        else:
            continue
        if sources:
            out.setdefault(month, set()).update(sources)
    return out


def _moved(before: str, now: str) -> str:
    facts = before.partition("/")[0] != now.partition("/")[0]
    units = before.partition("/")[2] != now.partition("/")[2]
    return (
        "new cost facts and work items posted late"
        if facts and units
        else "new cost facts"
        if facts
        else "work items posted late"
    )


def _units_differ(ledger, fresh) -> bool:
    def plain(lg):
        return ({u: d for u, d in lg.units.items() if d}, dict(lg.reported_through), set(lg.unknown_unit_use_cases))

    return plain(ledger) != plain(fresh)


def _closed_ledgers(deps: Deps, org, months: list, state: _RunState) -> tuple:
    """(ledgers of the closed months of `months`, the months left open, months restated -> sources).

    A month before the current one is closed by its snapshot. A scheduled run (not a sync) closes
    every complete month of the window that has none (the previous month on the 1st, so a missed
    monthly run heals itself; older months once, after an upgrade) and closes again each closed
    month restated since (rebuilt from its raw facts and counters). A daily, weekly or monthly run
    also re-reads the previous month's unit counters: work items posted late re-close it."""
    from chalicelib.domain.allocation import build_ledger
    from chalicelib.storage.snapshot_store import encode

    store = _snapshots(deps)
    complete = months[:-1]
    snaps = store.load(complete[0], complete[-1]) if complete else {}
    scheduled = state.kind != "sync"
    stamps = _month_stamps(deps, complete)
    restated = _restated(deps, snaps, stamps, state)
    s = deps.stores
    if scheduled and state.kind != "hourly" and complete and complete[-1] in snaps and complete[-1] not in restated:
        last = complete[-1]
        counted = build_ledger(org, (), s.work_items.units_for_month(last))
        if _units_differ(snaps[last].ledger, counted):
            restated[last] = {"work items"}
    parts, open_months = {}, []
    at = state.now.isoformat()
    for month in complete:
        snap = snaps.get(month)
        unsettled_close = snap is not None and snap.stamp == "" and stamps.get(month)
        if snap is not None and month not in restated and not unsettled_close:
            parts[month] = snap.ledger
            continue
        if not scheduled:
            open_months.append(month)
            continue
        ledger = build_ledger(org, s.ledger.facts_for_month(month), s.work_items.units_for_month(month))
        if snap is not None and month not in restated:  # closed while writes settled: the same, stamped now
            if encode(month, ledger) == encode(month, snap.ledger):
                store.save(month, ledger, snap.closed_at, snap.note, previous=snap, stamp=stamps.get(month))
                parts[month] = ledger
                continue
            restated[month] = {"writes settling at its close"}
        note = (
            f"re-closed {month}: restated by {', '.join(sorted(restated[month]))}"
            if snap is not None
            else f"closed {month}"
        )
        store.save(month, ledger, at, note, previous=snap, stamp=stamps.get(month))
        state.touched.pop(month, None)  # this run's pull is in the snapshot now
        state.notes.append(note)
        parts[month] = ledger
    open_months.append(months[-1])
    return parts, open_months, {m: restated[m] for m in restated if m in parts}


def _compute(deps: Deps, org, today: date, state: Optional[_RunState] = None):
    """Every output. Closed months come from their snapshots; raw facts and counters are read only
    for the open months (the current one, and a month no snapshot closes yet in a sync)."""
    from chalicelib.domain import engine
    from chalicelib.domain.allocation import merge_ledgers

    state = state or _RunState("sync", datetime.combine(today, datetime.min.time(), timezone.utc))
    s = deps.stores
    from chalicelib.domain.periods import months_back

    months = months_back(today, HISTORY_MONTHS)
    closed, open_months, restated = _closed_ledgers(deps, org, months, state)
    facts, units, raw_days = [], [], 0
    for m in open_months:
        facts += [f for f in s.ledger.facts_for_open_month(m) if f.day <= today]
        units += s.work_items.units_for_open_month(m)
        raw_days += s.ledger.last_read[1] + s.work_items.last_read[1]
    ledger = merge_ledgers([closed[m] for m in sorted(closed)] + [engine.open_ledger(org, facts, units, today)], org)
    latched = {g.use_case: g.critical_since for g in s.guardrails.all() if g.critical_since}
    pool = deps.pool.load()
    opened = deps.pool.opened() if state.kind != "sync" else None
    if opened is None and state.kind != "sync":  # the first scheduled run: the product is live from this month
        opened = deps.pool.open_at(today.isoformat()[:7])
    state.opened = opened
    out = engine.compute_ledger(org, ledger, today, pool, critical_since=latched)
    credits = _pool_closes(pool, out, restated, state, today)
    if credits:
        deps.pool.save(credits)
        pool = {**(pool or {}), **credits}
        out = engine.compute_ledger(org, ledger, today, pool, critical_since=latched)
    from chalicelib.services.hints import with_hints

    out = with_hints(s, org, out, today, state.notes)  # optimization hints (domain/optimization.py)
    detail = (
        f"{len(out.statuses)} use cases, {len(facts):,} facts of {', '.join(open_months)} "
        f"({raw_days} days of facts and counts read raw, the others settled)"
    )
    return out, "; ".join([detail] + state.notes)


def _pool_closes(pool: Optional[dict], out, restated: dict, state: _RunState, today: date) -> dict:
    """Pool credits to store: a restated month whose credits are stored is closed again; the previous
    month, when the pool lacks it though the product was live all through it (the pool holds earlier
    months, or the first scheduled run was before it): its monthly close was missed or failed. The
    month of the first run is partial: only its own monthly run closes it."""
    from chalicelib.domain.periods import previous_month

    stored = pool or {}
    closes = {}
    for month in sorted(restated):
        if month in stored and tuple(stored[month]) != tuple(out.closing_credits.get(month, ())):
            closes[month] = tuple(out.closing_credits.get(month, ()))
            state.notes.append(f"pool credits of {month} closed again")
    last = previous_month(today)
    opened = state.opened
    live = any(m < last for m in stored) or (state.kind != "monthly" and bool(opened and opened < last))
    if state.kind != "sync" and last not in stored and live:
        closes[last] = tuple(out.closing_credits.get(last, ()))
        state.notes.append(f"pool credits of {last} closed (its monthly close was missed)")
    return closes


def _store_guardrails(deps: Deps, out, at: str):
    from chalicelib.domain.periods import week_label
    from chalicelib.services.hints import guardrail_hints
    from chalicelib.storage.guardrail_store import Guardrail

    rails = [
        Guardrail(
            use_case=st.use_case,
            paused=st.paused,
            colour=st.colour,
            reason=st.reason,
            cost_per_unit=st.cpu_week if st.cpu_week is not None else st.cpu_month,
            cost_per_unit_period=(
                week_label(st.latest_week)
                if st.cpu_week is not None
                else f"{out.month}-01 to {st.counts_reported_through.isoformat()}"
                if st.cpu_month is not None and st.counts_reported_through is not None
                else ""
            ),
            cost_per_unit_this_week=st.cpu_current_week,
            counts_reported_through=st.counts_reported_through,
            target=st.target_cpu,
            month_to_date_cost=st.month_to_date_cost,
            budget_remaining=st.budget_remaining,
            as_of=at,
            critical_since=st.critical_since,
            hints=guardrail_hints(out, st.use_case),
        )
        for st in out.statuses.values()
    ]
    deps.stores.guardrails.put_all(rails)
    return rails, f"{len(rails)} guardrails"


def _close_month(deps: Deps, out, today: date):
    """Store the previous month's pool credits (closing again replaces that month's)."""
    from chalicelib.domain.periods import previous_month
    from chalicelib.domain.pool import close_month

    month = previous_month(today)
    credits = out.closing_credits.get(month, ())
    closed = close_month(deps.pool.load(), month, credits)
    deps.pool.save({month: closed[month]})
    return closed, f"{month}: {len(credits)} credit(s)"


def _claim(deps: Deps, notices, now: datetime) -> None:
    """Put each notice in the outbox (pending) BEFORE the state that calls for it is saved: notices are
    called for by transitions (an episode opening or escalating, a week's colours), so a run killed
    between saving that state and the email step would otherwise lose them for good (the rerun sees
    no transition). A claimed email is sent by this run's email step, or retried by the next run's."""
    if deps.outbox is None or deps.mailer is None:
        return
    from chalicelib.email.templates import render

    for notice in notices:
        if not notice.recipients:
            continue  # an alert row (recipients missing), never an email
        try:
            rendered = render(notice, deps.sheet_url)
        except ValueError:
            continue  # cannot be rendered: the email step reports it
        deps.outbox.claim(notice, now, rendered)  # False when an earlier run claimed it: fine


def _alerts(deps: Deps, out, org, today: date, now: datetime, opened: Optional[str] = None):
    """`opened`: the month of the first scheduled run. The month before it closed before the product
    was live: its overruns are history, not news."""
    from chalicelib.domain.alerts import evaluate
    from chalicelib.domain.closed_month_budgets import overruns
    from chalicelib.domain.periods import previous_month

    previous = {e.key: e for e in deps.alerts.open()}
    last = previous_month(today)
    live = opened is not None and opened <= last
    closed_month = overruns(org, out.allocation.get(last), last) if live else ()
    unknown = [o.key for o in closed_month if o.key not in previous]
    # An overrun's "spent" email went out once, whenever: the outbox keeps every key it ever claimed.
    told = deps.outbox.claimed(f"{k}:spent" for k in unknown) if unknown and deps.outbox is not None else set()
    closed_levels = {k: "spent" for k in unknown if f"{k}:spent" in told}
    ev = evaluate(out, org, previous, today, closed_month, closed_levels)
    _claim(deps, ev.notices, now)
    deps.alerts.save(ev.episodes, previous.values(), deps.wall())
    return list(ev.notices), f"{sum(e.open for e in ev.episodes)} open, {len(ev.notices)} notice(s)"


def _digest(deps: Deps, out, org, today: date, now: datetime):
    from chalicelib.domain.digest import weekly_digest

    previous = deps.alerts.digest_colours()
    notice, colours = weekly_digest(out, org, previous)
    if not notice.recipients:  # nobody to send it to: say so, and keep comparing with the last one sent
        _nobody_to_tell(deps, notice, today)
        return [], "no finance alert e-mails in Settings: digest not sent"
    _claim(deps, [notice], now)  # before the colours it compares against are replaced
    deps.alerts.save_digest_colours(colours)
    _told(deps, "digest", today)
    return [notice], f"digest of {len(colours)} use cases"


def _board_due(deps: Deps, kind: str, out, opened: Optional[str]) -> bool:
    """The closed month's board report is the monthly run's; a daily or weekly run (whose pull also
    covers the whole closed month) sends it when the monthly run held it, died or never ran."""
    if kind == "monthly":
        return True
    if kind not in ("daily", "weekly") or out.board is None or not out.board.month:
        return False
    month = out.board.month
    if any(e.key == f"held:board:{month}" for e in deps.alerts.open()):
        return True
    # The product was live all through the month (its first scheduled run was before it) and no
    # board report was ever claimed for it: the monthly run died before it, or never ran.
    # (`opened`: the month of the first scheduled run, as this run's compute read it.) With no email
    # configured there is no outbox to ask, and no board email to send.
    outbox = deps.outbox
    return outbox is not None and bool(opened and opened < month) and outbox.get(f"board:{month}") is None


def _hold_board(deps: Deps, month: str, short: list, today: date):
    """An open "held" alert: finance sees why the board report waits, and the daily run finds it."""
    from chalicelib.domain.alerts import Episode

    key = f"held:board:{month}"
    previous = [e for e in deps.alerts.open() if e.key == key]
    deps.alerts.save(
        [
            Episode(
                key,
                "held",
                "held",
                previous[0].since if previous else today,
                reason=(
                    f"board report for {month} held: {', '.join(short)} failed to answer, "
                    "so the month's figures may be "
                    "short; the next daily run whose pull every source answers sends it"
                ),
            )
        ],
        previous,
        deps.wall(),
    )
    return None, f"{month} held: {', '.join(short)} failed to answer; the next daily run sends it"


def _sources_short(pulled, pulling: bool) -> list:
    """Sources whose pull failed in this run (an answer that leaves days out is the source's word
    on them, as the ledger takes it; a failure says nothing)."""
    if not pulling:
        return []
    if pulled is None:
        return ["every source (the pull failed)"]
    return sorted(r.source for r in pulled.results if not r.ok)


def _board_notice(deps: Deps, out, org, today: date):
    from chalicelib.domain.digest import board_notice

    notice = board_notice(out, org)
    if not notice.recipients:
        _nobody_to_tell(deps, notice, today)
        return [], "no board, finance or CFO e-mails in Settings: board report not sent"
    _told(deps, "board", today)
    held = [e for e in deps.alerts.open() if e.key == f"held:board:{out.board.month}"]
    if held:  # sent now: the hold is over
        deps.alerts.save([replace(e, open=False, closed_on=today) for e in held], held, deps.wall())
    return [notice], f"board report {out.board.month}"


def _told(deps: Deps, kind: str, today: date) -> None:
    """Close the open "recipients" alerts of earlier digests (or board reports): this one has someone."""
    earlier = [e for e in deps.alerts.open() if e.key.startswith(f"recipients:{kind}:")]
    if earlier:
        deps.alerts.save([replace(e, open=False, closed_on=today) for e in earlier], earlier, deps.wall())


def _nobody_to_tell(deps: Deps, notice, today: date) -> None:
    """An open "recipients" alert for a digest or board report nobody can be sent."""
    from chalicelib.domain.alerts import Episode

    key = f"recipients:{notice.key}"
    deps.alerts.save(
        [
            Episode(
                key,
                "recipients",
                "recipients",
                today,
                reason=(
                    f"no e-mail address for the {notice.kind} '{notice.subject}': fill in the alert e-mails in Settings"
                ),
            )
        ],
        [],
        deps.wall(),
    )


def reports_bucket() -> str:
    """REPORTS_BUCKET: where the monthly close keeps the board report's HTML page ("" = not kept)."""
    import os

    return os.environ.get("REPORTS_BUCKET", "").strip()


def board_report_key(month: str) -> str:
    return f"board-reports/{month}.html"


def _store_board_report(out, sheet_url: str):
    """The closed month's board report as one self-contained HTML page in S3 (REPORTS_BUCKET)."""
    from chalicelib import board_html, runtime

    bucket, key = reports_bucket(), board_report_key(out.board.month)
    body = board_html.render(out.board, sheet_url).encode("utf-8")
    runtime.client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/html; charset=utf-8")
    return key, f"s3://{bucket}/{key} ({len(body):,} bytes)"


def _board_report_location(out, stored_key: Optional[str]):
    """(s3:// URI, S3 console link or "") of the closed month's page for the Board report tab: the
    one this run stored, else one an earlier close stored (a HEAD request says it is there); None
    when there is none (the tab then names no page)."""
    from botocore.exceptions import ClientError

    from chalicelib import runtime

    bucket, key = reports_bucket(), board_report_key(out.board.month)
    s3 = runtime.client("s3")
    if stored_key != key:
        try:
            s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
            return None, f"no page stored at s3://{bucket}/{key}"
    uri = f"s3://{bucket}/{key}"
    return (uri, s3_console_url(bucket, key, s3.meta.region_name)), uri


def s3_console_url(bucket: str, key: str, region: Optional[str]) -> str:
    """The S3 console's page for an object ("" when S3 is not AWS's: an endpoint such as moto's is
    set, or no region is known). Opening it takes a console sign-in; the link never expires."""
    import os
    from urllib.parse import quote

    if not region or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"):
        return ""
    return (
        f"https://s3.console.aws.amazon.com/s3/object/{quote(bucket)}?region={quote(region)}"
        f"&prefix={quote(key, safe='/')}"
    )


def _write_sheet(
    deps: Deps, sheet, out, org, now: datetime, report, run_label: str, board_page: Optional[tuple] = None
):
    from chalicelib.sheet_sync import write_outputs

    write_outputs(sheet, out, org, deps.stores.freshness.all(), now, report, run_label, board_page)
    if report.error:
        raise RuntimeError(report.error)
    return None, f"{report.requests} Sheets request(s), {report.write_bytes:,} bytes"


def _email(deps: Deps, notices, now: datetime):
    if deps.outbox is None or deps.mailer is None:
        return None, "email is not configured"
    from chalicelib.services.delivery import deliver

    result = deliver(notices, deps.outbox, deps.mailer, deps.sheet_url, now)
    return result, str(result)


def sync(now: datetime, deps: Optional[Deps] = None):
    """A "sync" run (read the sheet, compute, store the guardrails, write the sheet): its SyncReport."""
    if deps is None:
        from chalicelib.bootstrap import dependencies

        deps = dependencies()
    return run("sync", deps, now, requested_by="cli").sheet
