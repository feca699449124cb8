"""Agent P&L, board report, maturity, benchmarks, pool allocations, reminders."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from chalicelib.domain import engine
from chalicelib.domain.facts import UNALLOCATED
from chalicelib.domain.money import cents
from chalicelib.domain.organisation import PoolAllocation, Team, UseCase
from chalicelib.domain.pool import PoolCredit

from .builders import D, fact, org, spread, units

MAY, JUNE = date(2025, 5, 1), date(2025, 6, 1)
TODAY = date(2025, 7, 3)  # board report month: June; prior month: May

CLAIMS = UseCase(
    "claims",
    "claims-team",
    name="Claims processor",
    unit_of_work="claim",
    target_cpu=D(5),
    baseline_cpu=D(8),
    ftes_replaced=D("2.5"),
    fte_annual_cost=D(160000),
)
SUPPORT = UseCase(
    "support", "support-team", name="Escalation agent", unit_of_work="ticket escalated", target_cpu=D("0.40")
)
TEAMS = (Team("claims-team", monthly_budget=D(50000)), Team("support-team", monthly_budget=D(1000)))


def scenario(use_cases=(CLAIMS, SUPPORT), teams=TEAMS, extra_facts=(), **kw):
    facts = (
        spread("40000", "claims", MAY, 31)
        + spread("44000", "claims", JUNE, 30)
        + spread("400", "support", JUNE, 30, team="support-team", category="vector_db")
        + list(extra_facts)
    )
    work = units("claims", MAY, 31, 8000) + units("claims", JUNE, 30, 8800) + units("support", JUNE, 30, 1000)
    return engine.compute(org(*use_cases, teams=teams, **kw), facts, work, TODAY)


def test_agent_pnl_row_treats_the_agent_like_an_employee():
    out = scenario()
    row = next(r for r in out.pnl if r.use_case == "claims" and r.month == "2025-06")
    assert row.complete and (row.cost, row.units, row.cpu, row.target_cpu) == (D(44000), 8800, D(5), D(5))
    assert row.cost_by_category["api"] == D(44000) and row.cost_by_category["human_review"] == 0
    assert row.overrun == 0 and row.margin_benefit == D(26400)
    assert cents(row.headcount_offset) == D("33333.33") and cents(row.net) == D("-10666.67")
    assert (row.colour, row.tier, row.pool_credit) == ("green", "T2", D(0))  # on target: nothing saved
    assert row.retirement_trigger == "no decision date"
    support = next(r for r in out.pnl if r.use_case == "support" and r.month == "2025-06")
    assert support.cost_by_category["vector_db"] == D(400) and support.tier == "T1"


def test_board_report_for_last_month_shows_budget_prior_month_agents_margin_and_headcount():
    board = scenario().board
    assert (board.month, board.prior_month) == ("2025-06", "2025-05")
    assert (board.total, board.budget, board.budget_variance) == (D(44400), D(51000), D(-6600))
    assert (board.prior_total, board.change, board.change_share) == (D(40000), D(4400), D("0.11"))
    assert [a.use_case for a in board.agents] == ["claims", "support"]  # biggest spend first
    assert [(a.cpu, a.target_cpu) for a in board.agents] == [(D(5), D(5)), (D("0.4"), D("0.40"))]
    assert board.margin_benefit == D(26400)
    (line,) = board.headcount
    assert line.net_label == "net cost" and cents(line.net) == D("-10666.67")
    assert "under the $51,000.00 budget" in board.summary and "11.0 % up on 2025-05" in board.summary


def test_board_report_lists_the_months_anomalies():
    spike = [fact(date(2025, 6, 20), "5000")]
    board = scenario(extra_facts=spike).board
    assert [(a.day, a.metric) for a in board.anomalies if a.metric == "cost"] == [(date(2025, 6, 20), "cost")]


def test_benchmarks_sit_beside_our_cost_per_ticket():
    out = scenario()
    lines = {(b.use_case, b.benchmark): b for b in out.benchmarks}
    assert set(lines) == {("support", "Klarna"), ("support", "Sierra")}  # claims are not tickets
    klarna = lines[("support", "Klarna")]
    assert (klarna.our_cpu, klarna.benchmark_cpu) == (D("0.4"), D("0.19"))
    assert klarna.ratio == D("0.4") / D("0.19")


def test_maturity_reaches_optimized_when_spend_is_allocated_attributed_governed_and_on_target():
    out = scenario()
    assert out.maturity.month == "2025-06"
    assert (out.maturity.stage, out.maturity.name) == (5, "optimized")


def test_maturity_stops_at_the_first_unmet_stage():
    no_budget = scenario(teams=(Team("claims-team", monthly_budget=D(50000)),))
    assert no_budget.maturity.stage == 3  # support-team spends with no budget: not governed
    assert "support-team" in no_budget.maturity.criteria[3].measure
    unmapped = [fact(date(2025, 6, 3), "5000", UNALLOCATED, UNALLOCATED, vendor_key="openai:project:x")]
    assert scenario(extra_facts=unmapped).maturity.stage == 1  # 10 % unallocated: coverage below 95 %
    assert engine.compute(org(CLAIMS), [], [], TODAY).maturity.stage == 0


def test_pool_allocations_apply_in_order_and_one_larger_than_the_balance_is_refused():
    credits = {"2025-05": (PoolCredit("2025-05", "leads", "T2", D(12), D(11), 1000, D(11000), D(1000)),)}
    allocations = (
        PoolAllocation("early", "T2", D(100), "2025-05"),  # May's credits exist only once May closes
        PoolAllocation("a1", "T2", D(600), "2025-06"),
        PoolAllocation("a2", "T2", D(600), "2025-06"),
        PoolAllocation("a3", "T2", D(400), "2025-06"),
    )
    pool = engine.compute(org(CLAIMS, pool_allocations=allocations), [], [], TODAY, pool_credits=credits).pool
    assert [(r.allocation_id, r.accepted) for r in pool.allocations] == [
        ("early", False),
        ("a1", True),
        ("a2", False),
        ("a3", True),
    ]
    assert pool.balances["T2"] == 0 and [r.allocation_id for r in pool.refused] == ["early", "a2"]
    assert "more than the T2 pool balance" in pool.refused[1].reason


def test_the_pending_month_close_is_offered_for_last_month():
    leads = UseCase("leads", "sales", target_cpu=D(12))
    out = engine.compute(
        org(leads), spread("22000", "leads", JUNE, 30, team="sales"), units("leads", JUNE, 30, 2000), TODAY
    )
    assert out.pool.pending_month == "2025-06"
    assert [(c.use_case, c.amount) for c in out.pool.pending_credits] == [("leads", D(2000))]
    assert out.pool.balances["T2"] == 0  # nothing is credited until the month is closed


def test_an_overdue_decision_sends_a_reminder_and_a_failed_metric_marks_a_retire_candidate():
    exp = replace(
        SUPPORT,
        hypothesis="escalate fewer tickets",
        success_metric="< $0.40 per ticket",
        decision_date=date(2025, 6, 30),
        success_met=False,
        owner_email="owner@example.com",
    )
    out = scenario(use_cases=(CLAIMS, exp))
    (reminder,) = out.reminders
    assert (reminder.use_case, reminder.owner_email, reminder.days_overdue) == ("support", "owner@example.com", 3)
    assert "reminder due" in out.status("support").flags
    row = next(r for r in out.pnl if r.use_case == "support")
    assert "retire candidate" in row.retirement_trigger


def test_approval_is_required_when_the_forecast_outgrows_the_approved_tier():
    july = [fact(date(2025, 7, d), "1000") for d in (1, 2)] + spread("7000", "claims", date(2025, 6, 26), 5)
    o = org(replace(CLAIMS, approved_tier="T1"), teams=TEAMS)
    s = engine.compute(o, july, units("claims", date(2025, 6, 26), 7, 7000), TODAY).status("claims")
    assert s.forecast_tier == "T2" and s.approval_required and "approval required" in s.flags
    o = org(replace(CLAIMS, approved_tier="T2"), teams=TEAMS)
    assert not engine.compute(o, july, [], TODAY).status("claims").approval_required


def test_guardrail_status_has_budget_left_and_the_reason_in_words():
    o = org(replace(CLAIMS, monthly_budget=D(50000)), teams=TEAMS)
    facts = [fact(date(2025, 7, 1), "1200"), fact(date(2025, 7, 2), "800")]
    s = engine.compute(o, facts, units("claims", date(2025, 7, 1), 2, 400), TODAY).status("claims")
    assert s.month_to_date_cost == D(2000) and s.budget_remaining == D(48000)
    assert s.cpu_month == D(5) and s.month_to_date_units == 400
    assert engine.compute(o, facts, [], TODAY).status("nope") is None


def test_an_organisation_with_no_spend_yet_still_gets_every_output():
    out = engine.compute(org(CLAIMS, teams=TEAMS), [], [], TODAY)
    assert out.status("claims").colour is None and out.status("claims").forecast == 0
    assert out.board.total == 0 and out.board.agents == () and out.pnl == () and out.allocation == {}
    assert [t.month_to_date_cost for t in out.teams] == [D(0), D(0)]


def test_facts_and_units_can_be_streamed_once():
    facts = spread("44000", "claims", JUNE, 30)
    work = units("claims", JUNE, 30, 8800)
    streamed = engine.compute(org(CLAIMS, teams=TEAMS), iter(facts), iter(work), TODAY)
    listed = engine.compute(org(CLAIMS, teams=TEAMS), facts, work, TODAY)
    assert streamed.pnl == listed.pnl and streamed.statuses == listed.statuses
