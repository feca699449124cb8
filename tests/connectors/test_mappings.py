"""Mappings: vendor keys -> (team, use case); unmapped spend kept and listed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from chalicelib.domain.facts import CostFact
from chalicelib.domain.mappings import apply_mappings
from chalicelib.domain.organisation import MappingRule
from local import demo_billing

DAY = date(2026, 11, 2)


def fact(key, amount, source="openai", team="unallocated", use_case="unallocated", effective=None):
    return CostFact(
        DAY, source, "api", "X", "svc", D(amount), D(effective or amount), vendor_key=key, team=team, use_case=use_case
    )


def test_rules_place_facts_and_unmapped_keys_are_totalled():
    facts = [
        fact("openai:project:proj_claims", "10.5"),
        fact("openai:project:proj_shadow_marketing", "1.25"),
        fact("openai:project:proj_shadow_marketing", "2.25", effective="2.00"),
        fact("aws:tag:team=operations,use-case=contract-review", "7", "aws", "operations", "contract-review"),
        fact("aws:tag:team=,use-case=", "3", "aws"),
    ]
    mapped, unmapped = apply_mappings(facts, [MappingRule("openai:project:proj_claims", "claims", "claims-processing")])
    assert len(mapped) == len(facts)  # nothing dropped
    assert (mapped[0].team, mapped[0].use_case) == ("claims", "claims-processing")
    assert (mapped[3].team, mapped[3].use_case) == ("operations", "contract-review")  # tags kept
    assert unmapped == {"openai:project:proj_shadow_marketing": D("3.25"), "aws:tag:team=,use-case=": D("3")}
    assert sum(f.billed_cost for f in mapped) == sum(f.billed_cost for f in facts)


def test_a_rule_overrides_source_tags_and_the_last_rule_wins():
    tagged = fact("aws:tag:team=ops,use-case=old", "5", "aws", "ops", "old")
    rules = [
        MappingRule("aws:tag:team=ops,use-case=old", "operations", "first"),
        MappingRule(" aws:tag:team=ops,use-case=old ", "operations", "contract-review"),
    ]
    [mapped], unmapped = apply_mappings([tagged], rules)
    assert (mapped.team, mapped.use_case, unmapped) == ("operations", "contract-review", {})


def test_partially_tagged_fact_is_listed_until_mapped():
    half = fact("focus:team=claims,use-case=", "4", "focus", "claims")
    [mapped], unmapped = apply_mappings([half], [])
    assert mapped.team == "claims" and mapped.use_case == "unallocated"
    assert unmapped == {"focus:team=claims,use-case=": D("4")}


def test_a_rule_to_unallocated_keeps_it_listed_and_keyless_facts_are_named():
    [mapped], unmapped = apply_mappings([fact("k", "1")], [MappingRule("k", "sales", "")])
    assert (mapped.team, mapped.use_case) == ("sales", "unallocated") and unmapped == {"k": D("1")}
    _, unmapped = apply_mappings([fact("", "2", "csv")], [])
    assert unmapped == {"csv:unkeyed": D("2")}


def test_demo_mappings_leave_only_the_shadow_spend_unallocated():
    facts = [fact(k, v) for k, v in demo_billing.expected_daily_spend(DAY).items()]
    facts = [
        f if not f.vendor_key.startswith(("aws:", "csv:")) else fact(f.vendor_key, f.billed_cost, "csv", "t", "u")
        for f in facts
    ]
    _, unmapped = apply_mappings(facts, demo_billing.DEMO_MAPPINGS)
    assert set(unmapped) == set(demo_billing.UNMAPPED_VENDOR_KEYS)


def test_demo_mappings_agree_with_the_demo_organisation():
    from local.demo_org import MAPPINGS

    assert set(MAPPINGS) == set(demo_billing.DEMO_MAPPINGS)
