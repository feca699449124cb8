"""Every worked number in the two seed articles, reproduced through the engine."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import engine
from chalicelib.domain.headcount import headcount_line
from chalicelib.domain.money import cents
from chalicelib.domain.organisation import Settings, UseCase
from chalicelib.domain.slo import band
from chalicelib.domain.tiers import tier_for

from .builders import D, org, spread, units, week_of

JUNE = date(2025, 6, 1)
AFTER_JUNE = date(2025, 7, 5)


def claims(**kw) -> UseCase:
    base = dict(use_case_id="claims", team="claims-team", name="Claims processor", unit_of_work="claim processed")
    base.update(kw)
    return UseCase(**base)


def june_claims(**kw):
    o = org(claims(**kw))
    return engine.compute(o, spread("44000", "claims", JUNE, 30), units("claims", JUNE, 30, 8800), AFTER_JUNE)


def june_row(out, use_case="claims"):
    return next(r for r in out.pnl if r.use_case == use_case and r.month == "2025-06")


def test_claims_processor_costs_five_dollars_a_claim():
    out = june_claims()
    row = june_row(out)
    assert (row.cost, row.units, row.cpu) == (D(44000), 8800, D(5))
    month = out.unit_costs["claims"].months.get(JUNE)
    assert month.cpu == D(5) and month.flags == ()


def test_support_target_forty_cents_plus_minus_fifteen_percent_is_34_to_46_cents():
    assert band(D("0.40"), D("0.15")) == (D("0.34"), D("0.46"))
    o = org(UseCase("support", "support-team", unit_of_work="ticket escalated", target_cpu=D("0.40")))
    status = engine.compute(o, [], [], AFTER_JUNE).status("support")
    assert (status.band_low, status.band_high) == (D("0.34"), D("0.46"))  # default tolerance is 15 %


def test_eight_dollar_manual_baseline_vs_five_dollar_agent_on_8800_claims_is_26400_a_month():
    row = june_row(june_claims(baseline_cpu=D(8)))
    assert row.margin_benefit == D(26400)
    assert june_claims(baseline_cpu=D(8)).board.margin_benefit == D(26400)


def test_lead_scoring_at_11_against_a_12_target_on_2000_leads_puts_2000_in_the_tier2_pool():
    leads = UseCase("leads", "sales", unit_of_work="lead scored", target_cpu=D(12), monthly_budget=D(25000))
    o = org(leads)
    facts = spread("22000", "leads", JUNE, 30, team="sales")
    work = units("leads", JUNE, 30, 2000)
    closed = engine.close_month(o, facts, work, AFTER_JUNE)
    (credit,) = closed["2025-06"]
    assert (credit.actual_cpu, credit.units, credit.amount, credit.tier) == (D(11), 2000, D(2000), "T2")
    pool = engine.compute(o, facts, work, AFTER_JUNE, pool_credits=closed).pool
    assert pool.balances == {"T1": D(0), "T2": D(2000), "T3": D(0)}


def test_two_and_a_half_ftes_costing_400k_a_year_offset_33k_a_month_a_166k_net_cost_against_200k_ai():
    # "2.5 FTEs, which would have cost $400k/year": $160k each.
    u = claims(ftes_replaced=D("2.5"), fte_annual_cost=D(160000))
    line = headcount_line(u, "2025-06", D(200000))
    assert cents(line.monthly_offset) == D("33333.33")
    assert cents(line.net) == D("-166666.67")
    assert line.net_label == "net cost"  # not "savings": the agent costs more than the people it replaced
    out = engine.compute(org(u), spread("200000", "claims", JUNE, 30), units("claims", JUNE, 30, 8800), AFTER_JUNE)
    row = june_row(out)
    assert cents(row.headcount_offset) == D("33333.33") and cents(row.net) == D("-166666.67")
    assert [cents(h.net) for h in out.board.headcount] == [D("-166666.67")]


@pytest.mark.parametrize(
    "monthly_cost, tier", [("9999.99", "T1"), ("10000", "T2"), ("49999.99", "T2"), ("50000", "T3"), ("80000", "T3")]
)
def test_tier_edges_at_10k_and_50k(monthly_cost, tier):
    assert tier_for(D(monthly_cost), Settings()) == tier
    o = org(claims(estimated_monthly_cost=D(monthly_cost)))
    assert engine.compute(o, [], [], AFTER_JUNE).status("claims").tier == tier


# SLO seeds, on a $5.00 target. Today is Wednesday 11 June 2025: the latest complete
# week is 2–8 June, the one before 26 May–1 June; the current week has two full days.
TODAY = date(2025, 6, 11)
PRIOR, LATEST, CURRENT = date(2025, 5, 26), date(2025, 6, 2), date(2025, 6, 9)


def slo_status(prior_cpu, latest_cpu, current_cpu="5", **kw):
    facts, work = [], []
    for monday, cpu in ((PRIOR, prior_cpu), (LATEST, latest_cpu), (CURRENT, current_cpu)):
        f, w = week_of("claims", monday, cpu)
        facts += f
        work += w
    return engine.compute(org(claims(target_cpu=D(5), **kw)), facts, work, TODAY).status("claims")


@pytest.mark.parametrize("latest", ["5.50", "5.75", "5.99"])  # +10 % to just under +20 %
def test_ten_to_twenty_percent_over_is_yellow(latest):
    s = slo_status("5", latest)
    assert s.colour == "yellow" and not s.paused


def test_twenty_percent_over_two_weeks_running_is_red():
    s = slo_status("6", "6.10")
    assert s.colour == "red" and not s.paused
    assert "two complete weeks running" in s.reason


def test_twenty_percent_over_in_only_the_latest_week_is_yellow():
    assert slo_status("5", "6.50").colour == "yellow"


def test_fifty_percent_over_is_critical_and_pauses_the_agent():
    s = slo_status("5", "7.50")
    assert (s.colour, s.paused) == ("critical", True)


def test_a_forecast_past_50k_without_cfo_approval_is_critical():
    # $2,000 a day: 10 complete June days ($20k) + $2k x 20 days left = $60k.
    facts = spread("20000", "claims", JUNE, 10) + spread("2000", "claims", TODAY, 1)
    work = units("claims", JUNE, 11, 110000)
    s = engine.compute(org(claims()), facts, work, TODAY).status("claims")
    assert s.forecast == D(60000)
    assert (s.colour, s.paused) == ("critical", True)
    assert "without CFO approval" in s.reason
    approved = engine.compute(org(claims(cfo_approved=True)), facts, work, TODAY).status("claims")
    assert approved.colour is None and not approved.paused  # no target, approved spend: no colour
