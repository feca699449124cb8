"""Small builders for money-engine tests: facts and units spread over days."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from chalicelib.domain.facts import CostFact, DailyUnits
from chalicelib.domain.organisation import Organisation, Settings, Team, UseCase

D = Decimal


def days(start: date, count: int) -> list:
    return [start + timedelta(days=i) for i in range(count)]


def fact(
    day: date,
    amount,
    use_case: str = "claims",
    team: str = "claims-team",
    category: str = "api",
    provider: str = "OpenAI",
    service: str = "gpt",
    billed=None,
    **kw,
) -> CostFact:
    amount = D(amount)
    return CostFact(
        day=day,
        source=kw.pop("source", "openai"),
        category=category,
        provider=provider,
        service=service,
        billed_cost=D(billed) if billed is not None else amount,
        effective_cost=amount,
        team=team,
        use_case=use_case,
        **kw,
    )


def spread(total, use_case: str, start: date, count: int, team: str = "claims-team", **kw) -> list:
    """`total` spread evenly (exactly: the remainder lands on the first day) over `count` days."""
    total = D(total)
    each = (total / count).quantize(D("0.01"), rounding="ROUND_DOWN")
    amounts = [each] * count
    amounts[0] += total - each * count
    return [fact(d, a, use_case, team, **kw) for d, a in zip(days(start, count), amounts, strict=False)]


def units(use_case: str, start: date, count: int, total: int, success: int | None = None) -> list:
    each, extra = divmod(total, count)
    out = []
    for i, d in enumerate(days(start, count)):
        n = each + (1 if i < extra else 0)
        out.append(DailyUnits(use_case, d, n, n if success is None else success // count))
    return out


def org(*use_cases: UseCase, teams=None, settings: Settings | None = None, **kw) -> Organisation:
    if teams is None:
        teams = tuple(Team(t) for t in sorted({u.team for u in use_cases}))
    return Organisation(settings=settings or Settings(), teams=tuple(teams), use_cases=tuple(use_cases), **kw)


def week_of(use_case: str, monday: date, cpu, units_per_day: int = 100, team: str = "claims-team"):
    """Seven days at an exact cost per unit: (facts, units)."""
    cpu = D(cpu)
    ds = days(monday, 7)
    return (
        [fact(d, cpu * units_per_day, use_case, team) for d in ds],
        [DailyUnits(use_case, d, units_per_day, units_per_day) for d in ds],
    )
