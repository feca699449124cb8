"""Properties: spreads and merges never create or lose a fraction of a cent (the split itself: tests/domain)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.connectors import focus_csv, simple_csv
from chalicelib.connectors.common import merge_facts
from chalicelib.domain.facts import CostFact

amounts = st.decimals(min_value=D("-100000"), max_value=D("100000"), places=6, allow_nan=False, allow_infinity=False)


@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["a", "b"]), amounts), max_size=30))
def test_merge_keeps_the_total_per_identity(rows):
    facts = [
        CostFact(date(2026, 11, 1) + timedelta(days=d), "csv", "other", "P", key, a, a, vendor_key=key)
        for d, key, a in rows
    ]
    merged = merge_facts(facts)
    assert len({(f.day, f.identity) for f in merged}) == len(merged)
    totals = defaultdict(D)
    for f in facts:
        totals[(f.day, f.identity)] += f.billed_cost
    assert {(f.day, f.identity): f.billed_cost for f in merged} == dict(totals)


focus_rows = st.lists(
    st.tuples(
        st.sampled_from(["OpenAI", "Anthropic", "AWS"]),
        st.sampled_from(["API", "Bedrock", "Vector Search"]),
        st.integers(0, 24 * 40),  # start hour
        st.sampled_from([1, 24, 24 * 31]),  # hourly, daily, monthly
        amounts,
        amounts,
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60)
@given(focus_rows)
def test_focus_sums_by_provider_and_service_are_exact(rows):
    header = "ProviderName,ServiceName,ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency\n"
    start = date(2025, 1, 1)
    lines, billed, effective = [], defaultdict(D), defaultdict(D)
    for provider, service, hour, length, b, e in rows:
        from datetime import datetime, timezone

        t0 = datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(hours=hour)
        t1 = t0 + timedelta(hours=length)
        lines.append(f"{provider},{service},{t0:%Y-%m-%d %H:%M:%S},{t1:%Y-%m-%dT%H:%M:%SZ},{b},{e},USD\n")
        billed[(provider, service)] += b
        effective[(provider, service)] += e
    facts = focus_csv.parse(header + "".join(lines))
    got_b, got_e = defaultdict(D), defaultdict(D)
    for f in facts:
        got_b[(f.provider, f.service)] += f.billed_cost
        got_e[(f.provider, f.service)] += f.effective_cost
        assert f.day >= start
    assert got_b == billed and got_e == effective


@given(st.lists(amounts, min_size=1, max_size=20))
def test_simple_csv_total_is_exact(values):
    text = "date,source,category,team,use_case,amount\n" + "".join(
        f"2026-11-0{1 + i % 3},Vendor,other,t,u,{v}\n" for i, v in enumerate(values)
    )
    assert sum(f.billed_cost for f in simple_csv.parse(text)) == sum(values, D(0))
