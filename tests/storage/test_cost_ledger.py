"""The cost ledger: a re-pulled day replaces that source's facts; nothing is ever counted twice."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from chalicelib.domain.facts import CostFact


def fact(day, amount, service="gpt-4o", source="openai", key="openai:project:p1", **kw):
    return CostFact(day=day, source=source, category="api", provider="OpenAI", service=service,
                    billed_cost=D(amount), effective_cost=D(amount), vendor_key=key, **kw)


def ledger():
    from chalicelib import stores

    return stores.stores().ledger


def total(month):
    return sum((f.effective_cost for f in ledger().facts_for_month(month)), D(0))


def test_repull_replaces_a_day_and_unchanged_days_cost_no_writes(aws):
    d1, d2 = date(2026, 11, 1), date(2026, 11, 2)
    first = ledger().replace_days("openai", [d1, d2], [fact(d1, "10.01"), fact(d2, "20.02"),
                                                       fact(d2, "0.07", service="embeddings")])
    assert (first.puts, first.deletes) == (3, 0) and total("2026-11") == D("30.10")

    again = ledger().replace_days("openai", [d1, d2], [fact(d1, "10.01"), fact(d2, "20.02"),
                                                       fact(d2, "0.07", service="embeddings")])
    assert (again.puts, again.deletes, again.write_requests) == (0, 0, 0)

    restated = ledger().replace_days("openai", [d2], [fact(d2, "25.00")])  # vendor restated day 2
    assert (restated.puts, restated.deletes) == (1, 1)
    assert total("2026-11") == D("35.01")


def test_empty_pull_of_a_day_clears_it_but_not_other_sources(aws):
    d1 = date(2026, 11, 1)
    ledger().replace_days("openai", [d1], [fact(d1, "5")])
    ledger().replace_days("anthropic", [d1], [fact(d1, "7", source="anthropic", key="anthropic:workspace:w")])
    ledger().replace_days("openai", [d1], [])
    assert [(f.source, f.effective_cost) for f in ledger().facts_for_month("2026-11")] == [("anthropic", D("7"))]


def test_same_identity_twice_is_summed_exactly(aws):
    d1 = date(2026, 11, 1)
    ledger().replace_days("openai", [d1], [fact(d1, "0.1"), fact(d1, "0.2")])
    (stored,) = ledger().facts_for_month("2026-11")
    assert stored.effective_cost == D("0.3")


def test_facts_round_trip_exactly(aws):
    d1 = date(2026, 10, 31)
    original = fact(d1, "1.2345", team="claims", use_case="claims-processing", provenance="page 1")
    ledger().replace_days("openai", [d1], [original])
    assert ledger().facts_between(date(2026, 10, 1), date(2026, 11, 30)) == [original]
