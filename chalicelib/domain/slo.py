"""The cost SLO: a colour per use case from weekly overrun against its CPU target.

overrun = CPU ÷ target − 1, per ISO week (Monday–Sunday, UTC).
- critical: overrun ≥ critical_overrun (50 %) in the latest complete week, or in the
  current week once it has `current_week_min_days` (2) full days before today; or the
  month's projected cost > tier2_limit ($50k; exactly $50k is not critical) without
  CFO approval. The projection check applies even without a target.
- red: overrun ≥ red_overrun (20 %) in each of the last two complete weeks.
- yellow: overrun ≥ yellow_overrun (10 %) in the latest complete week (this covers
  ≥ 20 % in only the latest complete week).
- green: overrun < 10 % in the latest complete week (under target is green).
- no colour (None): no target (and no critical projection), or no CPU for the latest
  complete week (no spend, or spend with zero units: flagged).
Below band: latest complete week CPU < target × (1 − tolerance) (strictly; exactly at
the edge is not flagged) adds the flag "investigate"; the colour is unchanged.
Each rule only ever moves a use case up as an overrun grows, so colour is monotone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Mapping, Optional

from .money import show_cpu, show_money, show_percent
from .organisation import Settings, UseCase
from .periods import week_label, week_start
from .unit_costs import FLAG_ZERO_UNITS

GREEN, YELLOW, RED, CRITICAL = "green", "yellow", "red", "critical"
COLOURS = (GREEN, YELLOW, RED, CRITICAL)
FLAG_INVESTIGATE = "investigate"
FLAG_INVALID_TARGET = "invalid target"


def colour_rank(colour: Optional[str]) -> int:
    """-1 for no colour, then green 0 < yellow 1 < red 2 < critical 3."""
    return COLOURS.index(colour) if colour in COLOURS else -1


def overrun(cpu: Optional[Decimal], target: Optional[Decimal]) -> Optional[Decimal]:
    if cpu is None or target is None or target <= 0:
        return None
    return cpu / target - 1


def band(target: Decimal, tolerance: Decimal) -> tuple:
    """(low, high) of the SLO band: $0.40 ± 15 % -> ($0.34, $0.46)."""
    return target * (1 - tolerance), target * (1 + tolerance)


def below_band(cpu: Optional[Decimal], target: Optional[Decimal], tolerance: Decimal) -> bool:
    return cpu is not None and target is not None and target > 0 and cpu < target * (1 - tolerance)


def colour_for(has_target: bool, latest: Optional[Decimal], prior: Optional[Decimal],
               current: Optional[Decimal], projection_breach: bool, settings: Settings) -> Optional[str]:
    """The rule table on numbers alone. `current` is None unless the current week counts."""
    if projection_breach:
        return CRITICAL
    if not has_target:
        return None
    if (latest is not None and latest >= settings.critical_overrun) or (
            current is not None and current >= settings.critical_overrun):
        return CRITICAL
    if latest is None:
        return None
    if latest >= settings.red_overrun and prior is not None and prior >= settings.red_overrun:
        return RED
    if latest >= settings.yellow_overrun:
        return YELLOW
    return GREEN


@dataclass(frozen=True)
class SloResult:
    colour: Optional[str]
    reason: str
    flags: tuple
    latest_week: date  # Monday of the latest complete week
    cpu_latest: Optional[Decimal]
    cpu_prior: Optional[Decimal]
    cpu_current: Optional[Decimal]
    overrun_latest: Optional[Decimal]
    overrun_prior: Optional[Decimal]
    overrun_current: Optional[Decimal]  # None unless the current week counts
    current_week_counts: bool


def _over(o: Decimal) -> str:
    return f"{show_percent(abs(o))} {'over' if o >= 0 else 'under'}"


def evaluate(use_case: UseCase, settings: Settings, weeks: Mapping[date, list], as_of: date,
             projected_month_cost: Decimal) -> SloResult:
    """Colour of `use_case` as of the day `as_of` (today, or the 1st after a closed month).

    `weeks` maps each Monday to [cost, units]; `projected_month_cost` is the month-end
    forecast (or, for a closed month, its actual cost).
    """
    currency = settings.currency
    current_monday = week_start(as_of)
    latest_monday = current_monday - timedelta(days=7)
    prior_monday = current_monday - timedelta(days=14)
    full_days = (as_of - current_monday).days
    counts = full_days >= settings.current_week_min_days

    def cpu(monday: date) -> Optional[Decimal]:
        cell = weeks.get(monday)
        return cell[0] / cell[1] if cell and cell[1] else None

    def zero_units(monday: date) -> bool:
        cell = weeks.get(monday)
        return bool(cell) and not cell[1] and cell[0] != 0

    target = use_case.target_cpu
    flags = []
    if target is not None and target <= 0:
        flags.append(FLAG_INVALID_TARGET)
        target = None
    tolerance = use_case.tolerance if use_case.tolerance is not None else settings.default_tolerance
    cpu_latest, cpu_prior, cpu_current = cpu(latest_monday), cpu(prior_monday), cpu(current_monday)
    o_latest, o_prior = overrun(cpu_latest, target), overrun(cpu_prior, target)
    o_current = overrun(cpu_current, target) if counts else None
    breach = projected_month_cost > settings.tier2_limit and not use_case.cfo_approved
    colour = colour_for(target is not None, o_latest, o_prior, o_current, breach, settings)
    if zero_units(latest_monday) or (counts and zero_units(current_monday)):
        flags.append(FLAG_ZERO_UNITS)
    if below_band(cpu_latest, target, tolerance):
        flags.append(FLAG_INVESTIGATE)

    unit = use_case.unit_of_work or "unit"
    latest, prior, current = week_label(latest_monday), week_label(prior_monday), week_label(current_monday)

    def said(cpu_value: Decimal, o: Decimal, week: str) -> str:
        return f"cost per {unit} {show_cpu(cpu_value, currency)} is {_over(o)} the " \
               f"{show_cpu(target, currency)} target in {week}"

    if colour == CRITICAL:
        parts = []
        if o_latest is not None and o_latest >= settings.critical_overrun:
            parts.append(said(cpu_latest, o_latest, f"{latest} (latest complete week)"))
        if o_current is not None and o_current >= settings.critical_overrun:
            parts.append(said(cpu_current, o_current, f"{current} so far ({full_days} full days)"))
        if breach:
            parts.append(f"projected month cost {show_money(projected_month_cost, currency)} exceeds the "
                         f"tier-2 limit {show_money(settings.tier2_limit, currency)} without CFO approval")
        reason = "critical: " + "; ".join(parts)
    elif colour == RED:
        reason = (f"red: {said(cpu_latest, o_latest, latest)} and {_over(o_prior)} in {prior}: "
                  f"{show_percent(settings.red_overrun)} or more two complete weeks running")
    elif colour == YELLOW:
        reason = f"yellow: {said(cpu_latest, o_latest, latest)}"
        if o_latest >= settings.red_overrun:
            reason += f" ({show_percent(settings.red_overrun)} or more, but only in the latest complete week)"
    elif colour == GREEN:
        reason = f"green: {said(cpu_latest, o_latest, latest)}"
    elif target is None:
        reason = ("no target: the cost per unit target is not a positive amount" if FLAG_INVALID_TARGET in flags
                  else "no target: set a cost per unit target to get a colour")
    elif zero_units(latest_monday):
        reason = f"no colour: spend with zero units in {latest} (latest complete week)"
    else:
        reason = f"no colour: no spend or units in {latest} (latest complete week)"
    if FLAG_INVESTIGATE in flags:
        low = target * (1 - tolerance)
        reason += (f"; investigate: {show_cpu(cpu_latest, currency)} is below the band's floor "
                   f"{show_cpu(low, currency)} (target stale or spend missing?)")
    return SloResult(colour, reason, tuple(flags), latest_monday, cpu_latest, cpu_prior, cpu_current,
                     o_latest, o_prior, o_current, counts)


def colour_as_of(use_case: UseCase, settings: Settings, weeks: Mapping[date, list], as_of: date,
                 projected_month_cost: Decimal) -> Optional[str]:
    """Just the colour (no reason text): cheap enough for every closed month of the P&L."""
    current_monday = week_start(as_of)
    target = use_case.target_cpu
    if target is not None and target <= 0:
        target = None

    def o(monday: date) -> Optional[Decimal]:
        cell = weeks.get(monday)
        return overrun(cell[0] / cell[1], target) if cell and cell[1] else None

    counts = (as_of - current_monday).days >= settings.current_week_min_days
    breach = projected_month_cost > settings.tier2_limit and not use_case.cfo_approved
    return colour_for(target is not None, o(current_monday - timedelta(days=7)),
                      o(current_monday - timedelta(days=14)), o(current_monday) if counts else None,
                      breach, settings)
