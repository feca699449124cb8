"""Targets, tolerances, budgets and tiers have history: each period is judged by the terms in force then.

Finance changes a use case's terms (target cost per unit, tolerance, monthly budget, approved
tier, CFO approval) or a team's monthly budget in the sheet. A change applies from the day it
was saved, or from the "Effective from" date finance typed on the row (a date left over from an
earlier change does not back-date a new one: it applies from the day it was saved). The history holds one
entry per change (never one per run), so reading it costs the same however long the product
runs. A day before the first recorded change uses the first recorded terms (the values were
so before they were recorded).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Callable, Optional, Sequence, TypeVar, Union

from .organisation import Organisation, Team, UseCase


@dataclass(frozen=True)
class UseCaseTerms:
    effective_from: date
    target_cpu: Optional[Decimal] = None
    tolerance: Optional[Decimal] = None
    monthly_budget: Optional[Decimal] = None
    approved_tier: Optional[str] = None
    cfo_approved: bool = False
    typed_from: Optional[date] = None  # the "Effective from" finance had typed when this was recorded

    @classmethod
    def of(cls, u: UseCase, effective_from: date) -> "UseCaseTerms":
        return cls(
            effective_from,
            u.target_cpu,
            u.tolerance,
            u.monthly_budget,
            u.approved_tier,
            u.cfo_approved,
            u.effective_from,
        )

    def same_values(self, other: "UseCaseTerms") -> bool:
        return replace(self, effective_from=other.effective_from, typed_from=other.typed_from) == other

    def apply(self, u: UseCase) -> UseCase:
        return replace(
            u,
            target_cpu=self.target_cpu,
            tolerance=self.tolerance,
            monthly_budget=self.monthly_budget,
            approved_tier=self.approved_tier,
            cfo_approved=self.cfo_approved,
        )


@dataclass(frozen=True)
class TeamTerms:
    effective_from: date
    monthly_budget: Optional[Decimal] = None
    typed_from: Optional[date] = None

    @classmethod
    def of(cls, t: Team, effective_from: date) -> "TeamTerms":
        return cls(effective_from, t.monthly_budget, t.effective_from)

    def same_values(self, other: "TeamTerms") -> bool:
        return self.monthly_budget == other.monthly_budget


Terms = Union[UseCaseTerms, TeamTerms]
_T = TypeVar("_T", UseCaseTerms, TeamTerms)  # one kind of history at a time


def effective_date(history: Sequence[Terms], typed: Optional[date], today: date) -> date:
    """When a change saved `today` applies: the "Effective from" finance typed, unless that date was
    already there when the row last changed (left over from an earlier change): then from today."""
    last = max(history, key=lambda t: t.effective_from) if history else None
    if typed is None or (last is not None and last.typed_from == typed):
        return today
    return typed


def record(history: Sequence[_T], current: _T, effective_from: date) -> Optional[tuple[_T, ...]]:
    """The history after saving `current` terms in force from `effective_from`; None when unchanged.

    Entries from `effective_from` on are superseded (a back-dated change replaces them); an
    entry equal to the one in force before it is not added."""
    entries = tuple(sorted(history, key=lambda t: t.effective_from))
    kept = [t for t in entries if t.effective_from < effective_from]
    if not kept or not kept[-1].same_values(current):
        kept.append(replace(current, effective_from=effective_from))
    return None if tuple(kept) == entries else tuple(kept)


def _on(entries: Sequence[_T], day: date) -> _T:
    i = bisect_right([t.effective_from for t in entries], day)
    return entries[max(i - 1, 0)]


def use_case_on(org: Organisation, u: UseCase) -> Callable[[date], UseCase]:
    """day -> the use case with the terms in force on that day (today's row when there is no history)."""
    entries = tuple(sorted(org.terms_history.get(u.use_case_id, ()), key=lambda t: t.effective_from))
    if not entries:
        return lambda day: u
    cache: dict[UseCaseTerms, UseCase] = {}

    def on(day: date) -> UseCase:
        terms = _on(entries, day)
        got = cache.get(terms)
        if got is None:
            got = cache[terms] = terms.apply(u)
        return got

    return on


def team_budget_on(org: Organisation, t: Team, day: date) -> Optional[Decimal]:
    entries = tuple(sorted(org.team_history.get(t.team_id, ()), key=lambda x: x.effective_from))
    return _on(entries, day).monthly_budget if entries else t.monthly_budget
