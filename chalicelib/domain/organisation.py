"""What finance keeps in the sheet's input tabs, as plain values the engine reads.

Thresholds default to the seeds' numbers; every one can be changed in the Settings tab.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from chalicelib.domain.model_prices import DEFAULT_MODEL_PRICES, ModelPrice

if TYPE_CHECKING:  # terms imports this module
    from chalicelib.domain.terms import TeamTerms, UseCaseTerms

TIERS = ("T1", "T2", "T3")
SPLIT_RULES = ("even", "units", "direct_spend", "percent")
UNIT_RULES = ("all", "success")  # which work items count as units
USE_CASE_STATUSES = ("active", "paused", "retired")


@dataclass(frozen=True)
class Settings:
    currency: str = "USD"
    yellow_overrun: Decimal = Decimal("0.10")  # overrun >= this is yellow
    red_overrun: Decimal = Decimal("0.20")  # >= this in two consecutive complete weeks is red
    critical_overrun: Decimal = Decimal("0.50")  # >= this is critical (pause)
    default_tolerance: Decimal = Decimal("0.15")  # below target x (1 - tolerance): investigate
    tier1_limit: Decimal = Decimal("10000")  # monthly cost below this: T1, auto-approved
    tier2_limit: Decimal = Decimal("50000")  # monthly cost at or above this: T3, CFO
    anomaly_ratio: Decimal = Decimal("0.20")  # day above trailing median by more than this
    anomaly_window_days: int = 28
    anomaly_min_units: int = 10  # a day's CPU is judged (and is history) only with at least this many units
    retry_storm_units_band: Decimal = Decimal("0.05")
    forecast_window_days: int = 7
    coverage_goal: Decimal = Decimal("0.95")
    reconciliation_tolerance: Decimal = Decimal("0.20")
    loaded_hourly_rate: Decimal = Decimal("60")  # human review cost per hour
    current_week_min_days: int = 2  # the current week counts for critical after this many full days
    healthy_retirement_low: Decimal = Decimal("0.30")
    healthy_retirement_high: Decimal = Decimal("0.40")
    alert_emails_finance: tuple[str, ...] = ()
    alert_emails_cfo: tuple[str, ...] = ()
    alert_emails_board: tuple[str, ...] = ()  # the monthly board report (blank: finance and the CFO list)
    # Optimization hints (chalicelib/domain/optimization.py): what each lever assumes.
    cache_read_goal: Decimal = Decimal("0.50")  # share of input tokens a use case could read from a prompt cache
    review_reduction_goal: Decimal = Decimal("0.50")  # share of review minutes per unit routing could save
    hint_top_spenders: int = 5  # the biggest spenders of a month get hints even on target


@dataclass(frozen=True)
class Team:
    team_id: str
    name: str = ""
    lead_email: str = ""
    monthly_budget: Optional[Decimal] = None
    effective_from: Optional[date] = None  # the budget applies from this day (blank: the day it was saved)


@dataclass(frozen=True)
class UseCase:
    use_case_id: str
    team: str
    name: str = ""
    unit_of_work: str = "work item"
    owner_email: str = ""
    monthly_budget: Optional[Decimal] = None
    target_cpu: Optional[Decimal] = None  # cost per unit SLO target
    tolerance: Optional[Decimal] = None  # None: Settings.default_tolerance
    baseline_cpu: Optional[Decimal] = None  # manual (human) cost per unit
    ftes_replaced: Optional[Decimal] = None
    fte_annual_cost: Optional[Decimal] = None
    headcount_target: Optional[Decimal] = None  # monthly saving finance expects
    headcount_gap_reason: str = ""
    estimated_monthly_cost: Optional[Decimal] = None
    approved_tier: Optional[str] = None  # T1/T2/T3 as signed off
    cfo_approved: bool = False
    units_rule: str = "all"  # all | success
    status: str = "active"  # active | paused | retired
    critical_cleared_on: Optional[date] = None  # clears critical episodes that began on or before it
    hypothesis: str = ""
    success_metric: str = ""
    success_met: Optional[bool] = None
    experiment_start: Optional[date] = None
    decision_date: Optional[date] = None
    decision: str = ""  # blank until decided: continue | retire
    effective_from: Optional[date] = None  # target/tolerance/budget/tier apply from this day (blank: when saved)
    optimization_decision: str = ""  # the owner's decision on the use case's hints (maturity stage 5)


@dataclass(frozen=True)
class SharedCostRule:
    """How a shared cost (team 'shared', use case = this rule's key) is split."""

    key: str  # the use case id under team 'shared' whose cost is split
    rule: str  # one of SPLIT_RULES
    targets: tuple[str, ...]  # use case ids receiving the split
    percents: tuple[Decimal, ...] = ()  # for rule 'percent', same order as targets, summing to 100


@dataclass(frozen=True)
class MappingRule:
    """Vendor key (OpenAI project, Anthropic workspace, AWS tag, FOCUS tag) -> (team, use case)."""

    vendor_key: str
    team: str
    use_case: str


@dataclass(frozen=True)
class PoolAllocation:
    allocation_id: str
    tier: str
    amount: Decimal
    month: str  # YYYY-MM the allocation is drawn in
    to_use_case: str = ""
    note: str = ""


@dataclass(frozen=True)
class Benchmark:
    name: str
    unit: str
    cpu: Decimal


@dataclass(frozen=True)
class Organisation:
    """Everything finance configures, read from the sheet (or seeded locally)."""

    settings: Settings = field(default_factory=Settings)
    teams: tuple[Team, ...] = ()
    use_cases: tuple[UseCase, ...] = ()
    shared_rules: tuple[SharedCostRule, ...] = ()
    mappings: tuple[MappingRule, ...] = ()
    pool_allocations: tuple[PoolAllocation, ...] = ()
    expected_totals: dict[str, Decimal] = field(default_factory=dict)  # "YYYY-MM" -> Decimal
    benchmarks: tuple[Benchmark, ...] = (
        Benchmark("Klarna", "ticket", Decimal("0.19")),
        Benchmark("Sierra", "ticket", Decimal("1.50")),
    )
    model_prices: tuple[ModelPrice, ...] = DEFAULT_MODEL_PRICES  # the Model prices tab
    # Past terms (chalicelib.domain.terms): use case id -> (UseCaseTerms, ...), team id -> (TeamTerms, ...)
    terms_history: dict[str, tuple[UseCaseTerms, ...]] = field(default_factory=dict)
    team_history: dict[str, tuple[TeamTerms, ...]] = field(default_factory=dict)

    def use_case(self, use_case_id: str) -> Optional[UseCase]:
        return next((u for u in self.use_cases if u.use_case_id == use_case_id), None)
