"""Headcount offset and margin benefit: the two ways an agent pays for itself.

- monthly offset = FTEs replaced × annual cost per FTE ÷ 12. The seed's "2.5 FTEs,
  $400k/year" is the cost of all 2.5 together ($160k each): offset $33,333.33/month.
- net = offset − AI cost, as shown (each figure to the cent, so the line foots). Positive is a net
  saving, negative a net cost: $33,333.33 − $200,000 = −$166,666.67, a net COST of $166.7k (the
  seed calls it "savings"; it is not).
- realized vs target: the realized saving is the offset; gap = realized − finance's
  headcount target, shown with finance's reason.
- margin benefit = (manual baseline CPU − AI CPU) × units = baseline × units − AI cost
  ($8 − $5 on 8,800 claims = $26,400), computed without a rounded CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

from .footing import difference
from .money import show_money
from .organisation import UseCase

_TWELVE = Decimal(12)


def monthly_offset(use_case: UseCase) -> Optional[Decimal]:
    if use_case.ftes_replaced is None or use_case.fte_annual_cost is None:
        return None
    return use_case.ftes_replaced * use_case.fte_annual_cost / _TWELVE


def margin_benefit(baseline_cpu: Optional[Decimal], ai_cost: Decimal, units: int) -> Optional[Decimal]:
    if baseline_cpu is None or units <= 0:
        return None
    return difference(baseline_cpu * units, ai_cost)  # as shown: both figures to the cent


@dataclass(frozen=True)
class HeadcountLine:
    use_case: str
    name: str
    month: str
    ftes_replaced: Decimal
    fte_annual_cost: Decimal
    monthly_offset: Decimal
    ai_cost: Decimal
    net: Decimal  # offset - AI cost: > 0 a net saving, < 0 a net cost
    net_label: str  # "net saving" | "net cost" | "break-even"
    target: Optional[Decimal]
    realized: Decimal
    gap: Optional[Decimal]  # realized - target
    gap_reason: str
    statement: str


def headcount_line(use_case: UseCase, month: str, ai_cost: Decimal, currency: str = "USD") -> Optional[HeadcountLine]:
    offset = monthly_offset(use_case)
    ftes, annual = use_case.ftes_replaced, use_case.fte_annual_cost
    if offset is None or ftes is None or annual is None:  # the offset is set exactly when both are
        return None
    net = difference(offset, ai_cost)  # the difference of the figures shown beside it
    label = "net saving" if net > 0 else "net cost" if net < 0 else "break-even"
    target = use_case.headcount_target
    gap = difference(offset, target)
    statement = (
        f"AI cost {show_money(ai_cost, currency)}; {ftes.normalize():f} FTEs at "
        f"{show_money(annual, currency)}/year offset {show_money(offset, currency)}/month: "
        f"{label} {show_money(abs(net), currency)}"
    )
    if target is not None and gap is not None:  # the gap is set exactly when the target is
        statement += (
            f". Headcount saving target {show_money(target, currency)}, realized "
            f"{show_money(offset, currency)}, gap {show_money(gap, currency)}"
        )
        if use_case.headcount_gap_reason:
            statement += f" ({use_case.headcount_gap_reason})"
    return HeadcountLine(
        use_case.use_case_id,
        use_case.name,
        month,
        ftes,
        annual,
        offset,
        ai_cost,
        net,
        label,
        target,
        offset,
        gap,
        use_case.headcount_gap_reason,
        statement,
    )
