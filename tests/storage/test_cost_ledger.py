"""The cost ledger: a re-pulled day replaces that source's facts; nothing is ever counted twice."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.facts import UNALLOCATED
from tests.domain import builders


def fact(
    day,
    amount,
    service="gpt-4o",
    source="openai",
    key="openai:project:p1",
    team=UNALLOCATED,
    use_case=UNALLOCATED,
    **kw,
):
    return builders.fact(day, amount, use_case, team, service=service, source=source, vendor_key=key, **kw)


def ledger():
    from chalicelib import stores

    return stores.stores().ledger


def total(month):
    return sum((f.effective_cost for f in ledger().facts_for_month(month)), D(0))


def test_repull_replaces_a_day_and_unchanged_days_cost_no_writes(aws):
    d1, d2 = date(2026, 11, 1), date(2026, 11, 2)
    first = ledger().replace_days(
        "openai", [d1, d2], [fact(d1, "10.01"), fact(d2, "20.02"), fact(d2, "0.07", service="embeddings")]
    )
    assert (first.puts, first.deletes) == (3, 0) and total("2026-11") == D("30.10")

    again = ledger().replace_days(
        "openai", [d1, d2], [fact(d1, "10.01"), fact(d2, "20.02"), fact(d2, "0.07", service="embeddings")]
    )
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


# --- only answered days are replaced; changed amounts are returned as DayChange --------------
def test_a_day_not_named_keeps_its_facts(aws):
    d1, d2 = date(2026, 11, 1), date(2026, 11, 2)
    ledger().replace_days("openai", [d1, d2], [fact(d1, "10"), fact(d2, "20")])
    written = ledger().replace_days("openai", [d1], [fact(d1, "11")])  # the source answered for day 1 only
    assert (written.puts, written.deletes) == (1, 0)
    assert sorted((f.day, f.effective_cost) for f in ledger().facts_for_month("2026-11")) == [
        (d1, D("11")),
        (d2, D("20")),
    ]
    assert ledger().replace_days("openai", [], []).write_requests == 0


def test_changed_amounts_are_returned_with_old_and_new_totals(aws):
    from chalicelib.storage.cost_ledger import DayChange

    d1, d2, d3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)
    first = ledger().replace_days(
        "openai", [d1, d2], [fact(d1, "10.50"), fact(d2, "20"), fact(d2, "1", service="embeddings")]
    )
    assert first.changed == []  # days stated for the first time are no restatement
    written = ledger().replace_days("openai", [d1, d2, d3], [fact(d1, "10.5", provenance="page 2"), fact(d2, "0")])
    # d1: same amount (1.5 == 1.50), other provenance: rewritten, not restated. d3: nothing before, nothing now.
    assert written.changed == [DayChange("openai", d2, {"USD": D("21")}, {"USD": D("0")}, facts_removed=1)]
    assert (written.puts, written.deletes) == (2, 1)
    emptied = ledger().replace_days("openai", [d2], [])
    assert emptied.changed == [DayChange("openai", d2, {"USD": D("0")}, {}, facts_removed=1)]
    back = ledger().replace_days("openai", [d2], [fact(d2, "3")])  # a day the source had emptied is stated again
    assert back.changed == [DayChange("openai", d2, {}, {"USD": D("3")}, facts_removed=0)]


def test_a_manifest_without_totals_is_completed_from_the_facts(aws):
    from chalicelib import stores
    from chalicelib.storage.cost_ledger import MANIFEST, DayChange

    d1 = date(2026, 11, 1)
    ledger().replace_days("openai", [d1], [fact(d1, "4.25"), fact(d1, "1", service="embeddings")])
    table = stores.stores().ledger._resource.Table(stores.stores().ledger._table_name)
    table.update_item(
        Key={"source_day": f"openai#{d1}", "fact_id": MANIFEST}, UpdateExpression="REMOVE totals, amounts"
    )
    written = ledger().replace_days("openai", [d1], [fact(d1, "4.25")])
    assert written.changed == [DayChange("openai", d1, {"USD": D("5.25")}, {"USD": D("4.25")}, facts_removed=1)]


def test_a_day_whose_first_write_was_interrupted_is_not_a_restatement(aws):
    from chalicelib import stores
    from chalicelib.storage.cost_ledger import _manifest_item

    d1 = date(2026, 11, 1)
    table = stores.stores().ledger._resource.Table(stores.stores().ledger._table_name)
    table.put_item(Item=_manifest_item("openai", d1, {"abc": "x"}, stated=False))  # what a crash leaves
    written = ledger().replace_days("openai", [d1], [fact(d1, "2")])
    assert written.changed == [] and written.deletes == 1


# Property: any sequence of partial answers leaves exactly the last answer of each day, and a
# day is reported changed exactly when it had held facts before and its amounts differ (an
# empty answer to a day that never held facts leaves no trace, so costs no write).
_answers = st.lists(
    st.tuples(
        st.sets(st.integers(0, 3), max_size=4),
        st.dictionaries(
            st.tuples(st.integers(0, 3), st.sampled_from(["a", "b"])),
            st.decimals(min_value=D("0"), max_value=D("999.99"), places=2),
            max_size=5,
        ),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_answers)
def test_partial_answers_replace_only_their_days(aws, answers):
    import uuid

    source, d0 = f"src{uuid.uuid4().hex[:8]}", date(2026, 11, 1)  # each example has its own source
    model: dict = {}  # day -> {service: amount}, as the source last stated it
    held: set = set()  # days that have held facts
    for answered, amounts in answers:
        days = {d0 + timedelta(days=d) for d in answered} | {d0 + timedelta(days=d) for d, _ in amounts}
        facts = [
            fact(d0 + timedelta(days=d), str(a), service=svc, source=source, key=f"{source}:{svc}")
            for (d, svc), a in amounts.items()
        ]
        stated = {day: {f.service: f.effective_cost for f in facts if f.day == day} for day in days}
        written = ledger().replace_days(source, days, facts)
        expected_changed = {day for day in days if day in held and model[day] != stated[day]}
        assert {c.day for c in written.changed} == expected_changed
        for c in written.changed:
            assert c.before.get("USD", D(0)) == sum(model[c.day].values(), D(0))
            assert c.after.get("USD", D(0)) == sum(stated[c.day].values(), D(0))
        model.update(stated)
        held |= {day for day, v in stated.items() if v}
        stored: dict = {}
        for f in ledger().facts_for_month("2026-11"):
            if f.source == source:
                stored.setdefault(f.day, {})[f.service] = f.effective_cost
        assert stored == {day: v for day, v in model.items() if v}


def test_facts_between_reads_every_month_from_the_first_day_to_the_last(aws):
    days = [date(2025, 11, 30), date(2025, 12, 1), date(2026, 1, 31), date(2026, 2, 1)]
    ledger().replace_days("openai", days, [fact(d, str(n + 1)) for n, d in enumerate(days)])
    got = ledger().facts_between(date(2025, 11, 30), date(2026, 1, 31))
    assert sorted((f.day, f.effective_cost) for f in got) == [(d, D(n + 1)) for n, d in enumerate(days[:3])]
