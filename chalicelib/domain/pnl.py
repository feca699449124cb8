"""Agent P&L: each agent treated like an employee, one row per use case and month.

Cost structure (iceberg categories, effective cost, shared costs included), units,
CPU vs target, margin benefit, headcount offset, net (offset − AI cost), colour, tier,
the pool credit closing the month earns, and the retirement trigger (experiment
decision date, decision, and whether the success metric is met). Rows for the current
month are month to date (`complete` False); its colour is the live status. A closed
month's colour is the SLO as it stood on the 1st after it, with the month's actual
cost in place of the forecast; its tier is that of max(finance's estimate, actual).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Optional

from .footing import difference
from .headcount import margin_benefit, monthly_offset
from .money import ZERO
from .organisation import UseCase
from .slo import overrun
from .tiers import reminder_due


@dataclass(frozen=True)
class AgentPnL:
    month: str
    complete: bool
    use_case: str
    name: str
    team: str
    unit_of_work: str
    cost: Decimal
    billed_cost: Decimal
    cost_by_category: dict[str, Decimal]  # every iceberg category
    units: int
    cpu: Optional[Decimal]
    target_cpu: Optional[Decimal]
    overrun: Optional[Decimal]  # month CPU / target - 1
    baseline_cpu: Optional[Decimal]
    margin_benefit: Optional[Decimal]
    headcount_offset: Optional[Decimal]
    net: Optional[Decimal]  # headcount offset - AI cost; None without FTE data
    colour: Optional[str]
    tier: str
    pool_credit: Decimal
    decision_date: Optional[date]
    decision: str
    success_met: Optional[bool]
    retirement_trigger: str


def retirement_trigger(u: UseCase, today: date) -> str:
    if u.decision_date is None:
        return "no decision date"
    met = {True: "success metric met", False: "success metric NOT met", None: "success metric not assessed"}[
        u.success_met
    ]
    if u.decision.strip():
        return f"decided {u.decision.strip()} (decision date {u.decision_date}); {met}"
    if reminder_due(u, today):
        return f"decision overdue since {u.decision_date}; {met}" + (
            ": retire candidate" if u.success_met is False else ""
        )
    return f"decision due {u.decision_date}; {met}"


def pnl_row(
    u: UseCase,
    month: str,
    complete: bool,
    cost: Decimal,
    billed: Decimal,
    by_category: dict[str, Decimal],
    units: int,
    colour: Optional[str],
    tier: str,
    pool_credit: Decimal,
    today: date,
    trigger: Optional[str] = None,
) -> AgentPnL:
    cpu = cost / units if units else None
    target = u.target_cpu if u.target_cpu is not None and u.target_cpu > 0 else None
    offset = monthly_offset(u)
    return AgentPnL(
        month=month,
        complete=complete,
        use_case=u.use_case_id,
        name=u.name,
        team=u.team,
        unit_of_work=u.unit_of_work,
        cost=cost,
        billed_cost=billed,
        cost_by_category=by_category,
        units=units,
        cpu=cpu,
        target_cpu=u.target_cpu,
        overrun=overrun(cpu, target),
        baseline_cpu=u.baseline_cpu,
        margin_benefit=margin_benefit(u.baseline_cpu, cost, units),
        headcount_offset=offset,
        net=difference(offset, cost),
        colour=colour,
        tier=tier,
        pool_credit=pool_credit if pool_credit is not None else ZERO,
        decision_date=u.decision_date,
        decision=u.decision,
        success_met=u.success_met,
        retirement_trigger=trigger if trigger is not None else retirement_trigger(u, today),
    )
