"""The monthly board report: one page answering "what is our AI ROI?".

Built for the last complete month (the report goes out on the 1st): total spend vs
budget (the sum of the teams' monthly budgets) and vs the prior month, CPU vs target
per agent, margin benefit, anomalies of the month, the headcount plan, coverage,
maturity stage and pool balances, plus a plain-English summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Optional, Union

from .anomalies import Anomaly
from .benchmarks import BenchmarkLine
from .footing import difference
from .headcount import HeadcountLine
from .money import ZERO, cents, show_money, show_percent

KeyFigure = tuple[str, Optional[Union[Decimal, str]], str]  # (label, value, kind: money | pct | text)


@dataclass(frozen=True)
class BoardAgentLine:
    use_case: str
    name: str
    unit_of_work: str
    cost: Decimal
    units: int
    cpu: Optional[Decimal]
    target_cpu: Optional[Decimal]
    overrun: Optional[Decimal]
    colour: Optional[str]
    margin_benefit: Optional[Decimal]


@dataclass(frozen=True)
class BoardReport:
    month: str
    currency: str
    total: Decimal
    budget: Optional[Decimal]  # sum of team monthly budgets; None if no team has one
    budget_variance: Optional[Decimal]  # total - budget (> 0: over budget)
    prior_month: str
    prior_total: Decimal
    change: Decimal  # total - prior total
    change_share: Optional[Decimal]  # change / prior total
    coverage: Optional[Decimal]
    agents: tuple[BoardAgentLine, ...]  # by cost, largest first
    margin_benefit: Decimal  # sum over agents with a baseline
    anomalies: tuple[Anomaly, ...]  # of the month
    headcount: tuple[HeadcountLine, ...]
    headcount_offset: Decimal
    headcount_net: Decimal  # sum of offset - AI cost over agents replacing headcount
    maturity_stage: int
    pool_balances: dict[str, Decimal]  # tier -> balance
    benchmarks: tuple[BenchmarkLine, ...]
    summary: str


def build(
    month: str,
    prior_month: str,
    currency: str,
    total: Decimal,
    prior_total: Decimal,
    budget: Optional[Decimal],
    coverage: Optional[Decimal],
    agents: tuple[BoardAgentLine, ...],
    anomalies: tuple[Anomaly, ...],
    headcount: tuple[HeadcountLine, ...],
    maturity_stage: int,
    pool_balances: dict[str, Decimal],
    benchmarks: tuple[BenchmarkLine, ...],
) -> BoardReport:
    # Every difference and total is of the figures as shown (to the cent), so the report foots.
    change = difference(total, prior_total)
    change_share = change / cents(prior_total) if cents(prior_total) > 0 else None
    variance = difference(total, budget)
    margin = sum((cents(a.margin_benefit) for a in agents if a.margin_benefit is not None), ZERO)
    offset = sum((cents(h.monthly_offset) for h in headcount), ZERO)
    net = sum((cents(h.net) for h in headcount), ZERO)
    if total == 0 and not agents:
        summary = (
            f"No AI spend was recorded in {month}: no billing source reported a cost and no agent "
            f"posted work. Maturity stage {maturity_stage} of 5."
        )
    else:
        parts = [f"AI spend in {month} was {show_money(total, currency)}"]
        if budget is not None and variance is not None:  # the variance is set exactly when the budget is
            parts.append(
                f"{show_money(abs(variance), currency)} {'over' if variance > 0 else 'under'} the "
                f"{show_money(budget, currency)} budget"
            )
        if change_share is not None:
            parts.append(f"{show_percent(abs(change_share))} {'up' if change >= 0 else 'down'} on {prior_month}")
        summary = ", ".join(parts) + "."
        hot = [a for a in agents if a.colour in ("red", "critical")]
        summary += f" {len(agents)} agents; {len(hot)} red or critical." if agents else ""
        summary += f" Margin benefit vs manual work: {show_money(margin, currency)}."
        if headcount:
            summary += (
                f" Headcount offset {show_money(offset, currency)} against the agents' cost: "
                f"{'net saving' if net > 0 else 'net cost'} {show_money(abs(net), currency)}."
            )
        summary += f" {len(anomalies)} anomalies (days running hot). Maturity stage {maturity_stage} of 5."
    return BoardReport(
        month,
        currency,
        total,
        budget,
        variance,
        prior_month,
        prior_total,
        change,
        change_share,
        coverage,
        agents,
        margin,
        anomalies,
        headcount,
        offset,
        net,
        maturity_stage,
        dict(pool_balances),
        benchmarks,
        summary,
    )


def key_figures(b: BoardReport) -> list[KeyFigure]:
    """The report's key figures as (label, value, kind) with kind money | pct | text: the one list the
    Board report tab, the email and the HTML page all show, so the three agree to the cent."""
    rows: list[KeyFigure] = [("Total AI spend", b.total, "money")]
    if b.budget is not None:
        rows += [("Budget (all teams)", b.budget, "money"), ("Over (+) / under (-) budget", b.budget_variance, "money")]
    rows += [
        (f"Prior month ({b.prior_month})", b.prior_total, "money"),
        ("Change on prior month", b.change, "money"),
        ("Change on prior month (%)", b.change_share, "pct"),
        ("Allocated (coverage)", b.coverage, "pct"),
        ("Margin benefit vs manual work", b.margin_benefit, "money"),
        ("Headcount offset", b.headcount_offset, "money"),
        ("Headcount net (offset - AI cost)", b.headcount_net, "money"),
        ("Maturity stage", f"{b.maturity_stage} of 5", "text"),
    ]
    rows += [(f"Pool balance {t}", b.pool_balances.get(t, ZERO), "money") for t in ("T1", "T2", "T3")]
    return rows


def shown(value: Optional[Union[Decimal, str]], kind: str, currency: str) -> str:
    """A key figure as text, rounded as the sheet shows it (money to the cent, shares to 0.1 %)."""
    if value is None:
        return ""
    if kind in ("money", "pct"):
        if isinstance(value, str):  # key_figures gives text with kind "text" only
            raise AttributeError("'str' object has no attribute 'quantize'")  # what rounding it raised before
        return show_money(value, currency) if kind == "money" else show_percent(value)
    return str(value)
