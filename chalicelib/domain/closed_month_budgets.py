"""Budget overruns of the month that just closed, judged on its final figures.

Budget alerts judge the open month as it runs, so spend that lands after its month closed (a vendor
outage across the month end, runs that died, the last day's bill pulled on the 1st) could take a
month over budget with nobody told. Each run therefore also checks the previous month's total per
use case and per team against the budget in force on its last day; the alert rules email an overrun
nobody was told of yet, once, under the same key the month's own overrun email would have had.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

from .allocation import MonthAllocation
from .organisation import Organisation
from .periods import month_first_day, month_last_day
from .terms import team_budget_on, use_case_on


@dataclass(frozen=True)
class ClosedMonthOverrun:
    key: str  # the month's budget episode: "budget:use_case:<id>:<month>" or "budget:team:<id>:<month>"
    month: str
    name: str  # as the emails name it
    use_case: str  # "" for a team
    team: str
    spent: Decimal  # the month's total, as allocated
    budget: Decimal  # in force on the month's last day


def overruns(org: Organisation, allocation: Optional[MonthAllocation], month: str) -> tuple[ClosedMonthOverrun, ...]:
    """The month's use cases and teams whose total is strictly above their budget (`allocation`: the
    month's MonthAllocation, or None when nothing was spent)."""
    if allocation is None:
        return ()
    month_end = month_last_day(month_first_day(month))
    found: list[ClosedMonthOverrun] = []
    for u in org.use_cases:
        budget = use_case_on(org, u)(month_end).monthly_budget
        spent = allocation.by_use_case.get(u.use_case_id, Decimal(0))
        if budget is not None and spent > budget:
            found.append(
                ClosedMonthOverrun(
                    f"budget:use_case:{u.use_case_id}:{month}",
                    month,
                    u.name or u.use_case_id,
                    u.use_case_id,
                    u.team,
                    spent,
                    budget,
                )
            )
    for t in org.teams:
        budget = team_budget_on(org, t, month_end)
        spent = allocation.by_team.get(t.team_id, Decimal(0))
        if budget is not None and spent > budget:
            found.append(
                ClosedMonthOverrun(
                    f"budget:team:{t.team_id}:{month}",
                    month,
                    f"team {t.name or t.team_id}",
                    "",
                    t.team_id,
                    spent,
                    budget,
                )
            )
    return tuple(found)
