"""Inputs built to land exactly on each threshold, whatever the digits, and one smallest
step either side: the forecast on $10,000 / $50,000 (tier and critical), anomalies at
exactly +20 % on cost and on CPU (awkward unit counts), splits written with different
trailing zeros, and the SLO overrun edges (10 / 20 / 50 %) and band floor.

Edges are constructed with Fractions and converted to Decimal exactly (`dec`), so the
threshold is hit exactly, not approximately."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chalicelib.domain import engine
from chalicelib.domain.anomalies import detect
from chalicelib.domain.facts import DailyUnits
from chalicelib.domain.forecast import at_least, exceeds, month_end_forecast
from chalicelib.domain.money import split
from chalicelib.domain.organisation import Settings, UseCase
from chalicelib.domain.periods import month_last_day
from chalicelib.domain.slo import below_band, below_band_exact, colour_for, exact_overrun, overrun
from chalicelib.domain.tiers import estimated_tier, tier_for

from .builders import D, days, fact, org

S = Settings()
SIX_FIFTHS = Fraction(6, 5)  # 1 + the default anomaly ratio (20 %)


def dec(value: Fraction) -> Decimal:
    """A terminating Fraction as the Decimal it equals, exactly (asserted)."""
    with localcontext() as ctx:
        ctx.prec = 400
        out = Decimal(value.numerator) / Decimal(value.denominator)
    assert Fraction(out) == value, f"{value} does not terminate"
    return out


def frac_median(values: list) -> Fraction:
    v = sorted(values)
    n, mid = len(v), len(v) // 2
    return v[mid] if n % 2 else (v[mid - 1] + v[mid]) / 2


# --- forecast on the tier limits ------------------------------------------------------


@st.composite
def forecast_on(draw, limit: Decimal):
    """Daily costs whose month-end forecast is exactly `limit`: the window (today − 7 …
    today − 1) is drawn freely in awkward units (its cost × days left need not divide by
    7 step by step), the 1st of the month takes up the rest. Returns (costs, today, quantum)."""
    today = draw(st.dates(date(2024, 1, 9), date(2027, 12, 31)).filter(lambda d: d.day >= 9))
    places = draw(st.sampled_from((2, 3, 6)))
    quantum = Decimal(1).scaleb(-places)
    scale = 10**places
    days_left = (month_last_day(today) - today).days + 1
    # Window days are complete days of this month too: W + W x days_left / 7 <= limit / 2.
    per_window_day = int(Fraction(limit) * scale / 2 / (1 + Fraction(days_left, 7)) / 7)
    window = draw(st.lists(st.integers(0, per_window_day), min_size=7, max_size=7))
    while sum(window) * days_left % 7:  # W x days_left / 7 a whole number of quanta
        window[-1] += 1
    others = draw(
        st.lists(st.integers(0, int(Fraction(limit) * scale / 4 / 31)), min_size=today.day - 9, max_size=today.day - 9)
    )  # the 2nd to today − 8
    rest = Fraction(sum(window) * days_left, 7 * scale)
    costs = {}
    for i, q in enumerate(window):
        costs[today - timedelta(days=7 - i)] = Decimal(q).scaleb(-places)
    for i, q in enumerate(others):
        costs[today.replace(day=2) + timedelta(days=i)] = Decimal(q).scaleb(-places)
    first = Fraction(limit) - sum(map(Fraction, costs.values())) - rest
    assert first > 0
    costs[today.replace(day=1)] = dec(first)
    today_cost = draw(st.integers(0, int(rest * scale)))  # today's partial spend: at most the rest
    costs[today] = Decimal(today_cost).scaleb(-places)
    return costs, today, quantum


def nudged(costs: dict, today: date, step: Decimal) -> dict:
    out = dict(costs)
    out[today.replace(day=1)] += step
    return out


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from((S.tier1_limit, S.tier2_limit)).flatmap(lambda limit: st.tuples(st.just(limit), forecast_on(limit)))
)
def test_a_forecast_exactly_on_a_tier_limit_is_in_the_higher_tier_and_one_unit_either_side_is_not(case):
    limit, (costs, today, quantum) = case
    higher, lower = ("T2", "T1") if limit == S.tier1_limit else ("T3", "T2")
    f = month_end_forecast(costs, today, 7)
    assert f.exact == limit and f.forecast == limit  # exact, and shown exactly
    assert f.at_least(limit) and not f.exceeds(limit)
    assert at_least(f, limit) and not exceeds(f, limit)
    assert tier_for(f, S) == tier_for(f.exact, S) == tier_for(f.forecast, S) == higher
    assert estimated_tier(None, f, S) == estimated_tier(limit - quantum, f, S) == higher

    above = month_end_forecast(nudged(costs, today, quantum), today, 7)
    assert above.exceeds(limit) and tier_for(above, S) == higher
    below = month_end_forecast(nudged(costs, today, -quantum), today, 7)
    assert not below.at_least(limit) and tier_for(below, S) == lower
    assert estimated_tier(limit, below, S) == higher  # finance's estimate on the limit wins


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forecast_on(S.tier2_limit), st.booleans())
def test_a_forecast_of_exactly_50000_is_tier_3_but_not_critical_and_one_unit_more_is_critical(case, more):
    costs, today, quantum = case
    if more:
        costs = nudged(costs, today, quantum)
    u = UseCase("claims", "claims-team")  # no target: only the forecast can make it critical
    s = engine.compute(org(u), [fact(d, c) for d, c in costs.items() if c], [], today).status("claims")
    assert s.tier == s.forecast_tier == "T3"
    assert (s.colour == "critical") is more
    assert s.forecast == D(50000) + (quantum if more else 0)


JANUARY_EXAMPLE = {
    date(2025, 1, 1): D("28999.97"),
    date(2025, 1, 11): D("1000.01"),
    **{date(2025, 1, d): D("1000.00") for d in range(12, 18)},
}


def test_the_issue_example_forecast_is_exactly_50000_and_not_critical():
    """1 January $28,999.97, 11 January $1,000.01, 12–17 January $1,000 each, today 18 January:
    $35,999.98 + $7,000.01 × 14 ÷ 7 = $50,000.00 exactly (dividing by 7 first comes out a hair above)."""
    today = date(2025, 1, 18)
    f = month_end_forecast(JANUARY_EXAMPLE, today, 7)
    assert f.exact == 50000 and f.forecast == D("50000") and not f.exceeds(D(50000))
    assert tier_for(f, S) == "T3"
    s = engine.compute(
        org(UseCase("claims", "claims-team")), [fact(d, c) for d, c in JANUARY_EXAMPLE.items()], [], today
    ).status("claims")
    assert s.colour != "critical" and not s.paused and s.tier == "T3"


def test_a_forecast_a_hair_above_50000_beyond_the_decimal_precision_is_critical():
    """$50,000 + 1e-24 × 14 ÷ 7: a 28-digit Decimal rounds it to $50,000; the exact rational exceeds."""
    today = date(2025, 1, 18)
    costs = dict(JANUARY_EXAMPLE)
    costs[date(2025, 1, 17)] += D("1e-24")
    f = month_end_forecast(costs, today, 7)
    assert f.forecast == D(50000)  # as shown (rounded by the context)
    assert f.exceeds(D(50000)) and f.exact > 50000
    s = engine.compute(org(UseCase("claims", "claims-team")), [fact(d, c) for d, c in costs.items()], [], today).status(
        "claims"
    )
    assert s.colour == "critical" and s.paused


def test_a_forecast_that_does_not_terminate_compares_exactly_and_shows_correctly_rounded():
    today = date(2025, 1, 19)  # 13 days left: W x 13 / 7 does not terminate for W = $1.00
    f = month_end_forecast({date(2025, 1, 18): D(1)}, today, 7)
    assert f.exact == 1 + Fraction(13, 7)
    assert f.forecast == Decimal(20) / Decimal(7)  # the context's correctly rounded quotient
    assert f.exceeds(f.forecast) is (f.exact > f.forecast)  # whichever side the rounding fell on


# --- anomalies at exactly +20 % ---------------------------------------------------------


def amounts(places):
    return st.integers(1, 10**6).map(lambda n: Decimal(n).scaleb(-places))


def run_detect(costs: list, units: list, settings: Settings = S) -> list:
    ds = days(date(2025, 1, 6), len(costs))  # a Monday
    cpus = [c / u if u else None for c, u in zip(costs, units, strict=False)]
    return detect("claims", ds, costs, units, cpus, len(costs), settings)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from((0, 2, 3, 6)).flatmap(lambda p: st.lists(amounts(p), min_size=7, max_size=40)))
def test_a_cost_exactly_twenty_percent_above_its_median_is_not_an_anomaly_and_a_hair_more_is(history):
    window = history[-S.anomaly_window_days :]
    edge = dec(frac_median([Fraction(c) for c in window]) * SIX_FIFTHS)
    step = D("1e-9")  # finer than any digit of the history
    for spike, hot in ((edge, False), (edge + step, True), (edge - step, False)):
        costs = history + [spike]
        found = [
            a for a in run_detect(costs, [0] * len(costs)) if a.day == date(2025, 1, 6) + timedelta(days=len(history))
        ]
        assert [a.metric for a in found] == (["cost"] if hot else [])


@st.composite
def cpu_on_edge(draw):
    """28 days of awkward costs and unit counts (CPUs that do not terminate), then a day whose
    CPU is exactly 1.2 x the higher of the window's median and the same weekday's median."""
    places = draw(st.sampled_from((2, 3, 6)))
    n = draw(st.integers(28, 40))
    costs = draw(st.lists(amounts(places), min_size=n, max_size=n))
    units = draw(st.lists(st.integers(S.anomaly_min_units, 5000), min_size=n, max_size=n))
    cpus = [Fraction(c) / u for c, u in zip(costs, units, strict=False)]
    window = cpus[-S.anomaly_window_days :]
    same = [cpus[n - 7 * k] for k in range(1, 5)]
    bar = max(frac_median(window), frac_median(same)) * SIX_FIFTHS
    # Units a multiple of the bar's denominator, so cost = bar x units is a Decimal.
    units_today = bar.denominator * draw(st.integers(1, 3))
    while units_today < S.anomaly_min_units:
        units_today *= 2
    return costs, units, dec(bar * units_today), units_today


@settings(max_examples=200, deadline=None)
@given(cpu_on_edge())
def test_a_cpu_exactly_twenty_percent_above_its_medians_is_not_an_anomaly_and_a_hair_more_is(case):
    costs, units, edge_cost, units_today = case
    day = date(2025, 1, 6) + timedelta(days=len(costs))
    step = D("1e-9")
    for cost, hot in ((edge_cost, False), (edge_cost + step, True), (edge_cost - step, False)):
        found = [a for a in run_detect(costs + [cost], units + [units_today]) if a.day == day and a.metric == "cpu"]
        assert len(found) == (1 if hot else 0)


def test_the_issue_example_cpu_exactly_twenty_percent_above_is_not_an_anomaly():
    """$22.60 on 104 units (CPU 0.21730769…) for four weeks, then $27.12 on 104 units: exactly +20 %."""
    for spike, metrics in (("27.12", []), ("27.13", ["cost", "cpu"])):
        found = run_detect([D("22.60")] * 28 + [D(spike)], [104] * 29)
        assert sorted(a.metric for a in found) == metrics


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 10**5).map(lambda k: 13 * k).filter(lambda n: n >= S.anomaly_min_units))
def test_awkward_unit_counts_do_not_move_the_cpu_edge(n):
    """The issue's CPU ($22.60 ÷ 104 = 0.2173…) on n units a day (a multiple of 13, so the cost
    is a Decimal), four weeks running; today exactly +20 %: not an anomaly."""
    cost = dec(Fraction(n * 2260, 104 * 100))
    history = [cost] * 28
    assert not [a for a in run_detect(history + [dec(Fraction(cost) * SIX_FIFTHS)], [n] * 29) if a.metric == "cpu"]


# --- splits: the unit depends on the value, not on its trailing zeros ----------------


def with_zeros(amount: Decimal, zeros: int) -> Decimal:
    sign, digits, exponent = amount.as_tuple()
    return Decimal((sign, digits + (0,) * zeros, exponent - zeros))


@settings(max_examples=300, deadline=None)
@given(
    total=st.integers(0, 6).flatmap(lambda p: st.integers(-(10**9), 10**9).map(lambda n: Decimal(n).scaleb(-p))),
    zeros=st.integers(1, 6),
    ws=st.lists(st.integers(0, 1000).map(Decimal), min_size=1, max_size=8),
)
def test_a_split_does_not_depend_on_how_many_trailing_zeros_the_amount_is_written_with(total, zeros, ws):
    padded = with_zeros(total, zeros)
    assert padded == total
    plain, long = split(total, ws), split(padded, ws)
    assert plain == long and [str(p) for p in plain] == [str(p) for p in long]
    assert sum(long, Decimal(0)) == total


def test_one_hundred_split_three_ways_is_in_cents_however_it_is_written():
    for written in ("100", "100.0", "100.00", "100.000", "100.000000", "1E+2"):
        assert [str(p) for p in split(D(written), [D(1)] * 3)] == ["33.34", "33.33", "33.33"]
    assert [str(p) for p in split(D("0.0150"), [D(1)] * 3)] == ["0.005", "0.005", "0.005"]


# --- SLO: overrun 10 / 20 / 50 % and the band floor ----------------------------------

targets = st.integers(1, 10**6).map(lambda n: Decimal(n).scaleb(-3))  # $0.001 to $1,000 in mills
unit_counts = st.integers(1, 10**6)
TINY = D("1e-12")  # finer than any digit of the costs below


def cost_at(target: Decimal, share: Fraction, units: int) -> Decimal:
    """The week's cost at CPU = target × share exactly."""
    return dec(Fraction(target) * share * units)


def colours(cost: Decimal, units: int, target: Decimal, prior_cost=None, current_cost=None):
    """colour_for on exact overruns and on the Decimal overrun of the rounded CPU: both given."""

    def pair(c):
        if c is None:
            return None, None
        return exact_overrun(c, units, target), overrun(c / units, target)

    (xl, dl), (xp, dp), (xc, dc) = pair(cost), pair(prior_cost), pair(current_cost)
    return (colour_for(True, xl, xp, xc, False, S), colour_for(True, dl, dp, dc, False, S))


@settings(max_examples=300, deadline=None)
@given(target=targets, units=unit_counts)
def test_exactly_ten_percent_over_is_yellow_and_a_hair_under_is_green(target, units):
    edge = cost_at(target, Fraction(11, 10), units)
    assert colours(edge, units, target) == ("yellow", "yellow")
    assert colours(edge - TINY, units, target) == ("green", "green")


@settings(max_examples=300, deadline=None)
@given(target=targets, units=unit_counts)
def test_exactly_twenty_percent_in_both_weeks_is_red_and_a_hair_under_in_either_is_yellow(target, units):
    edge = cost_at(target, Fraction(6, 5), units)
    assert colours(edge, units, target, prior_cost=edge) == ("red", "red")
    assert colours(edge, units, target, prior_cost=edge - TINY) == ("yellow", "yellow")
    assert colours(edge - TINY, units, target, prior_cost=edge) == ("yellow", "yellow")


@settings(max_examples=300, deadline=None)
@given(target=targets, units=unit_counts)
def test_exactly_fifty_percent_is_critical_in_the_latest_or_current_week(target, units):
    edge = cost_at(target, Fraction(3, 2), units)
    assert colours(edge, units, target) == ("critical", "critical")
    assert colours(edge - TINY, units, target) == ("yellow", "yellow")
    at_target = cost_at(target, Fraction(1), units)
    assert colours(at_target, units, target, current_cost=edge) == ("critical", "critical")
    assert colours(at_target, units, target, current_cost=edge - TINY) == ("green", "green")


@settings(max_examples=300, deadline=None)
@given(target=targets, units=unit_counts, tolerance=st.sampled_from(("0.15", "0.10", "0.125", "0.333", "0.05")))
def test_exactly_at_the_band_floor_is_not_below_band_and_a_hair_under_is(target, units, tolerance):
    tol = D(tolerance)
    floor = cost_at(target, 1 - Fraction(tol), units)
    assert not below_band_exact(floor, units, target, tol) and not below_band(floor / units, target, tol)
    assert below_band_exact(floor - TINY, units, target, tol) and below_band(floor / units - TINY, target, tol)


TODAY = date(2025, 6, 11)  # Wednesday: the current week has two full days
PRIOR, LATEST, CURRENT = date(2025, 5, 26), date(2025, 6, 2), date(2025, 6, 9)


def week(monday: date, cost: Decimal, daily_units: list):
    """A week whose total is `cost`, split over its days in proportion to awkward unit counts."""
    parts = split(cost, [D(n) for n in daily_units])
    ds = days(monday, 7)
    return (
        [fact(d, p) for d, p in zip(ds, parts, strict=False)],
        [DailyUnits("claims", d, n, n) for d, n in zip(ds, daily_units, strict=False)],
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=targets,
    daily=st.lists(st.integers(1, 997), min_size=7, max_size=7),
    edge=st.sampled_from(("yellow", "red", "critical", "floor")),
    hair=st.booleans(),
)
def test_the_engine_puts_each_slo_edge_on_its_documented_side(target, daily, edge, hair):
    """End to end: weekly cost built so the week's CPU is exactly on the edge (daily CPUs are awkward)."""
    units = sum(daily)
    step = -TINY if hair else D(0)
    share = {"yellow": Fraction(11, 10), "red": Fraction(6, 5), "critical": Fraction(3, 2), "floor": Fraction(85, 100)}[
        edge
    ]
    at_edge = cost_at(target, share, units)
    assume(at_edge + step > 0)
    prior = at_edge if edge == "red" else cost_at(target, Fraction(1), units)
    facts, work = [], []
    for monday, cost in ((PRIOR, prior), (LATEST, at_edge + step), (CURRENT, cost_at(target, Fraction(1), units))):
        f, w = week(monday, cost, daily)
        facts += f
        work += w
    # CFO-approved: a large target makes a large forecast, and only the overrun is under test here.
    u = UseCase("claims", "claims-team", unit_of_work="claim", target_cpu=target, cfo_approved=True)
    s = engine.compute(org(u), facts, work, TODAY).status("claims")
    expected = {
        ("yellow", False): "yellow",
        ("yellow", True): "green",
        ("red", False): "red",
        ("red", True): "yellow",
        ("critical", False): "critical",
        ("critical", True): "yellow",
        ("floor", False): "green",
        ("floor", True): "green",
    }[(edge, hair)]
    assert s.colour == expected
    if edge == "floor":
        assert ("investigate" in s.flags) is hair


# --- anomalies do not flood: quiet weekends, weekly rhythm ----------------------------


def weekly_pattern(
    weeks: int,
    weekday_units: int,
    weekend_units: int,
    fixed: Decimal,
    per_unit: Decimal,
    start: date = date(2025, 3, 3),
):
    """Cost = fixed daily cost + per-unit cost; weekends carry few units (CPU far above weekdays)."""
    ds = days(start, 7 * weeks)
    units = [weekend_units if d.weekday() >= 5 else weekday_units + (d.day % 3) for d in ds]
    costs = [fixed + per_unit * n for n in units]
    return ds, costs, units


def anomalies_of(ds, costs, units, settings: Settings = S):
    cpus = [c / u if u else None for c, u in zip(costs, units, strict=False)]
    return detect("claims", ds, costs, units, cpus, len(ds), settings)


def test_a_quiet_weekend_with_three_units_does_not_flood_the_alerts():
    ds, costs, units = weekly_pattern(8, 100, 3, D("20"), D("1.00"))
    # The previous rule (CPU against the 28-day median of every day with units) flagged all
    # 14 weekend days after the first week here.
    assert anomalies_of(ds, costs, units) == []
    no_minimum = Settings(anomaly_min_units=0)  # weekends judged: the same-weekday median holds them
    assert anomalies_of(ds, costs, units, no_minimum) == []


def test_a_weekend_with_enough_units_but_a_higher_cpu_is_judged_against_its_own_weekday():
    ds, costs, units = weekly_pattern(8, 100, 30, D("40"), D("1.00"))  # weekend CPU ≈ 2.33 vs 1.40
    assert [a for a in anomalies_of(ds, costs, units) if a.metric == "cpu"] == []


def test_a_real_spike_is_still_caught_and_ranked_by_the_money_at_stake():
    ds, costs, units = weekly_pattern(8, 100, 3, D("20"), D("1.00"))
    wednesday = next(i for i, d in enumerate(ds) if i > 35 and d.weekday() == 2)
    saturday = next(i for i, d in enumerate(ds) if i > 35 and d.weekday() == 5)
    costs[wednesday] += D(60)  # a retry storm: +50 % for the same work
    costs[saturday] += D(200)  # a weekend with 3 units: its CPU is not judged, its cost is
    found = anomalies_of(ds, costs, units)
    assert sorted((a.day, a.metric) for a in found) == sorted(
        [(ds[wednesday], "cost"), (ds[wednesday], "cpu"), (ds[saturday], "cost")]
    )
    cpu = next(a for a in found if a.metric == "cpu")
    n = units[wednesday]
    assert cpu.units == n and cpu.weekday_median is not None
    assert cpu.significance == (cpu.value - max(cpu.median, cpu.weekday_median)) * n
    assert abs(cpu.significance - 60) < 1  # about the extra $60 on the same work
    cost = next(a for a in found if a.metric == "cost" and a.day == ds[wednesday])
    assert cost.significance == cost.value - cost.median and abs(cost.significance - 60) < 1 and cost.retry_storm
    ranked = sorted(found, key=lambda a: a.significance, reverse=True)
    assert (ranked[0].day, ranked[0].metric) == (ds[saturday], "cost")  # $200 over beats $60 over
    assert "Wednesday median" in cpu.reason


def test_a_day_under_the_minimum_units_is_not_judged_for_cpu_and_one_at_it_is():
    ds, costs, units = weekly_pattern(5, 100, 100, D("0"), D("1.00"))
    last = len(ds) - 1
    for n, judged in ((S.anomaly_min_units - 1, False), (S.anomaly_min_units, True)):
        u = list(units)
        u[last] = n
        c = list(costs)
        c[last] = D(2) * n  # CPU $2 against $1: +100 %
        found = [a for a in anomalies_of(ds, c, u) if a.metric == "cpu" and a.day == ds[last]]
        assert bool(found) is judged


def test_cpu_needs_three_same_weekdays_of_history():
    for weeks, judged in ((3, False), (4, True)):  # 2 then 3 earlier same weekdays
        ds, costs, units = weekly_pattern(weeks, 100, 100, D("0"), D("1.00"))
        costs[-1] = D(3) * units[-1]
        found = [a for a in anomalies_of(ds, costs, units) if a.metric == "cpu" and a.day == ds[-1]]
        assert bool(found) is judged
