"""What agents are told now is never rewritten by a run with an earlier clock."""

from __future__ import annotations


def test_a_back_dated_run_does_not_lift_a_later_pause(aws):
    from chalicelib import stores
    from chalicelib.storage.guardrail_store import Guardrail

    store = stores.stores().guardrails
    store.put_all(
        [
            Guardrail("lead-scoring", paused=True, colour="critical", as_of="2026-11-30T23:00:00Z"),
            Guardrail("claims", paused=False, colour="green", as_of="2026-11-30T23:00:00Z"),
        ]
    )
    store.put_all(
        [
            Guardrail("lead-scoring", paused=False, colour="green", as_of="2026-11-20T12:00:00Z"),
            Guardrail("support", paused=False, colour="yellow", as_of="2026-11-20T12:00:00Z"),
        ]
    )
    assert store.get("lead-scoring").paused and store.get("lead-scoring").colour == "critical"
    assert store.get("support").colour == "yellow"  # nothing later was stored for it
    store.put_all([Guardrail("lead-scoring", paused=False, colour="green", as_of="2026-12-01T00:05:00Z")])
    assert not store.get("lead-scoring").paused  # a later run does replace it


def test_every_pulls_and_imports_restatements_reach_the_next_sync_log_once(aws):
    from chalicelib import stores
    from chalicelib.sheet_sync import _restatements_since

    fresh = stores.stores().freshness
    fresh.succeeded(
        "aws",
        "2026-12-02T07:05:00+00:00",
        "w",
        1,
        restatements=["aws 2026-11-30: restated $219.26 → $0.00 by the source"],
    )
    fresh.succeeded("aws", "2026-12-02T08:05:00+00:00", "w", 1)  # a later pull with nothing restated
    fresh.record_restatements(
        "import datadog",
        "2026-12-02T08:10:00+00:00",
        ["csv 2026-11-03: restated $127.02 → $0.00 by the source (1 fact removed)"],
    )
    lines = _restatements_since(fresh.all(), "2026-12-02T07:00:00Z")
    assert ("aws", "aws 2026-11-30: restated $219.26 → $0.00 by the source") in lines
    assert ("import datadog", "csv 2026-11-03: restated $127.02 → $0.00 by the source (1 fact removed)") in lines
    assert _restatements_since(fresh.all(), "2026-12-02T09:00:00Z") == []  # named once: the next sync is later
