"""Optimization hints: the model mix and per-unit figures exactly, what-ifs against hand-computed
examples, and the ranking (largest lever first, ties stable)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import engine
from chalicelib.domain import optimization as opt
from chalicelib.domain.anomalies import Anomaly
from chalicelib.domain.facts import CATEGORIES
from chalicelib.domain.organisation import Benchmark, MappingRule, Organisation, Team, UseCase
from chalicelib.domain.pnl import pnl_row
from chalicelib.domain.usage import UsageFact

from .builders import spread, units

NOV, TODAY = "2026-11", date(2026, 11, 20)
CLAIMS = UseCase("claims", "claims-team", name="Claims", unit_of_work="claim", target_cpu=D("0.15"))
ORG = Organisation(
    use_cases=(CLAIMS,),
    teams=(Team("claims-team"),),
    mappings=(MappingRule("openai:project:p_claims", "claims-team", "claims"),),
)


def row(u=CLAIMS, *, api="5.75", review="10.00", vector="4.25", n=100, month=NOV, complete=False):
    by = {c: D(0) for c in CATEGORIES}
    by.update(api=D(api), human_review=D(review), vector_db=D(vector))
    cost = sum(by.values(), D(0))
    return pnl_row(u, month, complete, cost, cost, by, n, None, "T1", D(0), TODAY)


def use(
    model,
    inp,
    cached,
    out,
    requests=None,
    provider="OpenAI",
    key="openai:project:p_claims",
    day=TODAY,
    use_case="unallocated",
):
    return UsageFact(
        day,
        provider.lower(),
        provider,
        model,
        key,
        inp,
        cached,
        0,
        out,
        requests,
        use_case=use_case,
        team="claims-team" if use_case != "unallocated" else "unallocated",
    )


GPT4O = use("gpt-4o-2024-08-06", 1_000_000, 200_000, 300_000, requests=500)
STORM = Anomaly("claims", date(2026, 11, 12), "cost", D("3.00"), D("2.00"), True)


def month(usage=(GPT4O,), storms=(STORM,), flagged="over target", **kw):
    return opt.use_case_month(ORG, row(**kw), list(usage), list(storms), flagged)


# --- shares -----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 10**12), st.decimals(0, 10**9, places=6)), min_size=1, max_size=12))
def test_shares_add_up_to_exactly_one_and_each_is_its_exact_share_to_a_hundredth_of_a_percent(weights):
    got = opt.shares(weights)
    total = sum(Fraction(w) for w in weights)
    if total == 0:
        assert got is None
        return
    assert sum(got, D(0)) == 1
    for w, s in zip(weights, got, strict=False):
        assert abs(Fraction(s) - Fraction(w) / total) < Fraction(1, 10**4)
        assert s.as_tuple().exponent == -4 and (w != 0 or s == 0)  # nothing gets a share of nothing


def test_shares_largest_remainder_ties_to_the_earlier_part():
    assert opt.shares([1, 1, 1]) == [D("0.3334"), D("0.3333"), D("0.3333")]
    assert opt.shares([D("5.75"), D("0.45")]) == [D("0.9274"), D("0.0726")]  # .19 vs .80 left over


# --- one use case's month, by hand ------------------------------------------------------------


def test_tokens_cache_requests_review_and_cost_structure_per_unit():
    m = month()
    assert (m.units, m.cost, m.cpu) == (100, D("20.00"), D("0.2"))
    assert m.tokens_per_unit == (D(10000), D(2000), D(3000)) and m.requests_per_unit == D(5)
    assert m.cache_read_share == D(1) / D(6)
    assert m.review_minutes_per_unit == D("0.1")  # $0.10 per claim at $60/h
    assert m.cost_per_unit_by_category["api"] == D("0.0575") and m.cost_per_unit_by_category["other"] == 0
    assert [(x.model, x.priced_as, x.token_share, x.spend_at_list, x.spend_share) for x in m.mix] == [
        ("gpt-4o-2024-08-06", "gpt-4o", D(1), D("5.75"), D(1))
    ]


def test_what_if_the_same_tokens_ran_on_each_other_openai_model():
    # gpt-4o now: 1M x 2.50 + 0.2M x 1.25 + 0.3M x 10 = $5.75 for 100 claims.
    whatifs = {w.model: w for w in month().what_ifs}
    assert set(whatifs) == {"gpt-4o-mini", "ft:gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini"}  # same provider only
    mini = whatifs["gpt-4o-mini"]  # 1M x 0.15 + 0.2M x 0.075 + 0.3M x 0.60 = $0.345
    assert (mini.api_cpu_now, mini.api_cpu_if) == (D("0.0575"), D("0.00345"))
    assert (mini.saving_per_unit, mini.saving_per_month) == (D("0.05405"), D("5.405"))
    assert mini.total_cpu_if == D("0.14595") and mini.meets_target is True  # under the $0.15 target
    assert whatifs["gpt-4.1"].saving_per_month == D("1.25")  # $2 + $0.10 + $2.40 = $4.50
    assert whatifs["gpt-4.1"].total_cpu_if == D("0.1875") and whatifs["gpt-4.1"].meets_target is False
    assert [w.model for w in month().what_ifs] == ["gpt-4o-mini", "ft:gpt-4o-mini", "gpt-4.1-mini", "gpt-4.1"]


def test_levers_ranked_with_their_savings_per_unit_and_for_the_month():
    m = month()
    assert [(h.rank, h.lever, h.per_unit, h.per_month) for h in m.levers] == [
        (1, "model", D("0.05405"), D("5.405")),  # all of it to gpt-4o-mini
        (2, "human_review", D("0.05"), D("5.00")),  # half of $10 of review
        (3, "retries", D("0.01"), D("1.00")),  # $3 on a $2 median day
        (4, "cache", D("0.005"), D("0.500")),  # 0.4M more tokens cached: 0.4M x ($2.50 - $1.25)
    ]
    assert [h.lever for h in m.hints] == ["model", "human_review", "retries"] and m.biggest.lever == "model"
    model = m.biggest
    assert model.title == "Route OpenAI traffic from gpt-4o-2024-08-06 to gpt-4o-mini"
    assert "Routing 93 % of that traffic to gpt-4o-mini brings the cost per claim to its $0.15 target" in model.detail
    review = m.levers[1]
    assert (
        "Human review is 50.0 % of the cost per claim: 0.1 review minutes per claim at $60.00 an hour" in review.detail
    )
    assert "$1.00 this month" in m.levers[2].detail and "2026-11-12" in m.levers[2].detail
    assert "Cache reads are 16.7 % of its input tokens (12,000 input tokens per claim)" in m.levers[3].detail


def test_a_month_with_no_units_has_no_per_unit_figures_and_no_lever():
    m = month(n=0)
    assert m.cpu is None and m.tokens_per_unit is None and m.levers == () and m.cost_per_unit_by_category == {}
    assert m.mix[0].token_share == 1  # the mix needs no units


def test_two_models_and_an_unpriced_one():
    mini = use("gpt-4o-mini", 1_000_000, 0, 500_000, requests=100)
    claude = use("claude-unknown-9", 1_000, 0, 1_000, provider="Anthropic", key="anthropic:workspace:w")
    m = month(usage=(GPT4O, mini, claude))
    shares = {x.model: (x.token_share, x.spend_share) for x in m.mix}
    assert sum(s for s, _ in shares.values()) == 1 and all(sp is None for _, sp in shares.values())
    assert m.unpriced == ("claude-unknown-9",) and m.requests is None  # Anthropic counts no requests
    assert {w.provider for w in m.what_ifs} == {"OpenAI"}  # no what-if where a model has no price
    both = month(usage=(GPT4O, mini))
    spend = {x.model: x.spend_share for x in both.mix}
    assert spend == {"gpt-4o-2024-08-06": D("0.9274"), "gpt-4o-mini": D("0.0726")}  # $5.75 and $0.45
    to_mini = next(w for w in both.what_ifs if w.model == "gpt-4o-mini")
    assert to_mini.current_models == "gpt-4o-2024-08-06, gpt-4o-mini"
    # 2M x 0.15 + 0.2M x 0.075 + 0.8M x 0.60 = $0.795 against $6.20 now.
    assert to_mini.saving_per_month == D("6.20") - D("0.795")


def test_hints_only_for_use_cases_over_target_red_or_top_spenders():
    assert month(flagged="").hints == () and month(flagged="").levers  # levers are kept, not shown as hints
    cheap = replace(CLAIMS, use_case_id="cheap", target_cpu=D(100))
    org = replace(ORG, use_cases=(CLAIMS, cheap), settings=replace(ORG.settings, hint_top_spenders=0))
    rows = [row(), row(cheap, api="1", review="0", vector="0")]
    out = opt.optimize(org, rows, [GPT4O], [STORM], TODAY, colours={"cheap": "green"})
    assert out.current["claims"].flagged == "over target" and out.current["cheap"].flagged == ""
    assert out.hints("cheap") == () and out.biggest("claims").lever == "model"
    red = opt.optimize(org, rows, [], [], TODAY, colours={"cheap": "red"})
    assert red.current["cheap"].flagged == "red now"
    top = opt.optimize(replace(org, settings=ORG.settings), rows, [], [], TODAY)
    assert top.current["cheap"].flagged == "top spender"


def test_the_month_hints_come_from():
    rows = [row(month="2026-10", complete=True), row()]
    early = opt.optimize(ORG, rows, [GPT4O], [], date(2026, 11, 3), months=("2026-10", NOV))
    assert early.current["claims"].month == "2026-10"  # three days of November: October's
    later = opt.optimize(ORG, rows, [GPT4O], [], date(2026, 11, 7), months=("2026-10", NOV))
    assert later.current["claims"].month == NOV and later.current["claims"].input_tokens == 1_000_000
    assert (later.by_month[("claims", "2026-10")].input_tokens, len(later.by_month)) == (0, 2)


def test_usage_is_placed_by_the_mappings_like_cost():
    unmapped = use("gpt-4o", 10, 0, 10, key="openai:project:shadow")
    out = opt.optimize(ORG, [row()], [GPT4O, unmapped], [], TODAY)
    assert out.current["claims"].input_tokens == 1_000_000  # p_claims maps to claims; shadow to nothing


# --- ranking -----------------------------------------------------------------------------------

hint_st = st.builds(
    lambda lever, saving, title: opt.Hint("u", NOV, lever, title, "", saving / 10, saving),
    st.sampled_from(opt.LEVERS),
    st.decimals(-5, 50, places=2),
    st.sampled_from(["a", "b", "c"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(hint_st, max_size=10), st.randoms(use_true_random=False))
def test_ranking_largest_first_ties_in_lever_order_whatever_the_input_order(levers, rnd):
    ranked = opt.rank(levers)
    shuffled = list(levers)
    rnd.shuffle(shuffled)
    assert opt.rank(shuffled) == ranked  # the same, in whatever order the levers came
    assert [h.rank for h in ranked] == list(range(1, len(ranked) + 1))
    assert all(h.per_month > 0 for h in ranked) and len(ranked) == sum(1 for h in levers if h.per_month > 0)
    keys = [(-h.per_month, opt.LEVERS.index(h.lever), h.title) for h in ranked]
    assert keys == sorted(keys)


def test_equal_savings_keep_the_lever_order():
    tie = [opt.Hint("u", NOV, lever, lever, "", D(1), D(10)) for lever in reversed(opt.LEVERS)]
    assert [h.lever for h in opt.rank(tie)] == list(opt.LEVERS)


# --- benchmarks and the engine ------------------------------------------------------------------


def test_use_cases_with_the_same_unit_of_work_side_by_side_with_the_external_references():
    a = UseCase("esc-a", "t1", unit_of_work="ticket escalated", target_cpu=D(1))
    b = UseCase("esc-b", "t2", unit_of_work="Tickets escalated", target_cpu=D(1))
    lone = UseCase("lone", "t3", unit_of_work="contract reviewed")
    org = Organisation(use_cases=(a, b, lone), benchmarks=(Benchmark("Klarna", "ticket", D("0.19")),))
    rows = [
        row(a, api="40", review="0", vector="0"),
        row(b, api="60", review="0", vector="0", n=200),
        row(lone, api="1", review="0", vector="0"),
    ]
    lines = opt.optimize(org, rows, [], [], TODAY).benchmarks
    assert [(x.name, x.cpu, x.vs_best, x.reference) for x in lines] == [
        ("esc-b", D("0.3"), D("0.3") / D("0.19"), False),
        ("esc-a", D("0.4"), D("0.4") / D("0.19"), False),
        ("Klarna", D("0.19"), D(1), True),
    ]  # the lone contract reviewer has no peer nor reference


def test_the_engine_rows_feed_it_and_stage_5_needs_a_decision_from_each_use_case_over_target():
    over = UseCase("over", "t", unit_of_work="claim", target_cpu=D(1))
    fine = UseCase("fine", "t", unit_of_work="claim", target_cpu=D(100))
    org = Organisation(use_cases=(over, fine), teams=(Team("t", monthly_budget=D(10**6)),))
    july = date(2025, 7, 1)
    facts = spread("32.55", "over", july, 31, team="t") + spread("31000", "fine", july, 31, team="t")
    work = units("over", july, 31, 31) + units("fine", july, 31, 3100)
    out = engine.compute(org, facts, work, date(2025, 8, 2))
    assert (
        out.maturity.stage == 4
        and "over target with no optimization decision: over" in out.maturity.criteria[4].measure
    )
    decided = replace(org, use_cases=(replace(over, optimization_decision="moving 60 % to gpt-4o-mini"), fine))
    out = engine.compute(decided, facts, work, date(2025, 8, 2))
    assert out.maturity.stage == 5
    hints = opt.optimize(decided, out.pnl, [], out.anomalies, date(2025, 8, 2))
    assert hints.current["over"].month == "2025-07" and hints.current["over"].flagged == "over target, top spender"
