"""The open month read by the hourly run: settled days from their cache, every other day raw, and
always exactly what a raw read of the month gives, whatever wrote what in between."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from chalicelib.domain.facts import CostFact
from chalicelib.domain.work_items import WorkItem

MONTH = "2026-11"
NOW = datetime(2026, 11, 22, 14, 5, tzinfo=timezone.utc)


def ledger():
    from chalicelib import stores

    return stores.stores().ledger


def work_items():
    from chalicelib import stores

    return stores.stores().work_items


def fact(day: date, use_case: str, amount: str, source: str = "aws") -> CostFact:
    return CostFact(day, source, "api", "OpenAI", "gpt-4o", D(amount), D(amount), team="support", use_case=use_case)


def key(f: CostFact) -> tuple:
    return (f.day, f.source, f.use_case, f.effective_cost, f.billed_cost, f.currency, f.team, f.provider)


def same_as_raw() -> None:
    """The cached read of the open month equals the raw read, facts and counters."""
    assert sorted(map(key, ledger().facts_for_open_month(MONTH))) == sorted(map(key, ledger().facts_for_month(MONTH)))
    assert sorted(map(repr, work_items().units_for_open_month(MONTH))) == sorted(
        map(repr, work_items().units_for_month(MONTH))
    )


def test_a_second_read_takes_settled_days_from_the_cache(aws):
    days = [date(2026, 11, d) for d in range(1, 23)]
    ledger().replace_days("aws", days, [fact(d, f"uc-{n}", f"{n}.{d.day:02d}") for d in days for n in range(3)])
    first = ledger().facts_for_open_month(MONTH)
    assert ledger().last_read[1] == 30  # every day of November read raw once (the future ones are empty)
    again = ledger().facts_for_open_month(MONTH)
    assert ledger().last_read == (2, 0)  # the revisions and the cache: two requests, no day read raw
    assert sorted(map(key, again)) == sorted(map(key, first)) == sorted(map(key, ledger().facts_for_month(MONTH)))


def test_a_restated_day_is_read_raw_again_and_nothing_else_is(aws):
    days = [date(2026, 11, d) for d in range(1, 23)]
    ledger().replace_days("aws", days, [fact(d, "uc-1", "10.00") for d in days])
    ledger().facts_for_open_month(MONTH)
    ledger().replace_days("aws", [date(2026, 11, 5)], [fact(date(2026, 11, 5), "uc-1", "12.34")])
    ledger().replace_days("anthropic", [date(2026, 11, 9)], [fact(date(2026, 11, 9), "uc-2", "1.00", "anthropic")])
    ledger().replace_days("aws", [date(2026, 11, 12)], [])  # the source said the 12th had nothing
    facts = ledger().facts_for_open_month(MONTH)
    assert ledger().last_read[1] == 3
    assert sum(f.effective_cost for f in facts) == D("10.00") * 20 + D("12.34") + D("1.00")
    same_as_raw()


def test_late_work_items_for_an_old_day_are_counted(aws):
    old = datetime(2026, 11, 3, 9, tzinfo=timezone.utc)
    work_items().save([WorkItem("a", "uc-1", old, "success", D("2"))], NOW)
    assert [u.units for u in work_items().units_for_open_month(MONTH)] == [1]
    work_items().save(
        [
            WorkItem("b", "uc-1", old, "success", D("1")),  # posted late
            WorkItem("a", "uc-1", old + timedelta(days=10), "failure", D("0")),
        ],
        NOW,
    )  # moved
    units = {u.day: (u.units, u.success_units) for u in work_items().units_for_open_month(MONTH)}
    assert units == {date(2026, 11, 3): (1, 1), date(2026, 11, 13): (1, 0)}
    assert work_items().last_read[1] == 2  # the two days written, nothing else
    same_as_raw()


def test_a_write_killed_midway_leaves_its_day_read_raw(aws):
    """The write's second bump never happens (the Lambda died between its pending manifest and its
    facts): its day stays in flight, so no read takes it from a cache of a half-written state, and
    the retry's figures are read."""
    day = date(2026, 11, 7)
    ledger().replace_days("aws", [day], [fact(day, "uc-1", "5.00")])
    ledger().facts_for_open_month(MONTH)
    client = ledger()._resource.meta.client
    calls = {"n": 0}

    def die_at_the_facts(**_):
        calls["n"] += 1
        if calls["n"] == 2:  # after the pending manifest, before the facts
            raise KeyboardInterrupt("the Lambda died")

    client.meta.events.register("before-call.dynamodb.BatchWriteItem", die_at_the_facts, unique_id="die")
    with pytest.raises(KeyboardInterrupt):
        with pytest.MonkeyPatch.context() as patch:  # a dead process runs no `finally`
            patch.setattr("chalicelib.storage.settled_days.OpenWrite.close", lambda self: None)
            ledger().replace_days("aws", [day], [fact(day, "uc-1", "6.00"), fact(day, "uc-2", "1.00")])
    client.meta.events.unregister("before-call.dynamodb.BatchWriteItem", unique_id="die")
    for _ in range(2):
        assert [f.effective_cost for f in ledger().facts_for_open_month(MONTH)] == [D("5.00")]  # as stored
        assert ledger().last_read[1] == 1  # read raw each time, never cached
    ledger().replace_days("aws", [day], [fact(day, "uc-1", "6.00"), fact(day, "uc-2", "1.00")])  # the retry
    assert sorted(f.effective_cost for f in ledger().facts_for_open_month(MONTH)) == [D("1.00"), D("6.00")]
    assert ledger().last_read[1] == 1
    same_as_raw()


def test_a_day_written_within_the_index_settling_time_is_not_cached(aws, monkeypatch):
    """The raw read goes through an eventually consistent index: a day written a moment ago is read
    raw again next time rather than kept as it was first seen."""
    monkeypatch.setenv("INDEX_SETTLE_SECONDS", "3600")
    day = date(2026, 11, 7)
    ledger().replace_days("aws", [day], [fact(day, "uc-1", "5.00")])
    ledger().facts_for_open_month(MONTH)
    ledger().facts_for_open_month(MONTH)
    assert ledger().last_read[1] == 1  # the 7th again (the untouched days are cached)


def test_a_torn_cache_is_not_taken(aws):
    from chalicelib.storage import settled_days

    day = date(2026, 11, 7)
    ledger().replace_days("aws", [day], [fact(day, "uc-1", "5.00")])
    ledger().facts_for_open_month(MONTH)
    table = ledger()._resource.Table("finops-cost-facts")
    table.put_item(
        Item={
            "source_day": f"~days#{MONTH}",
            "fact_id": "07#000",
            "rev": 1,
            "build": "other",
            "chunks": 2,
            "data": settled_days._chunks([])[0],
        }
    )  # chunk 1 of 2 never landed
    assert [f.effective_cost for f in ledger().facts_for_open_month(MONTH)] == [D("5.00")]
    assert ledger().last_read[1] == 1


@pytest.mark.parametrize("seed", range(3))
def test_any_interleaving_of_writes_and_reads_reads_what_is_stored(aws, seed):
    rng = random.Random(seed)
    for _ in range(25):
        day = date(2026, 11, rng.randint(1, 30))
        if rng.random() < 0.5:
            source = rng.choice(["aws", "openai"])
            amounts = [f"{rng.randint(0, 999)}.{rng.randint(0, 99):02d}" for _ in range(rng.randint(0, 3))]
            ledger().replace_days(source, [day], [fact(day, f"uc-{rng.randint(1, 3)}", a, source) for a in amounts])
        else:
            at = datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=rng.randint(0, 23))
            work_items().save(
                [
                    WorkItem(
                        f"w{rng.randint(1, 8)}",
                        f"uc-{rng.randint(1, 3)}",
                        at,
                        rng.choice(["success", "failure"]),
                        D(rng.randint(0, 9)),
                    )
                ],
                NOW,
            )
        if rng.random() < 0.6:
            same_as_raw()
    same_as_raw()
