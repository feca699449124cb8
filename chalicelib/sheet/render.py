"""The engine's Outputs as the output tabs' cells (Sheets CellData), ready for one batchUpdate.

Every figure is a real number with a number format (currency, cost per unit, percent),
rounded only here, where it is shown (money half-even to the cent, cost per unit and
shares to 4 decimals). Colour words (green/yellow/red/critical) get their colour from
the conditional format rules `init` puts on those columns, and directly too.

History is bounded so one request stays small: `History(weeks, months)` says how many
ISO weeks and calendar months the Unit costs, Agent P&L and pool credit tables keep
(13 and 13 by default; the sync lowers them for very large organisations, see
chalicelib.sheet.writer). Long lists (attention, alerts, board agents) are capped, with a
last line saying how many more there are; everything stays in DynamoDB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Iterable, Optional, Sequence

from chalicelib.domain.allocation import REASON_UNMAPPED
from chalicelib.domain.board_report import key_figures
from chalicelib.domain.engine import FLAG_FORECAST_OVER_BUDGET, FLAG_OVER_BUDGET
from chalicelib.domain.facts import CATEGORIES, UNALLOCATED
from chalicelib.domain.footing import foot
from chalicelib.domain.money import ZERO, cents, show_money, show_percent
from chalicelib.domain.periods import month_first_day, months_back, previous_month, week_label, week_start
from chalicelib.domain.slo import FLAG_COUNTS_MISSING
from chalicelib.domain.unit_costs import FLAG_ZERO_UNITS
from chalicelib.sheet import layout

FOUR = Decimal("0.0001")

CATEGORY_NAMES = {
    "api": "API (the visible tip)",
    "self_hosted": "Self-hosted inference",
    "vector_db": "Vector DB",
    "observability": "Observability",
    "storage": "Storage",
    "human_review": "Human review",
    "other": "Other",
}
SEVERITY_ORDER = (
    "critical",
    "red",
    "approval",
    "budget",
    "yellow",
    "source",
    "counts",
    "reconciliation",
    "reminder",
    "pool",
    "investigate",
    "unmapped",
    "coverage",
    "anomaly",
    "data",
)
ANOMALY_LIMIT = 20  # the most significant anomalies are listed, then a count of the rest
ATTENTION_LIMIT = 50
WHY_CHARS = 72  # the Dashboard's Why column; Alerts has the full reason
ALERT_LIMIT = 500
BOARD_AGENT_LIMIT = 100
BOARD_ANOMALY_LIMIT = 30
POOL_CREDIT_LIMIT = 2000
ANOMALY_DAYS = 14
SYNC_LOG_RUNS = 200
SYNC_LOG_ISSUES_PER_RUN = 200


@dataclass(frozen=True)
class History:
    weeks: int = layout.UNIT_WEEKS
    months: int = layout.UNIT_MONTHS


@dataclass
class TabContent:
    title: str
    rows: list  # list of rows of CellData dicts
    columns: int
    column_formats: list = field(default_factory=list)  # (column, numberFormat, first row)
    frozen_rows: int = 1


# ---------------------------------------------------------------------------
# cells


def number_formats(currency: str) -> dict:
    prefix = '"$"' if currency == "USD" else f'"{currency} "'
    return {
        "money": {"type": "CURRENCY", "pattern": f"{prefix}#,##0.00"},
        "cpu": {"type": "CURRENCY", "pattern": f"{prefix}#,##0.00##"},
        "pct": {"type": "PERCENT", "pattern": "0.0%"},
        "int": {"type": "NUMBER", "pattern": "#,##0"},
        "num": {"type": "NUMBER", "pattern": "#,##0.0#"},  # "#,##0.##" shows 2 as "2."
    }


def value(v: Any, kind: str = "text") -> dict:
    """CellData with only a userEnteredValue ({} for nothing)."""
    if v is None or v == "":
        return {}
    if isinstance(v, bool):
        return {"userEnteredValue": {"stringValue": "yes" if v else "no"}}
    if isinstance(v, Decimal):
        if kind == "money":
            v = cents(v)
        elif kind in ("cpu", "pct"):
            v = v.quantize(FOUR, rounding=ROUND_HALF_EVEN)
        n = float(v)
        return {"userEnteredValue": {"numberValue": int(n) if n.is_integer() and abs(n) < 2**53 else n}}
    if isinstance(v, int):
        return {"userEnteredValue": {"numberValue": v}}
    if isinstance(v, float):
        return {"userEnteredValue": {"numberValue": v}}
    if isinstance(v, (date, datetime)):
        return {"userEnteredValue": {"stringValue": v.isoformat()}}
    return {"userEnteredValue": {"stringValue": str(v)}}


class Cells:
    """Cell builders for one currency."""

    def __init__(self, currency: str):
        self.currency = currency
        self.formats = number_formats(currency)

    def v(
        self,
        v: Any,
        kind: str = "text",
        *,
        bold: bool = False,
        size: Optional[int] = None,
        background: Optional[dict] = None,
        italic: bool = False,
        wrap: bool = False,
        colour: Optional[str] = None,
    ) -> dict:
        cell = value(v, kind)
        fmt: dict = {}
        if kind in self.formats and cell:
            fmt["numberFormat"] = self.formats[kind]
        text: dict = {}
        if bold:
            text["bold"] = True
        if italic:
            text["italic"] = True
        if size:
            text["fontSize"] = size
        if colour in layout.COLOURS:
            bg, fg = layout.COLOURS[colour]
            fmt["backgroundColor"] = bg
            if fg:
                text["foregroundColor"] = fg
        elif background:
            fmt["backgroundColor"] = background
        if text:
            fmt["textFormat"] = text
        if wrap:
            fmt["wrapStrategy"] = "WRAP"
        if fmt:
            cell["userEnteredFormat"] = fmt
        return cell

    def header(self, names: Iterable[str], background: dict = layout.OUTPUT_HEADER_BACKGROUND) -> list:
        return [self.v(n, bold=True, background=background) for n in names]

    def section(self, title: str, width: int = 1) -> list:
        return [self.v(title, bold=True, size=11, background=layout.SECTION_BACKGROUND)] + [
            self.v(None, background=layout.SECTION_BACKGROUND) for _ in range(width - 1)
        ]


def _trim(row: list) -> list:
    while row and not row[-1]:
        row.pop()
    return row


def table(rows: Iterable[Sequence], kinds: Sequence[str]) -> list:
    """Rows of Python values -> rows of value-only CellData (formats come per column)."""
    out = []
    for r in rows:
        out.append(_trim([value(x, kinds[i] if i < len(kinds) else "text") for i, x in enumerate(r)]))
    return out


def _stamp(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _reason_part(reason: str, *words: str) -> str:
    """The clauses of a reason that hold any of `words` (reasons are clauses joined by '; ')."""
    return "; ".join(p for p in reason.split("; ") if any(w in p for w in words))


def _freshness_status(f) -> tuple:
    """(text, colour) of a source's last pull: failing, partial (days it did not answer keep their
    stored facts) or ok, with the days it restated."""
    if f.last_error:
        return f"failing: {f.last_error}", "red"
    text, colour = "ok", None
    if f.status == "partial":
        missing = ", ".join(f.unanswered_days[:5]) + (" ..." if len(f.unanswered_days) > 5 else "")
        text, colour = f"partial: no answer for {missing} (stored facts kept)", "yellow"
    if f.restated_days:
        text += f"; {f.restated_days} day(s) restated by the source"
    return text, colour


def _age(iso: Optional[str], now: datetime) -> str:
    """How old a time was when the run judged (`now`, not the wall clock)."""
    if not iso:
        return ""
    try:
        then = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return ""
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 0:
        return "after this run"
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


def _when(iso: Optional[str]) -> str:
    if not iso:
        return ""
    try:
        return _stamp(datetime.fromisoformat(iso.replace("Z", "+00:00")))
    except ValueError:
        return iso


def _weeks(today: date, n: int) -> list:
    current = week_start(today)
    return [current - timedelta(days=7 * k) for k in range(n - 1, -1, -1)]


# ---------------------------------------------------------------------------
# Dashboard


def _severity(st) -> tuple:
    order = {"critical": 0, "red": 1, "yellow": 3}
    rank = order.get(st.colour, 9)
    if st.paused and rank > 2:
        rank = 2
    if rank == 9 and st.flags:
        rank = 4
    return rank, -st.month_to_date_cost, st.use_case


def dashboard(out, org, freshness: Sequence, now: datetime, issues: int, keys_to_map: int) -> TabContent:
    """`issues`: bad cells this sync; `keys_to_map`: Mappings rows still waiting for a team or use case."""
    c = Cells(out.currency)
    rows: list = []
    alloc = out.allocation.get(out.month)
    statuses = list(out.statuses.values())
    # Shown together, so they foot: allocated + unallocated = spend, to the cent.
    (allocated, unallocated), total = foot([alloc.allocated, alloc.unallocated] if alloc else [ZERO, ZERO])
    colours = {k: sum(1 for s in statuses if s.colour == k) for k in ("green", "yellow", "red", "critical")}
    unmapped = [i for i in (alloc.unallocated_items if alloc else ()) if i.reason == REASON_UNMAPPED]

    rows.append([c.v("AI spend control panel", bold=True, size=14), c.v(f"month {out.month}", bold=True)])
    rows.append(
        [
            c.v("Last updated", bold=True),
            c.v(_stamp(now), bold=True),
            c.v("the time of this run; columns U onwards feed the charts", italic=True),
        ]
    )
    rows.append([])
    rows.append(c.section("Key figures (month to date)", 3))
    kpis = [
        ("Spend, month to date", c.v(total, "money"), f"all sources, {out.month}-01 to {out.today.isoformat()}"),
        ("  allocated to use cases", c.v(allocated, "money"), "reached a use case in the sheet"),
        (
            "  unallocated",
            c.v(unallocated, "money"),
            f"{len(unmapped)} unmapped vendor key(s): assign them in Mappings",
        ),
        (
            "Forecast, month end (all spend)",
            c.v(out.forecast, "money"),
            "complete days + trailing 7-day average x days left, unallocated included",
        ),
        ("Monthly budget (all teams)", c.v(out.budget, "money"), "sum of the Teams tab budgets"),
        (
            "Forecast vs budget",
            c.v(out.forecast_vs_budget, "pct"),
            "the forecast above as a share of the budget above; over 100 % is over budget",
        ),
        (
            "Allocated (coverage)",
            c.v(alloc.coverage if alloc else None, "pct"),
            f"allocated / spend; goal {show_percent(org.settings.coverage_goal)}",
        ),
    ]
    for label, cell, note in kpis:
        rows.append([c.v(label), cell, c.v(note, italic=True)])
    for colour in ("green", "yellow", "red", "critical"):
        rows.append(
            [
                c.v(f"Use cases {colour}"),
                c.v(colours[colour], "int", colour=colour),
                c.v("cost per unit vs target, judged week (its counts are in)", italic=True)
                if colour == "green"
                else {},
            ]
        )
    rows.append(
        [
            c.v("Use cases paused"),
            c.v(sum(1 for s in statuses if s.paused), "int"),
            c.v("agents asking the guardrail API are told to stop", italic=True),
        ]
    )
    for tier in ("T1", "T2", "T3"):
        rows.append(
            [
                c.v(f"Reallocation pool {tier}"),
                c.v(out.pool.balances.get(tier, ZERO), "money"),
                c.v("balance; see Reallocation pool", italic=True) if tier == "T1" else {},
            ]
        )
    m = out.maturity
    rows.append(
        [
            c.v("Maturity stage"),
            c.v(f"{m.stage} of 5" + (f" ({m.name})" if m.name else "")),
            c.v(f"measured on {m.month}", italic=True),
        ]
    )
    ra = out.risk_appetite
    rows.append([c.v("Risk appetite"), c.v(ra.verdict), c.v(ra.reason, italic=True)])
    rows.append(
        [
            c.v("Bad cells this sync"),
            c.v(issues, "int"),
            c.v("named in the Sync log; their last good values stay in force", italic=True),
        ]
    )
    rows.append(
        [
            c.v("Vendor keys to map"),
            c.v(keys_to_map, "int"),
            c.v("rows of the Mappings tab with no team or use case yet", italic=True),
        ]
    )
    rows.append([])

    rows.append(c.section("Data freshness", 7))
    rows.append(c.header(("Source", "Last success", "Age at this run", "Status", "Window", "Facts", "Days answered")))
    if not freshness:
        rows.append([c.v("no billing source has run yet", italic=True)])
    for f in freshness:
        status, colour = _freshness_status(f)
        answered = f"{f.days_answered} of {f.days_asked}" if f.days_asked else ""
        rows.append(
            [
                c.v(f.source),
                c.v(_when(f.last_success_at)),
                c.v(_age(f.last_success_at, now)),
                c.v(status, colour=colour),
                c.v(f.last_window),
                c.v(f.facts_last_pull, "int"),
                c.v(answered),
            ]
        )
    rows.append([])

    attention = sorted(
        (s for s in statuses if s.colour in ("yellow", "red", "critical") or s.paused or s.flags), key=_severity
    )
    rows.append(c.section(f"Needs attention ({len(attention)})", 8))
    rows.append(
        c.header(
            (
                "Use case",
                "Colour",
                "Cost per unit, judged week",
                "This week so far",
                "Target",
                "Month to date",
                "Budget left",
                "Why",
            )
        )
    )
    for s in attention[:ATTENTION_LIMIT]:
        why = s.reason.split("; ")[0]
        if FLAG_COUNTS_MISSING in s.flags and s.colour not in ("red", "critical"):  # the missing counts first
            why = _reason_part(s.reason, "work-item counts not reported", "no work items on")
        why = why if len(why) <= WHY_CHARS else why[: WHY_CHARS - 1].rstrip() + "…"  # the whole reason: Alerts
        why += "".join(f" [{x}]" for x in (*s.flags, *(("paused",) if s.paused else ())))
        lever = biggest_lever(out, s.use_case, None, s.unit_of_work)
        if lever:
            why += f" · biggest lever: {lever}"
        rows.append(
            [
                c.v(s.use_case),
                c.v(s.colour or "", colour=s.colour),
                c.v(s.cpu_week, "cpu"),
                c.v(s.cpu_current_week, "cpu"),
                c.v(s.target_cpu, "cpu"),
                c.v(s.month_to_date_cost, "money"),
                c.v(s.budget_remaining, "money"),
                c.v(why),
            ]
        )
    if len(attention) > ATTENTION_LIMIT:
        rows.append([c.v(f"... {len(attention) - ATTENTION_LIMIT} more in Alerts", italic=True)])
    if not attention:
        rows.append([c.v("nothing: every use case is green", italic=True)])

    _chart_data(c, rows, out)
    return TabContent(layout.DASHBOARD, rows, layout.DASH_COLUMNS, frozen_rows=2)


def chart_rows(out) -> dict:
    """Rows used by each chart's data block (header included): what the chart ranges must cover."""
    teams = len(out.teams)
    return {"teams": 1 + teams, "iceberg": 1 + len(CATEGORIES), "cpu": 1 + layout.UNIT_WEEKS}


def _put(rows: list, r: int, col: int, cell: dict) -> None:
    while len(rows) <= r:
        rows.append([])
    row = rows[r]
    while len(row) <= col:
        row.append({})
    row[col] = cell


def _chart_data(c: Cells, rows: list, out) -> None:
    tc = layout.DASH_TEAM_DATA_COL
    for j, h in enumerate(("Team", "Month to date", "Forecast", "Monthly budget")):
        _put(rows, 0, tc + j, c.v(h, bold=True, background=layout.OUTPUT_HEADER_BACKGROUND))
    for i, t in enumerate(out.teams, start=1):
        _put(rows, i, tc, c.v(t.name or t.team))
        _put(rows, i, tc + 1, c.v(t.month_to_date_cost, "money"))
        _put(rows, i, tc + 2, c.v(t.forecast, "money"))
        _put(rows, i, tc + 3, c.v(t.budget, "money"))
    ic = layout.DASH_ICEBERG_DATA_COL
    alloc = out.allocation.get(out.month)
    _put(rows, 0, ic, c.v("Category", bold=True, background=layout.OUTPUT_HEADER_BACKGROUND))
    _put(rows, 0, ic + 1, c.v("Month to date", bold=True, background=layout.OUTPUT_HEADER_BACKGROUND))
    shown, _ = foot([alloc.by_category.get(cat, ZERO) if alloc else ZERO for cat in CATEGORIES])
    for i, (cat, amount) in enumerate(zip(CATEGORIES, shown, strict=True), start=1):  # the slices foot
        _put(rows, i, ic, c.v(CATEGORY_NAMES[cat]))
        _put(rows, i, ic + 1, c.v(amount, "money"))
    cc = layout.DASH_CPU_DATA_COL
    top = sorted(
        (
            s
            for s in out.statuses.values()
            if s.target_cpu is not None and s.target_cpu > 0 and s.use_case in out.unit_costs
        ),
        key=lambda s: (-s.month_to_date_cost, s.use_case),
    )[: layout.DASH_CPU_SERIES]
    _put(rows, 0, cc, c.v("Week", bold=True, background=layout.OUTPUT_HEADER_BACKGROUND))
    for j in range(layout.DASH_CPU_SERIES):
        name = top[j].use_case if j < len(top) else f"(no use case {j + 1})"
        _put(rows, 0, cc + 1 + j, c.v(name, bold=True, background=layout.OUTPUT_HEADER_BACKGROUND))
    _put(
        rows,
        0,
        cc + 1 + layout.DASH_CPU_SERIES,
        c.v("Target then in force (100 %)", bold=True, background=layout.OUTPUT_HEADER_BACKGROUND),
    )
    current = week_start(out.today)
    for i, monday in enumerate(_weeks(out.today, layout.UNIT_WEEKS), start=1):
        _put(rows, i, cc, c.v(week_label(monday) + (" (partial)" if monday == current else "")))
        for j, s in enumerate(top):
            uc = out.unit_costs[s.use_case].weeks.get(monday)
            target = out.period_targets.get(s.use_case, ({}, {}))[0].get(monday, s.target_cpu)
            ratio = uc.cpu / target if uc is not None and uc.cpu is not None and target else None
            _put(rows, i, cc + 1 + j, c.v(ratio, "pct"))
        _put(rows, i, cc + 1 + layout.DASH_CPU_SERIES, c.v(Decimal(1), "pct"))


# ---------------------------------------------------------------------------
# Agent P&L


PNL_KINDS = (
    ("text", "text", "text", "text", "text", "text", "money", "money")
    + ("money",) * 7
    + (
        "int",
        "cpu",
        "cpu",
        "pct",
        "cpu",
        "money",
        "money",
        "money",
        "text",
        "text",
        "money",
        "text",
        "text",
        "text",
        "text",
        "text",
    )
)


def agent_pnl(out, history: History) -> TabContent:
    c = Cells(out.currency)
    months = set(months_back(out.today, history.months))
    rows = [c.header(layout.PNL_HEADERS)]
    chosen = sorted((r for r in out.pnl if r.month in months), key=lambda r: (r.month, r.team, r.use_case))
    chosen.sort(key=lambda r: r.month, reverse=True)  # stable: newest month first, then team and use case
    data = []
    for r in chosen:  # blank, not $0.00, where a category or a credit holds nothing (a lighter request)
        by_category, cost = foot([r.cost_by_category.get(k, ZERO) for k in CATEGORIES])  # the categories foot
        data.append(
            (
                r.month,
                _period(r, out.statuses.get(r.use_case)),
                r.use_case,
                r.name,
                r.team,
                r.unit_of_work,
                cost,
                r.billed_cost,
                *(x or None for x in by_category),
                r.units,
                r.cpu,
                r.target_cpu,
                r.overrun,
                r.baseline_cpu,
                r.margin_benefit,
                r.headcount_offset,
                r.net,
                r.colour or "",
                r.tier,
                r.pool_credit or None,
                r.decision_date,
                r.decision,
                r.success_met,
                r.retirement_trigger if r.decision_date is not None else None,
                biggest_lever(out, r.use_case, r.month, r.unit_of_work),
            )
        )
    rows += table(data, PNL_KINDS)
    return TabContent(layout.AGENT_PNL, rows, len(layout.PNL_HEADERS), _column_formats(c, PNL_KINDS))


def _period(row, status) -> str:
    """'closed', 'month to date', or, when spend has no counts yet, says how far the counts go (the
    row's cost per unit, overrun and margin then include spend whose work items are not in)."""
    if row.complete:
        return "closed"
    if status is not None and status.counts_missing_since is not None:
        through = status.counts_reported_through
        return (
            f"month to date; counts only through {through.isoformat()}"
            if through
            else "month to date; no work items posted yet"
        )
    return "month to date"


def _column_formats(c: Cells, kinds: Sequence[str], offset: int = 0) -> list:
    return [(offset + i, c.formats[k], 1) for i, k in enumerate(kinds) if k in c.formats]


# ---------------------------------------------------------------------------
# Unit costs


def unit_costs(out, history: History) -> TabContent:
    """One row per use case; below it, where finance changed the target within the shown history,
    a row with the target each week and month was judged on."""
    c = Cells(out.currency)
    weeks = _weeks(out.today, history.weeks)
    months = months_back(out.today, history.months)
    current_week = week_start(out.today)
    headers = list(layout.UNIT_FIXED_HEADERS)
    headers += [f"Week {week_label(w)}" + (" (partial)" if w == current_week else "") for w in weeks]
    headers += [f"Month {m}" + (" (to date)" if m == out.month else "") for m in months]
    fixed = ("text", "text", "text", "text", "cpu", "text", "text", "cpu", "pct", "cpu", "cpu", "text")
    kinds = fixed + ("cpu",) * (len(weeks) + len(months))
    data = []
    for uid, s in out.statuses.items():
        series = out.unit_costs.get(uid)
        weekly = [series.weeks.get(w) if series else None for w in weeks]
        monthly = [series.months.get(month_first_day(m)) if series else None for m in months]
        judged = week_label(s.latest_week) if s.cpu_week is not None else ""
        data.append(
            (
                uid,
                s.name,
                s.team,
                s.unit_of_work,
                s.target_cpu,
                s.colour or "",
                judged,
                s.cpu_week,
                s.overrun_week,
                s.cpu_current_week,
                s.cpu_month,
                s.counts_reported_through,
                *(u.cpu if u is not None else None for u in weekly),
                *(u.cpu if u is not None else None for u in monthly),
            )
        )
        by_week, by_month = out.period_targets.get(uid, ({}, {}))
        shown = [by_week.get(w, s.target_cpu) for w in weeks] + [by_month.get(m, s.target_cpu) for m in months]
        if any(t != s.target_cpu for t in shown):
            data.append((uid, "target as it was", "", "", None, "", "", None, None, None, None, None, *shown))
    rows = [c.header(headers)] + table(data, kinds)
    return TabContent(layout.UNIT_COSTS, rows, len(headers), _column_formats(c, kinds))


# ---------------------------------------------------------------------------
# Alerts


def alerts(out, org, freshness: Sequence) -> TabContent:
    c = Cells(out.currency)
    cur = out.currency
    found: list = []

    def add(severity, use_case, team, what, detail, day="", owner="", order=0):
        found.append((SEVERITY_ORDER.index(severity), order, severity, use_case, team, what, detail, day, owner))

    for s in out.statuses.values():
        if s.colour in ("critical", "red", "yellow"):
            add(
                s.colour,
                s.use_case,
                s.team,
                "cost per unit over target" + (" (paused)" if s.paused else ""),
                s.reason,
                week_label(s.latest_week),
                s.owner_email,
            )
        elif s.paused:
            add("yellow", s.use_case, s.team, "paused", s.paused_reason, "", s.owner_email)
        for flag in s.flags:
            if flag == "approval required":
                add(
                    "approval",
                    s.use_case,
                    s.team,
                    "approval required",
                    f"forecast {show_money(s.forecast, cur)} is in {s.forecast_tier}; approved tier {s.approved_tier}",
                    "",
                    s.owner_email,
                )
            elif flag == "reminder due":
                continue  # listed from out.reminders below
            elif flag == "investigate":
                add(
                    "investigate",
                    s.use_case,
                    s.team,
                    "below the target band",
                    "cost per unit below target x (1 - tolerance): target stale or spend missing?",
                    "",
                    s.owner_email,
                )
            elif flag == FLAG_OVER_BUDGET:
                add(
                    "budget",
                    s.use_case,
                    s.team,
                    "use case over its monthly budget",
                    f"month to date {show_money(s.month_to_date_cost, cur)} vs budget {show_money(s.budget, cur)}",
                    out.month,
                    s.owner_email,
                )
            elif flag == FLAG_FORECAST_OVER_BUDGET:
                add(
                    "budget",
                    s.use_case,
                    s.team,
                    "use case forecast over its monthly budget",
                    f"forecast {show_money(s.forecast, cur)} vs budget {show_money(s.budget, cur)} (month to date "
                    f"{show_money(s.month_to_date_cost, cur)})",
                    out.month,
                    s.owner_email,
                )
            elif flag == FLAG_COUNTS_MISSING:
                add(
                    "counts",
                    s.use_case,
                    s.team,
                    "work-item counts not reported",
                    _reason_part(s.reason, "work-item counts not reported", "no work items on")
                    + "; no colour or pause from those days",
                    s.counts_missing_since.isoformat() if s.counts_missing_since else "",
                    s.owner_email,
                )
            elif flag == FLAG_ZERO_UNITS:
                add(
                    "counts",
                    s.use_case,
                    s.team,
                    "spend with no work items",
                    _reason_part(s.reason, "with no work items") or s.reason,
                    week_label(s.latest_week),
                    s.owner_email,
                )
            else:
                add("data", s.use_case, s.team, flag, s.reason, "", s.owner_email)
    for r in out.reminders:
        add(
            "reminder",
            r.use_case,
            "",
            "experiment decision overdue",
            r.message,
            r.decision_date.isoformat(),
            r.owner_email,
        )
    for t in out.teams:
        if t.forecast_over_budget:
            add(
                "budget",
                "",
                t.team,
                "team forecast over budget",
                f"forecast {show_money(t.forecast, cur)} vs budget {show_money(t.budget, cur)}",
                "",
                t.lead_email,
            )
    since = out.today - timedelta(days=ANOMALY_DAYS)
    recent = sorted((a for a in out.anomalies if a.day >= since), key=lambda a: (-a.significance, a.day, a.use_case))
    for rank, a in enumerate(recent[:ANOMALY_LIMIT]):
        add(
            "anomaly",
            a.use_case,
            "",
            "retry storm" if a.retry_storm else f"{a.metric} spike",
            a.reason,
            a.day.isoformat(),
            order=rank,
        )
    if len(recent) > ANOMALY_LIMIT:
        add(
            "anomaly",
            "",
            "",
            f"... {len(recent) - ANOMALY_LIMIT} more anomalies",
            f"less significant than the {ANOMALY_LIMIT} above (money at stake); all of them are in DynamoDB",
            order=ANOMALY_LIMIT,
        )
    for r in out.pool.refused:
        add("pool", r.to_use_case, "", f"pool allocation {r.allocation_id} refused", r.reason, r.month)
    alloc = out.allocation.get(out.month)
    if alloc is not None:
        if alloc.reconciliation is not None and alloc.reconciliation.flagged:
            add(
                "reconciliation",
                "",
                "",
                "total differs from the expected total",
                alloc.reconciliation.reason,
                out.month,
            )
        if alloc.coverage_met is False:
            add(
                "coverage",
                "",
                "",
                "coverage below goal",
                f"{show_percent(alloc.coverage)} of spend allocated (goal {show_percent(org.settings.coverage_goal)})",
                out.month,
            )
        for item in alloc.unallocated_items:
            add(
                "unmapped",
                item.key if item.reason != REASON_UNMAPPED else "",
                "",
                item.reason,
                f"{item.key or '(no key)'}: {show_money(item.amount, cur)} this month; assign it in Mappings"
                if item.reason == REASON_UNMAPPED
                else f"{item.key}: {show_money(item.amount, cur)} this month",
                out.month,
            )
    prev = out.allocation.get(previous_month(out.today))
    if prev is not None and prev.reconciliation is not None and prev.reconciliation.flagged:
        add("reconciliation", "", "", "total differs from the expected total", prev.reconciliation.reason, prev.month)
    for f in freshness:
        if f.last_error:
            add(
                "source",
                "",
                "",
                f"billing source {f.source} failing",
                f"{f.last_error} (last success {_when(f.last_success_at) or 'never'})",
                _when(f.last_attempt_at),
            )
        elif f.status == "partial":
            add(
                "source",
                "",
                "",
                f"billing source {f.source} answered part of the window",
                _freshness_status(f)[0],
                _when(f.last_success_at),
            )
    for r in out.rejected:
        add(
            "data",
            r.use_case if r.use_case != UNALLOCATED else "",
            r.team,
            "cost rejected",
            r.reason,
            r.day.isoformat(),
        )
    for w in out.warnings:
        add("data", "", "", "warning", w)
    found.sort(key=lambda x: (x[0], x[1], x[3], x[4], x[7]))  # anomalies: most significant first
    rows = [c.header(layout.ALERT_HEADERS)]
    rows += [
        [c.v(sev, colour=sev if sev in layout.COLOURS else None)] + [value(x) for x in rest]
        for _, _, sev, *rest in found[:ALERT_LIMIT]
    ]
    rows = [_trim(r) for r in rows]
    if len(found) > ALERT_LIMIT:
        rows.append(
            [
                value("data"),
                value(""),
                value(""),
                value(f"... {len(found) - ALERT_LIMIT} more alerts"),
                value("not shown to keep the sheet small; the API and emails carry all of them"),
            ]
        )
    if not found:
        rows.append([{}, {}, {}, value("no alerts")])
    return TabContent(layout.ALERTS, rows, len(layout.ALERT_HEADERS))


# ---------------------------------------------------------------------------
# Reallocation pool


def pool(out, history: History) -> TabContent:
    c = Cells(out.currency)
    p = out.pool
    rows: list = [
        [c.v("Reallocation pool", bold=True, size=14)],
        [
            c.v(
                "Month close credits (target - actual cost per unit) x units to its tier's pool; finance "
                "allocates from the pools in the Pool allocations tab.",
                italic=True,
            )
        ],
        [],
    ]
    rows.append(c.section("Balances by tier", 4))
    rows.append(c.header(("Tier", "Credited", "Allocated", "Balance")))
    for tier in ("T1", "T2", "T3"):
        rows.append(
            [
                c.v(tier),
                c.v(p.credited.get(tier, ZERO), "money"),
                c.v(p.allocated.get(tier, ZERO), "money"),
                c.v(p.balances.get(tier, ZERO), "money", bold=True),
            ]
        )
    rows.append([])
    rows.append(c.section(f"Allocations ({len(p.allocations)})", 8))
    rows.append(
        c.header(("Allocation id", "Month", "To use case", "Tier", "Amount", "Result", "Balance after", "Reason"))
    )
    for a in p.allocations:
        rows.append(
            [
                c.v(a.allocation_id),
                c.v(a.month),
                c.v(a.to_use_case),
                c.v(a.tier),
                c.v(a.amount, "money"),
                c.v("allocated" if a.accepted else "refused", colour=None if a.accepted else "red"),
                c.v(a.balance_after, "money"),
                c.v(a.reason),
            ]
        )
    if not p.allocations:
        rows.append([c.v("none yet", italic=True)])
    rows.append([])
    if p.pending_month:
        pending = sum((x.amount for x in p.pending_credits), ZERO)
        rows.append(
            c.section(f"{p.pending_month}: closing it on the 1st credits {show_money(pending, out.currency)}", 8)
        )
        rows.append(
            c.header(
                ("Month", "Use case", "Tier", "Target cost per unit", "Actual cost per unit", "Units", "Cost", "Credit")
            )
        )
        for x in p.pending_credits:
            rows.append(_credit_row(c, x))
        if p.pending_month in p.closed_months:
            rows.append([c.v("already closed: the credits above are in the balances", italic=True)])
        rows.append([])
    months = set(months_back(out.today, history.months))
    credits = [x for x in p.credits if x.month in months]
    credits.sort(key=lambda x: (x.month, x.use_case), reverse=True)
    rows.append(c.section(f"Credits of closed months ({len(credits)})", 8))
    rows.append(
        c.header(
            ("Month", "Use case", "Tier", "Target cost per unit", "Actual cost per unit", "Units", "Cost", "Credit")
        )
    )
    for x in credits[:POOL_CREDIT_LIMIT]:
        rows.append(_credit_row(c, x))
    if len(credits) > POOL_CREDIT_LIMIT:
        rows.append([c.v(f"... {len(credits) - POOL_CREDIT_LIMIT} more", italic=True)])
    if not credits:
        rows.append([c.v("no month closed yet", italic=True)])
    return TabContent(layout.POOL, rows, 8, frozen_rows=0)


def _credit_row(c: Cells, x) -> list:
    return [
        c.v(x.month),
        c.v(x.use_case),
        c.v(x.tier),
        c.v(x.target_cpu, "cpu"),
        c.v(x.actual_cpu, "cpu"),
        c.v(x.units, "int"),
        c.v(x.cost, "money"),
        c.v(x.amount, "money", bold=True),
    ]


# ---------------------------------------------------------------------------
# Board report


def board(out, stored: Optional[tuple] = None) -> TabContent:
    """`stored`: (s3:// URI, https link or "") of the page the monthly close kept for this report,
    given only when it is there (no line otherwise); the link is the S3 console's, not a presigned
    URL (those expire)."""
    b = out.board
    c = Cells(out.currency)
    rows: list = [[c.v(f"Board report: {b.month}", bold=True, size=14)], [c.v(b.summary, wrap=True)]]
    if stored:
        uri, link = stored
        rows.append([c.v("Stored page"), c.v(uri)])
        if link:
            cell = c.v(link)
            cell["userEnteredFormat"] = {"textFormat": {"link": {"uri": link}}}
            rows.append([c.v("Open in the S3 console"), cell])
    rows.append([])
    rows.append(c.section("Key figures", 3))
    for label, value, kind in key_figures(b):  # the same list the email and the HTML page show
        rows.append([c.v(label), c.v(value, kind)])
    rows.append([])
    rows.append(c.section(f"Agents ({len(b.agents)})", 10))
    rows.append(
        c.header(
            (
                "Use case",
                "Name",
                "Unit of work",
                "Cost",
                "Units",
                "Cost per unit",
                "Target",
                "Overrun",
                "Colour",
                "Margin benefit",
            )
        )
    )
    for a in b.agents[:BOARD_AGENT_LIMIT]:
        rows.append(
            [
                c.v(a.use_case),
                c.v(a.name),
                c.v(a.unit_of_work),
                c.v(a.cost, "money"),
                c.v(a.units, "int"),
                c.v(a.cpu, "cpu"),
                c.v(a.target_cpu, "cpu"),
                c.v(a.overrun, "pct"),
                c.v(a.colour or "", colour=a.colour),
                c.v(a.margin_benefit, "money"),
            ]
        )
    if len(b.agents) > BOARD_AGENT_LIMIT:
        rows.append([c.v(f"... {len(b.agents) - BOARD_AGENT_LIMIT} more agents in Agent P&L", italic=True)])
    rows.append([])
    rows.append(c.section(f"Anomalies in {b.month} ({len(b.anomalies)})", 4))
    rows.append(c.header(("Day", "Use case", "Metric", "What")))
    for a in b.anomalies[:BOARD_ANOMALY_LIMIT]:
        rows.append(
            [c.v(a.day.isoformat()), c.v(a.use_case), c.v("retry storm" if a.retry_storm else a.metric), c.v(a.reason)]
        )
    if len(b.anomalies) > BOARD_ANOMALY_LIMIT:
        rows.append([c.v(f"... {len(b.anomalies) - BOARD_ANOMALY_LIMIT} more", italic=True)])
    rows.append([])
    rows.append(c.section("Headcount plan", 7))
    rows.append(c.header(("Use case", "FTEs replaced", "Monthly offset", "AI cost", "Net", "Target", "Gap")))
    for h in b.headcount:
        rows.append(
            [
                c.v(h.use_case),
                c.v(h.ftes_replaced, "num"),
                c.v(h.monthly_offset, "money"),
                c.v(h.ai_cost, "money"),
                c.v(h.net, "money"),
                c.v(h.target, "money"),
                c.v(h.gap, "money"),
            ]
        )
        rows.append([c.v(h.statement, italic=True)])
    if not b.headcount:
        rows.append([c.v("no agent replaces headcount", italic=True)])
    rows.append([])
    rows.append(c.section("Benchmarks", 6))
    rows.append(
        c.header(
            (
                "Use case",
                "Unit of work",
                "Our cost per unit",
                "Benchmark",
                "Benchmark cost per unit",
                "Ours / benchmark",
            )
        )
    )
    for x in b.benchmarks[:BOARD_AGENT_LIMIT]:
        rows.append(
            [
                c.v(x.use_case),
                c.v(x.unit_of_work),
                c.v(x.our_cpu, "cpu"),
                c.v(x.benchmark),
                c.v(x.benchmark_cpu, "cpu"),
                c.v(x.ratio, "pct"),
            ]
        )
    rows.append([])
    rows.append(c.section(f"Maturity: stage {out.maturity.stage} of 5", 4))
    rows.append(c.header(("Stage", "Name", "Met", "Measure")))
    for k in out.maturity.criteria:
        rows.append([c.v(k.stage, "int"), c.v(k.name), c.v(k.met, colour="green" if k.met else None), c.v(k.measure)])
    return TabContent(layout.BOARD, rows, 10, frozen_rows=0)


# ---------------------------------------------------------------------------
# Sync log


def sync_log(
    previous_rows: list,
    run_at: str,
    result: str,
    message: str,
    issues: Sequence,
    currency: str = "USD",
    restatements: Sequence = (),
) -> TabContent:
    """The run's lines on top, then earlier runs' lines as read (up to SYNC_LOG_RUNS runs in all).
    `restatements`: (source, line) of the days billing pulls restated since the last run."""
    c = Cells(currency)
    lines = [
        [
            c.v(run_at, bold=True),
            c.v(result, bold=True, colour="green" if result == "ok" else "yellow"),
            {},
            {},
            {},
            c.v(message, bold=True),
        ]
    ]
    for source, line in restatements:
        lines.append([value(run_at), value("restated"), value(source), {}, {}, value(line)])
    for issue in issues[:SYNC_LOG_ISSUES_PER_RUN]:
        kind = "bad cell" if issue.bad_cell else "warning"
        lines.append(
            _trim(
                [
                    value(run_at),
                    value(kind),
                    value(issue.tab),
                    value(issue.cell),
                    value(issue.value),
                    value(issue.reason),
                ]
            )
        )
    if len(issues) > SYNC_LOG_ISSUES_PER_RUN:
        lines.append(
            [
                value(run_at),
                value("bad cell"),
                {},
                {},
                {},
                value(f"... {len(issues) - SYNC_LOG_ISSUES_PER_RUN} more not listed"),
            ]
        )
    kept, runs, last = [], 1, None
    for row in previous_rows:
        if not row or all(x in (None, "") for x in row):
            continue
        run = row[0]
        if run != last:
            runs += 1
            last = run
            if runs > SYNC_LOG_RUNS:
                break
            kept.append(_trim([c.v(x, bold=True) if x not in (None, "") else {} for x in row[:6]]))
        else:
            kept.append(_trim([value(x) for x in row[:6]]))
    rows = [c.header(layout.SYNC_LOG_HEADERS)] + lines + kept
    return TabContent(layout.SYNC_LOG, rows, len(layout.SYNC_LOG_HEADERS))


# ---------------------------------------------------------------------------
# Optimization (chalicelib/domain/optimization.py)

OPTIMIZATION_USE_CASES = 50  # use cases shown (those with hints first, biggest spend first): the sheet stays small
OPTIMIZATION_ROWS = 200  # rows per section at most (a line says how many more)


def biggest_lever(out, use_case: str, month: Optional[str], unit: str = "unit") -> Optional[str]:
    """The use case's biggest lever as one line ("Route ... : -$3.28 per claim, -$25,000.00 this month") when
    `month` is the month its hints come from (None: whichever it is); None otherwise."""
    optimization = getattr(out, "optimization", None)
    current = optimization.current.get(use_case) if optimization is not None else None
    hint = current.biggest if current is not None and month in (None, current.month) else None
    return hint.line(out.currency, unit or "unit") if hint is not None else None


def _capped(c: Cells, rows: list, items: list, render_one, width: int) -> None:
    for item in items[:OPTIMIZATION_ROWS]:
        rows.append(render_one(item))
    if len(items) > OPTIMIZATION_ROWS:
        rows.append(
            [c.v(f"... {len(items) - OPTIMIZATION_ROWS} more rows not shown (the sheet stays small)", italic=True)]
        )
    if not items:
        rows.append([c.v("none", italic=True)])


def optimization(out) -> TabContent:
    c = Cells(out.currency)
    o = getattr(out, "optimization", None)
    width = layout.OPTIMIZATION_COLUMNS
    rows: list = [
        [c.v("Optimization: where each agent's cost per unit comes from", bold=True, size=14)],
        [
            c.v(
                "Savings are estimates at the Model prices tab's list prices, if quality holds, over the "
                "month's work items (the open month: to date). The levers' assumptions are in Settings "
                "(Cache read goal, Review reduction goal, Hints for top spenders). Each use case is shown on "
                "the month its hints come from.",
                italic=True,
            )
        ],
        [],
    ]
    every = sorted(o.current.values(), key=lambda m: (not m.flagged, -m.cost, m.use_case)) if o is not None else []
    current = every[:OPTIMIZATION_USE_CASES]
    flagged = [m for m in current if m.flagged]
    if len(every) > len(current):
        rows[1:1] = [
            [
                c.v(
                    f"The {len(current)} use cases with hints and the most spend of {len(every)}: every use "
                    "case's hints are in its guardrail (GET /v1/use-cases/{id}/guardrail).",
                    italic=True,
                )
            ]
        ]

    rows.append(
        c.section(
            f"Hints: the biggest levers ({len(flagged)} use cases over target, yellow, red or critical "
            "now, or top spenders)",
            9,
        )
    )
    rows.append(
        c.header(
            (
                "Use case",
                "Month",
                "Why",
                "Rank",
                "Lever",
                "What to change",
                "Saving per unit",
                "Saving this month",
                "Detail",
            )
        )
    )
    hint_rows = [(m, h) for m in flagged for h in (m.hints or (None,))]

    def hint_row(item):
        m, h = item
        month = m.month + ("" if m.complete else " (to date)")
        if h is None:
            why = "no lever found" + (
                f"; no price for {', '.join(m.unpriced)} (add it to Model prices)" if m.unpriced else ""
            )
            return [c.v(m.use_case), c.v(month), c.v(m.flagged), {}, {}, c.v(why, italic=True)]
        return [
            c.v(m.use_case),
            c.v(month),
            c.v(m.flagged),
            c.v(h.rank, "int"),
            c.v(h.lever.replace("_", " ")),
            c.v(h.title, bold=h.rank == 1),
            c.v(h.per_unit, "cpu"),
            c.v(h.per_month, "money"),
            c.v(h.detail),
        ]

    _capped(c, rows, hint_rows, hint_row, width)
    rows.append([])

    rows.append(c.section("Cost and tokens per unit of work (the iceberg per work item)", width))
    rows.append(
        c.header(
            (
                "Use case",
                "Month",
                "Unit of work",
                "Units",
                "Cost per unit",
                "Target",
                "API",
                "Self-hosted",
                "Vector DB",
                "Observability",
                "Storage",
                "Human review",
                "Other",
                "Input tokens per unit",
                "Cached input tokens per unit",
                "Output tokens per unit",
                "Cache-read share",
                "Requests per unit",
                "Review minutes per unit",
            )
        )
    )

    def unit_row(m):
        per = m.cost_per_unit_by_category
        tokens = m.tokens_per_unit or (None, None, None)
        return (
            [
                c.v(m.use_case),
                c.v(m.month),
                c.v(m.unit_of_work),
                c.v(m.units, "int"),
                c.v(m.cpu, "cpu"),
                c.v(m.target_cpu, "cpu"),
            ]
            + [c.v(per.get(k), "cpu") for k in CATEGORIES]
            + [
                c.v(tokens[0], "num"),
                c.v(tokens[1], "num"),
                c.v(tokens[2], "num"),
                c.v(m.cache_read_share, "pct"),
                c.v(m.requests_per_unit, "num"),
                c.v(m.review_minutes_per_unit, "num"),
            ]
        )

    _capped(c, rows, current, unit_row, width)
    rows.append([])

    rows.append(c.section("Model mix (shares of the use case's tokens and of its spend at list prices)", 12))
    rows.append(
        c.header(
            (
                "Use case",
                "Month",
                "Provider",
                "Model",
                "Priced as",
                "Input tokens",
                "Cached input tokens",
                "Output tokens",
                "Requests",
                "Share of tokens",
                "Spend at list prices",
                "Share of spend",
            )
        )
    )
    mix = [(m, x) for m in current for x in m.mix]

    def mix_row(item):
        m, x = item
        return [
            c.v(m.use_case),
            c.v(m.month),
            c.v(x.provider),
            c.v(x.model),
            c.v(x.priced_as or "no price: add it to Model prices"),
            c.v(x.input_tokens, "int"),
            c.v(x.cached_input_tokens, "int"),
            c.v(x.output_tokens, "int"),
            c.v(x.requests, "int"),
            c.v(x.token_share, "pct"),
            c.v(x.spend_at_list, "money"),
            c.v(x.spend_share, "pct"),
        ]

    _capped(c, rows, mix, mix_row, width)
    rows.append([])

    rows.append(c.section("What if the same tokens ran on another model of the same provider (if quality holds)", 12))
    rows.append(
        c.header(
            (
                "Use case",
                "Month",
                "Provider",
                "Now on",
                "On",
                "API cost per unit now (list)",
                "API cost per unit on it",
                "Saving per unit",
                "Saving this month",
                "Cost per unit then",
                "Target",
                "Meets target",
            )
        )
    )
    whatifs = [(m, w) for m in current for w in m.what_ifs]

    def whatif_row(item):
        m, w = item
        meets = None if w.meets_target is None else ("yes" if w.meets_target else "no")
        return [
            c.v(m.use_case),
            c.v(m.month),
            c.v(w.provider),
            c.v(w.current_models),
            c.v(w.model),
            c.v(w.api_cpu_now, "cpu"),
            c.v(w.api_cpu_if, "cpu"),
            c.v(w.saving_per_unit, "cpu"),
            c.v(w.saving_per_month, "money"),
            c.v(w.total_cpu_if, "cpu"),
            c.v(m.target_cpu, "cpu"),
            c.v(meets, colour="green" if w.meets_target else None),
        ]

    _capped(c, rows, whatifs, whatif_row, width)
    rows.append([])

    shown = {m.use_case for m in current}
    lines = o.benchmarks if o is not None else ()
    groups = {b.unit_of_work for b in lines if not b.reference and b.name in shown}
    bench = [b for b in lines if b.unit_of_work in groups and (b.reference or b.name in shown)]
    rows.append(c.section("Benchmarks: the same unit of work side by side, with the Benchmarks tab's references", 10))
    rows.append(
        c.header(
            (
                "Unit of work",
                "Use case or reference",
                "Team",
                "Cost per unit",
                "API cost per unit",
                "Input tokens per unit",
                "Cached input tokens per unit",
                "Output tokens per unit",
                "Requests per unit",
                "Cost per unit / lowest",
            )
        )
    )

    def bench_row(b):
        tokens = b.tokens_per_unit or (None, None, None)
        return [
            c.v(b.unit_of_work),
            c.v(b.name + (" (external)" if b.reference else ""), italic=b.reference),
            c.v(b.team),
            c.v(b.cpu, "cpu"),
            c.v(b.api_cpu, "cpu"),
            c.v(tokens[0], "num"),
            c.v(tokens[1], "num"),
            c.v(tokens[2], "num"),
            c.v(b.requests_per_unit, "num"),
            c.v(b.vs_best, "pct"),
        ]

    _capped(c, rows, bench, bench_row, width)
    return TabContent(layout.OPTIMIZATION, [_trim(r) for r in rows], width, frozen_rows=0)
