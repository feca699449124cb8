"""The cost SLO: a colour per use case from weekly overrun against its CPU target.

overrun = cost ÷ (units × target) − 1, per ISO week (Monday–Sunday, UTC), compared with each
threshold exactly (a Fraction; never a rounded quotient).
No verdict without the data behind it: the weeks judged are complete weeks whose every day has
work-item counts (`Judgement`: counts are reported through the last day with posted items);
the "judged week" is the latest of them. Spend on days after that is named, never judged.
- critical: overrun ≥ critical_overrun (50 %) in the judged week, or in the current week once
  it has `current_week_min_days` (2) full days with counts; or the month's projected cost >
  tier2_limit ($50k; exactly $50k is not critical) without CFO approval (even without a target).
- red: overrun ≥ red_overrun (20 %) in the judged week and the week before it.
- yellow: overrun ≥ yellow_overrun (10 %) in the judged week (this covers ≥ 20 % in only it).
- green: overrun < 10 % in the judged week (under target is green).
- no colour (None): no target (and no critical projection), no judged week yet, or no CPU in
  it (no spend, or spend with zero units: flagged with the amount).
Each week is judged against the terms in force on its last day (`terms_on`), the current week
against today's. Below band: judged week CPU < target × (1 − tolerance) (strictly) adds the
flag "investigate"; the colour is unchanged. Colour only moves up as an overrun grows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable, Mapping, Optional, Union

from .forecast import Forecast, exceeds
from .money import ZERO, show_cpu, show_money, show_percent
from .organisation import Settings, UseCase
from .periods import week_label, week_start
from .unit_costs import FLAG_ZERO_UNITS

GREEN, YELLOW, RED, CRITICAL = "green", "yellow", "red", "critical"
COLOURS = (GREEN, YELLOW, RED, CRITICAL)
FLAG_INVESTIGATE = "investigate"
FLAG_INVALID_TARGET = "invalid target"
FLAG_COUNTS_MISSING = "counts not reported"

# A week's (cost, units): the engine's week totals (unit_costs.period_totals) are (Decimal, int) tuples;
# callers holding a week's figures (exports, tests) pass [cost, units] lists.
WeekTotals = Union[tuple[Decimal, int], list[Any]]
Overrun = Union[Decimal, Fraction]  # shown (Decimal) or exact (Fraction): the rule table takes either


def colour_rank(colour: Optional[str]) -> int:
    """-1 for no colour, then green 0 < yellow 1 < red 2 < critical 3."""
    return COLOURS.index(colour) if colour in COLOURS else -1


def overrun(cpu: Optional[Decimal], target: Optional[Decimal]) -> Optional[Decimal]:
    """CPU ÷ target − 1, for display; thresholds are judged on `exact_overrun`."""
    if cpu is None or target is None or target <= 0:
        return None
    return cpu / target - 1


def exact_overrun(cost: Decimal, units: int, target: Optional[Decimal]) -> Optional[Fraction]:
    """cost ÷ (units × target) − 1 as an exact fraction: an overrun of exactly 20 % is 1/5, whatever
    the digits (a rounded Decimal quotient can land a hair either side of a threshold)."""
    if not units or target is None or target <= 0:
        return None
    return Fraction(cost) / (Fraction(units) * Fraction(target)) - 1


def as_decimal_share(o: Optional[Fraction]) -> Optional[Decimal]:
    return None if o is None else Decimal(o.numerator) / Decimal(o.denominator)


def band(target: Decimal, tolerance: Decimal) -> tuple[Decimal, Decimal]:
    """(low, high) of the SLO band: $0.40 ± 15 % -> ($0.34, $0.46)."""
    return target * (1 - tolerance), target * (1 + tolerance)


def below_band(cpu: Optional[Decimal], target: Optional[Decimal], tolerance: Decimal) -> bool:
    return cpu is not None and target is not None and target > 0 and cpu < target * (1 - tolerance)


def below_band_exact(cost: Decimal, units: int, target: Optional[Decimal], tolerance: Decimal) -> bool:
    """cost ÷ units < target × (1 − tolerance), multiplied out (no quotient is rounded)."""
    return (
        bool(units)
        and target is not None
        and target > 0
        and Fraction(cost) < Fraction(target) * (1 - Fraction(tolerance)) * units
    )


def colour_for(
    has_target: bool,
    latest: Optional[Overrun],
    prior: Optional[Overrun],
    current: Optional[Overrun],
    projection_breach: bool,
    settings: Settings,
) -> Optional[str]:
    """The rule table on overruns alone (Decimal or exact Fraction). `current` is None unless the
    current week counts."""
    if projection_breach:
        return CRITICAL
    if not has_target:
        return None
    if (latest is not None and latest >= settings.critical_overrun) or (
        current is not None and current >= settings.critical_overrun
    ):
        return CRITICAL
    if latest is None:
        return None
    if latest >= settings.red_overrun and prior is not None and prior >= settings.red_overrun:
        return RED
    if latest >= settings.yellow_overrun:
        return YELLOW
    return GREEN


@dataclass(frozen=True)
class Judgement:
    """What the colour may be judged on, given how far the use case's work-item counts are reported.

    A day after the last day with posted work items has no counts yet: its spend is not an
    overrun. So the weeks judged are the complete weeks whose every day is reported (the
    latest such week, and the one before it for red), and the current week counts only its
    full days (before `as_of`) that are reported.
    """

    as_of: date
    reported_through: Optional[date]  # the latest UTC day with posted work items (None: never)
    latest_monday: Optional[date]  # the latest complete, fully reported week (None: none yet)
    current: Optional[tuple[Decimal, int]]  # (cost, units) of the current week's full days that have counts
    current_days: int  # how many full days of the current week have counts
    unreported_spend: Decimal  # spend on complete days after reported_through
    missing_since: Optional[date]  # the first complete day with spend and no counts (for the notice)
    gaps: tuple[tuple[date, Decimal], ...] = ()  # (day, spend) of the current week's full days with spend, no items


def judgement(
    as_of: date,
    reported_through: Optional[date],
    daily: Callable[[date, date], tuple[Decimal, int]],
    first_day: Optional[date] = None,
) -> Judgement:
    """`daily(start, end)` -> (cost, units) summed over [start, end) (the engine's dense series);
    `first_day`: the use case's first day of data."""
    current_monday = week_start(as_of)
    latest_complete = current_monday - timedelta(days=7)
    latest: Optional[date]
    if reported_through is None:
        latest, end = None, current_monday
    else:
        fully_reported = week_start(reported_through + timedelta(days=1)) - timedelta(days=7)
        latest = min(latest_complete, fully_reported)
        end = min(as_of, reported_through + timedelta(days=1))
    # The current week counts only its full days that HAVE counts: a day with spend and no work
    # items (a batch not posted yet, out of order) is left out of the verdict and named instead.
    cost, units, days = ZERO, 0, 0
    gaps: list[tuple[date, Decimal]] = []
    day = current_monday
    while day < end:
        c, u = daily(day, day + timedelta(days=1))
        if u:
            cost, units, days = cost + c, units + u, days + 1
        elif c > 0:
            gaps.append((day, c))
        day += timedelta(days=1)
    current = (cost, units) if days else None
    first_missing = reported_through + timedelta(days=1) if reported_through is not None else first_day
    unreported = daily(first_missing, as_of)[0] if first_missing is not None and first_missing < as_of else ZERO
    missing_since = first_missing if unreported > 0 else None
    return Judgement(as_of, reported_through, latest, current, days, unreported, missing_since, tuple(gaps))


def assumed_reported(as_of: date, weeks: Mapping[date, WeekTotals]) -> Judgement:
    """Counts reported through yesterday (callers with week totals only)."""
    current_monday = week_start(as_of)
    cell = weeks.get(current_monday)
    days = (as_of - current_monday).days
    return Judgement(
        as_of,
        as_of - timedelta(days=1),
        current_monday - timedelta(days=7),
        (cell[0], cell[1]) if cell and days else None,  # the week's (cost, units)
        days,
        ZERO,
        None,
    )


def counts_notice(j: Judgement, currency: str = "USD") -> str:
    """'work-item counts not reported since 2026-12-01: $500.00 of spend not judged' when complete days
    have spend but no counts; and the current week's days with spend but no work items, which its
    verdict leaves out."""
    parts: list[str] = []
    if j.missing_since is not None:
        parts.append(
            f"work-item counts not reported since {j.missing_since.isoformat()}"
            + (" (none posted yet)" if j.reported_through is None else "")
            + f": {show_money(j.unreported_spend, currency)} of spend not judged"
        )
    if j.gaps:
        spend = sum((c for _, c in j.gaps), ZERO)
        parts.append(
            "no work items on "
            + ", ".join(d.isoformat() for d, _ in j.gaps)
            + f": {show_money(spend, currency)} of this week's spend left out of its verdict"
        )
    return "; ".join(parts)


@dataclass(frozen=True)
class SloResult:
    colour: Optional[str]
    reason: str
    flags: tuple[str, ...]
    latest_week: date  # Monday of the latest complete week
    cpu_latest: Optional[Decimal]
    cpu_prior: Optional[Decimal]
    cpu_current: Optional[Decimal]
    overrun_latest: Optional[Decimal]
    overrun_prior: Optional[Decimal]
    overrun_current: Optional[Decimal]  # None unless the current week counts
    current_week_counts: bool
    counts_reported_through: Optional[date] = None  # the latest UTC day with posted work items
    counts_missing_since: Optional[date] = None  # first complete day with spend and no counts
    current_week_days: int = 0  # full days of the current week with counts
    target_latest: Optional[Decimal] = None  # the target in force at the end of the latest week


def _over(o: Optional[Decimal]) -> str:
    if o is None:  # a judged week has an overrun (colour_for gave its colour on it); abs(None) raised this before
        raise TypeError("bad operand type for abs(): 'NoneType'")
    return f"{show_percent(abs(o))} {'over' if o >= 0 else 'under'}"


def evaluate(
    use_case: UseCase,
    settings: Settings,
    weeks: Mapping[date, WeekTotals],
    as_of: date,
    projected_month_cost: Union[Decimal, Forecast],
    judged: Optional[Judgement] = None,
    terms_on: Optional[Callable[[date], UseCase]] = None,
) -> SloResult:
    """Colour of `use_case` as of the day `as_of` (today, or the 1st after a closed month).

    `weeks` maps each Monday to (cost, units); `projected_month_cost` is the month-end
    forecast (or, for a closed month, its actual cost). `judged` says which weeks and days
    have their work-item counts (default: reported through yesterday). `terms_on(day)` gives
    the use case as finance had configured it on `day` (target, tolerance, approvals): each
    week is judged against the terms in force on its last day, the current week against
    today's.
    """
    currency = settings.currency
    judged = judged or assumed_reported(as_of, weeks)
    terms_on = terms_on or (lambda day: use_case)
    now_terms = terms_on(as_of)
    current_monday = week_start(as_of)
    latest_monday = judged.latest_monday or current_monday - timedelta(days=7)
    prior_monday = latest_monday - timedelta(days=7)
    counts = judged.current_days >= settings.current_week_min_days

    def target_of(terms: UseCase) -> Optional[Decimal]:
        t = terms.target_cpu
        return t if t is not None and t > 0 else None

    def cell(monday: date) -> Optional[WeekTotals]:
        if judged.latest_monday is None or monday > judged.latest_monday:
            return None  # not fully reported: not judged
        return weeks.get(monday)

    def cpu_of(c: Optional[WeekTotals]) -> Optional[Decimal]:
        return c[0] / c[1] if c and c[1] else None

    def zero_units(c: Optional[WeekTotals]) -> bool:
        if not c:
            return False
        return not c[1] and c[0] != 0

    latest_terms, prior_terms = terms_on(latest_monday + timedelta(days=6)), terms_on(prior_monday + timedelta(days=6))
    target, t_latest, t_prior = target_of(now_terms), target_of(latest_terms), target_of(prior_terms)
    flags: list[str] = []
    if now_terms.target_cpu is not None and now_terms.target_cpu <= 0:
        flags.append(FLAG_INVALID_TARGET)
    tolerance = latest_terms.tolerance if latest_terms.tolerance is not None else settings.default_tolerance
    c_latest, c_prior = cell(latest_monday), cell(prior_monday)
    c_current = judged.current if counts else None
    cpu_latest, cpu_prior, cpu_current = cpu_of(c_latest), cpu_of(c_prior), cpu_of(judged.current)
    x_latest = exact_overrun(c_latest[0], c_latest[1], t_latest) if c_latest else None
    x_prior = exact_overrun(c_prior[0], c_prior[1], t_prior) if c_prior else None
    x_current = exact_overrun(c_current[0], c_current[1], target) if c_current else None
    o_latest, o_prior, o_current = (as_decimal_share(x) for x in (x_latest, x_prior, x_current))
    breach = exceeds(projected_month_cost, settings.tier2_limit) and not now_terms.cfo_approved
    projected_shown = (
        projected_month_cost.forecast if isinstance(projected_month_cost, Forecast) else projected_month_cost
    )
    colour = colour_for(target is not None or t_latest is not None, x_latest, x_prior, x_current, breach, settings)
    if zero_units(c_latest) or zero_units(c_current):
        flags.append(FLAG_ZERO_UNITS)
    if c_latest and below_band_exact(c_latest[0], c_latest[1], t_latest, tolerance):
        flags.append(FLAG_INVESTIGATE)
    notice = counts_notice(judged, currency)
    if notice:
        flags.append(FLAG_COUNTS_MISSING)

    unit = use_case.unit_of_work or "unit"
    latest, prior, current = week_label(latest_monday), week_label(prior_monday), week_label(current_monday)

    def said(cpu_value: Optional[Decimal], o: Optional[Decimal], week: str, t: Optional[Decimal]) -> str:
        # A judged week has all three (colour_for gave its colour on them); show_cpu(None) raised a TypeError before.
        if cpu_value is None or o is None or t is None:
            raise TypeError(f"a judged week without its cost per unit, overrun or target ({week})")
        return (
            f"cost per {unit} {show_cpu(cpu_value, currency)} is {_over(o)} the "
            f"{show_cpu(t, currency)} target in {week}"
        )

    if colour == CRITICAL:
        parts: list[str] = []
        if x_latest is not None and x_latest >= settings.critical_overrun:
            parts.append(said(cpu_latest, o_latest, f"{latest} (latest complete week)", t_latest))
        if x_current is not None and x_current >= settings.critical_overrun:
            parts.append(
                said(cpu_current, o_current, f"{current} so far ({judged.current_days} full days with counts)", target)
            )
        if breach:
            parts.append(
                f"projected month cost {show_money(projected_shown, currency)} exceeds the "
                f"tier-2 limit {show_money(settings.tier2_limit, currency)} without CFO approval"
            )
        reason = "critical: " + "; ".join(parts)
    elif colour == RED:
        reason = (
            f"red: {said(cpu_latest, o_latest, latest, t_latest)} and {_over(o_prior)} in {prior}: "
            f"{show_percent(settings.red_overrun)} or more two complete weeks running"
        )
    elif colour == YELLOW:
        reason = f"yellow: {said(cpu_latest, o_latest, latest, t_latest)}"
        if x_latest is not None and x_latest >= settings.red_overrun:  # set: yellow is judged on it
            reason += f" ({show_percent(settings.red_overrun)} or more, but only in the latest complete week)"
    elif colour == GREEN:
        reason = f"green: {said(cpu_latest, o_latest, latest, t_latest)}"
    elif target is None and t_latest is None:
        reason = (
            "no target: the cost per unit target is not a positive amount"
            if FLAG_INVALID_TARGET in flags
            else "no target: set a cost per unit target to get a colour"
        )
    elif judged.latest_monday is None:
        reason = "no colour yet: no complete week with work-item counts"
    elif c_latest is not None and zero_units(c_latest):
        reason = (
            f"no colour: spend {show_money(c_latest[0], currency)} with no work items in {latest} "
            "(latest complete week)"
        )
    else:
        reason = f"no colour: no spend or units in {latest} (latest complete week)"
    if FLAG_INVESTIGATE in flags and t_latest is not None and cpu_latest is not None:  # the flag needs both
        low = t_latest * (1 - tolerance)
        reason += (
            f"; investigate: {show_cpu(cpu_latest, currency)} is below the band's floor "
            f"{show_cpu(low, currency)} (target stale or spend missing?)"
        )
    if notice:
        reason += f"; {notice}"
    return SloResult(
        colour,
        reason,
        tuple(flags),
        latest_monday,
        cpu_latest,
        cpu_prior,
        cpu_current,
        o_latest,
        o_prior,
        o_current,
        counts,
        judged.reported_through,
        judged.missing_since,
        judged.current_days,
        t_latest,
    )


def colour_as_of(
    use_case: UseCase,
    settings: Settings,
    weeks: Mapping[date, WeekTotals],
    as_of: date,
    projected_month_cost: Union[Decimal, Forecast],
    judged: Optional[Judgement] = None,
    terms_on: Optional[Callable[[date], UseCase]] = None,
) -> Optional[str]:
    """Just the colour, as it stood on `as_of` (a closed month's 1st after): days from `as_of` on
    never count."""
    return evaluate(use_case, settings, weeks, as_of, projected_month_cost, judged, terms_on).colour
