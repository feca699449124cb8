"""Where every dollar went: teams, use cases, the iceberg, shared splits, unallocated, coverage."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import engine
from chalicelib.domain.facts import SHARED_TEAM, UNALLOCATED
from chalicelib.domain.organisation import MappingRule, SharedCostRule, Team, UseCase

from .builders import D, fact, org, units

DAY = date(2025, 6, 2)
TODAY = date(2025, 6, 20)


def two_agents(**kw):
    return org(UseCase("claims", "claims-team"), UseCase("support", "support-team"), **kw)


def june(o, facts, work=()):
    return engine.compute(o, facts, list(work), TODAY).allocation["2025-06"]


def test_cost_is_cut_by_team_use_case_iceberg_category_provider_and_service():
    facts = [
        fact(DAY, "400", "claims", "claims-team", category="api", provider="OpenAI", service="gpt-4o"),
        fact(DAY, "250", "claims", "claims-team", category="vector_db", provider="Pinecone", service="index"),
        fact(DAY, "350", "support", "support-team", category="human_review", provider="Staff", service="review"),
    ]
    m = june(two_agents(), facts)
    assert m.total == D(1000)
    assert m.by_team == {"claims-team": D(650), "support-team": D(350)}
    assert m.by_use_case == {"claims": D(650), "support": D(350)}
    assert m.by_category["api"] == D(400) and m.by_category["vector_db"] == D(250)
    assert m.by_category["self_hosted"] == D(0)  # every iceberg layer is shown, even when empty
    assert m.by_provider == {"OpenAI": D(400), "Pinecone": D(250), "Staff": D(350)}
    assert m.by_service[("Pinecone", "index")] == D(250)
    assert (m.coverage, m.coverage_met) == (D(1), True)


def test_billed_and_effective_cost_are_both_carried_and_allocation_uses_effective():
    m = june(two_agents(), [fact(DAY, "90", "claims", "claims-team", billed="100")])
    assert (m.total, m.billed_total) == (D(90), D(100))
    assert m.by_use_case["claims"] == D(90) and m.billed_by_use_case["claims"] == D(100)


def test_the_configured_team_owns_a_use_case_even_if_a_fact_says_otherwise():
    m = june(two_agents(), [fact(DAY, "10", "claims", "someone-else")])
    assert m.by_team == {"claims-team": D(10)}


def test_unmapped_spend_is_kept_shown_and_listed_by_vendor_key():
    facts = [
        fact(DAY, "30", UNALLOCATED, UNALLOCATED, vendor_key="anthropic:workspace:w9"),
        fact(DAY, "70", "claims", "claims-team"),
    ]
    m = june(two_agents(), facts)
    assert (m.total, m.allocated, m.unallocated, m.coverage) == (D(100), D(70), D(30), D("0.7"))
    assert m.coverage_met is False
    assert m.by_use_case[UNALLOCATED] == D(30) and m.by_team[UNALLOCATED] == D(30)
    (item,) = m.unallocated_items
    assert (item.reason, item.key, item.amount) == ("unmapped vendor key", "anthropic:workspace:w9", D(30))


def test_a_mapping_in_the_sheet_allocates_previously_unmapped_spend_without_a_re_pull():
    facts = [fact(DAY, "30", UNALLOCATED, UNALLOCATED, vendor_key="anthropic:workspace:w9")]
    o = two_agents(mappings=(MappingRule("anthropic:workspace:w9", "support-team", "support"),))
    m = june(o, facts)
    assert m.by_use_case == {"support": D(30)} and m.unallocated == 0


def test_unknown_use_cases_and_shared_cost_without_a_rule_stay_unallocated_with_a_reason():
    facts = [fact(DAY, "5", "ghost", "claims-team"), fact(DAY, "7", "orphan", SHARED_TEAM)]
    m = june(two_agents(), facts)
    assert m.by_team == {"claims-team": D(5), UNALLOCATED: D(7)}  # a known team keeps its spend
    assert {(i.reason, i.key) for i in m.unallocated_items} == {
        ("unknown use case", "ghost"),
        ("shared cost with no split rule", "orphan"),
    }


@pytest.mark.parametrize(
    "rule, percents, expected",
    [
        ("even", (), {"claims": D("33.34"), "support": D("33.33"), "triage": D("33.33")}),
        ("units", (), {"claims": D("50"), "support": D("30"), "triage": D("20")}),
        ("direct_spend", (), {"claims": D("80"), "support": D("20"), "triage": D("0")}),
        ("percent", (D(70), D(20), D(10)), {"claims": D("70"), "support": D("20"), "triage": D("10")}),
    ],
)
def test_shared_cost_is_split_exactly_by_each_rule(rule, percents, expected):
    o = org(
        UseCase("claims", "claims-team"),
        UseCase("support", "support-team"),
        UseCase("triage", "support-team"),
        shared_rules=(SharedCostRule("platform", rule, ("claims", "support", "triage"), percents),),
    )
    facts = [
        fact(DAY, "100", "platform", SHARED_TEAM, category="self_hosted"),
        fact(DAY, "400", "claims", "claims-team"),
        fact(DAY, "100", "support", "support-team"),
    ]
    work = units("claims", DAY, 1, 500) + units("support", DAY, 1, 300) + units("triage", DAY, 1, 200)
    m = june(o, facts, work)
    got = {s.target: s.amount for s in m.shared_splits}
    assert got == expected
    direct = {"claims": D(400), "support": D(100), "triage": D(0)}
    assert {k: m.by_use_case.get(k, 0) for k in direct} == {k: direct[k] + expected[k] for k in direct}
    assert m.by_category["self_hosted"] == D(100)  # a split keeps its iceberg category
    assert sum(m.by_use_case.values()) == m.total == D(600)


def test_a_split_with_no_units_falls_back_to_even_and_says_so():
    o = org(
        UseCase("claims", "claims-team"),
        UseCase("support", "support-team"),
        shared_rules=(SharedCostRule("platform", "units", ("claims", "support")),),
    )
    out = engine.compute(o, [fact(DAY, "1", "platform", SHARED_TEAM)], [], TODAY)
    assert {s.target: s.amount for s in out.allocation["2025-06"].shared_splits} == {
        "claims": D("0.50"),
        "support": D("0.50"),
    }
    assert any("split evenly" in w for w in out.warnings)


def test_a_split_target_that_is_not_a_use_case_leaves_its_share_unallocated():
    o = org(
        UseCase("claims", "claims-team"), shared_rules=(SharedCostRule("platform", "even", ("claims", "retired-bot")),)
    )
    m = june(o, [fact(DAY, "10", "platform", SHARED_TEAM)])
    assert m.by_use_case == {"claims": D(5), UNALLOCATED: D(5)}
    assert [(i.reason, i.key) for i in m.unallocated_items] == [("split target is not a known use case", "retired-bot")]


def test_shared_cost_lands_in_the_targets_daily_cost_per_unit():
    o = org(
        UseCase("claims", "claims-team"),
        UseCase("support", "support-team"),
        shared_rules=(SharedCostRule("platform", "even", ("claims", "support")),),
    )
    facts = [fact(DAY, "100", "claims", "claims-team"), fact(DAY, "50", "platform", SHARED_TEAM)]
    out = engine.compute(o, facts, units("claims", DAY, 1, 10), TODAY)
    assert out.unit_costs["claims"].days.get(DAY).cpu == D("12.5")  # (100 + 25) / 10


def test_spend_in_another_currency_is_rejected_with_a_clear_message():
    out = engine.compute(two_agents(), [fact(DAY, "10", "claims", "claims-team", currency="EUR")], [], TODAY)
    (rejected,) = out.rejected
    assert rejected.amount == D(10) and "EUR" in rejected.reason and "USD" in rejected.reason
    assert "2025-06" not in out.allocation


def test_reconciliation_against_finance_expected_total_flags_a_gap_beyond_twenty_percent():
    o = two_agents(expected_totals={"2025-06": D(1000), "2025-05": D(500)})
    out = engine.compute(o, [fact(DAY, "700", "claims", "claims-team")], [], TODAY)
    june_rec = out.allocation["2025-06"].reconciliation
    assert june_rec.flagged and june_rec.difference == D(-300) and june_rec.difference_share == D("-0.3")
    may = out.allocation["2025-05"]  # expected but no spend at all: the whole gap is flagged
    assert may.total == 0 and may.reconciliation.flagged


def test_team_budget_compares_month_to_date_and_forecast_including_spend_on_no_use_case():
    o = org(UseCase("claims", "claims-team"), teams=(Team("claims-team", monthly_budget=D(3000)),))
    # 1–19 June complete at $100/day; today (20th) $40 so far; a further $10/day the team posted with no use case.
    facts = [fact(date(2025, 6, d), "100", "claims", "claims-team") for d in range(1, 20)]
    facts += [fact(date(2025, 6, 20), "40", "claims", "claims-team")]
    facts += [fact(date(2025, 6, d), "10", "ghost", "claims-team") for d in range(1, 20)]
    (team,) = engine.compute(o, facts, [], TODAY).teams
    assert team.month_to_date_cost == D(1900 + 40 + 190)
    assert team.forecast == D(1900) + D(100) * 11 + D(190) + D(10) * 11  # 11 days left including today
    assert team.remaining == D(3000) - team.month_to_date_cost
    assert team.forecast_over_budget is True


def test_a_day_with_only_shared_cost_is_still_in_the_targets_series():
    o = org(UseCase("claims", "claims-team"), shared_rules=(SharedCostRule("platform", "even", ("claims",)),))
    early = date(2025, 5, 30)
    out = engine.compute(
        o, [fact(early, "9", "platform", SHARED_TEAM), fact(DAY, "1", "claims", "claims-team")], [], TODAY
    )
    assert out.unit_costs["claims"].days.get(early).cost == D(9)
    assert out.status("claims").month_to_date_cost == D(1)
