"""Properties that must hold for any input: exact splits, monotone colour, pool never negative,
idempotent month close."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import engine
from chalicelib.domain.allocation import build_ledger, month_allocations
from chalicelib.domain.facts import CATEGORIES, SHARED_TEAM, UNALLOCATED, CostFact, DailyUnits
from chalicelib.domain.money import split
from chalicelib.domain.organisation import Organisation, PoolAllocation, Settings, SharedCostRule, UseCase
from chalicelib.domain.pool import PoolCredit, close_month, pool_state
from chalicelib.domain.slo import colour_for, colour_rank, evaluate

D = Decimal
ZERO = D(0)


def decimals(low, high, places):
    return st.decimals(min_value=D(low), max_value=D(high), places=places, allow_nan=False, allow_infinity=False)


amounts = st.integers(0, 6).flatmap(lambda p: decimals("-10000000", "10000000", p))
weights = st.lists(st.integers(0, 4).flatmap(lambda p: decimals("0", "1000000", p)), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(total=amounts, ws=weights)
def test_any_split_adds_up_to_the_whole_and_each_part_is_within_a_cent_of_its_share(total, ws):
    parts = split(total, ws)
    assert len(parts) == len(ws)
    assert sum(parts, ZERO) == total
    # The unit is the value's own smallest one (trailing zeros ignored), at least a cent.
    unit_exponent = min(total.normalize().as_tuple().exponent if total else 0, -2)
    quantum = D(1).scaleb(unit_exponent)
    clean = ws if any(w > 0 for w in ws) else [D(1)] * len(ws)
    whole = sum(clean, ZERO)
    for part, w in zip(parts, clean, strict=False):
        exact = total * w / whole
        assert abs(part - exact) < quantum + D("1e-20")
        assert part.as_tuple().exponent == unit_exponent
        assert (part >= 0) if total >= 0 else (part <= 0)


TARGETS = ("a", "b", "c")
rules = st.sampled_from(("even", "units", "direct_spend", "percent"))
money = st.integers(0, 4).flatmap(lambda p: decimals("-50", "5000", p))
day_offsets = st.integers(0, 45)
fact_kinds = st.sampled_from(("direct", "shared", "unmapped", "unknown", "shared-no-rule"))


@st.composite
def scenarios(draw):
    rule = draw(rules)
    percents = tuple(D(p) for p in draw(st.lists(st.integers(0, 100), min_size=3, max_size=3)))
    start = date(2025, 1, 20)
    facts = []
    for kind, offset, amount, billed, category in draw(
        st.lists(st.tuples(fact_kinds, day_offsets, money, money, st.sampled_from(CATEGORIES)), max_size=40)
    ):
        day = start + timedelta(days=offset)
        team, use_case = {
            "direct": ("team-" + TARGETS[offset % 3], TARGETS[offset % 3]),
            "shared": (SHARED_TEAM, "platform"),
            "unmapped": (UNALLOCATED, UNALLOCATED),
            "unknown": ("team-a", "ghost"),
            "shared-no-rule": (SHARED_TEAM, "orphan"),
        }[kind]
        facts.append(
            CostFact(
                day,
                "csv",
                category,
                "P",
                "S",
                billed,
                amount,
                vendor_key=f"k{offset % 4}",
                team=team,
                use_case=use_case,
            )
        )
    work = [
        DailyUnits(t, start + timedelta(days=o), n, n)
        for t, o, n in draw(
            st.lists(st.tuples(st.sampled_from(TARGETS), day_offsets, st.integers(0, 500)), max_size=20)
        )
    ]
    org = Organisation(
        use_cases=tuple(UseCase(t, "team-" + t) for t in TARGETS),
        shared_rules=(SharedCostRule("platform", rule, TARGETS, percents),),
    )
    return org, facts, work


@settings(max_examples=120, deadline=None)
@given(scenario=scenarios())
def test_every_cut_of_a_month_adds_up_to_its_total_whatever_the_split_rule(scenario):
    org, facts, work = scenario
    months = month_allocations(org, build_ledger(org, facts, work))
    assert sum((m.total for m in months.values()), ZERO) == sum((f.effective_cost for f in facts), ZERO)
    assert sum((m.billed_total for m in months.values()), ZERO) == sum((f.billed_cost for f in facts), ZERO)
    for m in months.values():
        for cut in (m.by_team, m.by_use_case, m.by_category, m.by_provider, m.by_service):
            assert sum(cut.values(), ZERO) == m.total
        for cut in (m.billed_by_team, m.billed_by_use_case, m.billed_by_category):
            assert sum(cut.values(), ZERO) == m.billed_total
        assert m.allocated + m.unallocated == m.total
        shared = sum(
            (f.effective_cost for f in facts if f.use_case == "platform" and f.day.strftime("%Y-%m") == m.month), ZERO
        )
        assert sum((s.amount for s in m.shared_splits), ZERO) == shared
        listed = sum((i.amount for i in m.unallocated_items), ZERO)
        assert listed == m.unallocated


overruns = st.one_of(st.none(), decimals("-1", "2", 3))


@settings(max_examples=400, deadline=None)
@given(
    latest=overruns,
    prior=overruns,
    current=overruns,
    breach=st.booleans(),
    has_target=st.booleans(),
    which=st.sampled_from(("latest", "prior", "current", "breach")),
    bump=decimals("0", "2", 3),
)
def test_colour_never_improves_as_an_overrun_grows(latest, prior, current, breach, has_target, which, bump):
    s = Settings()
    before = dict(latest=latest, prior=prior, current=current, breach=breach)
    after = dict(before)
    if which == "breach":
        after["breach"] = True
    elif after[which] is not None:
        after[which] += bump
    c0 = colour_for(has_target, before["latest"], before["prior"], before["current"], before["breach"], s)
    c1 = colour_for(has_target, after["latest"], after["prior"], after["current"], after["breach"], s)
    assert colour_rank(c1) >= colour_rank(c0)


@settings(max_examples=150, deadline=None)
@given(
    cpus=st.lists(decimals("0.01", "20", 2), min_size=3, max_size=3),
    week=st.integers(0, 2),
    bump=decimals("0", "10", 2),
)
def test_colour_from_weekly_costs_never_improves_as_one_week_costs_more(cpus, week, bump):
    today = date(2025, 6, 11)
    mondays = (date(2025, 5, 26), date(2025, 6, 2), date(2025, 6, 9))
    u = UseCase("x", "t", target_cpu=D(5))

    def colour(costs):
        weeks = {m: [c * 100, 100] for m, c in zip(mondays, costs, strict=False)}
        return evaluate(u, Settings(), weeks, today, ZERO).colour

    raised = list(cpus)
    raised[week] += bump
    assert colour_rank(colour(raised)) >= colour_rank(colour(cpus))


tiers = st.sampled_from(("T1", "T2", "T3"))
months = st.sampled_from(("2025-01", "2025-02", "2025-03", "2025-04"))


@st.composite
def pools(draw):
    credits = {}
    for month, tier, amount in draw(st.lists(st.tuples(months, tiers, decimals("0.01", "5000", 2)), max_size=12)):
        credits.setdefault(month, []).append(PoolCredit(month, "u", tier, D(1), D(0), 1, ZERO, amount))
    allocations = tuple(
        PoolAllocation(f"a{i}", tier, amount, month)
        for i, (month, tier, amount) in enumerate(
            draw(
                st.lists(
                    st.tuples(months, st.sampled_from(("T1", "T2", "T3", "T9")), decimals("-100", "8000", 2)),
                    max_size=12,
                )
            )
        )
    )
    return credits, allocations


@settings(max_examples=300, deadline=None)
@given(pool=pools())
def test_pool_balance_never_goes_negative_and_refused_allocations_are_flagged(pool):
    credits, allocations = pool
    state = pool_state(Organisation(pool_allocations=allocations), credits)
    assert all(b >= 0 for b in state.balances.values())
    for tier in ("T1", "T2", "T3"):
        assert state.balances[tier] == state.credited[tier] - state.allocated[tier]
    for r in state.allocations:
        if r.accepted:
            assert r.amount > 0 and r.balance_after >= 0
        else:
            assert r.reason.startswith("refused") and r in state.refused
    assert len(state.allocations) == len(allocations)


@settings(max_examples=200, deadline=None)
@given(credit=decimals("0.01", "1000", 2), asked=st.integers(0, 4).flatmap(lambda p: decimals("0.0001", "1000", p)))
def test_the_pool_tab_foots_as_shown_whatever_finance_types(credit, asked):
    """Credited − Allocated = Balance to the cent as the tab shows them: an allocation finer than a
    cent ($100.005 of a $100.01 credit) is refused, never booked as a fraction the cells round away."""
    from chalicelib.domain.money import cents

    org = Organisation(pool_allocations=(PoolAllocation("a1", "T2", asked, "2026-11", "u1"),))
    state = pool_state(org, {"2026-10": (PoolCredit("2026-10", "u0", "T2", D(1), D(0), 1, ZERO, credit),)})
    (row,) = state.allocations
    assert cents(state.credited["T2"]) - cents(state.allocated["T2"]) == cents(state.balances["T2"])
    assert row.accepted == (asked == cents(asked) and asked <= credit)
    if asked != cents(asked):
        assert "finer than a cent" in row.reason


@settings(max_examples=200, deadline=None)
@given(
    pool=pools(),
    month=months,
    amounts=st.lists(decimals("0.01", "5000", 2), max_size=5),
    other=st.lists(decimals("0.01", "5000", 2), max_size=5),
)
def test_closing_a_month_twice_equals_closing_it_once(pool, month, amounts, other):
    stored, allocations = pool
    org = Organisation(pool_allocations=allocations)
    credits = [PoolCredit(month, f"u{i}", "T2", D(1), D(0), 1, ZERO, a) for i, a in enumerate(amounts)]
    once = close_month(stored, month, credits)
    twice = close_month(once, month, credits)
    assert twice == once
    assert pool_state(org, twice) == pool_state(org, once)
    # Closing again with restated figures replaces the month's credits, never adds to them.
    restated = [PoolCredit(month, f"u{i}", "T2", D(1), D(0), 1, ZERO, a) for i, a in enumerate(other)]
    assert close_month(once, month, restated) == close_month(stored, month, restated)


def test_closing_a_month_through_the_engine_twice_equals_once():
    start = date(2025, 5, 1)
    u = UseCase("leads", "sales", target_cpu=D(12))
    facts = [
        CostFact(start + timedelta(days=i), "csv", "api", "P", "S", D(700), D(700), team="sales", use_case="leads")
        for i in range(31)
    ]
    work = [DailyUnits("leads", start + timedelta(days=i), 64, 64) for i in range(31)]
    org = Organisation(use_cases=(u,))
    once = engine.close_month(org, facts, work, date(2025, 6, 3))
    assert engine.close_month(org, facts, work, date(2025, 6, 3), pool_credits=once) == once
    (credit,) = once["2025-05"]
    assert credit.amount == D(12) * 64 * 31 - D(700) * 31
