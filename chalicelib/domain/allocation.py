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

`allocate` gives the same allocation row by row (day, team, use case, category, provider, service,
vendor key), for the FOCUS export: the same resolver and the same `SharedWeights` parts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import Callable, Iterable, Literal, Optional, TypeVar, Union

from .facts import CATEGORIES, SHARED_TEAM, UNALLOCATED, CostFact, DailyUnits
from .money import ZERO, Splitter, as_decimal, show_money, show_percent
from .organisation import Organisation, SharedCostRule
from .periods import month_key

REASON_UNMAPPED = "unmapped vendor key"
REASON_UNKNOWN_USE_CASE = "unknown use case"
REASON_SHARED_NO_RULE = "shared cost with no split rule"
REASON_UNKNOWN_TARGET = "split target is not a known use case"

_CATEGORY_SET = frozenset(CATEGORIES)

Owner = tuple[str, str]  # (team, use case); use case is UNALLOCATED for cost that reached no use case
Cell = list[Decimal]  # [effective, billed], summed in place
MonthKey = tuple[int, int, str, str, str]  # (year, month, category, provider, service)
# (team, use case, day, category, provider, service, vendor key, currency): a fact's line
FactKey = tuple[str, str, date, str, str, str, str, str]
Line = tuple[str, str, str]  # (provider, service, vendor key)
SharedCellKey = tuple[str, date, str]  # (shared rule key, day, category)
# (day, team, use case, category, provider, service, vendor key, method, rule key): an AllocatedRow's key
RowKey = tuple[date, str, str, str, str, str, str, str, str]
# How a (team, use case, vendor key) resolves: shared cost under a rule key (split later), or an owner with its
# {day: cost}, the unallocated reason (None when allocated) and the key to list it under.
SharedCost = tuple[Literal[True], str, None, None, None]
OwnedCost = tuple[Literal[False], Owner, dict[date, Decimal], Optional[str], str]
Resolution = Union[SharedCost, OwnedCost]

_K = TypeVar("_K")


@dataclass(frozen=True)
class RejectedFact:
    """Cost not booked (e.g. in another currency), summed per day and line item."""

    day: date
    provider: str
    service: str
    vendor_key: str
    team: str
    use_case: str
    currency: str
    amount: Decimal  # effective cost in `currency`
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
    by_team: dict[str, Decimal]  # UNALLOCATED for cost with no known team
    by_use_case: dict[str, Decimal]  # UNALLOCATED for the rest
    by_category: dict[str, Decimal]  # iceberg category -> amount (every category present, zero if none)
    by_provider: dict[str, Decimal]
    by_service: dict[tuple[str, str], Decimal]  # (provider, service) -> amount
    billed_by_team: dict[str, Decimal]
    billed_by_use_case: dict[str, Decimal]
    billed_by_category: dict[str, Decimal]
    billed_by_provider: dict[str, Decimal]
    billed_by_service: dict[tuple[str, str], Decimal]
    shared_splits: tuple[SharedSplit, ...]
    unallocated_items: tuple[UnallocatedItem, ...]  # largest first
    reconciliation: Optional[Reconciliation]


@dataclass
class Ledger:
    """Pre-aggregated facts (internal, mutable while built): every later rule reads this."""

    owner_days: defaultdict[Owner, dict[date, Decimal]] = field(default_factory=lambda: defaultdict(dict))  # eff
    month_cells: dict[tuple[Owner, str, str], Cell] = field(default_factory=dict)  # (owner, month, category)
    vendor_months: dict[tuple[str, str, str], Cell] = field(default_factory=dict)  # (month, provider, service)
    units: defaultdict[str, dict[date, int]] = field(default_factory=lambda: defaultdict(dict))  # use case -> {day: n}
    reported_through: dict[str, date] = field(default_factory=dict)  # use case -> latest day with posted items
    shared_splits: dict[tuple[str, str, str], Cell] = field(default_factory=dict)  # (month, key, target)
    unallocated: dict[tuple[str, str, str], Cell] = field(default_factory=dict)  # (month, reason, key)
    rejected: list[RejectedFact] = field(default_factory=list)  # sorted (by day first)
    warnings: list[str] = field(default_factory=list)  # built from the three sets below by finish()
    first_day: Optional[date] = None
    last_day: Optional[date] = None
    unknown_unit_use_cases: set[str] = field(default_factory=set)  # work items posted for no configured use case
    odd_categories: set[str] = field(default_factory=set)  # categories counted as "other"
    shared_warnings: set[str] = field(default_factory=set)  # the shared splits' warnings

    def finish(self) -> "Ledger":
        """Derive first/last day and the warnings (in their fixed order) from what the ledger holds."""
        spans = [(min(days), max(days)) for days in self.owner_days.values() if days]
        self.first_day = min(a for a, _ in spans) if spans else None
        self.last_day = max(b for _, b in spans) if spans else None
        self.rejected.sort(key=_REJECTED_ORDER)
        self.warnings = (
            [
                f"work items posted for unknown use case {u!r} are not counted"
                for u in sorted(self.unknown_unit_use_cases)
            ]
            + [f"category {c!r} is not an iceberg category: counted as 'other'" for c in sorted(self.odd_categories)]
            + sorted(self.shared_warnings)
        )
        return self


def _REJECTED_ORDER(r: "RejectedFact") -> tuple[date, str, str, str, str, str, str, str, Decimal]:
    return (r.day, r.provider, r.service, r.vendor_key, r.team, r.use_case, r.currency, r.reason, r.amount)


def _add(table: dict[_K, Cell], key: _K, eff: Decimal, billed: Decimal) -> None:
    cell = table.get(key)
    if cell is None:
        table[key] = [eff, billed]
    else:
        cell[0] += eff
        cell[1] += billed


def build_ledger(org: Organisation, facts: Iterable[CostFact], units: Iterable[DailyUnits]) -> Ledger:
    ledger = Ledger()
    monthly, odd = _group_facts(org, facts, ledger)
    _count_units(org, units, ledger)
    shared_cells = _allocate(org, monthly, odd, ledger)
    _split_shared(org, shared_cells, ledger)
    return ledger.finish()


def merge_ledgers(parts: Iterable[Ledger], org: Optional[Organisation] = None) -> Ledger:
    """One ledger from ledgers of disjoint months (a closed month's snapshot, the open months' raw
    facts): every rule that builds a ledger works within a calendar month (a day's sums, a month's
    cells, a month's shared weights), so building the months apart and merging them gives the
    ledger built from all the facts at once.

    With `org`, a configured use case's cost follows the team the sheet gives it now (a snapshot
    keeps which use case each dollar reached; the team is read from the configuration)."""
    out = Ledger()
    team_of = {u.use_case_id: u.team for u in org.use_cases} if org is not None else {}

    def owner_of(owner: Owner) -> Owner:
        team = team_of.get(owner[1])
        return owner if team is None or team == owner[0] else (team, owner[1])

    for part in parts:
        for owner, days in part.owner_days.items():
            target = out.owner_days[owner_of(owner)]
            for day, amount in days.items():
                target[day] = target[day] + amount if day in target else amount
        for (owner, month, category), (eff, billed) in part.month_cells.items():
            _add(out.month_cells, (owner_of(owner), month, category), eff, billed)
        for table, mine in (
            (part.vendor_months, out.vendor_months),
            (part.shared_splits, out.shared_splits),
            (part.unallocated, out.unallocated),
        ):
            for key, (eff, billed) in table.items():
                _add(mine, key, eff, billed)
        for use_case, counts in part.units.items():
            mine_counts = out.units[use_case]
            for day, n in counts.items():
                mine_counts[day] = mine_counts.get(day, 0) + n
        for use_case, day in part.reported_through.items():
            seen = out.reported_through.get(use_case)
            if seen is None or day > seen:
                out.reported_through[use_case] = day
        out.rejected.extend(part.rejected)
        out.unknown_unit_use_cases |= part.unknown_unit_use_cases
        out.odd_categories |= part.odd_categories
        out.shared_warnings |= part.shared_warnings
    return out.finish()


# Fields are read in C by attrgetter so the grouping pass costs little more per fact than
# the plain "sum per (use case, day)" floor; every other decision is taken once per sum.
_FIELDS = attrgetter("use_case", "currency", "effective_cost", "billed_cost", "day", "category", "provider", "service")
_ODD_KEY = attrgetter("team", "use_case", "day", "category", "provider", "service", "vendor_key", "currency")


def _group_facts(
    org: Organisation, facts: Iterable[CostFact], ledger: Ledger
) -> tuple[dict[tuple[Owner, MonthKey], Cell], dict[FactKey, Cell]]:
    """The one pass over raw facts.

    A fact on a use case configured in the sheet, in the booked currency, is added
    straight into its owner's daily series and into the use case's monthly breakdown
    (month, category, provider, service). The few others (unallocated, shared, unknown
    use case, foreign currency) are summed with their team, vendor key and day, to be
    mapped, split, listed or rejected afterwards.
    """
    currency = org.settings.currency
    slots: dict[str, tuple[dict[date, Decimal], dict[MonthKey, Cell]]] = {
        u.use_case_id: (ledger.owner_days[(u.team, u.use_case_id)], {}) for u in org.use_cases
    }
    odd: dict[FactKey, Cell] = {}
    fields = _FIELDS
    for f in facts:
        use_case, cur, eff, billed, day, category, provider, service = fields(f)
        slot = slots.get(use_case)
        # The two sums below are _add written out: this loop runs once per fact (the bench's floor).
        if slot is None or cur != currency:
            key = _ODD_KEY(f)
            cell = odd.get(key)
            if cell is None:
                odd[key] = [eff, billed]
            else:
                cell[0] += eff
                cell[1] += billed
            continue
        days, months = slot
        total = days.get(day)
        days[day] = eff if total is None else total + eff
        key = (day.year, day.month, category, provider, service)
        cell = months.get(key)
        if cell is None:
            months[key] = [eff, billed]
        else:
            cell[0] += eff
            cell[1] += billed
    monthly: dict[tuple[Owner, MonthKey], Cell] = {}
    by_id = {u.use_case_id: u for u in org.use_cases}
    for uid, (_, months) in slots.items():
        owner = (by_id[uid].team, uid)
        for key, cell in months.items():
            monthly[(owner, key)] = cell
    return monthly, odd


_UNIT_FIELDS = attrgetter("use_case", "day", "units", "success_units")


def _count_units(org: Organisation, units: Iterable[DailyUnits], ledger: Ledger) -> None:
    """Units per use case and day, by the use case's rule: every item, or successes only."""
    slots = {u.use_case_id: (ledger.units[u.use_case_id], u.units_rule == "success") for u in org.use_cases}
    unknown: set[str] = set()
    reported = ledger.reported_through
    fields = _UNIT_FIELDS
    for du in units:
        use_case, day, n, success = fields(du)
        slot = slots.get(use_case)
        if slot is None:
            unknown.add(use_case)
            continue
        days, success_only = slot
        if n > 0:  # any processed item, whatever the units rule: that day's counts are in
            seen = reported.get(use_case)
            if seen is None or day > seen:
                reported[use_case] = day
        if success_only:
            n = success
        total = days.get(day)
        days[day] = n if total is None else total + n
    ledger.unknown_unit_use_cases |= unknown


def _resolver(org: Organisation, ledger: Ledger) -> Callable[[str, str, str], Resolution]:
    known = {u.use_case_id: u for u in org.use_cases}
    rules = {r.key for r in org.shared_rules}
    teams = {t.team_id for t in org.teams} | {u.team for u in org.use_cases}
    mapping = {m.vendor_key: (m.team, m.use_case) for m in org.mappings}

    def resolve(team: str, use_case: str, vendor_key: str) -> Resolution:
        """-> (is_shared, owner, that owner's {day: cost}, unallocated reason, key to list it under): the owner is
        the rule's key for shared cost; the reason None and the key "" for cost that reached a use case."""
        if use_case == UNALLOCATED:
            hit = mapping.get(vendor_key)
            if hit is not None:
                team, use_case = hit
        u = known.get(use_case)
        if u is not None:
            owner = (u.team, use_case)
            return False, owner, ledger.owner_days[owner], None, ""
        if team == SHARED_TEAM and use_case in rules:
            return True, use_case, None, None, None
        owner = (team if team in teams else UNALLOCATED, UNALLOCATED)
        if use_case == UNALLOCATED:
            reason, key = REASON_UNMAPPED, vendor_key
        elif team == SHARED_TEAM:
            reason, key = REASON_SHARED_NO_RULE, use_case
        else:
            reason, key = REASON_UNKNOWN_USE_CASE, use_case
        return False, owner, ledger.owner_days[owner], reason, key

    return resolve


def _allocate(
    org: Organisation, monthly: dict[tuple[Owner, MonthKey], Cell], odd: dict[FactKey, Cell], ledger: Ledger
) -> dict[SharedCellKey, Cell]:
    """Resolve each sum to its owner; returns the shared cells (key, day, category) to split."""
    currency = org.settings.currency
    resolve = _resolver(org, ledger)
    resolved: dict[tuple[str, str, str], Resolution] = {}
    unallocated = ledger.unallocated
    month_cells = ledger.month_cells
    vendor_months = ledger.vendor_months
    odd_categories: set[str] = set()

    def owner_of(team: str, use_case: str, vendor_key: str = "") -> Resolution:
        r = resolved.get((team, use_case, vendor_key))
        if r is None:
            r = resolved[(team, use_case, vendor_key)] = resolve(team, use_case, vendor_key)
        return r

    def category_of(category: str) -> str:
        if category in _CATEGORY_SET:
            return category
        odd_categories.add(category)
        return "other"

    names: dict[tuple[int, int], str] = {}
    for (owner, (year, mon, category, provider, service)), (eff, billed) in monthly.items():
        month = names.get((year, mon))
        if month is None:
            month = names[(year, mon)] = f"{year:04d}-{mon:02d}"
        if category not in _CATEGORY_SET:
            category = category_of(category)
        _add(month_cells, (owner, month, category), eff, billed)
        _add(vendor_months, (month, provider, service), eff, billed)

    shared_cells: dict[SharedCellKey, Cell] = {}
    for (team, use_case, day, category, provider, service, vendor_key, cur), (eff, billed) in odd.items():
        if cur != currency:
            ledger.rejected.append(
                RejectedFact(
                    day,
                    provider,
                    service,
                    vendor_key,
                    team,
                    use_case,
                    cur,
                    eff,
                    f"{provider} {service} cost on {day} is in {cur} but this deployment books {currency}: "
                    "convert it before import (no exchange rate is configured)",
                )
            )
            continue
        month = month_key(day)
        category = category_of(category)
        _add(vendor_months, (month, provider, service), eff, billed)
        r = owner_of(team, use_case, vendor_key)
        if r[0]:  # shared: r[1] is the rule's key
            _add(shared_cells, (r[1], day, category), eff, billed)
            continue
        _, owner, days, reason, list_key = r
        days[day] = days.get(day, ZERO) + eff
        _add(month_cells, (owner, month, category), eff, billed)
        if reason is not None:
            _add(unallocated, (month, reason, list_key), eff, billed)
    ledger.odd_categories |= odd_categories
    return shared_cells


def _month_units(ledger: Ledger, use_cases: set[str]) -> dict[tuple[str, str], int]:
    totals: dict[tuple[str, str], int] = {}  # (use case, month) -> units
    months: dict[date, str] = {}
    for use_case in use_cases:
        for day, n in ledger.units.get(use_case, {}).items():
            month = months.get(day)
            if month is None:
                month = months[day] = month_key(day)
            key = (use_case, month)
            totals[key] = totals.get(key, 0) + n
    return totals


def _month_direct_spend(ledger: Ledger) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = {}  # (use case, month) -> effective cost
    for ((_, use_case), month, _), (eff, _) in ledger.month_cells.items():
        if use_case != UNALLOCATED:
            totals[(use_case, month)] = totals.get((use_case, month), ZERO) + eff
    return totals


def _rule_weights(
    rule: SharedCostRule,
    month: str,
    month_units: dict[tuple[str, str], int],
    direct: dict[tuple[str, str], Decimal],
    warn: Callable[[str], None],
) -> list[Decimal]:
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


class SharedWeights:
    """The splitter of each (shared rule, month): the rule's weights over its targets, measured on the
    ledger's direct spend and units *before* any shared cost lands. One object serves the ledger build
    and the FOCUS export (`allocate`), so both split every shared cell into the same parts."""

    def __init__(self, org: Organisation, ledger: Ledger):
        self.rules = {r.key: r for r in org.shared_rules}
        self._month_units = _month_units(ledger, {t for r in org.shared_rules if r.rule == "units" for t in r.targets})
        self._direct = _month_direct_spend(ledger)
        self._splitters: dict[tuple[str, str], Splitter] = {}
        self.warnings: set[str] = set()

    def splitter(self, key: str, month: str) -> Splitter:
        splitter = self._splitters.get((key, month))
        if splitter is None:
            splitter = self._splitters[(key, month)] = Splitter(
                _rule_weights(self.rules[key], month, self._month_units, self._direct, self.warnings.add)
            )
        return splitter

    def split(self, key: str, month: str, eff: Decimal, billed: Decimal) -> tuple[list[Decimal], list[Decimal]]:
        """(effective parts, billed parts), one per target of the rule, in the rule's target order."""
        splitter = self.splitter(key, month)
        parts = splitter(eff)
        return parts, parts if billed == eff else splitter(billed)


def _split_shared(org: Organisation, shared_cells: dict[SharedCellKey, Cell], ledger: Ledger) -> None:
    if not shared_cells:
        return
    known = {u.use_case_id: u for u in org.use_cases}
    weights = SharedWeights(org, ledger)  # direct spend only, measured before any shared cost lands
    rules = weights.rules
    warnings = weights.warnings
    months: dict[date, str] = {}
    owner_days = ledger.owner_days
    for (key, day, category), (eff, billed) in sorted(shared_cells.items()):
        rule = rules[key]
        month = months.get(day)
        if month is None:
            month = months[day] = month_key(day)
        if not rule.targets:
            warnings.add(f"shared rule {key!r} has no targets: its cost stays unallocated")
            owner = (UNALLOCATED, UNALLOCATED)
            days = owner_days[owner]
            days[day] = days.get(day, ZERO) + eff
            _add(ledger.month_cells, (owner, month, category), eff, billed)
            _add(ledger.unallocated, (month, REASON_SHARED_NO_RULE, key), eff, billed)
            continue
        parts, billed_parts = weights.split(key, month, eff, billed)
        for target, part, billed_part in zip(rule.targets, parts, billed_parts, strict=True):  # one part a target
            u = known.get(target)
            owner = (u.team, target) if u is not None else (UNALLOCATED, UNALLOCATED)
            days = owner_days[owner]
            days[day] = days.get(day, ZERO) + part
            _add(ledger.month_cells, (owner, month, category), part, billed_part)
            if u is None:
                _add(ledger.unallocated, (month, REASON_UNKNOWN_TARGET, target), part, billed_part)
            else:
                _add(ledger.shared_splits, (month, key, target), part, billed_part)
    ledger.shared_warnings |= warnings


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
        reason = (
            f"total {show_money(total, currency)} is {show_money(abs(difference), currency)}{pct} {where} "
            f"finance's expected {show_money(expected, currency)}: beyond {show_percent(tolerance)}, "
            "look for a missing vendor or misattributed spend"
        )
    else:
        reason = f"within {show_percent(tolerance)} of finance's expected {show_money(expected, currency)}"
    return Reconciliation(month, total, expected, difference, share, flagged, reason)


def _zeros() -> defaultdict[_K, Decimal]:
    return defaultdict(lambda: ZERO)


@dataclass
class _MonthSums:
    """One month's running sums by each cut the dashboard shows: effective cost, and billed (b_)."""

    team: defaultdict[str, Decimal] = field(default_factory=_zeros)
    use_case: defaultdict[str, Decimal] = field(default_factory=_zeros)
    category: defaultdict[str, Decimal] = field(default_factory=_zeros)
    provider: defaultdict[str, Decimal] = field(default_factory=_zeros)
    service: defaultdict[tuple[str, str], Decimal] = field(default_factory=_zeros)
    b_team: defaultdict[str, Decimal] = field(default_factory=_zeros)
    b_use_case: defaultdict[str, Decimal] = field(default_factory=_zeros)
    b_category: defaultdict[str, Decimal] = field(default_factory=_zeros)
    b_provider: defaultdict[str, Decimal] = field(default_factory=_zeros)
    b_service: defaultdict[tuple[str, str], Decimal] = field(default_factory=_zeros)


def month_allocations(org: Organisation, ledger: Ledger) -> dict[str, MonthAllocation]:
    """month -> MonthAllocation for every month with spend or with an expected total."""
    s = org.settings
    acc: defaultdict[str, _MonthSums] = defaultdict(_MonthSums)
    for ((team, use_case), month, category), (eff, billed) in ledger.month_cells.items():
        a = acc[month]
        a.team[team] += eff
        a.use_case[use_case] += eff
        a.category[category] += eff
        a.b_team[team] += billed
        a.b_use_case[use_case] += billed
        a.b_category[category] += billed
    for (month, provider, service), (eff, billed) in ledger.vendor_months.items():
        a = acc[month]
        a.provider[provider] += eff
        a.service[(provider, service)] += eff
        a.b_provider[provider] += billed
        a.b_service[(provider, service)] += billed
    splits: defaultdict[str, list[SharedSplit]] = defaultdict(list)
    rules = {r.key: r.rule for r in org.shared_rules}
    for (month, key, target), (eff, billed) in sorted(ledger.shared_splits.items()):
        splits[month].append(SharedSplit(month, key, rules.get(key, ""), target, eff, billed))
    items: defaultdict[str, list[UnallocatedItem]] = defaultdict(list)
    for (month, reason, key), (eff, billed) in ledger.unallocated.items():
        items[month].append(UnallocatedItem(month, reason, key, eff, billed))
    expected = {m: as_decimal(v) for m, v in org.expected_totals.items()}
    out: dict[str, MonthAllocation] = {}
    for month in sorted(set(acc) | set(expected)):
        a = acc[month]
        total = sum(a.category.values(), ZERO)
        unallocated = a.use_case.get(UNALLOCATED, ZERO)
        allocated = total - unallocated
        coverage = allocated / total if total > 0 else None
        by_category = {c: a.category.get(c, ZERO) for c in CATEGORIES}
        billed_by_category = {c: a.b_category.get(c, ZERO) for c in CATEGORIES}
        out[month] = MonthAllocation(
            month=month,
            total=total,
            billed_total=sum(a.b_category.values(), ZERO),
            allocated=allocated,
            unallocated=unallocated,
            coverage=coverage,
            coverage_met=None if coverage is None else coverage >= s.coverage_goal,
            by_team=dict(a.team),
            by_use_case=dict(a.use_case),
            by_category=by_category,
            by_provider=dict(a.provider),
            by_service=dict(a.service),
            billed_by_team=dict(a.b_team),
            billed_by_use_case=dict(a.b_use_case),
            billed_by_category=billed_by_category,
            billed_by_provider=dict(a.b_provider),
            billed_by_service=dict(a.b_service),
            shared_splits=tuple(splits.get(month, ())),
            unallocated_items=tuple(sorted(items.get(month, ()), key=lambda i: (-i.amount, i.reason, i.key))),
            reconciliation=(
                reconcile(month, total, expected[month], s.reconciliation_tolerance, s.currency)
                if month in expected
                else None
            ),
        )
    return out


# --- the allocated ledger, row by row (the FOCUS export) ---------------------------------------

METHOD_DIRECT = "direct"
METHOD_MAPPING = "mapping"
METHOD_SHARED = "shared split"


@dataclass(frozen=True)
class AllocatedRow:
    """Cost of one UTC day, as the ledger allocates it, on one (provider, service, vendor key) line.

    `method`: "direct" (the fact named a configured use case), "mapping" (a Mappings row gave it),
    "shared split" (a part of shared cost `rule_key`), or the unallocated reason (REASON_*)."""

    day: date
    team: str
    use_case: str  # UNALLOCATED for cost that reached no use case
    category: str  # an iceberg category ("other" for an unknown one)
    provider: str
    service: str
    effective: Decimal
    billed: Decimal
    vendor_key: str
    method: str
    rule_key: str = ""  # the shared-cost rule, for a shared split or a shared cost with no rule


def _spread(
    splitter: Splitter, parts: list[Decimal], lines: list[tuple[Line, Decimal]]
) -> list[tuple[Line, list[Decimal]]]:
    """Each line's share of each target's part: `lines` [(line, amount)] add up to sum(parts) (the
    cell the engine split into `parts`); returns [(line, [amount per target])] whose rows add up to
    each line's amount and whose columns add up to each part, exactly. Every line but the largest is
    split by the rule's own weights (`splitter`); the largest takes what is left of each part, so
    the parts are exactly the engine's and no cent appears or vanishes."""
    if len(lines) == 1:
        return [(lines[0][0], list(parts))]
    order = sorted(range(len(lines)), key=lambda i: (abs(lines[i][1]), -i))
    out: dict[int, tuple[Line, list[Decimal]]] = {}  # line index -> (line, its shares)
    left = list(parts)
    for i in order[:-1]:
        line, amount = lines[i]
        shares = splitter(amount)
        out[i] = (line, shares)
        left = [a - b for a, b in zip(left, shares, strict=True)]  # the splitter's parts: one a target
    out[order[-1]] = (lines[order[-1]][0], left)
    return [out[i] for i in range(len(lines))]


def allocate(org: Organisation, facts: Iterable[CostFact], units: Iterable[DailyUnits]) -> list[AllocatedRow]:
    """The allocated ledger as rows (AllocatedRow), sorted: the same resolution and the same shared
    splits `build_ledger` applies (Mappings, configured teams, SharedWeights' largest-remainder parts
    of each (rule, day, category) cell), kept down to the provider, service and vendor key. Summed
    by day and owner the rows give `ledger.owner_days`; by month, owner and category, its
    `month_cells`; by provider and service, its `vendor_months`: every figure to the cent. Facts in
    another currency than the deployment's are rejected, as by the ledger (they are not rows)."""
    facts = facts if isinstance(facts, (list, tuple)) else list(facts)
    ledger = Ledger()
    monthly, odd = _group_facts(org, facts, ledger)
    _count_units(org, units, ledger)
    _allocate(org, monthly, odd, ledger)  # direct spend in place: what the shared weights are measured on
    weights = SharedWeights(org, ledger)
    resolve = _resolver(org, Ledger())
    currency = org.settings.currency
    resolved: dict[tuple[str, str, str], Resolution] = {}
    rows: dict[RowKey, Cell] = {}
    shared: dict[SharedCellKey, dict[Line, Cell]] = {}
    fields = attrgetter("team", "use_case", "day", "category", "provider", "service", "vendor_key", "currency")
    grouped: dict[FactKey, Cell] = {}
    for f in facts:
        _add(grouped, fields(f), f.effective_cost, f.billed_cost)
    for (team, use_case, day, category, provider, service, vendor_key, cur), (eff, billed) in grouped.items():
        if cur != currency:
            continue
        category = category if category in _CATEGORY_SET else "other"
        r = resolved.get((team, use_case, vendor_key))
        if r is None:
            r = resolved[(team, use_case, vendor_key)] = resolve(team, use_case, vendor_key)
        if r[0]:  # shared: r[1] is the rule's key
            _add(shared.setdefault((r[1], day, category), {}), (provider, service, vendor_key), eff, billed)
            continue
        _, owner, _, reason, list_key = r
        if reason is not None:
            method, rule_key = reason, (list_key if reason == REASON_SHARED_NO_RULE else "")
        elif use_case == UNALLOCATED:
            method, rule_key = METHOD_MAPPING, ""
        else:
            method, rule_key = METHOD_DIRECT, ""
        _add(rows, (day, owner[0], owner[1], category, provider, service, vendor_key, method, rule_key), eff, billed)

    known = {u.use_case_id: u for u in org.use_cases}
    for (key, day, category), lines in sorted(shared.items()):
        rule = weights.rules[key]
        line_list = sorted(lines.items())
        if not rule.targets:
            for (provider, service, vendor_key), (eff, billed) in line_list:
                _add(
                    rows,
                    (
                        day,
                        UNALLOCATED,
                        UNALLOCATED,
                        category,
                        provider,
                        service,
                        vendor_key,
                        REASON_SHARED_NO_RULE,
                        key,
                    ),
                    eff,
                    billed,
                )
            continue
        eff = sum((c[0] for _, c in line_list), ZERO)
        billed = sum((c[1] for _, c in line_list), ZERO)
        month = month_key(day)
        parts, billed_parts = weights.split(key, month, eff, billed)
        splitter = weights.splitter(key, month)
        eff_lines = _spread(splitter, parts, [(line, c[0]) for line, c in line_list])
        billed_lines = _spread(splitter, billed_parts, [(line, c[1]) for line, c in line_list])
        owners: list[tuple[Owner, str]] = []  # (owner, method), one a target
        for target in rule.targets:
            u = known.get(target)
            owners.append(
                ((u.team, target), METHOD_SHARED)
                if u is not None
                else ((UNALLOCATED, UNALLOCATED), REASON_UNKNOWN_TARGET)
            )
        for ((provider, service, vendor_key), shares), (_, billed_shares) in zip(eff_lines, billed_lines, strict=True):
            for ((team, use_case), method), part, billed_part in zip(owners, shares, billed_shares, strict=True):
                if part == 0 and billed_part == 0:
                    continue
                _add(
                    rows, (day, team, use_case, category, provider, service, vendor_key, method, key), part, billed_part
                )
    return [
        AllocatedRow(day, team, use_case, category, provider, service, eff, billed, vendor_key, method, rule)
        for (day, team, use_case, category, provider, service, vendor_key, method, rule), (eff, billed) in sorted(
            rows.items(), key=lambda kv: tuple(str(x) for x in kv[0])
        )
    ]
