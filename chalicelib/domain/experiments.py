"""Experiments: decision reminders, and risk appetite (how many Tier 1 bets are retired).

- An experiment is a use case with any experiment field set (hypothesis, success
  metric, start or decision date).
- Reminder due: the decision date is strictly before today and no decision is written.
- Risk appetite: among Tier 1 experiments (tier as computed now) whose decision date
  falls in today's calendar quarter and whose decision is written, the share retired
  (decision "retire"/"retired", or status "retired"). The healthy band is 30–40 %
  inclusive; below it the organisation takes too little risk, above it experiments
  are failing more than expected. No decisions this quarter: no share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Mapping, Optional

from .money import show_percent
from .organisation import Organisation, UseCase
from .periods import quarter_first_day, quarter_label
from .tiers import reminder_due

RETIRE_WORDS = frozenset({"retire", "retired"})


def is_experiment(u: UseCase) -> bool:
    return bool(u.hypothesis or u.success_metric or u.experiment_start or u.decision_date)


def is_retired(u: UseCase) -> bool:
    return u.decision.strip().lower() in RETIRE_WORDS or u.status == "retired"


@dataclass(frozen=True)
class ExperimentReminder:
    use_case: str
    name: str
    owner_email: str
    decision_date: date
    days_overdue: int
    hypothesis: str
    success_metric: str
    message: str


def reminders(org: Organisation, today: date) -> tuple[ExperimentReminder, ...]:
    out: list[ExperimentReminder] = []
    for u in org.use_cases:
        decision_date = u.decision_date
        if decision_date is not None and reminder_due(u, today):  # a reminder is due only after a decision date
            overdue = (today - decision_date).days
            out.append(
                ExperimentReminder(
                    u.use_case_id,
                    u.name,
                    u.owner_email,
                    decision_date,
                    overdue,
                    u.hypothesis,
                    u.success_metric,
                    f"{u.name or u.use_case_id}: decision date {decision_date} passed {overdue} day(s) ago with no "
                    "decision; record continue or retire in the sheet",
                )
            )
    return tuple(out)


@dataclass(frozen=True)
class RiskAppetite:
    quarter: str
    t1_decided: int
    t1_retired: int
    share: Optional[Decimal]
    healthy_low: Decimal
    healthy_high: Decimal
    verdict: str  # healthy | too little risk | too many failures | no decisions
    reason: str


def risk_appetite(org: Organisation, today: date, tiers: Mapping[str, str]) -> RiskAppetite:
    s = org.settings
    start = quarter_first_day(today)
    quarter = quarter_label(today)
    decided = [
        u
        for u in org.use_cases
        if is_experiment(u)
        and tiers.get(u.use_case_id) == "T1"
        and u.decision.strip()
        and u.decision_date is not None
        and start <= u.decision_date <= today
    ]
    retired = sum(1 for u in decided if is_retired(u))
    band = f"{show_percent(s.healthy_retirement_low)}–{show_percent(s.healthy_retirement_high)}"
    if not decided:
        return RiskAppetite(
            quarter,
            0,
            0,
            None,
            s.healthy_retirement_low,
            s.healthy_retirement_high,
            "no decisions",
            f"no Tier 1 experiment decided in {quarter} yet",
        )
    share = Decimal(retired) / len(decided)
    if share < s.healthy_retirement_low:
        verdict = "too little risk"
    elif share > s.healthy_retirement_high:
        verdict = "too many failures"
    else:
        verdict = "healthy"
    reason = (
        f"{retired} of {len(decided)} Tier 1 experiments decided in {quarter} were retired "
        f"({show_percent(share)}; healthy is {band}): {verdict}"
    )
    return RiskAppetite(
        quarter, len(decided), retired, share, s.healthy_retirement_low, s.healthy_retirement_high, verdict, reason
    )
