"""A replacement killed at any write boundary is repaired by its retry, and never double counts.

A kill is simulated by a DynamoDB resource whose k-th BatchWriteItem raises (for every k up to
the number the replacement makes); the retry then runs with the real resource.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from tests.domain import builders

pytestmark = pytest.mark.e2e  # a ledger write killed at every write boundary, then retried: make check


class Killed(RuntimeError):
    pass


class KillAfter:
    """A DynamoDB resource that lets `allowed` BatchWriteItem calls through, then dies."""

    def __init__(self, real, allowed: int | None):
        self.real, self.allowed, self.calls = real, allowed, 0

    def batch_write_item(self, **kwargs):
        if self.allowed is not None and self.calls >= self.allowed:
            raise Killed(f"killed before write request {self.calls + 1}")
        self.calls += 1
        return self.real.batch_write_item(**kwargs)

    def __getattr__(self, name):
        return getattr(self.real, name)


D1, D2, D3, D4 = (date(2026, 11, 1) + timedelta(days=n) for n in range(4))


def fact(source, day, service, amount, team="claims"):
    return builders.fact(
        day, amount, "claims-processing", team, service=service, source=source, vendor_key=f"{source}:{service}"
    )


def old_answer(source):
    return (
        [fact(source, D1, f"a{i}", "1.00") for i in range(40)]
        + [fact(source, D2, f"b{i}", "2.00") for i in range(30)]
        + [fact(source, D3, f"c{i}", "3.00") for i in range(30)]
    )


def new_answer(source):
    # D1: 20 restated, 20 removed, 15 added; D2 unchanged; D3 emptied; D4 new.
    return (
        [fact(source, D1, f"a{i}", "1.50") for i in range(20)]
        + [fact(source, D1, f"n{i}", "0.25") for i in range(15)]
        + [fact(source, D2, f"b{i}", "2.00") for i in range(30)]
        + [fact(source, D4, f"d{i}", "4.00") for i in range(30)]
    )


def stored_facts(ledger, source):
    return {(f.day, f.service): f.effective_cost for f in ledger.facts_between(D1, D4) if f.source == source}


def as_stored(facts):
    return {(f.day, f.service): f.effective_cost for f in facts}


def ledger_with(resource):
    from chalicelib import stores
    from chalicelib.storage.cost_ledger import CostLedger

    real = stores.stores().ledger
    return CostLedger(resource, real._table_name), real


def requests_of_the_replacement():
    from chalicelib import stores

    counting = KillAfter(stores.stores().ledger._resource, None)
    ledger, real = ledger_with(counting)
    real.replace_days("count", [D1, D2, D3, D4], old_answer("count"))
    ledger.replace_days("count", [D1, D2, D3, D4], new_answer("count"))
    return counting.calls


def test_a_kill_at_every_write_boundary_is_repaired_by_the_retry(aws):
    n = requests_of_the_replacement()
    assert n >= 5  # pending manifests, removals, additions (2), exact manifests
    for k in range(n + 1):
        source = f"src{k}"
        killer = KillAfter(None, k)
        ledger, real = ledger_with(killer)
        killer.real = real._resource
        real.replace_days(source, [D1, D2, D3, D4], old_answer(source))
        old, new = as_stored(old_answer(source)), as_stored(new_answer(source))

        if k < n:
            with pytest.raises(Killed):
                ledger.replace_days(source, [D1, D2, D3, D4], new_answer(source))
        else:
            ledger.replace_days(source, [D1, D2, D3, D4], new_answer(source))
        between = stored_facts(real, source)
        # A reader between the kill and the retry: every fact is the old or the new version of
        # its line, and no line the new answer removes is beside a line it adds.
        assert all(between[key] in (old.get(key), new.get(key)) for key in between), k
        removed_left = {key for key in between if key not in new}
        added_in = {key for key in between if key not in old}
        assert not (removed_left and added_in), (k, sorted(removed_left)[:3], sorted(added_in)[:3])

        retry = real.replace_days(source, [D1, D2, D3, D4], new_answer(source))
        assert stored_facts(real, source) == new, k
        assert retry.stored == len(new) == len(stored_facts(real, source))
        if k < n:
            # What the interrupted write would have reported is reported by its retry.
            assert {c.day for c in retry.changed} == {D1, D3}, k
            d1 = next(c for c in retry.changed if c.day == D1)
            assert (d1.before, d1.after, d1.facts_removed) == ({"USD": D("40.00")}, {"USD": D("33.75")}, 20)
        again = real.replace_days(source, [D1, D2, D3, D4], new_answer(source))
        assert again.write_requests == 0, k  # repaired for good: nothing left pending


def test_a_retry_with_a_different_answer_after_a_kill_ends_with_that_answer(aws):
    from chalicelib import stores

    real = stores.stores().ledger
    real.replace_days("s", [D1], [fact("s", D1, f"a{i}", "1") for i in range(40)])
    killer = KillAfter(real._resource, 3)  # pending manifest, removals, first additions
    ledger, _ = ledger_with(killer)
    with pytest.raises(Killed):
        ledger.replace_days(
            "s",
            [D1],
            [fact("s", D1, f"a{i}", "9") for i in range(5)] + [fact("s", D1, f"x{i}", "2") for i in range(40)],
        )
    # The source now answers what it first said for a0..a4, and nothing else: the interrupted
    # write's x* facts and its 9.00 amounts must not survive.
    final = [fact("s", D1, f"a{i}", "1") for i in range(5)]
    retry = real.replace_days("s", [D1], final)
    assert stored_facts(real, "s") == as_stored(final)
    assert retry.changed and retry.changed[0].before == {"USD": D("40")}
    assert retry.changed[0].facts_removed == 35  # the stated facts gone, not the interrupted write's
