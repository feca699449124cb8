"""Authorization matrix: every route x {no token, garbage token, revoked token, team A, team B, sheet,
admin}, each with the status it must get; and nothing another team's token receives names team A's
use cases, shows its spend or tells that its use cases exist.

Team A is claims (use case claims-processing), team B is sales (lead-scoring, sdr-followup). Each
team has spend, work items, a computed guardrail and an open alert, with amounts no other data has,
so any of them in a body is a leak.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

import app as app_module

CALLERS = ("none", "garbage", "revoked", "team_a", "team_b", "sheet", "admin")
A_USE_CASE, B_USE_CASE = "claims-processing", "lead-scoring"
# Marks of team A's data: its use case, its name, its owner, and amounts nothing else has.
A_MARKS = (A_USE_CASE, "Claims processor", "chris@example.com", "4242.17", "31337.42", "7.6131", "claims spent a lot")
B_MARKS = ("lead-scoring", "Lead scoring", "sdr-followup", "1717.29", "27182.81", "3.1415", "sales spent a lot")

# method, path template -> the status each caller gets (CALLERS order)
MATRIX = {
    ("GET", "/v1/health"): (200, 200, 200, 200, 200, 200, 200),
    ("POST", "/v1/work-items"): (401, 401, 401, 200, 200, 403, 403),  # B's items for A's use case: rejected
    ("GET", "/v1/use-cases"): (401, 401, 401, 200, 200, 200, 200),
    ("GET", "/v1/use-cases/{use_case_id}/guardrail"): (401, 401, 401, 200, 404, 200, 200),
    ("POST", "/v1/cost-imports"): (401, 401, 401, 403, 403, 403, 200),
    ("GET", "/v1/summary"): (401, 401, 401, 403, 403, 200, 200),
    ("POST", "/v1/runs"): (401, 401, 401, 403, 403, 202, 202),
    ("GET", "/v1/runs/{run_id}"): (401, 401, 401, 403, 403, 200, 200),
    ("GET", "/v1/alerts"): (401, 401, 401, 200, 200, 200, 200),
    ("GET", "/v1/exports/focus"): (401, 401, 401, 403, 403, 200, 200),
    ("GET", "/v1/exports/unit-costs"): (401, 401, 401, 403, 403, 200, 200),
}
IMPORT = (
    "date,source,category,team,use_case,amount\n"
    "2026-11-02,matrix-invoice,observability,,,10.00\n"
)  # unallocated: no team's figure moves


@pytest.fixture
def world(api, tokens):
    """Both teams' data, a revoked token and a run; returns the callers' headers and the run id."""
    import boto3

    from chalicelib import stores
    from chalicelib.domain.alerts import Episode
    from chalicelib.storage.guardrail_store import Guardrail

    boto3.client("sqs").create_queue(QueueName="finops-runs")  # POST /v1/runs queues there
    s = stores.stores()
    now = datetime.now(timezone.utc)
    revoked, grant = s.tokens.create("team", "claims", now)
    s.tokens.revoke(grant.token_id)
    admin = {"Authorization": f"Bearer {tokens['admin']}", "Content-Type": "text/csv"}
    spend = (
        "date,source,category,team,use_case,amount\n"
        "2026-11-02,openai,api,claims,claims-processing,4242.17\n"
        "2026-11-02,openai,api,sales,lead-scoring,1717.29\n"
    )
    assert api.http.post("/v1/cost-imports?feed=spend", headers=admin, body=spend).status_code == 200
    s.guardrails.put_all(
        [
            Guardrail(
                A_USE_CASE,
                paused=False,
                colour="red",
                reason="claims spent a lot",
                cost_per_unit=Decimal("7.6131"),
                target=Decimal("5"),
                month_to_date_cost=Decimal("31337.42"),
                budget_remaining=Decimal("1"),
                as_of=now.isoformat(),
            ),
            Guardrail(
                B_USE_CASE,
                paused=False,
                colour="yellow",
                reason="sales spent a lot",
                cost_per_unit=Decimal("3.1415"),
                target=Decimal("12"),
                month_to_date_cost=Decimal("27182.81"),
                budget_remaining=Decimal("1"),
                as_of=now.isoformat(),
            ),
        ]
    )
    s.alerts.save(
        [
            Episode(f"slo:{A_USE_CASE}", "slo", "red", date(2026, 11, 2), A_USE_CASE, "claims", "claims spent a lot"),
            Episode(f"slo:{B_USE_CASE}", "slo", "red", date(2026, 11, 2), B_USE_CASE, "sales", "sales spent a lot"),
            Episode(
                "recipients:digest:2026-W45",
                "recipients",
                "recipients",
                date(2026, 11, 2),
                reason="the weekly digest has no finance address",
            ),
        ],
        [],
        now,
    )
    run = api.http.post("/v1/runs", headers={**admin, "Content-Type": "application/json"}, body="{}")
    assert run.status_code == 202
    headers = {
        "none": {},
        "garbage": {"Authorization": "Bearer fo_" + "x" * 43},
        "revoked": bearer_of(revoked),
        "team_a": bearer_of(tokens["teams"]["claims"]),
        "team_b": bearer_of(tokens["teams"]["sales"]),
        "sheet": bearer_of(tokens["sheet"]),
        "admin": bearer_of(tokens["admin"]),
    }
    return headers, json.loads(run.body)["run_id"]


def bearer_of(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def call(api, method: str, template: str, headers: dict, run_id: str, use_case: str = A_USE_CASE):
    path = template.replace("{use_case_id}", use_case).replace("{run_id}", run_id)
    body, content_type = b"", "application/json"
    if template == "/v1/work-items":
        body = json.dumps(
            {
                "items": [
                    {
                        "work_item_id": "w-1",
                        "use_case": use_case,
                        "status": "success",
                        "completed_at": "2026-11-02T10:00:00Z",
                    }
                ]
            }
        )
    elif template == "/v1/cost-imports":
        path, body, content_type = path + "?feed=matrix", IMPORT, "text/csv"
    elif template == "/v1/runs":
        body = json.dumps({"kind": "sync"})
    elif template in ("/v1/summary", "/v1/exports/focus", "/v1/exports/unit-costs"):
        path += "?month=2026-11"
    return api.http.request(method, path, headers={**headers, "Content-Type": content_type}, body=body)


def test_the_matrix_names_every_route_the_app_serves():
    served = {
        (method, path)
        for path, methods in app_module.app.routes.items()
        for method, entry in methods.items()
        if not getattr(entry.view_function, "refuses_method", False)
    }
    assert set(MATRIX) == served


def test_every_route_answers_each_caller_as_the_matrix_says_and_in_the_error_shape(api, world):
    headers, run_id = world
    got = {}
    for (method, template), expected in MATRIX.items():
        for caller in CALLERS[: len(expected)]:
            r = call(api, method, template, headers[caller], run_id)
            got[(method, template, caller)] = r.status_code
            if r.status_code >= 400:
                body = json.loads(r.body)
                assert body["error"]["status"] == r.status_code and body["error"]["message"], (method, template)
                if r.status_code == 401:
                    assert body["error"]["message"] == "missing or invalid bearer token"
    wrong = {k: v for k, v in got.items() if v != MATRIX[k[:2]][CALLERS.index(k[2])]}
    assert not wrong, wrong


def test_any_other_method_is_405_with_allow_for_every_caller(api, world):
    headers, run_id = world
    for path, methods in app_module.app.routes.items():
        served = [m for m, e in methods.items() if not getattr(e.view_function, "refuses_method", False)]
        for method in set(app_module.OTHER_METHODS) - set(served):
            for caller in CALLERS:
                r = call(api, method, path, headers[caller], run_id)
                assert r.status_code == 405, (method, path, caller, r.status_code)
                assert r.headers["Allow"] == ", ".join(served), (method, path)
                if method != "HEAD":
                    assert json.loads(r.body)["error"]["status"] == 405


def texts_received(api, headers: dict, run_id: str) -> dict:
    """(method, path) -> the body each documented route answers these headers, decoded."""
    return {
        (method, template): call(api, method, template, headers, run_id).body.decode() for method, template in MATRIX
    }


@pytest.mark.parametrize(
    "viewer, other, marks",
    [
        ("team_b", "team_a", A_MARKS),
        ("team_a", "team_b", B_MARKS),
        ("none", "team_a", A_MARKS),
        ("revoked", "team_a", A_MARKS),
        ("garbage", "team_a", A_MARKS),
    ],
)
def test_no_answer_to_another_caller_reveals_a_teams_use_cases_or_spend(api, world, viewer, other, marks):
    headers, run_id = world
    received = texts_received(api, headers[viewer], run_id)
    for (method, template), text in received.items():
        if template == "/v1/use-cases/{use_case_id}/guardrail":
            continue  # asked for A's use case by name: the next test compares it with a made-up one
        leaked = [m for m in marks if m in text]
        assert not leaked, (viewer, method, template, leaked, text[:300])
    # and the owning team, sheet and admin do see them (the marks are real)
    owner = texts_received(api, headers[other], run_id)
    assert marks[0] in owner[("GET", "/v1/use-cases")] and marks[-1] in owner[("GET", "/v1/alerts")]
    everything = texts_received(api, headers["admin"], run_id)
    assert marks[3] in everything[("GET", "/v1/summary")]


def test_another_teams_use_case_is_answered_exactly_like_one_that_does_not_exist(api, world):
    headers, run_id = world
    b = headers["team_b"]
    for method, template in (("GET", "/v1/use-cases/{use_case_id}/guardrail"), ("POST", "/v1/work-items")):
        real = call(api, method, template, b, run_id, use_case=A_USE_CASE)
        made_up = call(api, method, template, b, run_id, use_case="claims-processinx")
        assert real.status_code == made_up.status_code
        assert real.body.decode().replace(A_USE_CASE, "?") == made_up.body.decode().replace("claims-processinx", "?")
    answer = json.loads(call(api, "POST", "/v1/work-items", b, run_id).body)
    assert answer["accepted"] == 0 and answer["results"][0]["error"] == {
        "field": "use_case",
        "reason": "unknown use case for this team",
    }
    from chalicelib import stores

    assert stores.stores().work_items.units_between(A_USE_CASE, date(2026, 11, 2), date(2026, 11, 2)) == []
