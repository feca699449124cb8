"""The Google Sheet front end: lay it out, read finance's tabs, write ours. No computing here.

Public API
----------
    from chalicelib import sheet_sync

    sheet_sync.init() -> InitReport
        Creates every missing tab with its headers, notes, validations, frozen header,
        protection, conditional colours and the Dashboard's charts, in one batchUpdate;
        deletes the empty "Sheet1" a new spreadsheet comes with. Running it again sends no write.

    sheet_sync.read_configuration(previous, report, session=None) -> SheetRead | None
        Spreadsheet metadata + ONE values:batchGet of every input tab and the Sync log, parsed by
        header name; bad cells named in report.issues, their last good values (`previous`, matched
        by row id) kept. None when the sheet cannot be read (report.error).

    sheet_sync.write_outputs(sheet, out, org, freshness, now, report, run_lines=()) -> None
        Every output tab (+ new unmapped keys, missing headers) in ONE batchUpdate, atomic.

The pipeline (chalicelib.services.pipeline) reads, computes, stores the guardrails and writes:
a sync of a laid-out sheet costs 3 Sheets API requests (2 reads, 1 write) whatever the number
of rows.

Environment: SHEET_ID, GOOGLE_SERVICE_ACCOUNT_SECRET (default finops/google-service-account),
SHEETS_ENDPOINT_URL (local emulator only), SHEETS_MAX_BACKOFF_SECONDS and friends
(chalicelib.sheet.transport), SHEET_MAX_REQUEST_BYTES (default 2,000,000).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Optional

from chalicelib.sheet import cells, grid, layout, render, structure, writer
from chalicelib.sheet.inputs import CellIssue, InputRead, read_inputs
from chalicelib.sheet.session import SheetSession

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
        return [i for i in self.issues if i.bad_cell]

    def lines(self) -> list:
        head = (
            f"sync {'ok' if self.ok else 'FAILED'} at {self.at}: {self.use_cases} use cases, "
            f"{len(self.bad_cells)} bad cell(s), {self.requests} Sheets request(s) "
            f"({self.reads} read, {self.writes} write, {self.write_bytes:,} bytes written), "
            f"{self.seconds:.2f} s ({self.sheet_seconds:.2f} s in Sheets calls)"
        )
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


def _open() -> SheetSession:
    """A session on SHEET_ID through this process's backend (its gspread client reused while warm)."""
    from chalicelib import bootstrap

    return bootstrap.backend().open_sheet()


def init(session: Optional[SheetSession] = None) -> InitReport:
    try:
        session = session or _open()
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


@dataclass
class SheetRead:
    """What one read of the sheet gave: the open session, its tabs, the inputs and the Sync log so far."""

    session: SheetSession
    sheets: dict
    inputs: InputRead  # organisation, issues, mapping keys
    previous_log: list


def read_configuration(previous, report: SyncReport, session: Optional[SheetSession] = None) -> Optional[SheetRead]:
    """Read finance's tabs (1 metadata + 1 batchGet; missing tabs are laid out first). Bad cells keep
    their last good values from `previous`. None if the sheet cannot be read (report.error says why):
    the caller computes with the stored configuration so the guardrails still follow the spend."""
    try:
        session = session or _open()
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
        values = dict(zip(titles, got, strict=False))  # one range answered per title asked
        previous_log = (values.pop(layout.SYNC_LOG, None) or [])[1:]
        read = read_inputs(values, previous)
    except Exception as exc:  # noqa: BLE001 - the sheet is unreachable: keep going on the stored config
        report.error = f"reading the sheet failed: {_describe(exc)}"
        report.configuration = "stored"
        if session is not None:
            _count(report, session)
        return None
    report.issues = list(read.issues)
    return SheetRead(session, sheets, read, previous_log)


def write_outputs(
    sheet: SheetRead,
    out,
    org,
    freshness,
    now: datetime,
    report: SyncReport,
    run_label: str = "",
    board_page: Optional[tuple] = None,
) -> None:
    """Write every output tab (+ new unmapped keys, missing headers) in ONE batchUpdate; a failure leaves
    the sheet exactly as it was (report.error says why). `run_label` (e.g. "hourly run <id>") heads
    the run's line in the Sync log; `board_page` (s3:// URI, console link) names the board report's
    stored page on the Board report tab."""
    at = report.at
    today = now.astimezone(timezone.utc).date()
    read, sheets, previous_log, session = sheet.inputs, sheet.sheets, sheet.previous_log, sheet.session
    try:
        restated = _restatements_since(freshness, _last_run_at(previous_log))
        new_keys = _new_keys(out, read.mapping_keys, today)
        additions = writer.input_additions(read, sheets, new_keys, org.settings, out.currency)
        base = [
            render.dashboard(
                out,
                org,
                freshness,
                now,
                len([i for i in read.issues if i.bad_cell]),
                len(read.mapping_keys - {m.vendor_key for m in org.mappings}) + len(additions.added_keys),
            ),
            render.alerts(out, org, freshness),
            render.board(out, board_page),
            render.optimization(out),
        ]

        def build(history: render.History) -> list:
            contents = base + [
                render.agent_pnl(out, history),
                render.unit_costs(out, history),
                render.pool(out, history),
            ]
            message = _log_message(report, out, read, additions, history)
            message = f"{run_label}: {message}" if run_label else message
            contents.append(
                render.sync_log(
                    previous_log,
                    at,
                    "bad cells" if _bad(read.issues) else "ok",
                    message,
                    read.issues,
                    out.currency,
                    restated,
                )
            )
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
    _count(report, session)


def _count(report: SyncReport, session: SheetSession) -> None:
    report.requests, report.reads, report.writes = session.requests, session.reads, session.writes
    report.sheet_seconds = session.seconds


def same_configuration(a, b) -> bool:
    """Whether two Organisations hold the same rows (whatever their order): then nothing is rewritten."""

    def rows(org, name, key):
        return sorted(getattr(org, name), key=key)

    kinds = (
        ("teams", lambda r: r.team_id),
        ("use_cases", lambda r: r.use_case_id),
        ("shared_rules", lambda r: r.key),
        ("mappings", lambda r: r.vendor_key),
        ("pool_allocations", lambda r: r.allocation_id),
        ("benchmarks", lambda r: r.name),
        ("model_prices", lambda r: r.model),
    )
    return (
        a.settings == b.settings
        and dict(a.expected_totals) == dict(b.expected_totals)
        and all(rows(a, n, k) == rows(b, n, k) for n, k in kinds)
    )


def _last_run_at(previous_log: list) -> str:
    """The time of the last run the Sync log lists ('' if none): its first row, first cell."""
    for row in previous_log:
        if row and row[0]:
            return str(row[0])
    return ""


def _restatements_since(freshness, since: str) -> list:
    """(source, line) for each day a billing pull or an import restated after the last sync: every
    removal or restatement the sources made is named once in the Sync log."""

    def instant(iso: str):
        try:
            return datetime.fromisoformat(iso.replace("Z", "+00:00"))
        except ValueError:
            return None

    after = instant(since) if since else None
    out = []
    for f in freshness:
        for entry in f.restatement_log:
            at, _, line = entry.partition(" ")
            when = instant(at)
            if when is not None and (after is None or when > after):
                out.append((f.source, line))
    return out


def _bad(issues) -> bool:
    return any(i.bad_cell for i in issues)


def _log_message(report: SyncReport, out, read, additions, history) -> str:
    from chalicelib.domain.money import show_money

    bad = len([i for i in read.issues if i.bad_cell])
    alloc = out.allocation.get(out.month)
    parts = [
        f"{len(out.statuses)} use cases; spend {out.month} to date "
        f"{show_money(alloc.total if alloc else Decimal(0), out.currency)}",
        f"{bad} bad cell(s) (last good values kept)" if bad else "no bad cells",
    ]
    if additions.added_keys:
        parts.append(f"{len(additions.added_keys)} new unmapped key(s) added to Mappings")
    if additions.added_headers:
        parts.append(f"column(s) added back: {', '.join(additions.added_headers)}")
    if report.created_tabs:
        parts.append(f"tab(s) created: {', '.join(report.created_tabs)}")
    if history.weeks < layout.UNIT_WEEKS or history.months < layout.UNIT_MONTHS:
        parts.append(
            f"history shortened to {history.weeks} weeks / {history.months} months to keep the request "
            "under the size limit (all of it stays in DynamoDB)"
        )
    return "; ".join(parts)


def _new_keys(out, known: set, today: date) -> list:
    """Unmapped vendor keys of the months loaded that the Mappings tab does not list yet.

    Keys are compared as the tab reads them back (`normalise_key`: a tab or a newline is a space,
    NUL and ESC are gone) and written in that form, so a key is never appended twice; a key the tab
    cannot hold (over 256 characters, `sheet.cells.key`) is not appended at all."""
    from chalicelib.domain.allocation import REASON_UNMAPPED
    from chalicelib.domain.mappings import normalise_key
    from chalicelib.domain.money import show_money

    listed = {normalise_key(str(k)) for k in known}
    totals: dict = {}
    for month, alloc in out.allocation.items():
        for item in alloc.unallocated_items:
            key = normalise_key(item.key) if item.key else ""
            if item.reason == REASON_UNMAPPED and key and key not in listed and len(key) <= 256:
                t = totals.setdefault(key, [Decimal(0), set()])
                t[0] += item.amount
                t[1].add(month)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))[:NEW_KEYS_PER_SYNC]
    return [
        (
            k,
            f"added by the sync on {today.isoformat()}: {show_money(v[0], out.currency)} unallocated in "
            f"{', '.join(sorted(v[1]))}; set Team and Use case",
        )
        for k, v in ranked
    ]


__all__ = ["init", "read_configuration", "write_outputs", "InitReport", "SyncReport", "SheetRead", "CellIssue"]
