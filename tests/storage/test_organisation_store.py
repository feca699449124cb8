"""Finance's configuration is replaced whole: readers never see half of a save."""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest

from local.demo_org import demo_organisation


def same(a, b):
    from chalicelib.sheet_sync import same_configuration

    return same_configuration(a, b)


def store():
    from chalicelib import stores

    return stores.stores().organisation


def rows_in_table():
    return boto3.client("dynamodb").scan(TableName="finops-config")["Count"]


def test_save_and_load_round_trip_and_replace(aws):
    org = demo_organisation()
    store().save(org)
    assert same(store().load(), org)
    fewer = replace(org, use_cases=org.use_cases[:2], mappings=())
    store().save(fewer)
    assert same(store().load(), fewer)
    # The older generation is gone: the table holds one configuration's rows plus the pointer.
    store().save(fewer)
    assert rows_in_table() == (
        1 + 1 + len(fewer.teams) + 2 + len(fewer.shared_rules) + len(fewer.benchmarks) + len(fewer.model_prices)
    )


def test_a_save_that_dies_before_the_switch_leaves_the_old_configuration(aws, monkeypatch):
    org = demo_organisation()
    store().save(org)
    client = store()._resource.meta.client
    real_put = client.put_item

    def dies(**kwargs):
        if kwargs.get("Item", {}).get("sk") == "current":
            raise RuntimeError("Lambda timed out")
        return real_put(**kwargs)

    monkeypatch.setattr(client, "put_item", dies)
    with pytest.raises(RuntimeError):
        store().save(replace(org, use_cases=()))
    assert same(store().load(), org)
    monkeypatch.setattr(client, "put_item", real_put)
    smaller = replace(org, use_cases=org.use_cases[:1])
    store().save(smaller)  # the next save starts the abandoned generation clean
    assert same(store().load(), smaller)
    assert not same(store().load(), org)


def test_terms_history_keeps_one_entry_per_change_and_honours_effective_from(aws):
    from datetime import date
    from decimal import Decimal

    from chalicelib.domain.terms import use_case_on

    org = demo_organisation()
    uc = org.use_cases[0]
    s = store()
    s.save(org)
    first = s.record_terms(org, date(2026, 11, 1))
    again = s.record_terms(s.load(), date(2026, 11, 2))  # nothing changed: no new entry
    assert again.terms_history[uc.use_case_id] == first.terms_history[uc.use_case_id]
    changed = replace(org, use_cases=(replace(uc, target_cpu=Decimal("0.30")),) + org.use_cases[1:])
    s.save(changed)
    s.record_terms(changed, date(2026, 11, 27))
    loaded = s.load()
    history = loaded.terms_history[uc.use_case_id]
    assert [(t.effective_from, t.target_cpu) for t in history] == [
        (date(2026, 11, 1), uc.target_cpu),
        (date(2026, 11, 27), Decimal("0.30")),
    ]
    on = use_case_on(loaded, loaded.use_case(uc.use_case_id))
    assert on(date(2026, 11, 22)).target_cpu == uc.target_cpu and on(date(2026, 11, 29)).target_cpu == Decimal("0.30")
    # Finance back-dates the new target to the 1st: it replaces the month's history.
    backdated = replace(
        changed, use_cases=(replace(changed.use_cases[0], effective_from=date(2026, 11, 1)),) + changed.use_cases[1:]
    )
    s.record_terms(backdated, date(2026, 11, 28))
    assert [(t.effective_from, t.target_cpu) for t in s.load().terms_history[uc.use_case_id]] == [
        (date(2026, 11, 1), Decimal("0.30"))
    ]


def test_an_effective_from_left_over_from_an_earlier_change_does_not_back_date_the_next(aws):
    from datetime import date
    from decimal import Decimal

    from chalicelib.domain.terms import use_case_on

    org = demo_organisation()
    uc = replace(org.use_cases[0], target_cpu=Decimal("4"), effective_from=date(2026, 10, 1))
    first = replace(org, use_cases=(uc,) + org.use_cases[1:])
    s = store()
    s.save(first)
    s.record_terms(first, date(2026, 11, 20))  # back-dated to Oct 1, as finance typed
    later = replace(first, use_cases=(replace(uc, monthly_budget=Decimal("500")),) + first.use_cases[1:])
    s.save(later)
    s.record_terms(later, date(2026, 12, 10))  # the date is still there; the budget change is new
    on = use_case_on(s.load(), later.use_cases[0])
    assert on(date(2026, 10, 15)).target_cpu == Decimal("4")  # the typed date applies to its own change
    assert on(date(2026, 10, 15)).monthly_budget == uc.monthly_budget  # the new budget is not back-dated
    assert on(date(2026, 12, 10)).monthly_budget == Decimal("500")


def test_a_shared_cost_rule_with_no_targets_round_trips(aws):
    from chalicelib.domain.organisation import SharedCostRule

    org = replace(demo_organisation(), shared_rules=(SharedCostRule("platform", "even", ()),))
    store().save(org)
    assert store().load().shared_rules == (SharedCostRule("platform", "even", ()),)
