"""Every error body is `{"error": {"status", "message"}}`: 401 and 403 included, Chalice's own errors rewritten."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from chalicelib import access, bootstrap, stores
from tests.conftest import bearer

WORK = json.dumps(
    {
        "items": [
            {
                "work_item_id": "e1",
                "use_case": "claims-processing",
                "completed_at": "2026-11-01T10:00:00Z",
                "status": "success",
            }
        ]
    }
)


def shape(response) -> dict:
    body = json.loads(response.body)
    assert set(body) == {"error"} and set(body["error"]) == {"status", "message"}, body
    assert body["error"]["status"] == response.status_code and body["error"]["message"]
    assert response.headers["Content-Type"] == "application/json"
    return body["error"]


def revoked_token() -> str:
    store = stores.stores().tokens
    token, grant = store.create("team", "claims", datetime.now(timezone.utc))
    assert store.revoke(grant.token_id)
    return token


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},  # no token at all
        {"Content-Type": "application/json", "Authorization": "Basic dXNlcjpwdw=="},  # not a bearer token
        bearer("fo_garbage"),  # an unknown token
        bearer(""),
    ],
    ids=["no-header", "basic", "garbage", "empty"],
)
def test_401_shape(api, headers):
    r = api.http.post("/v1/work-items", headers=headers, body=WORK)
    assert r.status_code == 401
    assert shape(r)["message"] == "missing or invalid bearer token"


def test_401_shape_for_a_revoked_token(api):
    r = api.http.get("/v1/use-cases", headers=bearer(revoked_token()))
    assert r.status_code == 401 and shape(r)["status"] == 401


@pytest.mark.parametrize(
    "method,path,who",
    [
        ("post", "/v1/work-items", "admin"),
        ("get", "/v1/summary?month=2026-11", "claims"),
        ("post", "/v1/cost-imports?feed=x", "sheet"),
    ],
)
def test_403_shape_for_a_scope_the_route_does_not_serve(api, tokens, method, path, who):
    token = tokens["teams"]["claims"] if who == "claims" else tokens[who]
    headers = (
        bearer(token)
        if method == "get" or "work-items" in path
        else {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    )
    r = getattr(api.http, method)(path, headers=headers, body=WORK if method == "post" else b"")
    assert r.status_code == 403
    assert "token" in shape(r)["message"]


def test_chalices_own_errors_are_in_the_same_shape(api, tokens, monkeypatch):
    r = api.http.delete("/v1/health")
    assert r.status_code == 405 and "DELETE" in shape(r)["message"] and r.headers["Allow"] == "GET"
    r = api.http.post(
        "/v1/work-items", headers={**bearer(tokens["teams"]["claims"]), "Content-Type": "text/xml"}, body=WORK
    )
    assert r.status_code == 415 and "text/xml" in shape(r)["message"]

    def broken():
        raise RuntimeError("the table is on fire")

    monkeypatch.setattr(bootstrap.backend(), "organisation", broken)
    r = api.http.get("/v1/use-cases", headers=bearer(tokens["admin"]))
    assert r.status_code == 500 and shape(r)["message"] == "An internal server error occurred."
    assert "fire" not in r.body.decode()  # no internals leak


def test_the_app_answers_its_own_errors_in_the_shape(api, tokens):
    r = api.http.get("/v1/summary?month=nope", headers=bearer(tokens["admin"]))
    assert r.status_code == 400 and "YYYY-MM" in shape(r)["message"]
    r = api.http.get("/v1/use-cases/nope/guardrail", headers=bearer(tokens["admin"]))
    assert r.status_code == 404 and shape(r)["message"] == "unknown use case: nope"


def test_an_import_with_bad_rows_has_the_shape_beside_its_rows(api, tokens):
    csv = "date,source,category,team,use_case,amount\n2026-11-01,inv,api,claims,claims-processing,lots\n"
    r = api.http.post(
        "/v1/cost-imports?feed=inv",
        headers={"Authorization": f"Bearer {tokens['admin']}", "Content-Type": "text/csv"},
        body=csv,
    )
    answer = json.loads(r.body)
    assert r.status_code == 400 and answer["error"]["status"] == 400
    assert "nothing was stored" in answer["error"]["message"] and answer["errors"][0]["column"] == "amount"


def test_a_revoked_token_stops_working_within_the_cache_time(api, tokens, aws):
    clock = [1000.0]
    warm = bootstrap.Backend(aws.clients, aws.tables, aws.stores, clock=lambda: clock[0])  # a warm Lambda
    with bootstrap.serving(warm):
        token = tokens["teams"]["claims"]
        assert api.http.get("/v1/use-cases", headers=bearer(token)).status_code == 200
        store = stores.stores().tokens
        store.revoke(next(g.token_id for g in store.list() if g.team == "claims"))
        clock[0] += access.TOKEN_CACHE_SECONDS - 1
        assert api.http.get("/v1/use-cases", headers=bearer(token)).status_code == 200  # its cache
        clock[0] += 2
        r = api.http.get("/v1/use-cases", headers=bearer(token))
        assert r.status_code == 401 and shape(r)["status"] == 401


def test_openapi_documents_the_shape_for_every_error():
    from pathlib import Path

    import yaml

    spec = yaml.safe_load((Path(__file__).resolve().parent.parent / "openapi.yaml").read_text())
    detail = spec["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"status", "message"}
    assert spec["components"]["schemas"]["Error"]["properties"]["error"] == {"$ref": "#/components/schemas/ErrorDetail"}
    responses = spec["components"]["responses"]
    for name in ("Unauthorized", "Forbidden", "Error"):
        assert responses[name]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op["responses"]["default"] == {"$ref": "#/components/responses/Error"}, (path, method)
            if op.get("security"):
                assert op["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}, (path, method)
            for code, answer in op["responses"].items():
                if code.startswith(("4", "5")) and "content" in answer:
                    schema = answer["content"]["application/json"]["schema"]
                    if "$ref" in schema:
                        name = schema["$ref"].rsplit("/", 1)[-1]
                        schema = (
                            spec["components"]["schemas"][name] if name != "Error" else {"properties": {"error": {}}}
                        )
                    assert "error" in schema["properties"], (path, method, code)
