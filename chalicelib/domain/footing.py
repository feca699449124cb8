"""Figures shown together foot: totals equal the sum of the parts shown, differences the
difference of the figures shown.

Ledger amounts carry sub-cent precision (vendors bill in fractions of a cent). Inside the
engine that is right; but a sheet, an API answer or a report that shows a total beside its
parts, each rounded on its own, can be a cent off. These functions produce what is shown:
- `foot(parts)`: the parts rounded to the cent so they add up exactly to the rounded total
  (largest remainder: each part gets its floor in cents, the cents left over go to the
  largest remainders, ties to the earlier part);
- `difference(a, b)`: cents(a) − cents(b), the difference of the two figures as shown.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Optional, Sequence, overload

from .money import CENT, ZERO, cents


def foot(parts: Sequence[Decimal]) -> tuple[list[Decimal], Decimal]:
    """(parts rounded to the cent, their total): sum(parts shown) == total shown == cents(sum(parts))."""
    total = cents(sum(parts, ZERO))
    floors = [p.quantize(CENT, rounding=ROUND_FLOOR) for p in parts]
    left = int((total - sum(floors, ZERO)) / CENT)
    order = sorted(range(len(parts)), key=lambda i: (-(parts[i] - floors[i]), i))
    shown = list(floors)
    if left > 0:
        for i in order[:left]:
            shown[i] += CENT
    elif left < 0:  # cannot happen for floors, kept for safety with negative rounding
        for i in reversed(order[left:]):
            shown[i] -= CENT
    return shown, total


@overload
def difference(a: Decimal, b: Decimal) -> Decimal: ...
@overload
def difference(a: Optional[Decimal], b: Optional[Decimal]) -> Optional[Decimal]: ...
def difference(a: Optional[Decimal], b: Optional[Decimal]) -> Optional[Decimal]:
    """a − b as the two figures are shown (each rounded to the cent); None if either is None."""
    if a is None or b is None:
        return None
    return cents(a) - cents(b)
