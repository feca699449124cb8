"""Pulling billing sources into the cost ledger, and importing cost files.

Each source pulls a window of UTC days and replaces its facts for the days it answered for
(a daily bucket, a ResultsByTime entry, zero included), so a vendor's restatement corrects the
ledger and a rerun changes nothing; a day the answer leaves out keeps its stored facts. A
failing source is recorded (freshness) and skipped: the others still land. Every answered day
whose amounts changed is reported as a restatement (PullReport, freshness, the CLI).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Callable, Iterable, Optional

from chalicelib.domain.facts import CostFact
from chalicelib.domain.mappings import apply_mappings
from chalicelib.domain.organisation import Organisation

if TYPE_CHECKING:
    from chalicelib.connectors.common import Pulled

FEED_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # use fullmatch: "$" also matches before a final newline
# POST /v1/cost-imports: Lambda takes at most 6 MB per synchronous request (the whole event, headers and
# JSON escaping included) and answers at most 6 MB, so a file is at most 5 MiB and an error answer lists
# at most 100 bad cells (each value cut to 200 characters) beside their total count.
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_ERRORS_LISTED = 100

# Secret names (Secrets Manager); the local stack stores demo keys under the same names in moto.
OPENAI_KEY_SECRET = "OPENAI_ADMIN_KEY_SECRET"
ANTHROPIC_KEY_SECRET = "ANTHROPIC_ADMIN_KEY_SECRET"


@dataclass(frozen=True)
class Restatement:
    """A day the source answered again and whose facts changed in amount: its old and new
    effective totals (by currency) and how many facts the answer no longer has."""

    source: str
    day: date
    before: dict  # currency -> Decimal (effective cost)
    after: dict
    facts_removed: int = 0
    line: str = ""  # "aws 2026-11-30: restated $219.26 → $0.00 by the source"


@dataclass
class SourceResult:
    source: str
    ok: bool
    facts: int = 0
    puts: int = 0
    deletes: int = 0  # facts removed: the source answered their day without them
    write_requests: int = 0
    error: str = ""
    status: str = ""  # "ok" (answered every day asked), "partial" (fewer) or "error"
    days_asked: int = 0
    days_answered: int = 0
    unanswered_days: list = field(default_factory=list)  # dates asked and not answered: their facts were kept
    restatements: list = field(default_factory=list)  # Restatement, by day


@dataclass
class PullReport:
    window: tuple[date, date]  # [start, end)
    results: list[SourceResult] = field(default_factory=list)
    unmapped: dict = field(default_factory=dict)  # vendor key -> effective cost

    @property
    def write_requests(self) -> int:
        return sum(r.write_requests for r in self.results)

    @property
    def restatements(self) -> list:
        return [x for r in self.results for x in r.restatements]


@dataclass(frozen=True)
class BillingSource:
    """A billing source. ``pull(start, end)`` returns ``connectors.common.Pulled`` (facts and the
    days the source answered for); a plain list of facts answers for every day of the window."""

    name: str
    pull: Callable[[date, date], "Pulled | list[CostFact]"]  # [start, end)


def secret(env_name: str, default_name: str) -> str:
    """A vendor admin key from Secrets Manager through Powertools Parameters (cached 5 minutes)."""
    from aws_lambda_powertools.utilities import parameters

    return parameters.get_secret(os.environ.get(env_name, default_name), max_age=300)


def vendor_sources(org: Organisation, work_items) -> list[BillingSource]:
    """The sources a scheduled pull reads: vendor APIs, AWS Cost Explorer, human review."""
    from chalicelib import runtime
    from chalicelib.connectors import anthropic_costs, aws_cost_explorer, human_review, openai_costs
    from chalicelib.domain.periods import months_of

    def units_between(start: date, end: date):
        # Every use case's counters (one query a month), those of a use case no longer in the sheet
        # included: its review time was spent, so its cost stays (unallocated) rather than vanish.
        months = months_of(start + timedelta(days=n) for n in range((end - start).days))
        return [u for month in months for u in work_items.units_for_month(month)]

    team_of = {u.use_case_id: u.team for u in org.use_cases}
    return [
        BillingSource(
            "openai", lambda s, e: openai_costs.pull(secret(OPENAI_KEY_SECRET, "finops/openai-admin-key"), s, e)
        ),
        BillingSource(
            "anthropic",
            lambda s, e: anthropic_costs.pull(secret(ANTHROPIC_KEY_SECRET, "finops/anthropic-admin-key"), s, e),
        ),
        BillingSource("aws", lambda s, e: aws_cost_explorer.pull(runtime.client("ce"), s, e)),
        BillingSource(
            "human_review",
            lambda s, e: human_review.pull(
                units_between(s, e), org.settings.loaded_hourly_rate, team_of, s, e, currency=org.settings.currency
            ),
        ),
    ]


def _show_totals(totals: dict, fallback_currency: str) -> str:
    from chalicelib.domain.money import show_money

    if not totals:
        return show_money(Decimal(0), fallback_currency)
    return " + ".join(show_money(amount, currency) for currency, amount in sorted(totals.items()))


def restatement(change, currency: str) -> Restatement:
    """A ledger ``DayChange`` as a report line, totals shown with ``show_money``."""
    fallback = next(iter(sorted(change.before or change.after)), currency)
    line = (
        f"{change.source} {change.day.isoformat()}: restated {_show_totals(change.before, fallback)} → "
        f"{_show_totals(change.after, fallback)} by the source"
    )
    if change.facts_removed:
        line += f" ({change.facts_removed} fact{'s' if change.facts_removed != 1 else ''} removed)"
    return Restatement(change.source, change.day, dict(change.before), dict(change.after), change.facts_removed, line)


def _answered(pulled, window_days: list[date]) -> tuple[list, set]:
    """(facts, answered days within the window) from what a source's pull returned."""
    from chalicelib.connectors.common import Pulled

    if isinstance(pulled, Pulled):
        facts, answered = list(pulled.facts), set(pulled.answered)
    else:  # a plain list of facts: the source answers for the whole window
        facts = list(pulled)
        answered = set(window_days) | {f.day for f in facts}
    return facts, answered


def asked_days(first: date, end: date) -> tuple[list[date], str]:
    """The UTC days of [first, end) a pull asks for, and the window as the freshness store writes it."""
    days = [first + timedelta(days=n) for n in range((end - first).days)]
    return days, f"{first.isoformat()}..{(end - timedelta(days=1)).isoformat()}"


def failed_pull(name: str, exc: Exception, days: list[date], freshness, now: datetime) -> SourceResult:
    """A pull that failed (cost or usage): recorded in the freshness store under `name`, nothing replaced."""
    freshness.failed(name, now.isoformat(), f"{type(exc).__name__}: {exc}")
    return SourceResult(name, False, error=str(exc), status="error", days_asked=len(days))


def landed_pull(
    name: str,
    days: list[date],
    answered: set,
    written,
    lines: list[str],
    freshness,
    now: datetime,
    window: str,
    restated: Iterable[Restatement] = (),
) -> SourceResult:
    """A pull whose answer was stored (cost or usage; `written`: the store's replace_days outcome): "ok" when
    it answered every day asked, else "partial", recorded in the freshness store under `name` with its
    restatements' `lines`."""
    in_window = answered & set(days)
    unanswered = [d for d in days if d not in in_window]
    status = "ok" if not unanswered else "partial"
    freshness.succeeded(
        name,
        now.isoformat(),
        window,
        written.stored,
        status=status,
        days_asked=len(days),
        days_answered=len(in_window),
        unanswered_days=[d.isoformat() for d in unanswered],
        restatements=lines,
        facts_removed=written.deletes,
    )
    return SourceResult(
        name,
        True,
        written.stored,
        written.puts,
        written.deletes,
        written.write_requests,
        status=status,
        days_asked=len(days),
        days_answered=len(in_window),
        unanswered_days=unanswered,
        restatements=list(restated),
    )


MAX_OWED_DAYS = 400  # how far back a recovering source is asked again (the history a run reads)


def _day(text: Optional[str]) -> Optional[date]:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def pull_sources(
    sources: Iterable[BillingSource], start: date, end: date, org: Organisation, ledger, freshness, now: datetime
) -> PullReport:
    """Pull each source for [start, end) and replace, for each day it answered, its stored facts.

    A day the source did not answer keeps what is stored; a failing source keeps everything. Each
    answered day whose amounts changed is a restatement, reported and kept with the freshness."""
    report = PullReport((start, end))
    owed = {f.source: f.owed_from for f in freshness.all() if getattr(f, "owed_from", "")}
    for source in sources:
        # A source that failed before is asked again from the first day it still owes (at most
        # MAX_OWED_DAYS back), so an outage longer than the usual window loses no day.
        first = max(min(start, _day(owed.get(source.name)) or start), start - timedelta(days=MAX_OWED_DAYS))
        days, window = asked_days(first, end)
        try:
            freshness.owe(source.name, first.isoformat())  # kept if this pull fails or dies
            facts, answered = _answered(source.pull(first, end), days)
            facts = [f if f.source == source.name else replace(f, source=source.name) for f in facts]
            mapped, unmapped = apply_mappings(facts, org.mappings)
            written = ledger.replace_days(source.name, sorted(answered), mapped)
        except Exception as exc:  # noqa: BLE001 - any source failure is recorded, never fatal
            report.results.append(failed_pull(source.name, exc, days, freshness, now))
            continue
        restated = [restatement(change, org.settings.currency) for change in written.changed]
        lines = [r.line for r in restated]
        report.results.append(
            landed_pull(source.name, days, answered, written, lines, freshness, now, window, restated)
        )
        for key, amount in unmapped.items():
            report.unmapped[key] = report.unmapped.get(key, Decimal(0)) + amount
    return report


@dataclass
class ImportResult:
    format: str
    feed: str
    rows_read: int
    rows_stored: int
    facts_stored: int
    total: Decimal
    errors: list = field(default_factory=list)
    unmapped: dict = field(default_factory=dict)
    facts_removed: int = 0  # facts of the feed in the file's range that the file no longer has
    restatements: list = field(default_factory=list)  # Restatement: days of the range whose amounts changed


def import_cost_file(
    data: bytes | str, org: Organisation, ledger, *, feed: str, filename: str = "upload.csv", today: date | None = None
) -> ImportResult:
    """Parse a FOCUS or simple CSV file and store it all, or store nothing and list every bad row.

    The file's facts replace everything the same feed holds from the first to the last day the
    file covers, so importing the same file twice changes nothing and a corrected file (a row
    moved to another day, a row removed) replaces the first entirely. A retry after an import
    was interrupted (a killed process) ends with exactly the file's facts (``CostLedger``).
    """
    from chalicelib.connectors.cost_import import parse_cost_file
    from chalicelib.connectors.errors import CostImportError

    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        return ImportResult(
            "unknown",
            feed,
            0,
            0,
            0,
            Decimal(0),
            errors=[
                {
                    "row": 0,
                    "column": "",
                    "value": "",
                    "reason": f"the file is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8 and upload again",
                }
            ],
        )
    from chalicelib.connectors.common import csv_records

    try:
        rows_read = len(csv_records(text)[1])  # records, as a spreadsheet counts rows: a quoted newline is one
    except Exception:  # noqa: BLE001 - a malformed file is answered by the parser below, row by row
        rows_read = 0
    try:
        fmt, facts = parse_cost_file(text, filename=filename, today=today)
    except CostImportError as exc:
        return ImportResult("unknown", feed, rows_read, 0, 0, Decimal(0), errors=[e.to_dict() for e in exc.errors])
    foreign = _foreign_currency_errors(facts, org.settings.currency, fmt)
    if foreign:
        return ImportResult(fmt, feed, rows_read, 0, 0, Decimal(0), errors=foreign)
    source = f"import:{feed}"
    facts = [replace(f, source=source) for f in facts]
    mapped, unmapped = apply_mappings(facts, org.mappings)
    covered = sorted({f.day for f in mapped})
    days = [covered[0] + timedelta(days=n) for n in range((covered[-1] - covered[0]).days + 1)] if covered else []
    written = ledger.replace_days(source, days, mapped)
    total = sum((f.effective_cost for f in mapped), Decimal(0))
    return ImportResult(
        fmt,
        feed,
        rows_read,
        rows_read,
        written.stored,
        total,
        unmapped=unmapped,
        facts_removed=written.deletes,
        restatements=[restatement(c, org.settings.currency) for c in written.changed],
    )


def _foreign_currency_errors(facts: list[CostFact], currency: str, fmt: str) -> list[dict]:
    """One deployment, one currency: a row in another is refused rather than converted silently."""
    column = "BillingCurrency" if fmt == "focus" else "currency"
    errors = []
    for fact in facts:
        if fact.currency != currency:
            rows = [int(n) for n in re.findall(r"\d+", fact.provenance.rsplit("row", 1)[-1])] or [0]
            errors.append(
                {
                    "row": rows[0],
                    "column": column,
                    "value": fact.currency,
                    "reason": f"this deployment books {currency} and no exchange rate is configured"
                    f" ({fact.provenance})",
                }
            )
    return sorted(errors, key=lambda e: e["row"])
