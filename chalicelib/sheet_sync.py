"""The Google Sheet front end: `init()` lays the sheet out, `sync(now)` reads finance's tabs and writes ours.

Public API
----------
    from chalicelib import sheet_sync

    sheet_sync.init() -> InitReport
        Creates every missing tab with its headers, notes, validations, frozen header,
        protection, conditional colours and the Dashboard's charts, in one batchUpdate.
        Running it again sends no write at all.

    sheet_sync.sync(now) -> SyncReport
        1. read: spreadsheet metadata + ONE values:batchGet of every input tab and the Sync log;
        2. parse by header name; bad cells named, their last good values (the stored
           Organisation, matched by row id) kept; save the result as the configuration;
        3. load 13 months of cost facts and unit counts, the closed months' pool credits;
        4. engine.compute(org, facts, units, today=now's UTC date, pool_credits);
        5. store each use case's guardrail (GET /v1/use-cases/{id}/guardrail answers it);
        6. write every output tab (+ new unmapped keys, missing headers) in ONE batchUpdate.
        A sync of a laid-out sheet costs 3 Sheets API requests (2 reads, 1 write) whatever
        the number of rows. If the sheet cannot be read, the stored configuration is used
        (guardrails still follow the latest spend) and the error is reported; if the write
        fails (after the transport's bounded back-off) the sheet is left exactly as it was.

Environment: SHEET_ID, GOOGLE_SERVICE_ACCOUNT_SECRET (default finops/google-service-account),
SHEETS_ENDPOINT_URL (local emulator only), SHEETS_MAX_BACKOFF_SECONDS and friends
(chalicelib.sheet.transport), SHEET_MAX_REQUEST_BYTES (default 2,000,000), and the
table names of chalicelib.runtime.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Optional

from chalicelib.sheet import cells, grid, layout, render, structure, writer
from chalicelib.sheet.inputs import CellIssue, read_inputs
from chalicelib.sheet.session import SheetSession

HISTORY_MONTHS = 13  # months of facts and units loaded for the engine (the longest history shown)
NEW_KEYS_PER_SYNC = 500


@dataclass
class InitReport:
    ok: bool
    spreadsheet_id: str = ""
    created: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    requests: int = 0
    structural_requests: int = 0  # batchUpdate parts sent (0: nothing to change)
    error: str = ""

    def lines(self) -> list:
        if not self.ok:
            return [f"init FAILED: {self.error}"]
        out = [f"created tab {t}" for t in self.created] + list(self.changes)
        return out or ["nothing to change: the sheet is laid out"]


@dataclass
class SyncReport:
    ok: bool
    at: str
    spreadsheet_id: str = ""
    error: str = ""
    configuration: str = "sheet"  # sheet | stored (the sheet could not be read)
    issues: list = field(default_factory=list)  # CellIssue
    use_cases: int = 0
    guardrails: int = 0
    created_tabs: list = field(default_factory=list)
    added_headers: list = field(default_factory=list)
    added_settings: list = field(default_factory=list)
    new_mapping_keys: list = field(default_factory=list)
    requests: int = 0
    reads: int = 0
    writes: int = 0
    write_bytes: int = 0
    history_weeks: int = 0
    history_months: int = 0
    history_trimmed: bool = False
    month_to_date: Optional[Decimal] = None
    seconds: float = 0.0
    sheet_seconds: float = 0.0  # of which in Sheets API calls

    @property
    def bad_cells(self) -> list:
        return [i for i in self.issues if not i.reason.startswith("warning")]

    def lines(self) -> list:
        head = (f"sync {'ok' if self.ok else 'FAILED'} at {self.at}: {self.use_cases} use cases, "
                f"{len(self.bad_cells)} bad cell(s), {self.requests} Sheets request(s) "
                f"({self.reads} read, {self.writes} write, {self.write_bytes:,} bytes written), "
                f"{self.seconds:.2f} s ({self.sheet_seconds:.2f} s in Sheets calls)")
        out = [head]
        if self.error:
            out.append(f"error: {self.error}")
        if self.configuration != "sheet":
            out.append("configuration: the last stored one (the sheet could not be read)")
        out += [f"created tab {t}" for t in self.created_tabs]
        out += [f"added column {h}" for h in self.added_headers]
        out += [f"added setting {s}" for s in self.added_settings]
        out += [f"new unmapped key {k} added to Mappings" for k in self.new_mapping_keys]
        out += [i.line() for i in self.issues]
        return out


# ---------------------------------------------------------------------------


def _stores():
    from chalicelib import stores

    return stores.stores()


def _pool_store():
    from chalicelib import runtime
    from chalicelib.storage.pool_store import PoolStore

    return PoolStore(runtime.dynamodb(), runtime.TableNames.from_env().config)


def _months_back(today: date, n: int) -> list:
    from chalicelib.domain.periods import month_first_day, month_key, previous_month

    out, m = [], month_key(today)
    for _ in range(n):
        out.append(m)
        m = previous_month(month_first_day(m))
    return sorted(out)


def init(session: Optional[SheetSession] = None) -> InitReport:
    try:
        session = session or SheetSession.open()
    except Exception as exc:  # noqa: BLE001 - configuration and token errors are reported
        return InitReport(False, error=f"{type(exc).__name__}: {exc}")
    report = InitReport(True, session.spreadsheet_id)
    try:
        org = _stores().organisation.load()
    except Exception:  # noqa: BLE001 - no tables (a bare init): the seeds' defaults
        from chalicelib.domain.organisation import Organisation

        org = Organisation()
    try:
        metadata = session.metadata()
        _lay_out(session, metadata, org, report)
    except Exception as exc:  # noqa: BLE001 - gspread APIError after back-off, network errors
        report.ok, report.error = False, _describe(exc)
    report.requests = session.requests
    return report


def _lay_out(session: SheetSession, metadata: dict, org, report: InitReport) -> None:
    sheets = grid.sheets_of(metadata)
    ranges = structure.grid_ranges(sheets)
    grid_data = {}
    if ranges:
        fields = "sheets(properties(title),data(startRow,rowData(values(userEnteredValue,note,dataValidation))))"
        answer = session.metadata({"includeGridData": "true", "ranges": ranges, "fields": fields})
        grid_data = structure.grid_rows(answer)
    plan = structure.plan(metadata, grid_data, session.editor, org)
    report.created, report.changes = plan.created, plan.changes
    report.structural_requests = len(plan.requests)
    if plan.requests:
        session.batch_update(plan.requests)


def _describe(exc: Exception) -> str:
    try:
        from gspread.exceptions import APIError

        if isinstance(exc, APIError):
            return f"Sheets API error {exc.code}: {exc.error.get('message', '')}"
    except ImportError:  # pragma: no cover
        pass
    return f"{type(exc).__name__}: {exc}"


def sync(now: datetime, session: Optional[SheetSession] = None) -> SyncReport:
    started = time.perf_counter()
    now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    now = now.astimezone(timezone.utc)
    today = now.date()
    at = now.isoformat(timespec="seconds").replace("+00:00", "Z")
    report = SyncReport(False, at)
    s = _stores()
    previous = s.organisation.load()

    read = None
    sheets: dict = {}
    previous_log: list = []
    try:
        session = session or SheetSession.open()
        report.spreadsheet_id = session.spreadsheet_id
        metadata = session.metadata()
        sheets = grid.sheets_of(metadata)
        if any(t not in sheets for t in layout.ALL_TABS):
            laid = InitReport(True, session.spreadsheet_id)
            _lay_out(session, metadata, previous, laid)
            report.created_tabs = laid.created
            sheets = grid.sheets_of(session.metadata())
        titles = [t.title for t in layout.INPUT_TABS if t.title in sheets] + [layout.SYNC_LOG]
        got = session.values([cells.quote_title(t) for t in titles])
        values = dict(zip(titles, got))
        previous_log = (values.pop(layout.SYNC_LOG, None) or [])[1:]
        read = read_inputs(values, previous)
    except Exception as exc:  # noqa: BLE001 - the sheet is unreachable: keep going on the stored config
        report.error = f"reading the sheet failed: {_describe(exc)}"
        report.configuration = "stored"

    org = read.organisation if read is not None else previous
    if read is not None:
        report.issues = list(read.issues)
        if not same_configuration(org, previous):
            s.organisation.save(org)  # the API sees it within stores.ORG_CACHE_SECONDS
        org = s.organisation.record_terms(org, today, stored=previous)  # past weeks keep their targets

    months = _months_back(today, HISTORY_MONTHS)
    first = date(int(months[0][:4]), int(months[0][5:]), 1)
    facts = s.ledger.facts_between(first, today)
    units = [u for m in months for u in s.work_items.units_for_month(m)]
    pool_credits = _pool_store().load()
    from chalicelib.domain import engine

    latched = {g.use_case: g.critical_since for g in s.guardrails.all() if g.critical_since}
    out = engine.compute(org, facts, units, today, pool_credits, critical_since=latched)
    report.use_cases = len(out.statuses)
    alloc = out.allocation.get(out.month)
    report.month_to_date = alloc.total if alloc else Decimal(0)
    report.guardrails = _store_guardrails(s, out, at)

    if read is None or session is None:
        report.seconds = time.perf_counter() - started
        if session is not None:
            report.requests, report.reads, report.writes = session.requests, session.reads, session.writes
            report.sheet_seconds = session.seconds
        return report

    try:
        freshness = s.freshness.all()
        restated = _restatements_since(freshness, _last_run_at(previous_log))
        new_keys = _new_keys(out, read.mapping_keys, today)
        additions = writer.input_additions(read, sheets, new_keys, org.settings, out.currency)
        base = [
            render.dashboard(out, org, freshness, now, len([i for i in read.issues
                                                             if not i.reason.startswith("warning")]),
                             len(read.mapping_keys - {m.vendor_key for m in org.mappings}) + len(additions.added_keys)),
            render.alerts(out, org, freshness),
            render.board(out),
        ]

        def build(history: render.History) -> list:
            contents = base + [render.agent_pnl(out, history), render.unit_costs(out, history),
                               render.pool(out, history)]
            message = _log_message(report, out, read, additions, history)
            contents.append(render.sync_log(previous_log, at, "bad cells" if _bad(read.issues) else "ok", message,
                                            read.issues, out.currency, restated))
            reqs = list(additions.requests)
            for content in contents:
                reqs += writer.tab_requests(content, sheets[content.title])
            reqs += writer.chart_updates(sheets[layout.DASHBOARD], render.chart_rows(out), out.currency)
            return reqs

        plan = writer.fit(build)
        report.history_weeks, report.history_months = plan.history.weeks, plan.history.months
        report.history_trimmed = plan.trimmed
        report.added_headers, report.added_settings = additions.added_headers, additions.added_settings
        report.new_mapping_keys = additions.added_keys
        session.batch_update(plan.requests)
        report.write_bytes = plan.size
        report.ok = not report.error
    except Exception as exc:  # noqa: BLE001 - the write failed: Google applied none of it
        report.error = f"writing the sheet failed (the sheet is unchanged): {_describe(exc)}"
        report.added_headers, report.added_settings, report.new_mapping_keys = [], [], []
    report.requests, report.reads, report.writes = session.requests, session.reads, session.writes
    report.sheet_seconds = session.seconds
    report.seconds = time.perf_counter() - started
    return report


def same_configuration(a, b) -> bool:
    """Whether two Organisations hold the same rows (whatever their order): then nothing is rewritten."""
    def rows(org, name, key):
        return sorted(getattr(org, name), key=key)

    kinds = (("teams", lambda r: r.team_id), ("use_cases", lambda r: r.use_case_id), ("shared_rules", lambda r: r.key),
             ("mappings", lambda r: r.vendor_key), ("pool_allocations", lambda r: r.allocation_id),
             ("benchmarks", lambda r: r.name))
    return (a.settings == b.settings and dict(a.expected_totals) == dict(b.expected_totals)
            and all(rows(a, n, k) == rows(b, n, k) for n, k in kinds))


def _last_run_at(previous_log: list) -> str:
    """The time of the last run the Sync log lists ('' if none): its first row, first cell."""
    for row in previous_log:
        if row and row[0]:
            return str(row[0])
    return ""


def _restatements_since(freshness, since: str) -> list:
    """(source, line) for each day a billing pull restated after the last sync: every removal or
    restatement the sources made is named once in the Sync log."""
    def instant(iso: str):
        return datetime.fromisoformat(iso.replace("Z", "+00:00")) if iso else None

    after = instant(since)
    out = []
    for f in freshness:
        pulled = instant(f.last_success_at or "")
        if f.restatements and pulled is not None and (after is None or pulled > after):
            out += [(f.source, line) for line in f.restatements]
            if f.restated_days > len(f.restatements):
                out.append((f.source, f"... {f.restated_days - len(f.restatements)} more day(s) restated"))
    return out


def _bad(issues) -> bool:
    return any(not i.reason.startswith("warning") for i in issues)


def _log_message(report: SyncReport, out, read, additions, history) -> str:
    from chalicelib.domain.money import show_money

    bad = len([i for i in read.issues if not i.reason.startswith("warning")])
    alloc = out.allocation.get(out.month)
    parts = [f"{len(out.statuses)} use cases; spend {out.month} to date "
             f"{show_money(alloc.total if alloc else Decimal(0), out.currency)}",
             f"{bad} bad cell(s) (last good values kept)" if bad else "no bad cells"]
    if additions.added_keys:
        parts.append(f"{len(additions.added_keys)} new unmapped key(s) added to Mappings")
    if additions.added_headers:
        parts.append(f"column(s) added back: {', '.join(additions.added_headers)}")
    if report.created_tabs:
        parts.append(f"tab(s) created: {', '.join(report.created_tabs)}")
    if history.weeks < layout.UNIT_WEEKS or history.months < layout.UNIT_MONTHS:
        parts.append(f"history shortened to {history.weeks} weeks / {history.months} months to keep the request "
                     "under the size limit (all of it stays in DynamoDB)")
    return "; ".join(parts)


def _new_keys(out, known: set, today: date) -> list:
    """Unmapped vendor keys of the months loaded that the Mappings tab does not list yet."""
    from chalicelib.domain.allocation import REASON_UNMAPPED
    from chalicelib.domain.money import show_money

    totals: dict = {}
    for month, alloc in out.allocation.items():
        for item in alloc.unallocated_items:
            if item.reason == REASON_UNMAPPED and item.key and item.key not in known:
                t = totals.setdefault(item.key, [Decimal(0), set()])
                t[0] += item.amount
                t[1].add(month)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))[:NEW_KEYS_PER_SYNC]
    return [(k, f"added by the sync on {today.isoformat()}: {show_money(v[0], out.currency)} unallocated in "
                f"{', '.join(sorted(v[1]))}; set Team and Use case") for k, v in ranked]


def _store_guardrails(s, out, at: str) -> int:
    from chalicelib.storage.guardrail_store import Guardrail

    from chalicelib.domain.periods import week_label

    rails = [Guardrail(use_case=st.use_case, paused=st.paused, colour=st.colour, reason=st.reason,
                       cost_per_unit=st.cpu_week if st.cpu_week is not None else st.cpu_month,
                       cost_per_unit_period=(week_label(st.latest_week) if st.cpu_week is not None
                                             else f"{out.month} to date" if st.cpu_month is not None else ""),
                       cost_per_unit_this_week=st.cpu_current_week,
                       counts_reported_through=st.counts_reported_through,
                       target=st.target_cpu, month_to_date_cost=st.month_to_date_cost,
                       budget_remaining=st.budget_remaining, as_of=at, critical_since=st.critical_since)
             for st in out.statuses.values()]
    s.guardrails.put_all(rails)
    return len(rails)


__all__ = ["init", "sync", "InitReport", "SyncReport", "CellIssue"]
