"""The 5-stage AI cost maturity curve, measured on one month (the last complete month
with spend, else the current month). Stages are cumulative: the stage is the highest
n whose criteria 1..n all hold (0 when no spend is recorded at all).

1 visible    – spend is recorded for the month (total > 0).
2 allocated  – coverage (allocated ÷ total) ≥ Settings.coverage_goal (95 %).
3 attributed – use cases carrying ≥ 80 % of the allocated spend have units that month
               (a cost per unit exists).
4 governed   – use cases carrying ≥ 80 % of the allocated spend have a CPU target, and
               every team with spend that month has a monthly budget.
5 optimized  – no use case is red or critical now, use cases carrying ≥ 80 % of
               the targeted spend ran at or under target for the month, and the
               organisation acts on its optimization hints: every use case that ran over
               its target that month has its owner's decision on them written in the Use
               cases tab ("Optimization decision": the change made or planned, or why not).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping, Optional

from .allocation import MonthAllocation
from .facts import UNALLOCATED
from .money import ZERO, show_money, show_percent
from .organisation import Organisation

STAGES = ("visible", "allocated", "attributed", "governed", "optimized")
SPEND_SHARE = Decimal("0.80")


@dataclass(frozen=True)
class MaturityCriterion:
    stage: int
    name: str
    met: bool
    measure: str


@dataclass(frozen=True)
class Maturity:
    stage: int  # 0..5
    name: str  # name of the stage reached ("" at 0)
    month: str
    criteria: tuple[MaturityCriterion, ...]  # one for each stage 1..5


def _share(part: Decimal, whole: Decimal) -> Optional[Decimal]:
    return part / whole if whole > 0 else None


def assess(
    org: Organisation,
    month: str,
    allocation: Optional[MonthAllocation],
    use_case_month: Mapping[str, tuple[Decimal, int]],
    colours: Mapping[str, Optional[str]],
) -> Maturity:
    """`use_case_month`: use case -> (cost, units) for `month`; `colours`: current colours."""
    s = org.settings
    currency = s.currency
    total = allocation.total if allocation else ZERO
    criteria = [MaturityCriterion(1, STAGES[0], total > 0, f"total spend {show_money(total, currency)} in {month}")]

    coverage = allocation.coverage if allocation else None
    criteria.append(
        MaturityCriterion(
            2,
            STAGES[1],
            coverage is not None and coverage >= s.coverage_goal,
            f"coverage {show_percent(coverage) if coverage is not None else 'n/a'} "
            f"(goal {show_percent(s.coverage_goal)})",
        )
    )

    by_id = {u.use_case_id: u for u in org.use_cases}
    spending = {k: v for k, v in use_case_month.items() if k in by_id and v[0] > 0}
    allocated = sum((c for c, _ in spending.values()), ZERO)
    with_units = sum((c for c, n in spending.values() if n > 0), ZERO)
    share = _share(with_units, allocated)
    criteria.append(
        MaturityCriterion(
            3,
            STAGES[2],
            share is not None and share >= SPEND_SHARE,
            f"{show_percent(share) if share is not None else 'n/a'} of allocated spend has a cost per unit "
            f"(need {show_percent(SPEND_SHARE)})",
        )
    )

    target_of = {k: u.target_cpu for k, u in by_id.items() if u.target_cpu is not None and u.target_cpu > 0}
    targeted = {k: v for k, v in spending.items() if k in target_of}
    targeted_cost = sum((c for c, _ in targeted.values()), ZERO)
    target_share = _share(targeted_cost, allocated)
    budgets = {t.team_id: t.monthly_budget for t in org.teams}
    teams_spending = [t for t, v in (allocation.by_team.items() if allocation else ()) if t != UNALLOCATED and v > 0]
    unbudgeted = sorted(t for t in teams_spending if budgets.get(t) is None)
    criteria.append(
        MaturityCriterion(
            4,
            STAGES[3],
            target_share is not None and target_share >= SPEND_SHARE and not unbudgeted,
            f"{show_percent(target_share) if target_share is not None else 'n/a'} of allocated spend has a target "
            f"(need {show_percent(SPEND_SHARE)}); teams without a budget: {', '.join(unbudgeted) or 'none'}",
        )
    )

    on_target = sum((c for k, (c, n) in targeted.items() if n > 0 and c / n <= target_of[k]), ZERO)
    on_share = _share(on_target, targeted_cost)
    hot = sorted(k for k, c in colours.items() if c in ("red", "critical"))
    undecided = sorted(
        k
        for k, (c, n) in targeted.items()
        if n > 0 and c / n > target_of[k] and not by_id[k].optimization_decision.strip()
    )
    criteria.append(
        MaturityCriterion(
            5,
            STAGES[4],
            on_share is not None and on_share >= SPEND_SHARE and not hot and not undecided,
            f"{show_percent(on_share) if on_share is not None else 'n/a'} of targeted spend at or under target "
            f"(need {show_percent(SPEND_SHARE)}); red or critical now: {', '.join(hot) or 'none'}; "
            f"over target with no optimization decision: {', '.join(undecided) or 'none'}",
        )
    )

    stage = 0
    for c in criteria:
        if not c.met:
            break
        stage = c.stage
    return Maturity(stage, STAGES[stage - 1] if stage else "", month, tuple(criteria))
