"""Small helpers shared by the connectors: UTC days, exact decimals, merging facts."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Iterable, Optional

from chalicelib.domain.facts import CostFact

MAX_PROVENANCE_CHARS = 500


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(0, 0), tzinfo=timezone.utc)


def unix_seconds(day: date) -> int:
    return int(day_start(day).timestamp())


def rfc3339(day: date) -> str:
    return day_start(day).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_day_of_unix(seconds: int) -> date:
    return datetime.fromtimestamp(int(seconds), tz=timezone.utc).date()


def parse_timestamp(text: str) -> datetime:
    """RFC 3339 / ISO 8601 ("2025-05-01T00:00:00Z", "2024-09-18 22:00:00", "2024-09-18")
    as an aware UTC datetime. A timestamp with no offset is taken as UTC. Raises ValueError."""
    value = text.strip()
    if not value:
        raise ValueError("empty timestamp")
    if value.endswith(("z", "Z")):
        value = value[:-1] + "+00:00"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        parsed = datetime.combine(date.fromisoformat(value), time(0, 0))
    else:
        parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def check_window(start: date, end: date) -> None:
    if not isinstance(start, date) or not isinstance(end, date):
        raise TypeError("start and end must be dates")
    if isinstance(start, datetime) or isinstance(end, datetime):
        raise TypeError("start and end must be dates (UTC days), not datetimes")
    if end <= start:
        raise ValueError(f"empty window: end {end} is not after start {start}")


def days(start: date, end: date) -> list[date]:
    """The UTC days of [start, end)."""
    return [start + timedelta(days=i) for i in range((end - start).days)]


def to_decimal(value: object) -> Decimal:
    """An exact Decimal from a JSON number parsed with parse_float=Decimal, an int or a
    decimal string. Floats and booleans are refused: they have already lost exactness."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"refusing inexact number {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    else:
        raise ValueError(f"not a number: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


_ROW = re.compile(r"^(?P<prefix>.*) row (?P<n>\d+)$")


def _ranges(numbers: list[int]) -> str:
    parts, run_start, prev = [], None, None
    for n in sorted(set(numbers)):
        if run_start is None:
            run_start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            parts.append(f"{run_start}" if run_start == prev else f"{run_start}-{prev}")
            run_start = prev = n
    if run_start is not None:
        parts.append(f"{run_start}" if run_start == prev else f"{run_start}-{prev}")
    return ",".join(parts)


def merge_provenance(items: Iterable[str]) -> str:
    """Join provenances of merged facts: "f.csv row 2" + "f.csv row 3" -> "f.csv rows 2-3".
    Kept short: at most MAX_PROVENANCE_CHARS."""
    rows: dict[str, list[int]] = {}
    others: list[str] = []
    for item in items:
        if not item:
            continue
        m = _ROW.match(item)
        if m:
            rows.setdefault(m.group("prefix"), []).append(int(m.group("n")))
        elif item not in others:
            others.append(item)
    parts = others + [
        f"{prefix} row {nums[0]}" if len(set(nums)) == 1 else f"{prefix} rows {_ranges(nums)}"
        for prefix, nums in rows.items()
    ]
    text = "; ".join(parts)
    if len(text) > MAX_PROVENANCE_CHARS:
        text = text[: MAX_PROVENANCE_CHARS - 3] + "..."
    return text


def merge_facts(facts: Iterable[CostFact]) -> list[CostFact]:
    """Sum facts with the same (day, source, identity, currency) into one, exactly.

    Order: first appearance. Provenance lists every contributing place (compressed)."""
    order: list[tuple] = []
    groups: dict[tuple, list[CostFact]] = {}
    for fact in facts:
        key = (fact.day, fact.source, fact.identity, fact.currency)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(fact)
    merged = []
    for key in order:
        group = groups[key]
        if len(group) == 1:
            merged.append(group[0])
            continue
        merged.append(
            replace(
                group[0],
                billed_cost=sum((f.billed_cost for f in group), Decimal(0)),
                effective_cost=sum((f.effective_cost for f in group), Decimal(0)),
                provenance=merge_provenance(f.provenance for f in group),
            )
        )
    return merged


def in_window(day: date, start: Optional[date], end: Optional[date]) -> bool:
    return (start is None or day >= start) and (end is None or day < end)
