"""`make fuzz`, short and seeded (local/api_fuzz.py): schemathesis against openapi.yaml on the local
stack, as admin and as team A (the document's examples, then 4 generated cases per operation; the
coverage phase's hundreds of boundary cases per scope are `make fuzz`'s); then the checks of the
stored data, and the checks themselves shown to catch what they are for."""

from __future__ import annotations

import base64
import json

import pytest

from local import api_fuzz
from local.api_fuzz import Plan, answer_source, check_work_item_model, compare_stored, fuzz, report


@pytest.mark.e2e  # schemathesis against the local stack: make check
def test_a_short_seeded_fuzz_no_5xx_answers_as_documented_stored_data_the_accepted_writes(tmp_path):
    plan = Plan(
        scopes=("admin", "team-a"),
        seconds=None,
        examples=4,
        seed=14,
        phases="examples,fuzzing",
        out=tmp_path,
        echo=False,
    )
    outcome = fuzz(plan)
    assert outcome.ok, report(outcome, plan)
    assert [r.exit_code for r in outcome.runs] == [0, 0] and all(r.requests > 30 for r in outcome.runs)
    # the document's examples were accepted, so the stored-data check compared real writes
    assert {"/v1/work-items", "/v1/cost-imports", "/v1/runs"} <= set(outcome.accepted_writes)
    assert ("TRACE", "/v1/health", 501) in {row[:3] for row in outcome.dev_server}


# --- the checks can fail -------------------------------------------------------------------------------


def _b64(value) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def _work_item_write(items: list, results: list) -> dict:
    return {
        "scope": "team-a",
        "request": {
            "method": "POST",
            "path": "/v1/work-items",
            "query": "",
            "headers": {},
            "auth": "scope",
            "body": _b64({"items": items}),
        },
        "response": {"status": 200, "headers": {}, "body": _b64({"results": results})},
    }


def _stored_item(use_case, work_item_id, day, status="success") -> dict:
    return {
        "use_case": {"S": use_case},
        "work_item_id": {"S": work_item_id},
        "day": {"S": day},
        "status": {"S": status},
        "human_review_minutes": {"N": "0"},
    }


def _counter(use_case, day, units, success) -> dict:
    return {
        "use_case": {"S": use_case},
        "day": {"S": day},
        "units": {"N": str(units)},
        "success_units": {"N": str(success)},
        "review_minutes": {"N": "0"},
    }


def _tables(items=(), counters=()) -> dict:
    return {
        "finops-config": {},
        "finops-cost-facts": {},
        "finops-work-items": {(i["use_case"]["S"], i["work_item_id"]["S"]): i for i in items},
        "finops-unit-counts": {(c["use_case"]["S"], c["day"]["S"]): c for c in counters},
    }


ITEM = {"work_item_id": "w1", "use_case": "uc", "completed_at": "2026-11-02T23:30:00-05:00", "status": "success"}


def test_the_work_item_model_takes_accepted_items_and_finds_any_other():
    write = _work_item_write(
        [ITEM, {**ITEM, "work_item_id": "w2", "status": "nope"}],
        [{"index": 0, "status": "accepted"}, {"index": 1, "status": "rejected"}],
    )
    exact = _tables([_stored_item("uc", "w1", "2026-11-03")], [_counter("uc", "2026-11-03", 1, 1)])
    assert check_work_item_model(exact, [write]) == []  # the UTC day of 23:30 at -05:00
    rejected_stored = _tables(
        [_stored_item("uc", "w1", "2026-11-03"), _stored_item("uc", "w2", "2026-11-03")],
        [_counter("uc", "2026-11-03", 2, 1)],
    )
    assert len(check_work_item_model(rejected_stored, [write])) == 2  # the item and its counter
    lost = _tables([], [])
    assert len(check_work_item_model(lost, [write])) == 2


def test_the_replay_comparison_finds_a_write_nobody_was_told_of():
    replayed = _tables([_stored_item("uc", "w1", "2026-11-03")])
    after = _tables([_stored_item("uc", "w1", "2026-11-03"), _stored_item("uc", "w9", "2026-11-03")])
    differences = compare_stored(after, replayed, [])
    assert len(differences) == 1 and '"w9"' in differences[0] and "only after the run" in differences[0]
    after_with_time = _tables([{**_stored_item("uc", "w1", "2026-11-03"), "posted_at": {"S": "2026-12-02T10:00"}}])
    replay_with_time = _tables([{**_stored_item("uc", "w1", "2026-11-03"), "posted_at": {"S": "2026-12-02T11:00"}}])
    assert compare_stored(after_with_time, replay_with_time, []) == []  # when it was written is not what


def test_answers_from_the_development_server_are_told_from_the_apps():
    html = b"<!DOCTYPE HTML>\n<html><head><title>Error response</title></head><body>Error code: 501</body></html>"
    assert answer_source("TRACE", 501, {"Content-Type": "text/html;charset=utf-8"}, html).startswith("dev server")
    assert answer_source("GET", 403, {}, b'{"message": "Missing Authentication Token"}').startswith("dev server")
    app_500 = b'{"error":{"status":500,"message":"An internal server error occurred."}}'
    assert answer_source("GET", 500, {"Content-Type": "application/json"}, app_500) == "app"
    assert api_fuzz.WRITES[("POST", "/v1/work-items")] == 200
