"""Approval tiers on estimated monthly cost, and experiment decision reminders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Optional

from .forecast import Amount, exact_amount
from .money import ZERO
from .organisation import TIERS, Settings, UseCase


def tier_for(monthly_cost: Amount, settings: Settings) -> str:
    """T1 below tier1_limit; T2 from tier1_limit (exactly $10,000 is T2) up to below
    tier2_limit; T3 from tier2_limit (exactly $50,000 is T3).

    `monthly_cost` may be a Decimal, a Fraction or a Forecast (its exact rational is
    compared, never its rounded Decimal), so the edge falls on the same side whatever
    the digits."""
    cost = exact_amount(monthly_cost)
    if cost < settings.tier1_limit:
        return "T1"
    if cost < settings.tier2_limit:
        return "T2"
    return "T3"


def estimated_tier(finance_estimate: Optional[Decimal], forecast: Amount, settings: Settings) -> str:
    """Tier of the estimated monthly cost (the larger of finance's estimate and the
    forecast), compared exactly: pass the Forecast itself (or its `exact`)."""
    cost = exact_amount(forecast)
    if finance_estimate is not None and finance_estimate > cost:
        cost = finance_estimate
    return tier_for(cost, settings)


def tier_rank(tier: Optional[str]) -> int:
    """T1 -> 0 ... T3 -> 2; no (or an unreadable) approved tier counts as T1, auto-approved."""
    return TIERS.index(tier) if tier in TIERS else 0


def estimated_monthly_cost(finance_estimate: Optional[Decimal], forecast: Decimal) -> Decimal:
    """The larger of finance's estimate and the month-end forecast."""
    return max(finance_estimate if finance_estimate is not None else ZERO, forecast)


def approval_required(forecast_tier: str, approved_tier: Optional[str]) -> bool:
    """The forecast lands in a tier above the one signed off (no sign-off = T1)."""
    return tier_rank(forecast_tier) > tier_rank(approved_tier)


def reminder_due(use_case: UseCase, today: date) -> bool:
    """The decision date has passed (strictly before today) and no decision is recorded."""
    return use_case.decision_date is not None and use_case.decision_date < today and not use_case.decision.strip()
