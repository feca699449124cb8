"""Where every dollar went: one grouping pass over cost facts, then shared-cost splits.

Resolution of a fact (after the sheet's Mappings are applied to facts still
`unallocated`, so a new mapping takes effect on the next run without re-pulling):
- its use case is configured in the sheet -> allocated to that use case and to the
  use case's team *as configured* (the sheet is the source of truth for ownership);
- team `shared` and use case = a SharedCostRule key -> split onto the rule's targets;
- anything else is kept as unallocated, shown, and listed with the reason and the
  key finance needs to map (vendor key, unknown use case id, shared key with no rule).
Nothing is dropped: the by-team, by-use-case and by-category totals each add up to
the month's total exactly.

Shared splits use the calendar month's weights (units or direct spend of each target
over the month so far), applied to each day's shared cost, so per-day unit costs see
their share and the month's parts add up exactly. All-zero weights fall back to an
even split (with a warning) rather than leaving the cost unallocated.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Iterable, Optional

from .facts import CATEGORIES, SHARED_TEAM, UNALLOCATED, CostFact, DailyUnits
from .money import ZERO, as_decimal, show_money, show_percent, split
from .organisation import Organisation, SharedCostRule
from .periods import month_key

REASON_UNMAPPED = "unmapped vendor key"
REASON_UNKNOWN_USE_CASE = "unknown use case"
REASON_SHARED_NO_RULE = "shared cost with no split rule"
REASON_UNKNOWN_TARGET = "split target is not a known use case"

_CATEGORY_SET = frozenset(CATEGORIES)

Owner = tuple  # (team, use case); use case is UNALLOCATED for cost that reached no use case


@dataclass(frozen=True)
class RejectedFact:
    fact: CostFact
    reason: str


@dataclass(frozen=True)
class SharedSplit:
    """One target's share of one shared-cost rule for a month."""

    month: str
    rule_key: str
    rule: str
    target: str
    amount: Decimal
    billed: Decimal


@dataclass(frozen=True)
class UnallocatedItem:
    """Cost that reached no use case, with what finance has to map."""

    month: str
    reason: str
    key: str  # vendor key, unknown use case id, shared key or split target
    amount: Decimal
    billed: Decimal


@dataclass(frozen=True)
class Reconciliation:
    month: str
    total: Decimal
    expected: Decimal
    difference: Decimal  # total - expected
    difference_share: Optional[Decimal]  # difference / expected; None when expected is 0
    flagged: bool
    reason: str


@dataclass(frozen=True)
class MonthAllocation:
    """One calendar month of spend, cut every way the dashboard shows it (effective cost)."""

    month: str
    total: Decimal
    billed_total: Decimal
    allocated: Decimal  # reached a configured use case, directly or through a shared split
    unallocated: Decimal
    coverage: Optional[Decimal]  # allocated / total; None when total <= 0
    coverage_met: Optional[bool]  # coverage >= Settings.coverage_goal
    by_team: dict  # team -> Decimal; UNALLOCATED for cost with no known team
    by_use_case: dict  # use case -> Decimal; UNALLOCATED for the rest
    by_category: dict  # iceberg category -> Decimal (every category present, zero if none)
    by_provider: dict
    by_service: dict  # (provider, service) -> Decimal
    billed_by_team: dict
    billed_by_use_case: dict
    billed_by_category: dict
    billed_by_provider: dict
    billed_by_service: dict
    shared_splits: tuple  # SharedSplit, ...
    unallocated_items: tuple  # UnallocatedItem, ... largest first
    reconciliation: Optional[Reconciliation]


@dataclass
class Ledger:
    """Pre-aggregated facts (internal, mutable while built): every later rule reads this."""

    owner_days: dict = field(default_factory=lambda: defaultdict(dict))  # owner -> {day: eff}
    month_cells: dict = field(default_factory=dict)  # (owner, month, category) -> [eff, billed]
    vendor_days: dict = field(default_factory=dict)  # (day, provider, service) -> [eff, billed]
    units: dict = field(default_factory=lambda: defaultdict(dict))  # use case -> {day: units}
    shared_splits: dict = field(default_factory=dict)  # (month, key, target) -> [eff, billed]
    unallocated: dict = field(default_factory=dict)  # (month, reason, key) -> [eff, billed]
    rejected: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    first_day: Optional[date] = None
    last_day: Optional[date] = None


def _add(table: dict, key, eff: Decimal, billed: Decimal) -> None:
    cell = table.get(key)
    if cell is None:
        table[key] = [eff, billed]
    else:
        cell[0] += eff
        cell[1] += billed


def build_ledger(org: Organisation, facts: Iterable[CostFact], units: Iterable[DailyUnits]) -> Ledger:
    ledger = Ledger()
    cells = _group_facts(org, facts, ledger)
    _count_units(org, units, ledger)
    shared_cells = _allocate_cells(org, cells, ledger)
    _split_shared(org, shared_cells, ledger)
    return ledger


def _group_facts(org: Organisation, facts: Iterable[CostFact], ledger: Ledger) -> dict:
    """The one pass over raw facts: everything after works on these sums."""
    currency = org.settings.currency
    mapping = {m.vendor_key: (m.team, m.use_case) for m in org.mappings}
    cells: dict = {}
    vendor = ledger.vendor_days
    unmapped: dict = {}
    rejected = ledger.rejected
    for f in facts:
        if f.currency != currency:
            rejected.append(RejectedFact(f, (
                f"{f.source} cost on {f.day} is in {f.currency} but this deployment books {currency}: "
                "convert it before import (no exchange rate is configured)")))
            continue
        team = f.team
        use_case = f.use_case
        day = f.day
        eff = f.effective_cost
        billed = f.billed_cost
        if use_case == UNALLOCATED:
            hit = mapping.get(f.vendor_key)
            if hit is None:
                _add(unmapped, (day, f.vendor_key or f"{f.provider}:{f.service}"), eff, billed)
            else:
                team, use_case = hit
        key = (team, use_case, day, f.category)
        cell = cells.get(key)
        if cell is None:
            cells[key] = [eff, billed]
        else:
            cell[0] += eff
            cell[1] += billed
        key = (day, f.provider, f.service)
        cell = vendor.get(key)
        if cell is None:
            vendor[key] = [eff, billed]
        else:
            cell[0] += eff
            cell[1] += billed
    for (day, vendor_key), (eff, billed) in unmapped.items():
        _add(ledger.unallocated, (month_key(day), REASON_UNMAPPED, vendor_key), eff, billed)
    return cells


def _count_units(org: Organisation, units: Iterable[DailyUnits], ledger: Ledger) -> None:
    """Units per use case and day, by the use case's rule: every item, or successes only."""
    success_only = {u.use_case_id: u.units_rule == "success" for u in org.use_cases}
    unknown = set()
    per_use_case = ledger.units
    for du in units:
        rule = success_only.get(du.use_case)
        if rule is None:
            unknown.add(du.use_case)
            continue
        n = du.success_units if rule else du.units
        days = per_use_case[du.use_case]
        days[du.day] = days.get(du.day, 0) + n
    for use_case in sorted(unknown):
        ledger.warnings.append(f"work items posted for unknown use case {use_case!r} are not counted")


def _resolver(org: Organisation):
    known = {u.use_case_id: u for u in org.use_cases}
    rules = {r.key for r in org.shared_rules}
    teams = {t.team_id for t in org.teams} | {u.team for u in org.use_cases}

    def resolve(team: str, use_case: str):
        """-> (is_shared, owner, unallocated reason or None)."""
        u = known.get(use_case)
        if u is not None:
            return False, (u.team, use_case), None
        if team == SHARED_TEAM and use_case in rules:
            return True, None, None
        owner = (team if team in teams else UNALLOCATED, UNALLOCATED)
        if use_case == UNALLOCATED:
            return False, owner, None  # listed by vendor key in the grouping pass
        if team == SHARED_TEAM:
            return False, owner, REASON_SHARED_NO_RULE
        return False, owner, REASON_UNKNOWN_USE_CASE

    return resolve


def _allocate_cells(org: Organisation, cells: dict, ledger: Ledger) -> dict:
    resolve = _resolver(org)
    resolved: dict = {}
    months: dict = {}
    owner_days = ledger.owner_days
    month_cells = ledger.month_cells
    shared_cells: dict = {}
    odd_categories = set()
    first = last = None
    for (team, use_case, day, category), (eff, billed) in cells.items():
        r = resolved.get((team, use_case))
        if r is None:
            r = resolved[(team, use_case)] = resolve(team, use_case)
        month = months.get(day)
        if month is None:
            month = months[day] = month_key(day)
            first = day if first is None or day < first else first
            last = day if last is None or day > last else last
        if category not in _CATEGORY_SET:
            odd_categories.add(category)
            category = "other"
        is_shared, owner, reason = r
        if is_shared:
            _add(shared_cells, (use_case, day, category), eff, billed)
            continue
        days = owner_days[owner]
        days[day] = days.get(day, ZERO) + eff
        _add(month_cells, (owner, month, category), eff, billed)
        if reason is not None:
            _add(ledger.unallocated, (month, reason, use_case), eff, billed)
    for category in sorted(odd_categories):
        ledger.warnings.append(f"category {category!r} is not an iceberg category: counted as 'other'")
    ledger.first_day, ledger.last_day = first, last
    return shared_cells


def _month_units(ledger: Ledger) -> dict:
    totals: dict = {}
    for use_case, days in ledger.units.items():
        for day, n in days.items():
            key = (use_case, month_key(day))
            totals[key] = totals.get(key, 0) + n
    return totals


def _month_direct_spend(ledger: Ledger) -> dict:
    totals: dict = {}
    for ((_, use_case), month, _), (eff, _) in ledger.month_cells.items():
        if use_case != UNALLOCATED:
            totals[(use_case, month)] = totals.get((use_case, month), ZERO) + eff
    return totals


def _rule_weights(rule: SharedCostRule, month: str, month_units: dict, direct: dict, warn) -> list:
    n = len(rule.targets)
    if rule.rule == "units":
        weights = [Decimal(month_units.get((t, month), 0)) for t in rule.targets]
    elif rule.rule == "direct_spend":
        weights = [direct.get((t, month), ZERO) for t in rule.targets]
    elif rule.rule == "percent":
        weights = [as_decimal(p) for p in rule.percents[:n]] + [ZERO] * (n - len(rule.percents))
        if len(rule.percents) != n:
            warn(f"shared rule {rule.key!r}: {len(rule.percents)} percentages for {n} targets (missing count as 0)")
        elif sum(weights) != 100:
            warn(f"shared rule {rule.key!r}: percentages add up to {sum(weights)}, not 100; used as proportions")
        return weights
    else:
        if rule.rule != "even":
            warn(f"shared rule {rule.key!r}: unknown split rule {rule.rule!r}, split evenly")
        return [Decimal(1)] * n
    if not any(w > 0 for w in weights):
        warn(f"shared rule {rule.key!r} in {month}: no {rule.rule.replace('_', ' ')} among its targets, split evenly")
    return weights


def _split_shared(org: Organisation, shared_cells: dict, ledger: Ledger) -> None:
    if not shared_cells:
        return
    rules = {r.key: r for r in org.shared_rules}
    known = {u.use_case_id: u for u in org.use_cases}
    # Weights come from direct spend only, measured before any shared cost lands.
    month_units = _month_units(ledger)
    direct = _month_direct_spend(ledger)
    warnings: set = set()
    weights_by_month: dict = {}
    owner_days = ledger.owner_days
    for (key, day, category), (eff, billed) in sorted(shared_cells.items()):
        rule = rules[key]
        month = month_key(day)
        if not rule.targets:
            warnings.add(f"shared rule {key!r} has no targets: its cost stays unallocated")
            owner = (UNALLOCATED, UNALLOCATED)
            days = owner_days[owner]
            days[day] = days.get(day, ZERO) + eff
            _add(ledger.month_cells, (owner, month, category), eff, billed)
            _add(ledger.unallocated, (month, REASON_SHARED_NO_RULE, key), eff, billed)
            continue
        weights = weights_by_month.get((key, month))
        if weights is None:
            weights = weights_by_month[(key, month)] = _rule_weights(
                rule, month, month_units, direct, warnings.add)
        for target, part, billed_part in zip(rule.targets, split(eff, weights), split(billed, weights)):
            u = known.get(target)
            owner = (u.team, target) if u is not None else (UNALLOCATED, UNALLOCATED)
            days = owner_days[owner]
            days[day] = days.get(day, ZERO) + part
            _add(ledger.month_cells, (owner, month, category), part, billed_part)
            if u is None:
                _add(ledger.unallocated, (month, REASON_UNKNOWN_TARGET, target), part, billed_part)
            else:
                _add(ledger.shared_splits, (month, key, target), part, billed_part)
    ledger.warnings.extend(sorted(warnings))


def reconcile(month: str, total: Decimal, expected: Decimal, tolerance: Decimal, currency: str) -> Reconciliation:
    """Flag a month whose total is more than `tolerance` away from finance's expected total.

    Exactly at the tolerance (e.g. 20 %) is within; an expected total of zero flags any spend.
    """
    difference = total - expected
    if expected == 0:
        share = None
        flagged = total != 0
    else:
        share = difference / abs(expected)
        flagged = abs(difference) > tolerance * abs(expected)
    where = "above" if difference > 0 else "below"
    if flagged:
        pct = f" ({show_percent(abs(share))})" if share is not None else ""
        reason = (f"total {show_money(total, currency)} is {show_money(abs(difference), currency)}{pct} {where} "
                  f"finance's expected {show_money(expected, currency)}: beyond {show_percent(tolerance)}, "
                  "look for a missing vendor or misattributed spend")
    else:
        reason = f"within {show_percent(tolerance)} of finance's expected {show_money(expected, currency)}"
    return Reconciliation(month, total, expected, difference, share, flagged, reason)


def month_allocations(org: Organisation, ledger: Ledger) -> dict:
    """month -> MonthAllocation for every month with spend or with an expected total."""
    s = org.settings
    acc: dict = defaultdict(lambda: {name: defaultdict(lambda: ZERO) for name in (
        "team", "use_case", "category", "provider", "service",
        "b_team", "b_use_case", "b_category", "b_provider", "b_service")})
    for ((team, use_case), month, category), (eff, billed) in ledger.month_cells.items():
        a = acc[month]
        a["team"][team] += eff
        a["use_case"][use_case] += eff
        a["category"][category] += eff
        a["b_team"][team] += billed
        a["b_use_case"][use_case] += billed
        a["b_category"][category] += billed
    vendor_months: dict = {}
    months: dict = {}
    for (day, provider, service), (eff, billed) in ledger.vendor_days.items():
        month = months.get(day) or months.setdefault(day, month_key(day))
        _add(vendor_months, (month, provider, service), eff, billed)
    for (month, provider, service), (eff, billed) in vendor_months.items():
        a = acc[month]
        a["provider"][provider] += eff
        a["service"][(provider, service)] += eff
        a["b_provider"][provider] += billed
        a["b_service"][(provider, service)] += billed
    splits = defaultdict(list)
    rules = {r.key: r.rule for r in org.shared_rules}
    for (month, key, target), (eff, billed) in sorted(ledger.shared_splits.items()):
        splits[month].append(SharedSplit(month, key, rules.get(key, ""), target, eff, billed))
    items = defaultdict(list)
    for (month, reason, key), (eff, billed) in ledger.unallocated.items():
        items[month].append(UnallocatedItem(month, reason, key, eff, billed))
    expected = {m: as_decimal(v) for m, v in org.expected_totals.items()}
    out = {}
    for month in sorted(set(acc) | set(expected)):
        a = acc[month]
        total = sum(a["category"].values(), ZERO)
        unallocated = a["use_case"].get(UNALLOCATED, ZERO)
        allocated = total - unallocated
        coverage = allocated / total if total > 0 else None
        by_category = {c: a["category"].get(c, ZERO) for c in CATEGORIES}
        billed_by_category = {c: a["b_category"].get(c, ZERO) for c in CATEGORIES}
        out[month] = MonthAllocation(
            month=month,
            total=total,
            billed_total=sum(a["b_category"].values(), ZERO),
            allocated=allocated,
            unallocated=unallocated,
            coverage=coverage,
            coverage_met=None if coverage is None else coverage >= s.coverage_goal,
            by_team=dict(a["team"]),
            by_use_case=dict(a["use_case"]),
            by_category=by_category,
            by_provider=dict(a["provider"]),
            by_service=dict(a["service"]),
            billed_by_team=dict(a["b_team"]),
            billed_by_use_case=dict(a["b_use_case"]),
            billed_by_category=billed_by_category,
            billed_by_provider=dict(a["b_provider"]),
            billed_by_service=dict(a["b_service"]),
            shared_splits=tuple(splits.get(month, ())),
            unallocated_items=tuple(sorted(items.get(month, ()), key=lambda i: (-i.amount, i.reason, i.key))),
            reconciliation=(reconcile(month, total, expected[month], s.reconciliation_tolerance, s.currency)
                            if month in expected else None),
        )
    return out
