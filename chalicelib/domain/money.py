"""Money arithmetic: exact Decimal sums, cent rounding for display, and exact splits.

Rules (DESIGN.md "Money"): Decimal end to end, never float; sums are exact; any split
uses largest-remainder rounding so the parts add up to the whole; round half-even to
cents only where a figure is shown.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Optional, Sequence, Union

ZERO = Decimal(0)
CENT = Decimal("0.01")
CPU_PLACES = Decimal("0.0001")  # a cost per unit (or a share) can be far below a cent
_CENT_EXPONENT = -2


def as_decimal(value: object) -> Decimal:
    """A sheet or store value as Decimal; floats go through str so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, (int, str)):
        return Decimal(value)
    if isinstance(value, (tuple, list)):  # (sign, digits, exponent), as Decimal itself takes it
        return Decimal(tuple(value))
    raise TypeError(f"conversion from {type(value).__name__} to Decimal is not supported")  # Decimal's own error


def cents(amount: Decimal) -> Decimal:
    """Round half-even to the cent: only for figures that are shown or booked."""
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def _finite_exponent(exponent: Union[int, str]) -> int:
    """A Decimal tuple's exponent, which is an int for a finite amount; 'n', 'N' or 'F' (NaN, sNaN, infinity)
    raise TypeError, as comparing them with an int would (callers check `is_finite` first)."""
    if isinstance(exponent, str):
        raise TypeError(f"not a finite amount (exponent {exponent!r})")
    return exponent


def _integer_weights(weights: Sequence[Decimal]) -> list[int]:
    """Scale Decimal weights to integers with one common power of ten (exact)."""
    tuples = [(t.digits, _finite_exponent(t.exponent)) for t in (w.as_tuple() for w in weights)]
    exponent = min(min((e for _, e in tuples), default=0), 0)
    # Built from the digits, not scaleb: scaleb would round beyond 28 digits.
    return [int("".join(map(str, digits)) or "0") * 10 ** (e - exponent) for digits, e in tuples]


def _quanta(total: Decimal) -> tuple[int, int]:
    """(exponent, count): the split's unit 10**exponent and |total| in that unit, exactly.

    The unit depends on the value, not on how it is written: the cent, or the smallest
    unit that represents the amount exactly when it has sub-cent digits (trailing zeros
    are ignored, so 100.000 splits like 100.00 and 0.0150 like 0.015)."""
    _, digits, written = total.as_tuple()
    coefficient = int("".join(map(str, digits)))
    exponent = _finite_exponent(written)
    if exponent < _CENT_EXPONENT:
        while exponent < _CENT_EXPONENT and coefficient and coefficient % 10 == 0:
            coefficient //= 10
            exponent += 1
        if not coefficient:
            exponent = _CENT_EXPONENT
    if exponent > _CENT_EXPONENT:
        coefficient *= 10 ** (exponent - _CENT_EXPONENT)  # whole cents, built exactly (no scaleb rounding)
        exponent = _CENT_EXPONENT
    return exponent, coefficient


class Splitter:
    """Splits amounts in fixed proportions; see `split`. Built once per set of weights."""

    def __init__(self, weights: Sequence[Decimal]):
        if not weights:
            raise ValueError("cannot split an amount over no parts")
        if not all(w.is_finite() for w in weights):
            raise ValueError("split weights must be finite")
        clean = [w if w > 0 else ZERO for w in weights]
        if not any(clean):
            clean = [Decimal(1)] * len(weights)
        self._ints = _integer_weights(clean)
        self._whole = sum(self._ints)

    def __call__(self, total: Decimal) -> list[Decimal]:
        if not total.is_finite():
            raise ValueError(f"cannot split a non-finite amount {total}")
        exponent, quanta = _quanta(total)
        sign = -1 if total < 0 else 1
        return [Decimal(f"{sign * q}E{exponent}") for q in self.count(quanta)]  # exact: no context rounding

    def count(self, quanta: int) -> list[int]:
        """`quanta` whole units (cents, hundredths of a percent; >= 0) in these proportions: every part
        gets the floor of its exact share, and the units left over go one each to the parts with the
        largest remainders (ties: the earlier part)."""
        ints, whole = self._ints, self._whole
        floors = [quanta * w // whole for w in ints]
        left = quanta - sum(floors)
        if left:
            remainders = sorted(range(len(ints)), key=lambda i: (-(quanta * ints[i] % whole), i))
            for i in remainders[:left]:
                floors[i] += 1
        return floors


def split(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split `total` in proportion to `weights`, exact to the cent, parts summing to `total`.

    Largest remainder: every part gets the floor of its exact share in cents, and the
    cents left over go one each to the parts with the largest remainders (ties: the
    earlier part, so the result is deterministic). Negative weights count as zero;
    if every weight is zero the split is even. An amount finer than a cent (vendors
    bill in fractions of a cent) is split in its own smallest unit so the parts still
    add up exactly. A negative total (a credit) is split like its absolute value.
    """
    return Splitter(weights)(total)


def api_amount(value: Optional[Decimal], places: Decimal = CENT) -> Optional[str]:
    """An amount as the HTTP API answers it: a string rounded half-even to `places` (the cent; a cost per
    unit or a share to CPU_PLACES), so no client turns it into a float; None stays None."""
    return None if value is None else str(value.quantize(places, rounding=ROUND_HALF_EVEN))


def show_money(amount: Decimal, currency: str = "USD") -> str:
    """$1,234.56 (or 'EUR 1,234.56'); negative as -$1,234.56."""
    rounded = cents(amount)
    prefix = "$" if currency == "USD" else f"{currency} "
    sign = "-" if rounded < 0 else ""
    return f"{sign}{prefix}{abs(rounded):,.2f}"


def show_cpu(amount: Decimal, currency: str = "USD") -> str:
    """Cost per unit: cents when it is a dollar or more, else four decimals ($0.0034)."""
    if abs(amount) >= 1:
        return show_money(amount, currency)
    prefix = "$" if currency == "USD" else f"{currency} "
    sign = "-" if amount < 0 else ""
    digits = str(abs(amount).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN))
    while digits.endswith("0") and len(digits.partition(".")[2]) > 2:
        digits = digits[:-1]  # $0.40, $0.034, $0.0034
    return f"{sign}{prefix}{digits}"


def show_percent(share: Decimal, places: int = 1) -> str:
    """0.245 -> '24.5 %' (places=2: '24.50 %', for figures read against a threshold)."""
    return f"{(share * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)} %"
