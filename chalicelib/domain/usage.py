"""Token usage by day, model and vendor key: what the vendors' usage reports say, beside the costs.

A `UsageFact` is one (UTC day, source, vendor key, model) of a usage report: input tokens not read
from a cache, cache reads, cache writes, output tokens and, where the vendor counts them, model
requests (OpenAI's `num_model_requests`; Anthropic's usage report counts none: None). Vendor keys are
the cost connectors' own (``openai:project:<id>``, ``anthropic:workspace:<id|default>``), so the
Mappings tab places usage on (team, use case) exactly as it places cost (`map_usage`, the rules of
`mappings.apply_mappings`). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Iterable, Optional

from chalicelib.domain.facts import UNALLOCATED
from chalicelib.domain.mappings import normalise_key, rules_by_key
from chalicelib.domain.organisation import MappingRule

Identity = tuple[str, str, str, str, str]  # (provider, model, vendor key, team, use case)


@dataclass(frozen=True)
class UsageFact:
    day: date
    source: str  # the connector: openai | anthropic
    provider: str  # OpenAI | Anthropic
    model: str
    vendor_key: str
    input_tokens: int = 0  # uncached input (not read from a cache, not written to one)
    cached_input_tokens: int = 0  # cache reads
    cache_write_tokens: int = 0  # cache writes (priced as input)
    output_tokens: int = 0
    requests: Optional[int] = None  # model requests; None where the vendor does not count them
    team: str = UNALLOCATED
    use_case: str = UNALLOCATED
    provenance: str = ""

    @property
    def identity(self) -> Identity:
        """Unique within (source, day): re-pulling a day replaces rows with the same identity."""
        return (self.provider, self.model, self.vendor_key, self.team, self.use_case)

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.cached_input_tokens + self.cache_write_tokens + self.output_tokens


def merge_usage(facts: Iterable[UsageFact]) -> list[UsageFact]:
    """Sum rows with the same (day, source, identity) into one; order of first appearance. The
    request count stays None unless every row counts requests."""
    order: list[tuple[date, str, Identity]] = []
    merged: dict[tuple[date, str, Identity], UsageFact] = {}
    for f in facts:
        key = (f.day, f.source, f.identity)
        prev = merged.get(key)
        if prev is None:
            order.append(key)
            merged[key] = f
            continue
        requests = None if prev.requests is None or f.requests is None else prev.requests + f.requests
        merged[key] = replace(
            prev,
            input_tokens=prev.input_tokens + f.input_tokens,
            cached_input_tokens=prev.cached_input_tokens + f.cached_input_tokens,
            cache_write_tokens=prev.cache_write_tokens + f.cache_write_tokens,
            output_tokens=prev.output_tokens + f.output_tokens,
            requests=requests,
        )
    return [merged[k] for k in order]


def map_usage(facts: Iterable[UsageFact], rules: Iterable[MappingRule]) -> tuple[list[UsageFact], dict[str, int]]:
    """(facts placed on team/use case by the Mappings rules, unmapped vendor key -> tokens): the same
    rules as cost (`mappings.apply_mappings`); nothing is dropped."""
    table = rules_by_key(rules)
    mapped: list[UsageFact] = []
    unmapped: dict[str, int] = {}
    for fact in facts:
        rule = table.get(normalise_key(fact.vendor_key)) if fact.vendor_key else None
        if rule is not None:
            fact = replace(fact, team=rule.team.strip() or UNALLOCATED, use_case=rule.use_case.strip() or UNALLOCATED)
        if fact.team == UNALLOCATED or fact.use_case == UNALLOCATED:
            key = fact.vendor_key or f"{fact.source}:unkeyed"
            unmapped[key] = unmapped.get(key, 0) + fact.tokens
        mapped.append(fact)
    return mapped, unmapped
