"""Human review time -> CostFacts (the part of the iceberg nobody invoices).

Cost of a (use case, UTC day) = review minutes x loaded hourly rate / 60.

Exactness: the figure is kept exact whenever it is a finite decimal (30 minutes at
$55/h = $27.5; 7 minutes at $60/h = $7; 7 minutes at $45/h = $5.25). When minutes x rate / 60
does not terminate (7 minutes at $55/h = $6.41666...), that day's figure is rounded half-even to
the cent. Each day is its own figure (no amount is split across days), so re-pulling any window gives the same value
for a day.

Answered days. The work-item counters are our own source of truth, kept by the API as items
arrive, so ``pull`` answers for every day of the window: a day whose counters show no review
minutes (or no counter at all) states "no review cost", and a review fact stored for it
before (minutes corrected by reposted items) is removed and reported. A day with no counter
and nothing stored changes nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Iterable, Mapping, Optional

from chalicelib.connectors.common import Pulled, check_window, days, in_window, merge_facts
from chalicelib.domain.facts import UNALLOCATED, CostFact, DailyUnits

SOURCE = "human_review"
CATEGORY = "human_review"
PROVIDER = "Internal"
SERVICE = "human review"
CENT = Decimal("0.01")


def vendor_key(use_case: str) -> str:
    return f"human_review:use_case:{use_case}"


def exact_or_cents(value: Fraction) -> Decimal:
    """A Fraction as an exact Decimal when it terminates, else rounded half-even to cents."""
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator == 1:
        places = max(twos, fives)
        scaled = value * (10**places)
        return Decimal(int(scaled)).scaleb(-places) if places else Decimal(int(scaled))
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(CENT, rounding=ROUND_HALF_EVEN)


def review_cost(minutes: Decimal, hourly_rate: Decimal) -> Decimal:
    return exact_or_cents(Fraction(minutes) * Fraction(hourly_rate) / 60)


def facts_from_units(
    units: Iterable[DailyUnits],
    hourly_rate: Decimal,
    team_of: Mapping[str, str],
    *,
    currency: str = "USD",
    provenance: Optional[str] = None,
) -> list[CostFact]:
    """One human-review fact per (use case, day) with review minutes; days without
    minutes give no fact. The team comes from ``team_of`` (unallocated if unknown)."""
    if not isinstance(hourly_rate, Decimal) or not hourly_rate.is_finite() or hourly_rate < 0:
        raise ValueError(f"hourly rate must be a non-negative Decimal, got {hourly_rate!r}")
    facts = []
    for u in units:
        minutes = u.review_minutes
        if not isinstance(minutes, Decimal):
            if isinstance(minutes, (int,)) and not isinstance(minutes, bool):
                minutes = Decimal(minutes)
            else:
                raise ValueError(f"review minutes for {u.use_case} on {u.day} must be a Decimal, got {minutes!r}")
        if not minutes.is_finite() or minutes < 0:
            raise ValueError(f"review minutes for {u.use_case} on {u.day} must be >= 0, got {minutes}")
        if minutes == 0:
            continue
        cost = review_cost(minutes, hourly_rate)
        facts.append(
            CostFact(
                day=u.day,
                source=SOURCE,
                category=CATEGORY,
                provider=PROVIDER,
                service=SERVICE,
                billed_cost=cost,
                effective_cost=cost,
                currency=currency.upper(),
                vendor_key=vendor_key(u.use_case),
                team=team_of.get(u.use_case) or UNALLOCATED,
                use_case=u.use_case,
                provenance=provenance or f"work items {u.day.isoformat()}: {minutes} review min x ${hourly_rate}/h",
            )
        )
    return merge_facts(facts)


def pull(
    units: Iterable[DailyUnits],
    hourly_rate: Decimal,
    team_of: Mapping[str, str],
    start: date,
    end: date,
    *,
    currency: str = "USD",
) -> Pulled:
    """The review cost of [start, end) (UTC days) from the counters' ``units``; every day of the
    window is answered (the counters are authoritative). Units outside the window are ignored."""
    check_window(start, end)
    inside = [u for u in units if in_window(u.day, start, end)]
    return Pulled(facts_from_units(inside, hourly_rate, team_of, currency=currency), frozenset(days(start, end)))
