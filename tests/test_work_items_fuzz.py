"""Fuzzed input never yields a 5xx: bad input never changes stored data, and in a batch mixing good
and bad items only the accepted ones change it (counters still equal their items)."""

from __future__ import annotations

import json
import os

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import bearer

# Examples per test: enough in `make test` to catch a regression in the field checks; `make fuzz`
# runs many more (WORK_ITEMS_FUZZ_EXAMPLES=400).
EXAMPLES = int(os.environ.get("WORK_ITEMS_FUZZ_EXAMPLES", "40"))

VALID = {
    "work_item_id": "claim-1",
    "use_case": "claims-processing",
    "completed_at": "2026-11-01T10:00:00Z",
    "status": "success",
}

junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
bad_values = {
    "work_item_id": junk.filter(lambda v: not (isinstance(v, str) and 0 < len(v) <= 128 and v.isprintable()))
    | st.text(min_size=129, max_size=400)
    | st.just("tab\there"),
    "use_case": junk.filter(lambda v: v != "claims-processing")
    | st.just("lead-scoring")
    | st.just("claims-processing\u200b"),
    "completed_at": junk.filter(lambda v: not isinstance(v, str))
    | st.text(max_size=40)
    | st.just("2099-01-01T00:00:00Z")
    | st.just("2026-13-01T00:00:00Z")
    | st.just("2026-11-01T10:00:00"),
    "status": junk.filter(lambda v: v not in ("success", "failure")) | st.just("SUCCESS") | st.just("succès"),
    "human_review_minutes": st.integers(max_value=-1)
    | st.integers(min_value=1441)
    | st.text(max_size=5)
    | st.booleans()
    | st.just([])
    | st.floats(min_value=1441.01, allow_infinity=False, allow_nan=False),
    "attributes": st.lists(junk, max_size=3) | st.text(max_size=10) | st.integers() | st.just({"big": "é" * 1100}),
}
one_bad_item = st.sampled_from(sorted(bad_values)).flatmap(
    lambda field: bad_values[field].map(lambda value: {**VALID, field: value})
)
missing_field = st.sampled_from(["work_item_id", "use_case", "completed_at", "status"]).map(
    lambda field: {k: v for k, v in VALID.items() if k != field}
)
bad_item = (
    one_bad_item
    | missing_field
    | junk.filter(lambda v: not isinstance(v, dict))
    | st.dictionaries(st.text(max_size=8).filter(lambda k: k not in VALID), junk, min_size=1, max_size=3)
)

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
    return {
        t: sorted(json.dumps(i, sort_keys=True) for i in client.scan(TableName=t)["Items"])
        for t in ("finops-work-items", "finops-unit-counts")
    }


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
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


# Every field of an item fuzzed, inside batches that also hold good items. Values are JSON text
# fragments, so a body can carry what json.dumps cannot make: integers past Python's 4,300-digit
# parsing limit, exponents past any float, NaN and Infinity, nesting thousands deep.
# Lone surrogates and control characters drawn as often as ordinary text (Hypothesis would merge
# character ranges and weigh them by size, so a surrogate would almost never turn up).
wild_char = st.one_of(
    st.characters(),
    st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d"]),
    st.sampled_from(["\x00", "\x1f", "\x7f", "\t", "\n", "\ufeff", "\u2028", "\u200b", '"', "\\"]),
)
wild_text = st.lists(wild_char, max_size=40).map("".join)
wild_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | wild_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(wild_text, children, max_size=4),
    max_leaves=12,
)


def _nested(depth: int, kind: str) -> str:
    return ("[" * depth + "1" + "]" * depth) if kind == "list" else ('{"a":' * depth + "1" + "}" * depth)


number_text = (
    st.from_regex(r"-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,24})?([eE][+-]?[0-9]{1,12})?", fullmatch=True)
    | st.integers(4200, 6000).map(lambda n: "9" * n)
    | st.sampled_from(
        [
            "1e400",
            "-1e400",
            "1e-400",
            "1440",
            "1440.00",
            "1440.005",
            "1440.0049",
            "-0",
            "-0.0",
            "0.001",
            "1439.999",
            "9" * 400 + "e-398",
        ]
    )
)
nan_like = st.sampled_from(["NaN", "Infinity", "-Infinity", '"NaN"', '"Infinity"', '"1e400"', '"-0"'])
nesting = st.tuples(st.integers(1, 3000), st.sampled_from(["list", "dict"])).map(lambda t: _nested(*t))
fragment = wild_json.map(json.dumps) | number_text | nan_like | nesting
object_text = st.dictionaries(wild_text, fragment | wild_text.map(json.dumps), min_size=1, max_size=4).map(
    lambda d: "{" + ",".join(json.dumps(k) + ":" + v for k, v in d.items()) + "}"
)
attributes_text = object_text | object_text | object_text | fragment
string_field_text = wild_text.map(json.dumps) | fragment
good_value = {
    "completed_at": st.sampled_from(["2026-11-01T10:00:00Z", "2026-10-31T23:30:00-05:00", "2026-09-30T23:59:59Z"]),
    "status": st.sampled_from(["success", "failure"]),
    "human_review_minutes": st.sampled_from(["0", "1.5", "1440", "12.345"]),
    "attributes": st.sampled_from(["{}", '{"model":"gpt"}', '{"n":[1,2,{"x":null}]}']),
}


fuzz_value = {
    "work_item_id": string_field_text,
    "use_case": string_field_text | st.just('"claims-processing\\ud800"'),
    "completed_at": string_field_text | wild_text.map(lambda t: json.dumps("2026-11-01T10:00:00Z" + t)),
    "status": string_field_text | wild_text.map(lambda t: json.dumps("success" + t)),
    "human_review_minutes": number_text | fragment,
    "attributes": attributes_text,
    "an_unknown_field": fragment,
}


@st.composite
def fuzzed_item(draw) -> str:
    """A good item, or one with one or two fields fuzzed (or an unknown field added)."""
    fields = {"work_item_id": json.dumps(f"fz-{draw(st.integers(0, 30))}"), "use_case": '"claims-processing"'}
    for name in ("completed_at", "status"):
        fields[name] = json.dumps(draw(good_value[name]))
    for name in ("human_review_minutes", "attributes"):
        if draw(st.booleans()):
            fields[name] = draw(good_value[name])
    for name in draw(st.lists(st.sampled_from(sorted(fuzz_value)), max_size=2, unique=True)):
        fields[name] = draw(fuzz_value[name])
    return "{" + ",".join(json.dumps(k) + ":" + v for k, v in fields.items()) + "}"


def _items_by_key() -> dict:
    from tests.storage.work_item_checks import ITEMS, scan

    return {(r["use_case"], r["work_item_id"]): r for r in scan(ITEMS)}


@pytest.mark.e2e  # every field fuzzed, 40 examples: make check (400: make fuzz)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=st.lists(fuzzed_item(), min_size=1, max_size=6))
def test_every_field_fuzzed_never_5xx_and_only_accepted_items_change_stored_data(api, tokens, items):
    from tests.storage.work_item_checks import assert_counters_exact

    headers = bearer(tokens["teams"]["claims"])
    before = _items_by_key()
    before_snapshot = snapshot()
    response = api.http.post("/v1/work-items", headers=headers, body='{"items":[' + ",".join(items) + "]}")
    assert response.status_code < 500, response.body
    answer = json.loads(response.body)
    if response.status_code != 200:
        assert answer["error"]["message"]
        assert snapshot() == before_snapshot
        return
    assert len(answer["results"]) == len(items)
    json.dumps(answer, ensure_ascii=False).encode("utf-8")  # the answer is valid UTF-8 throughout
    stored = {r["work_item_id"] for r in answer["results"] if r["status"] in ("accepted", "replaced")}
    after = _items_by_key()
    changed = {key[1] for key in after if after[key] != before.get(key)}
    assert changed == stored
    for r in answer["results"]:
        if r["status"] == "rejected":
            assert r["error"]["field"] and r["error"]["reason"]
    assert_counters_exact()
