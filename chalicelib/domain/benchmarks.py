"""Public per-unit benchmarks (Klarna $0.19/ticket, Sierra $1.50/ticket) beside our CPU.

A benchmark applies to a use case when its unit ("ticket") is a word of the use case's
unit of work ("ticket escalated"; a plural "tickets" matches too).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping, Optional

from .organisation import Organisation


@dataclass(frozen=True)
class BenchmarkLine:
    use_case: str
    name: str
    unit_of_work: str
    our_cpu: Optional[Decimal]
    benchmark: str
    benchmark_unit: str
    benchmark_cpu: Decimal
    ratio: Optional[Decimal]  # our CPU / benchmark CPU


def _words(text: str) -> set[str]:
    return {w.lower().rstrip("s") for w in text.replace("-", " ").split()}


def compare(org: Organisation, cpus: Mapping[str, Optional[Decimal]]) -> tuple[BenchmarkLine, ...]:
    lines: list[BenchmarkLine] = []
    for u in org.use_cases:
        words = _words(u.unit_of_work)
        for b in org.benchmarks:
            if b.unit.lower().rstrip("s") in words:
                ours = cpus.get(u.use_case_id)
                ratio = ours / b.cpu if ours is not None and b.cpu > 0 else None
                lines.append(BenchmarkLine(u.use_case_id, u.name, u.unit_of_work, ours, b.name, b.unit, b.cpu, ratio))
    return tuple(lines)
