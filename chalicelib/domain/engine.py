"""The money engine: one call computes every figure the sheet, the alerts and the API show.

Public API
----------
    from chalicelib.domain import engine

    out = engine.compute(org, facts, units, today, pool_credits=None, critical_since=None) -> engine.Outputs
    out = engine.compute_ledger(org, ledger, today, pool_credits=None, critical_since=None)
        the same from a pre-built allocation.Ledger: closed months' snapshots merged with the open
        months' raw facts (allocation.merge_ledgers(parts, org) over engine.open_ledger(...)).
        org:           Organisation (the sheet's input tabs)
        facts:         Iterable[CostFact]  (up to `today`; read once; any currency other than
                       Settings.currency is rejected into out.rejected)
        units:         Iterable[DailyUnits] (days after `today` are left out: a run judges its moment)
        today:         date (UTC); never read from the clock. `today` is partial.
        pool_credits:  {"YYYY-MM": [PoolCredit, ...]} of the months already closed
                       (stored by the pipeline), or None when nothing is closed yet.
        critical_since: {use_case: date} the critical episodes still latched, as the last run's
                       statuses[...].critical_since gave them (stored by the pipeline).

    credits = engine.close_month(org, facts, units, today, pool_credits=None, month=None) -> dict
        Closes `month` (default: the month before today's) and returns the new
        {"YYYY-MM": (PoolCredit, ...)} to store; closing again replaces that month.
        Pure equivalent: pool.close_month(pool_credits, month, out.closing_credits[month]).

Outputs (frozen dataclasses; every amount an exact Decimal, round with money.cents to show):
    out.statuses[use_case_id] -> UseCaseStatus     colour, reason, paused, flags, CPUs,
                                                   month_to_date_cost, forecast,
                                                   budget_remaining, tier, approval_required
    out.status(use_case_id)   -> UseCaseStatus | None   (for the guardrail API)
    out.teams                 -> (TeamBudget, ...)      budget vs month to date and forecast
    out.forecast, out.budget, out.forecast_vs_budget    the organisation's month-end forecast (all
                                                         spend), its budget (the teams' budgets to
                                                         the cent, summed; None if none) and their
                                                         ratio as shown (None without a budget)
    out.allocation["YYYY-MM"] -> MonthAllocation        by team/use case/category/provider/
                                                         service, shared splits, unallocated,
                                                         coverage, reconciliation
    out.unit_costs[use_case]  -> UseCaseUnitCosts       .days / .weeks / .months series;
                                                         series.rows() yields UnitCost rows
    out.anomalies             -> (Anomaly, ...)         by day; .reason is built on demand
    out.pool                  -> PoolState              balances per tier, refused allocations,
                                                         pending month and its credits
    out.closing_credits       -> {"YYYY-MM": (PoolCredit, ...)} for every complete month
    out.pnl                   -> (AgentPnL, ...)        one row per use case and month
    out.board                 -> BoardReport            for the last complete month
    out.maturity, out.benchmarks, out.risk_appetite, out.reminders, out.rejected, out.warnings
    out.optimization          -> optimization.Optimization | None (the pipeline adds it: `with_optimization`)

Cost: one pass over the facts into per-(team, use case, day, category) sums, then
per-use-case work on dense daily series: linear in days × use cases.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Optional, Sequence

from . import board_report
from .allocation import Cell, Ledger, MonthAllocation, RejectedFact, build_ledger, month_allocations
from .anomalies import Anomaly, detect
from .benchmarks import BenchmarkLine, compare
from .critical_pause import CriticalLatch, critical_latch
from .experiments import ExperimentReminder, RiskAppetite, reminders, risk_appetite
from .facts import CATEGORIES, UNALLOCATED, CostFact, DailyUnits
from .footing import difference
from .forecast import fraction_to_decimal, month_end_forecast
from .headcount import headcount_line, monthly_offset
from .maturity import Maturity, assess
from .money import ZERO, cents
from .organisation import Organisation, UseCase
from .periods import month_first_day, month_key, month_last_day, next_month_first_day, previous_month
from .pnl import AgentPnL, pnl_row, retirement_trigger
from .pool import PoolCredit, PoolState, month_credit, pool_state
from .pool import close_month as close_pool_month
from .slo import CRITICAL, band, colour_as_of, evaluate, judgement
from .terms import team_budget_on, use_case_on
from .tiers import approval_required, estimated_monthly_cost, estimated_tier, reminder_due, tier_for
from .unit_costs import Calendar, DailySeries, UseCaseUnitCosts, dense_series, period_totals, unit_costs

if TYPE_CHECKING:  # annotations only: optimization is imported when hints are asked for (with_optimization)
    from .optimization import Optimization
    from .usage import UsageFact

DailySums = Callable[[date, date], tuple[Decimal, int]]  # (start, end) -> (cost, units) over [start, end)
# use case -> ({Monday: target}, {"YYYY-MM": target}): the target each period was judged on
PeriodTargets = tuple[dict[date, Optional[Decimal]], dict[str, Optional[Decimal]]]

FLAG_OVER_BUDGET = "over budget"
FLAG_FORECAST_OVER_BUDGET = "forecast over budget"


@dataclass(frozen=True)
class UseCaseStatus:
    """Everything the dashboard, the alerts and the guardrail API need about one use case now."""

    use_case: str
    name: str
    team: str
    owner_email: str
    unit_of_work: str
    sheet_status: str  # active | paused | retired, as finance set it
    colour: Optional[str]  # green | yellow | red | critical | None (no target / no CPU yet)
    reason: str
    paused: bool
    paused_reason: str
    critical_since: Optional[date]  # the unresolved critical episode's first day: pass back next run
    flags: tuple[str, ...]  # "investigate", "cost with zero units", "approval required", "reminder due", ...
    target_cpu: Optional[Decimal]
    band_low: Optional[Decimal]
    band_high: Optional[Decimal]
    latest_week: date  # Monday of the latest complete week
    cpu_week: Optional[Decimal]  # latest complete week
    cpu_prior_week: Optional[Decimal]
    cpu_current_week: Optional[Decimal]
    overrun_week: Optional[Decimal]
    overrun_prior_week: Optional[Decimal]
    overrun_current_week: Optional[Decimal]  # None until the current week counts
    cpu_month: Optional[Decimal]  # month to date
    month_to_date_cost: Decimal
    month_to_date_units: int
    daily_average: Decimal  # trailing window used by the forecast
    forecast: Decimal  # month-end forecast
    budget: Optional[Decimal]
    budget_remaining: Optional[Decimal]  # budget - month to date, as shown (each to the cent)
    estimated_monthly_cost: Decimal  # max(finance's estimate, forecast)
    tier: str  # from the estimated monthly cost
    forecast_tier: str  # from the forecast alone
    approved_tier: str
    approval_required: bool
    reminder_due: bool
    headcount_offset: Optional[Decimal]
    net_forecast: Optional[Decimal]  # headcount offset - forecast month cost, as shown (to the cent)
    counts_reported_through: Optional[date] = None  # the latest UTC day with posted work items
    counts_missing_since: Optional[date] = None  # first complete day with spend but no counts yet
    current_week_days: int = 0  # full days of the current week with counts
    target_latest_week: Optional[Decimal] = None  # the target the latest complete week was judged on


@dataclass(frozen=True)
class TeamBudget:
    team: str
    name: str
    lead_email: str
    budget: Optional[Decimal]
    month_to_date_cost: Decimal
    forecast: Decimal
    remaining: Optional[Decimal]  # budget - month to date, as shown (each to the cent)
    used_share: Optional[Decimal]  # month to date / budget
    forecast_over_budget: bool  # forecast strictly above the budget


@dataclass(frozen=True)
class Outputs:
    today: date
    month: str
    currency: str
    statuses: dict[str, UseCaseStatus]  # use case id -> status, sorted by id
    teams: tuple[TeamBudget, ...]
    forecast: Decimal  # the organisation's month-end forecast: all spend, unallocated included
    budget: Optional[Decimal]  # the organisation's monthly budget: organisation_budget of the teams' budgets
    forecast_vs_budget: Optional[Decimal]  # forecast_vs_budget(forecast, budget): the shown figures' ratio
    allocation: dict[str, MonthAllocation]  # "YYYY-MM" -> the month's allocation
    unit_costs: dict[str, UseCaseUnitCosts]  # use case id -> its series (use cases with any data)
    period_targets: dict[str, PeriodTargets]  # use case id -> its periods' targets, for use cases with history
    anomalies: tuple[Anomaly, ...]
    pool: PoolState
    closing_credits: dict[str, tuple[PoolCredit, ...]]  # "YYYY-MM" -> its credits, for each complete month
    pnl: tuple[AgentPnL, ...]
    board: board_report.BoardReport
    maturity: Maturity
    benchmarks: tuple[BenchmarkLine, ...]
    risk_appetite: RiskAppetite
    reminders: tuple[ExperimentReminder, ...]
    rejected: tuple[RejectedFact, ...]
    warnings: tuple[str, ...]
    # Optimization hints (domain/optimization.py), attached by the pipeline once usage is read; None before.
    optimization: Optional[Optimization] = None

    def status(self, use_case_id: str) -> Optional[UseCaseStatus]:
        return self.statuses.get(use_case_id)


def _data_range(ledger: Ledger, today: date) -> tuple[date, date]:
    first = last = today
    if ledger.first_day is not None and ledger.last_day is not None:  # Ledger.finish sets both or neither
        first, last = min(first, ledger.first_day), max(last, ledger.last_day)
    for days in ledger.units.values():
        if days:
            first, last = min(first, min(days)), max(last, max(days))
    return first, last


def _daily_sums(cal: Calendar, series: Optional[DailySeries]) -> DailySums:
    """(start, end) -> (cost, units) over the days [start, end) of a use case's dense series."""
    if series is None:
        return lambda start, end: (ZERO, 0)

    def sums(start: date, end: date) -> tuple[Decimal, int]:
        a = max(cal.index(start) - series.first_index, 0)
        b = max(cal.index(end) - series.first_index, 0)
        return sum(series.costs[a:b], ZERO), sum(series.units[a:b])

    return sums


def _month_cpu(daily: DailySums, month_start: date, today: date, reported: Optional[date]) -> Optional[Decimal]:
    """The month's cost per unit over its days through the last one with work-item counts: spend of
    days whose counts have not arrived yet is not divided by the units of the days that have (no
    verdict without the data behind it)."""
    if reported is None or reported < month_start:
        return None
    cost, units = daily(month_start, min(today, reported) + timedelta(days=1))
    return cost / units if units else None


def _by_use_case_month(ledger: Ledger) -> Mapping[str, Mapping[str, Mapping[str, Cell]]]:
    """use case -> month -> category -> [effective, billed]."""
    out: defaultdict[str, defaultdict[str, dict[str, Cell]]] = defaultdict(lambda: defaultdict(dict))
    for ((_, use_case), month, category), cell in ledger.month_cells.items():
        if use_case != UNALLOCATED:
            out[use_case][month][category] = cell
    return out


def _paused(u: UseCase, latch: CriticalLatch) -> tuple[bool, str]:
    if u.status == "paused":
        return True, "paused in the sheet"
    if u.status == "retired":
        return True, "retired in the sheet"
    return latch.paused, latch.reason


def compute(
    org: Organisation,
    facts: Iterable[CostFact],
    units: Iterable[DailyUnits],
    today: date,
    pool_credits: Optional[Mapping[str, Sequence[PoolCredit]]] = None,
    critical_since: Optional[Mapping[str, date]] = None,
) -> Outputs:
    # A run judges its own moment: work items dated after `today` are not in it yet, whatever the
    # store already holds (a run with an earlier clock). Facts come read up to `today` already.
    units = (u for u in units if u.day <= today)
    return compute_ledger(org, build_ledger(org, facts, units), today, pool_credits, critical_since)


def open_ledger(org: Organisation, facts: Iterable[CostFact], units: Iterable[DailyUnits], today: date) -> Ledger:
    """The ledger of the open months' raw facts and units, as `compute` builds it (units after
    `today` left out): merge it with closed months' snapshots (allocation.merge_ledgers)."""
    return build_ledger(org, facts, (u for u in units if u.day <= today))


def compute_ledger(
    org: Organisation,
    ledger: Ledger,
    today: date,
    pool_credits: Optional[Mapping[str, Sequence[PoolCredit]]] = None,
    critical_since: Optional[Mapping[str, date]] = None,
) -> Outputs:
    """`compute` from a ledger already built: closed months' snapshots merged with the open months'
    raw facts (allocation.merge_ledgers) give exactly the outputs `compute` gives from all the raw
    facts. The ledger is only read."""
    s = org.settings
    allocation = month_allocations(org, ledger)
    cal = Calendar(*_data_range(ledger, today))
    today_index = cal.index(today)
    current = month_key(today)
    report_month = previous_month(today)
    cells = _by_use_case_month(ledger)

    statuses: dict[str, UseCaseStatus] = {}
    series_out: dict[str, UseCaseUnitCosts] = {}
    anomalies: list[Anomaly] = []
    pnl: list[AgentPnL] = []
    closing: defaultdict[str, list[PoolCredit]] = defaultdict(list)
    month_after: dict[str, date] = {}  # "YYYY-MM" -> the 1st of the next month
    exact_forecasts: dict[str, Fraction] = {}  # use case -> its month-end forecast as an exact Fraction
    period_targets: dict[str, PeriodTargets] = {}  # use case -> its periods' targets, where terms changed
    for u in sorted(org.use_cases, key=lambda x: x.use_case_id):
        uid = u.use_case_id
        cost_days = ledger.owner_days.get((u.team, uid), {})
        unit_days = ledger.units.get(uid, {})
        starts = [min(d) for d in (cost_days, unit_days) if d]
        weeks: dict[date, tuple[Decimal, int]] = {}  # Monday -> (cost, units)
        months: dict[str, tuple[Decimal, int]] = {}  # "YYYY-MM" -> (cost, units)
        series: Optional[DailySeries] = None
        if starts:
            series = dense_series(cal, cost_days, unit_days, min(starts))
            weeks = period_totals(cal.week_bounds, series)
            months = period_totals(cal.month_bounds, series)
            series_out[uid] = unit_costs(uid, cal, series, weeks, months, today)
            anomalies.extend(
                detect(
                    uid,
                    cal.days[series.first_index :],
                    series.costs,
                    series.units,
                    series.cpus,
                    today_index - series.first_index,
                    s,
                    u.unit_of_work,
                )
            )
        daily = _daily_sums(cal, series)
        reported = ledger.reported_through.get(uid)
        first_day = min(starts) if starts else None
        terms_on = use_case_on(org, u)
        fc = month_end_forecast(cost_days, today, s.forecast_window_days, min(cost_days) if cost_days else None)
        exact_forecasts[uid] = fc.exact
        slo = evaluate(u, s, weeks, today, fc, judgement(today, reported, daily, first_day), terms_on)
        now_u = terms_on(today)  # the terms in force today (an "Effective from" in the future waits)
        if uid in org.terms_history:  # the target each period was judged on (at its end; today for this one)
            period_targets[uid] = (
                {m: terms_on(min(m + timedelta(days=6), today)).target_cpu for m in weeks},
                {month: terms_on(min(month_last_day(month_first_day(month)), today)).target_cpu for month in months},
            )
        estimated = estimated_monthly_cost(now_u.estimated_monthly_cost, fc.forecast)
        tier = estimated_tier(now_u.estimated_monthly_cost, fc, s)
        forecast_tier = tier_for(fc, s)
        approval = approval_required(forecast_tier, now_u.approved_tier)
        due = reminder_due(u, today)
        latch = critical_latch((critical_since or {}).get(uid), slo.colour == CRITICAL, u.critical_cleared_on, today)
        paused, paused_reason = _paused(u, latch)
        flags = list(slo.flags)
        if approval:
            flags.append("approval required")
        if due:
            flags.append("reminder due")
        budget = now_u.monthly_budget
        if budget is not None and fc.month_to_date > budget:
            flags.append(FLAG_OVER_BUDGET)
        elif budget is not None and fc.exceeds(budget):
            flags.append(FLAG_FORECAST_OVER_BUDGET)
        mtd_units = months.get(current, (ZERO, 0))[1]
        target_now = now_u.target_cpu
        tolerance = now_u.tolerance if now_u.tolerance is not None else s.default_tolerance
        low_high = band(target_now, tolerance) if target_now is not None and target_now > 0 else (None, None)
        offset = monthly_offset(u)
        reason = slo.reason + (f"; {paused_reason}" if paused_reason else "")
        statuses[uid] = UseCaseStatus(
            use_case=uid,
            name=u.name,
            team=u.team,
            owner_email=u.owner_email,
            unit_of_work=u.unit_of_work,
            sheet_status=u.status,
            colour=slo.colour,
            reason=reason,
            paused=paused,
            paused_reason=paused_reason,
            critical_since=latch.since,
            flags=tuple(flags),
            target_cpu=target_now,
            band_low=low_high[0],
            band_high=low_high[1],
            latest_week=slo.latest_week,
            cpu_week=slo.cpu_latest,
            cpu_prior_week=slo.cpu_prior,
            cpu_current_week=slo.cpu_current,
            overrun_week=slo.overrun_latest,
            overrun_prior_week=slo.overrun_prior,
            overrun_current_week=slo.overrun_current,
            cpu_month=_month_cpu(daily, month_first_day(current), today, reported),
            month_to_date_cost=fc.month_to_date,
            month_to_date_units=mtd_units,
            daily_average=fc.daily_average,
            forecast=fc.forecast,
            budget=budget,
            budget_remaining=difference(budget, fc.month_to_date),
            estimated_monthly_cost=estimated,
            tier=tier,
            forecast_tier=forecast_tier,
            approved_tier=now_u.approved_tier or "T1",
            approval_required=approval,
            reminder_due=due,
            headcount_offset=offset,
            net_forecast=difference(offset, fc.forecast),
            counts_reported_through=slo.counts_reported_through,
            counts_missing_since=slo.counts_missing_since,
            current_week_days=slo.current_week_days,
            target_latest_week=slo.target_latest,
        )

        by_month = cells.get(uid, {})
        trigger = retirement_trigger(u, today)  # the same on every month's row
        for month in sorted(months):
            cost, n = months[month]
            if cost == 0 and not n:
                continue
            cats = by_month.get(month, {})
            by_category = {c: cats[c][0] if c in cats else ZERO for c in CATEGORIES}
            billed = sum((cell[1] for cell in cats.values()), ZERO)
            month_u = now_u
            credit: Optional[PoolCredit]
            if month == current:
                colour, month_tier, credit = slo.colour, tier, None
            else:
                after = month_after.get(month)
                if after is None:
                    after = month_after[month] = next_month_first_day(month_first_day(month))
                month_end = after - timedelta(days=1)
                month_u = terms_on(month_end)  # the terms in force on the month's last day judge it

                def terms_then(day: date, _end: date = month_end, _on: Callable[[date], UseCase] = terms_on) -> UseCase:
                    return _on(min(day, _end))

                colour = colour_as_of(
                    u, s, weeks, after, cost, judgement(after, reported, daily, first_day), terms_then
                )
                month_tier = tier_for(estimated_monthly_cost(month_u.estimated_monthly_cost, cost), s)
                credit = month_credit(month_u, month, cost, n, month_tier) if month < current else None
                if credit is not None:
                    closing[month].append(credit)
            pnl.append(
                pnl_row(
                    month_u,
                    month,
                    month < current,
                    cost,
                    billed,
                    by_category,
                    n,
                    colour,
                    month_tier,
                    credit.amount if credit is not None else ZERO,
                    today,
                    trigger,
                )
            )

    teams, org_forecast = _team_budgets(org, ledger, statuses, exact_forecasts, today)
    budget = organisation_budget(t.budget for t in teams)
    closing_credits = {m: tuple(c) for m, c in sorted(closing.items())}
    pool = pool_state(org, pool_credits, report_month, closing_credits.get(report_month, ()))
    colours = {k: v.colour for k, v in statuses.items()}

    report_rows = [r for r in pnl if r.month == report_month]
    assessed = report_month if report_month in allocation and allocation[report_month].total > 0 else current
    maturity = assess(
        org,
        assessed,
        allocation.get(assessed),
        {r.use_case: (r.cost, r.units) for r in pnl if r.month == assessed},
        colours,
    )
    benchmarks = compare(org, {r.use_case: r.cpu for r in report_rows})
    tiers_now = {k: v.tier for k, v in statuses.items()}
    board = _board(org, report_month, allocation, report_rows, anomalies, maturity.stage, pool, benchmarks)
    anomalies.sort(key=lambda a: (a.day, a.use_case, a.metric))
    return Outputs(
        today=today,
        month=current,
        currency=s.currency,
        statuses=statuses,
        teams=teams,
        forecast=org_forecast,
        budget=budget,
        forecast_vs_budget=forecast_vs_budget(org_forecast, budget),
        allocation=allocation,
        period_targets=period_targets,
        unit_costs=series_out,
        anomalies=tuple(anomalies),
        pool=pool,
        closing_credits=closing_credits,
        pnl=tuple(pnl),
        board=board,
        maturity=maturity,
        benchmarks=benchmarks,
        risk_appetite=risk_appetite(org, today, tiers_now),
        reminders=reminders(org, today),
        rejected=tuple(ledger.rejected),
        warnings=tuple(ledger.warnings),
    )


def with_optimization(
    out: Outputs, org: Organisation, usage: Iterable[UsageFact], months: Optional[Sequence[str]] = None
) -> Outputs:
    """`out` with its optimization hints (domain/optimization.py) of `months` (default: the month before
    today's and today's) from `usage`, the usage facts of those months."""
    from dataclasses import replace

    from .optimization import optimize

    colours = {k: v.colour for k, v in out.statuses.items()}
    return replace(out, optimization=optimize(org, out.pnl, usage, out.anomalies, out.today, colours, months))


def organisation_budget(budgets: Iterable[Optional[Decimal]]) -> Optional[Decimal]:
    """The organisation's monthly budget: the teams' budgets, each to the cent as the Teams tab shows
    it, summed (so it equals the sum of the budgets shown); None when no team has a budget."""
    given = [cents(b) for b in budgets if b is not None]
    return sum(given, ZERO) if given else None


def forecast_vs_budget(forecast: Decimal, budget: Optional[Decimal]) -> Optional[Decimal]:
    """The forecast as a share of the budget, from the two figures as shown (the forecast to the
    cent, the budget already in cents), so the share shown agrees with them; over 1 is over budget.
    None without a budget, or with a budget of zero."""
    if not budget:
        return None
    return cents(forecast) / budget


def _team_budgets(
    org: Organisation,
    ledger: Ledger,
    statuses: Mapping[str, UseCaseStatus],
    exact: Mapping[str, Fraction],
    today: date,
) -> tuple[tuple[TeamBudget, ...], Decimal]:
    """(team lines, the organisation's forecast): every owner's month-end forecast, unallocated
    spend included, so the organisation's forecast is never below its month to date."""
    mtd: defaultdict[str, Decimal] = defaultdict(lambda: ZERO)
    forecast: defaultdict[str, Fraction] = defaultdict(lambda: Fraction(0))
    for st in statuses.values():
        mtd[st.team] += st.month_to_date_cost
        forecast[st.team] += exact[st.use_case]
    # Team spend that reached no use case still counts against the team's budget; spend that
    # reached no team counts only in the organisation's total.
    window = org.settings.forecast_window_days
    nobody = Fraction(0)
    for (team, use_case), days in ledger.owner_days.items():
        if use_case == UNALLOCATED and days:
            fc = month_end_forecast(days, today, window, min(days))
            if team == UNALLOCATED:
                nobody += fc.exact
            else:
                mtd[team] += fc.month_to_date
                forecast[team] += fc.exact
    teams = {t.team_id: t for t in org.teams}
    order = [t.team_id for t in org.teams] + sorted({u.team for u in org.use_cases} - set(teams))
    out: list[TeamBudget] = []
    for team_id in order:
        t = teams.get(team_id)
        budget = team_budget_on(org, t, today) if t else None
        spent = mtd[team_id]
        out.append(
            TeamBudget(
                team_id,
                t.name if t else "",
                t.lead_email if t else "",
                budget,
                spent,
                fraction_to_decimal(forecast[team_id]),
                difference(budget, spent),
                spent / budget if budget else None,
                budget is not None and forecast[team_id] > budget,
            )
        )
    whole = sum((forecast[t] for t in order), Fraction(0)) + nobody
    return tuple(out), fraction_to_decimal(whole)


def _board(
    org: Organisation,
    month: str,
    allocation: Mapping[str, MonthAllocation],
    rows: Sequence[AgentPnL],
    anomalies: Iterable[Anomaly],
    stage: int,
    pool: PoolState,
    benchmarks: tuple[BenchmarkLine, ...],
) -> board_report.BoardReport:
    s = org.settings
    prior = previous_month(month_first_day(month))
    this = allocation.get(month)
    month_end = month_last_day(month_first_day(month))  # the budgets in force when the month ended
    by_id = {u.use_case_id: u for u in org.use_cases}
    agents = tuple(
        board_report.BoardAgentLine(
            r.use_case,
            r.name,
            r.unit_of_work,
            r.cost,
            r.units,
            r.cpu,
            r.target_cpu,
            r.overrun,
            r.colour,
            r.margin_benefit,
        )
        for r in sorted(rows, key=lambda r: (-r.cost, r.use_case))
    )
    costs = {r.use_case: r.cost for r in rows}
    # Only agents that ran that month offset headcount in it (a month before launch claims nothing).
    headcount = tuple(
        h
        for h in (
            headcount_line(u, month, costs[u.use_case_id], s.currency)
            for u in sorted(by_id.values(), key=lambda u: u.use_case_id)
            if u.use_case_id in costs
        )
        if h
    )
    return board_report.build(
        month,
        prior,
        s.currency,
        this.total if this else ZERO,
        allocation[prior].total if prior in allocation else ZERO,
        organisation_budget(team_budget_on(org, t, month_end) for t in org.teams),
        this.coverage if this else None,
        agents,
        tuple(a for a in anomalies if month_key(a.day) == month),
        headcount,
        stage,
        pool.balances,
        benchmarks,
    )


def close_month(
    org: Organisation,
    facts: Iterable[CostFact],
    units: Iterable[DailyUnits],
    today: date,
    pool_credits: Optional[Mapping[str, Sequence[PoolCredit]]] = None,
    month: Optional[str] = None,
) -> dict[str, tuple[PoolCredit, ...]]:
    """Compute and close `month` (default: last month). Only a complete month can be closed."""
    month = month or previous_month(today)
    month_first_day(month)  # validates the format
    if month >= month_key(today):
        raise ValueError(f"{month} is not complete on {today}: only a past month can be closed")
    out = compute(org, facts, units, today, pool_credits)
    return close_pool_month(pool_credits, month, out.closing_credits.get(month, ()))
