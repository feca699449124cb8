"""Place cost facts on (team, use case) through the sheet's Mappings tab. Pure, no I/O.

Rules:
* a rule matches a fact whose ``vendor_key`` equals the rule's, both read as the
  Mappings tab reads a key (``normalise_key``: control and invisible characters dropped,
  whitespace runs one space, surrounding spaces ignored); when several rules name the
  same key, the last one wins (a later row in the sheet overrides an earlier one);
* a matching rule sets the fact's team and use case, overriding what the source said
  (AWS/FOCUS tags, simple CSV columns);
* with no rule, a fact keeps the team/use case its source gave it;
* whatever is still ``unallocated`` (team or use case) after that is listed in
  ``unmapped_keys``: vendor key -> total effective cost, so finance can map it. Nothing
  is dropped: those facts are returned too, as unallocated.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Iterable

from chalicelib.domain.facts import UNALLOCATED, CostFact
from chalicelib.domain.organisation import MappingRule


def normalise_key(key: str) -> str:
    """A vendor key as the sheet's Mappings tab reads it back (``sheet.cells.key``): runs of
    whitespace (a tab, a newline) one space, no surrounding space, and control or invisible format
    characters (NUL, ESC, a zero-width space) dropped. Both sides of a comparison go through it."""
    if key.isprintable() and "  " not in key and key == key.strip():
        return key  # the usual key: nothing to do
    cleaned = "".join(ch for ch in key if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    return " ".join(cleaned.split())


def rules_by_key(rules: Iterable[MappingRule]) -> dict[str, MappingRule]:
    table: dict[str, MappingRule] = {}
    for rule in rules:
        key = normalise_key(rule.vendor_key or "")
        if key:
            table[key] = rule
    return table


def apply_mappings(
    facts: Iterable[CostFact], rules: Iterable[MappingRule]
) -> tuple[list[CostFact], dict[str, Decimal]]:
    """(facts placed on team/use case, unmapped vendor key -> total effective cost)."""
    table = rules_by_key(rules)
    mapped: list[CostFact] = []
    unmapped: dict[str, Decimal] = {}
    for fact in facts:
        rule = table.get(normalise_key(fact.vendor_key)) if fact.vendor_key else None
        if rule is not None:
            fact = fact.allocated_to(rule.team.strip() or UNALLOCATED, rule.use_case.strip() or UNALLOCATED)
        if fact.team == UNALLOCATED or fact.use_case == UNALLOCATED:
            key = fact.vendor_key or f"{fact.source}:unkeyed"
            unmapped[key] = unmapped.get(key, Decimal(0)) + fact.effective_cost
        mapped.append(fact)
    return mapped, unmapped
