"""POST /v1/work-items: what a team posting completions sees, and what gets counted."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from tests.conftest import bearer


def _now_iso(delta=timedelta()):
    return (datetime.now(timezone.utc) + delta).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def item(i, use_case="claims-processing", **extra):
    body = {"work_item_id": f"claim-{i}", "use_case": use_case, "completed_at": _now_iso(), "status": "success"}
    body.update(extra)
    return body


def post(api, token, items=None, raw=None):
    body = raw if raw is not None else json.dumps({"items": items})
    response = api.http.post("/v1/work-items", headers=bearer(token), body=body)
    return response.status_code, json.loads(response.body or b"{}")


def units_today(use_case):
    from chalicelib import stores

    today = datetime.now(timezone.utc).date()
    rows = stores.stores().work_items.units_between(use_case, today, today)
    return (rows[0].units, rows[0].success_units, rows[0].review_minutes) if rows else (0, 0, 0)


def test_accepted_items_are_counted_per_use_case_and_day(api, tokens):
    status, answer = post(api, tokens["teams"]["claims"], [item(i) for i in range(3)])
    assert status == 200
    assert answer["accepted"] == 3 and answer["replaced"] == 0 and answer["rejected"] == 0
    assert [r["status"] for r in answer["results"]] == ["accepted"] * 3
    assert units_today("claims-processing")[:2] == (3, 3)


def test_repost_replaces_and_never_counts_twice(api, tokens):
    token = tokens["teams"]["claims"]
    post(api, token, [item(1, human_review_minutes=10), item(2)])
    status, answer = post(api, token, [item(1, status="failure", human_review_minutes=4)])
    assert answer["results"][0]["status"] == "replaced" and answer["replaced"] == 1
    units, success, minutes = units_today("claims-processing")
    assert (units, success, minutes) == (2, 1, 4)


def test_same_item_twice_in_one_batch_counts_once(api, tokens):
    status, answer = post(api, tokens["teams"]["claims"], [item(7), item(7, status="failure")])
    assert [r["status"] for r in answer["results"]] == ["accepted", "replaced"]
    assert units_today("claims-processing")[:2] == (1, 0)


def test_moving_an_item_to_another_day_moves_its_unit(api, tokens):
    from chalicelib import stores

    token = tokens["teams"]["claims"]
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).replace(microsecond=0)
    post(api, token, [item(1)])
    post(api, token, [item(1, completed_at=yesterday.isoformat())])
    assert units_today("claims-processing")[0] == 0
    rows = stores.stores().work_items.units_between("claims-processing", yesterday.date(), yesterday.date())
    assert rows[0].units == 1


def test_other_teams_use_case_is_rejected_as_unknown(api, tokens):
    status, answer = post(api, tokens["teams"]["sales"], [item(1), item(2, use_case="no-such-thing")])
    assert status == 200
    errors = [r["error"] for r in answer["results"]]
    assert errors[0] == errors[1] == {"field": "use_case", "reason": "unknown use case for this team"}
    assert units_today("claims-processing")[0] == 0


@pytest.mark.parametrize(
    "override, field",
    [
        ({"completed_at": "2026-11-23 10:00:00"}, "completed_at"),
        ({"completed_at": "2026-11-23T10:00:00"}, "completed_at"),  # no offset
        ({"completed_at": "2026-02-30T10:00:00Z"}, "completed_at"),
        ({"status": "done"}, "status"),
        ({"work_item_id": ""}, "work_item_id"),
        ({"work_item_id": "x" * 129}, "work_item_id"),
        ({"work_item_id": "line\nbreak"}, "work_item_id"),
        ({"work_item_id": 42}, "work_item_id"),
        ({"human_review_minutes": -1}, "human_review_minutes"),
        ({"human_review_minutes": 1441}, "human_review_minutes"),
        ({"human_review_minutes": "5"}, "human_review_minutes"),
        ({"human_review_minutes": True}, "human_review_minutes"),
        ({"attributes": [1, 2]}, "attributes"),
        ({"attributes": {"blob": "x" * 2100}}, "attributes"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_item_is_rejected_naming_the_field(api, tokens, override, field):
    status, answer = post(api, tokens["teams"]["claims"], [item(1, **override), item(2)])
    assert status == 200
    assert answer["results"][0]["status"] == "rejected"
    assert answer["results"][0]["error"]["field"] == field
    assert answer["results"][0]["error"]["reason"]
    assert answer["results"][1]["status"] == "accepted" and answer["rejected"] == 1
    assert units_today("claims-processing")[0] == 1


def test_future_completion_beyond_five_minutes_is_rejected(api, tokens):
    ok = item(1, completed_at=_now_iso(timedelta(minutes=4)))
    late = item(2, completed_at=_now_iso(timedelta(minutes=6)))
    status, answer = post(api, tokens["teams"]["claims"], [ok, late])
    assert [r["status"] for r in answer["results"]] == ["accepted", "rejected"]
    assert "future" in answer["results"][1]["error"]["reason"]


def test_offsets_are_converted_to_the_utc_day(api, tokens):
    from chalicelib import stores

    # 23:30 at -05:00 on the 1st is 04:30 UTC on the 2nd.
    post(api, tokens["teams"]["claims"], [item(1, completed_at="2026-10-01T23:30:00-05:00")])
    rows = stores.stores().work_items.units_between("claims-processing", date(2026, 10, 1), date(2026, 10, 2))
    assert [(r.day, r.units) for r in rows] == [(date(2026, 10, 2), 1)]


@pytest.mark.parametrize(
    "raw, status, words",
    [
        ("not json", 400, "not valid JSON"),
        ("[]", 400, "JSON object"),
        ('{"items": []}', 400, "empty"),
        ('{"things": []}', 400, "items"),
        (json.dumps({"items": [{}] * 501}), 400, "limit is 500"),
        ('{"items": [{"human_review_minutes": NaN}]}', 400, "not valid JSON"),
    ],
)
def test_unusable_body_is_a_400_with_a_clear_message(api, tokens, raw, status, words):
    code, answer = post(api, tokens["teams"]["claims"], raw=raw)
    assert code == status
    assert words in answer["error"]["message"]


def test_body_over_one_megabyte_is_413(api, tokens):
    raw = json.dumps({"items": [item(1, attributes={"pad": "x" * 1_100_000})]})
    code, answer = post(api, tokens["teams"]["claims"], raw=raw)
    assert code == 413 and "limit" in answer["error"]["message"]


def test_missing_or_invalid_token_is_401_and_wrong_scope_403(api, tokens):
    body = json.dumps({"items": [item(1)]})
    assert api.http.post("/v1/work-items", headers={"Content-Type": "application/json"}, body=body).status_code == 401
    assert api.http.post("/v1/work-items", headers=bearer("fo_not-a-real-token"), body=body).status_code == 401
    assert api.http.post("/v1/work-items", headers=bearer(tokens["admin"]), body=body).status_code == 403
    assert units_today("claims-processing")[0] == 0


def test_posting_emits_metrics_per_outcome(api, tokens, capsys):
    post(api, tokens["teams"]["claims"], [item(1), item(2, status="nope")])
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    values = {k: v for blob in emitted for k, v in blob.items() if k.startswith("WorkItems")}
    assert values == {"WorkItemsAccepted": [1.0], "WorkItemsReplaced": [0.0], "WorkItemsRejected": [1.0]}


def test_absurd_dates_and_minutes_are_answered_not_crashed(api, tokens):
    items = [
        item(1, completed_at="0001-01-01T00:00:00+01:00"),
        item(2, completed_at="1999-12-31T23:59:59Z"),
        item(3, human_review_minutes=0),
    ]
    raw = json.dumps({"items": items}).replace('"human_review_minutes": 0', '"human_review_minutes": 1e-200')
    status, answer = post(api, tokens["teams"]["claims"], raw=raw)
    assert status == 200
    assert [r["status"] for r in answer["results"]] == ["rejected", "rejected", "accepted"]
    assert units_today("claims-processing") == (1, 1, 0)


@pytest.mark.parametrize(
    "override, field",
    [
        ({"attributes": {"note": "\ud800"}}, "attributes"),  # a lone surrogate: not Unicode text
        ({"attributes": {"\udfff": 1}}, "attributes"),
        ({"attributes": {"deep": {"deeper": ["ok", "\ud83d"]}}}, "attributes"),
        ({"work_item_id": "claim-\ud800"}, "work_item_id"),
        ({"use_case": "claims-processing\ud800"}, "use_case"),
        ({"status": "success\ud800"}, "status"),
        ({"completed_at": "2026-11-01T10:00:00Z\ud800"}, "completed_at"),
        ({"\ud800": 1}, "\\ud800"),  # the unknown field named, escaped: the answer is always valid UTF-8
    ],
)
def test_a_lone_surrogate_rejects_its_item_only(api, tokens, override, field):
    status, answer = post(api, tokens["teams"]["claims"], [item(1), item(2, **override), item(3)])
    assert status == 200, answer
    assert [r["status"] for r in answer["results"]] == ["accepted", "rejected", "accepted"]
    error = answer["results"][1]["error"]
    assert error["field"] == field and error["reason"]
    assert units_today("claims-processing")[0] == 2
    json.dumps(answer, ensure_ascii=False).encode("utf-8")  # nothing in the answer is a lone surrogate


@pytest.mark.parametrize(
    "literal, field",
    [
        ("1" + "0" * 5000, "human_review_minutes"),  # beyond Python's 4,300-digit int parsing limit
        ("-" + "9" * 5000, "human_review_minutes"),
        ("1e999999999", "human_review_minutes"),
        ("1e-999999999", None),  # rounds to 0.00 minutes: accepted
    ],
)
def test_huge_numbers_reject_their_item_only(api, tokens, literal, field):
    items = [item(1), item(2, human_review_minutes=12345), item(3)]
    raw = json.dumps({"items": items}).replace("12345", literal)
    status, answer = post(api, tokens["teams"]["claims"], raw=raw)
    assert status == 200, answer
    if field is None:
        assert answer["accepted"] == 3
    else:
        assert [r["status"] for r in answer["results"]] == ["accepted", "rejected", "accepted"]
        assert answer["results"][1]["error"]["field"] == field


def test_a_huge_integer_inside_attributes_rejects_its_item_only(api, tokens):
    items = [item(1), item(2, attributes={"n": 12345}), item(3, attributes={"n": 7})]
    raw = json.dumps({"items": items}).replace("12345", "7" * 5000)
    status, answer = post(api, tokens["teams"]["claims"], raw=raw)
    assert status == 200, answer
    assert [r["status"] for r in answer["results"]] == ["accepted", "rejected", "accepted"]
    assert answer["results"][1]["error"]["field"] == "attributes"
