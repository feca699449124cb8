"""The reallocation pool: savings from use cases that beat their target, per tier.

Month close: a use case with target T, actual month CPU A < T and U units credits
(T − A) × U = T × U − cost (the same number, computed without a rounded CPU) to the
pool of its tier for that month, rounded half-even to the cent (it becomes a ledger
entry finance allocates from). The month's tier is the tier of the larger of
finance's estimate and the month's actual cost. No target, no units, or A ≥ T: no credit.

Credits are stored as a mapping month -> credits; closing a month again replaces
that month's entry, so closing twice equals closing once.

Finance's allocations (Pool allocations tab) are applied month by month (months in
order, rows in sheet order within a month). An allocation drawn in month M can use
credits of months closed before M (a month's credits exist once it is closed, on the
1st of the next month). One larger than its tier's balance, non-positive, or for an
unknown tier is refused and flagged; balances never go negative. Credits are booked to the cent,
and an allocation finer than a cent is refused, so Credited − Allocated = Balance as shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Mapping, Optional, Sequence

from .money import ZERO, as_decimal, cents, show_money
from .organisation import TIERS, Organisation, PoolAllocation, UseCase


@dataclass(frozen=True)
class PoolCredit:
    month: str
    use_case: str
    tier: str
    target_cpu: Decimal
    actual_cpu: Decimal
    units: int
    cost: Decimal
    amount: Decimal  # (target - actual) x units, to the cent


@dataclass(frozen=True)
class PoolAllocationResult:
    allocation_id: str
    tier: str
    month: str
    amount: Decimal
    to_use_case: str
    accepted: bool
    reason: str
    balance_after: Decimal  # the tier's balance after this row


@dataclass(frozen=True)
class PoolState:
    balances: dict[str, Decimal]  # tier -> Decimal, never negative
    credited: dict[str, Decimal]  # tier -> total credits from closed months
    allocated: dict[str, Decimal]  # tier -> total accepted allocations
    credits: tuple[PoolCredit, ...]  # of the closed months
    allocations: tuple[PoolAllocationResult, ...]  # in the order applied
    refused: tuple[PoolAllocationResult, ...]  # the refused ones (flagged for finance)
    closed_months: tuple[str, ...]
    pending_month: Optional[str] = None  # the last complete month, to close on the 1st
    pending_credits: tuple[PoolCredit, ...] = ()  # what closing it would credit


def month_credit(use_case: UseCase, month: str, cost: Decimal, units: int, tier: str) -> Optional[PoolCredit]:
    target = use_case.target_cpu
    if target is None or target <= 0 or units <= 0:
        return None
    saving = target * units - cost
    if saving <= 0:
        return None
    return PoolCredit(month, use_case.use_case_id, tier, target, cost / units, units, cost, cents(saving))


def close_month(
    pool_credits: Optional[Mapping[str, Sequence[PoolCredit]]], month: str, credits: Iterable[PoolCredit]
) -> dict[str, tuple[PoolCredit, ...]]:
    """A new month -> credits mapping with `month`'s credits replaced (idempotent)."""
    closed = {m: tuple(c) for m, c in (pool_credits or {}).items()}
    new = tuple(sorted(credits, key=lambda c: c.use_case))
    for c in new:
        if c.month != month:
            raise ValueError(f"credit for {c.month} cannot close {month}")
    closed[month] = new
    return closed


def pool_state(
    org: Organisation,
    pool_credits: Optional[Mapping[str, Sequence[PoolCredit]]],
    pending_month: Optional[str] = None,
    pending_credits: Iterable[PoolCredit] = (),
) -> PoolState:
    currency = org.settings.currency
    closed = {m: tuple(c) for m, c in (pool_credits or {}).items()}
    credited = {t: ZERO for t in TIERS}
    allocated = {t: ZERO for t in TIERS}
    balances = {t: ZERO for t in TIERS}
    by_month: dict[str, list[PoolAllocation]] = {}
    for a in org.pool_allocations:
        by_month.setdefault(a.month, []).append(a)
    results: list[PoolAllocationResult] = []
    # Allocations of month M see credits of months before M: apply M's rows, then add M's credits.
    for month in sorted(set(closed) | set(by_month)):
        for a in by_month.get(month, ()):
            amount = as_decimal(a.amount)
            if a.tier not in TIERS:
                ok, reason = False, f"refused: unknown tier {a.tier!r} (use one of {', '.join(TIERS)})"
            elif amount <= 0:
                ok, reason = False, "refused: an allocation must be a positive amount"
            elif amount != cents(amount):  # shown to the cent, a fraction would make the tab not foot
                ok, reason = False, f"refused: {amount} is finer than a cent; allocate whole cents"
            elif amount > balances[a.tier]:
                ok, reason = (
                    False,
                    (
                        f"refused: {show_money(amount, currency)} is more than the {a.tier} pool "
                        f"balance {show_money(balances[a.tier], currency)}"
                    ),
                )
            else:
                ok, reason = True, "allocated"
            if ok:
                balances[a.tier] -= amount
                allocated[a.tier] += amount
            results.append(
                PoolAllocationResult(
                    a.allocation_id, a.tier, a.month, amount, a.to_use_case, ok, reason, balances.get(a.tier, ZERO)
                )
            )
        for c in closed.get(month, ()):
            if c.tier in TIERS:
                balances[c.tier] += c.amount
                credited[c.tier] += c.amount
    credits = tuple(c for m in sorted(closed) for c in closed[m])
    return PoolState(
        balances,
        credited,
        allocated,
        credits,
        tuple(results),
        tuple(r for r in results if not r.accepted),
        tuple(sorted(closed)),
        pending_month,
        tuple(pending_credits),
    )
