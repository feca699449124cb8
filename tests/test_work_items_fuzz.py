"""Fuzzed bad input never yields a 5xx and never changes stored data."""
from __future__ import annotations

import json

import boto3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import bearer

VALID = {"work_item_id": "claim-1", "use_case": "claims-processing",
         "completed_at": "2026-11-01T10:00:00Z", "status": "success"}

junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
bad_values = {
    "work_item_id": junk.filter(lambda v: not (isinstance(v, str) and 0 < len(v) <= 128 and v.isprintable()))
    | st.text(min_size=129, max_size=400) | st.just("tab\there"),
    "use_case": junk.filter(lambda v: v != "claims-processing") | st.just("lead-scoring") | st.just("claims-processing\u200b"),
    "completed_at": junk.filter(lambda v: not isinstance(v, str)) | st.text(max_size=40)
    | st.just("2099-01-01T00:00:00Z") | st.just("2026-13-01T00:00:00Z") | st.just("2026-11-01T10:00:00"),
    "status": junk.filter(lambda v: v not in ("success", "failure")) | st.just("SUCCESS") | st.just("succès"),
    "human_review_minutes": st.integers(max_value=-1) | st.integers(min_value=1441) | st.text(max_size=5)
    | st.booleans() | st.just([]) | st.floats(min_value=1441.01, allow_infinity=False, allow_nan=False),
    "attributes": st.lists(junk, max_size=3) | st.text(max_size=10) | st.integers()
    | st.just({"big": "é" * 1100}),
}
one_bad_item = st.sampled_from(sorted(bad_values)).flatmap(
    lambda field: bad_values[field].map(lambda value: {**VALID, field: value}))
missing_field = st.sampled_from(["work_item_id", "use_case", "completed_at", "status"]).map(
    lambda field: {k: v for k, v in VALID.items() if k != field})
bad_item = one_bad_item | missing_field | junk.filter(lambda v: not isinstance(v, dict)) \
    | st.dictionaries(st.text(max_size=8).filter(lambda k: k not in VALID), junk, min_size=1, max_size=3)

bad_bodies = (
    st.lists(bad_item, min_size=1, max_size=6).map(lambda items: json.dumps({"items": items}))
    | junk.map(json.dumps)
    | st.binary(max_size=200)
    | st.text(max_size=200)
    | st.just('{"items": [{"human_review_minutes": NaN}]}')
    | st.just('{"items": ' + "[" * 5000 + "]" * 5000 + "}")
)


def snapshot():
    client = boto3.client("dynamodb")
    return {t: sorted(json.dumps(i, sort_keys=True) for i in client.scan(TableName=t)["Items"])
            for t in ("finops-work-items", "finops-unit-counts")}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bad_bodies)
def test_bad_input_never_5xx_and_never_changes_stored_data(api, tokens, body):
    headers = bearer(tokens["teams"]["claims"])
    if not snapshot()["finops-work-items"]:
        api.http.post("/v1/work-items", headers=headers, body=json.dumps({"items": [VALID]}))
    before = snapshot()
    response = api.http.post("/v1/work-items", headers=headers, body=body)
    assert response.status_code < 500, response.body
    if response.status_code == 200:
        answer = json.loads(response.body)
        assert answer["accepted"] == answer["replaced"] == 0, answer
        assert all(r["error"]["field"] and r["error"]["reason"] for r in answer["results"])
    assert snapshot() == before
