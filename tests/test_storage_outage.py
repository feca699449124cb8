"""A dependency outage is a clear 503: DynamoDB unreachable or throttling after botocore's retries."""

from __future__ import annotations

import json
import socket

from tests.conftest import bearer

ITEM = {
    "work_item_id": "c-1",
    "use_case": "claims-processing",
    "completed_at": "2026-11-23T10:00:00Z",
    "status": "success",
}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed: connections are refused


def storage_down(monkeypatch):
    from chalicelib import bootstrap

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    bootstrap.install(bootstrap.Backend.from_env())  # a Lambda started now: its clients on the dead endpoint


def storage_back(monkeypatch):
    from chalicelib import bootstrap

    monkeypatch.delenv("AWS_ENDPOINT_URL")
    bootstrap.install(bootstrap.Backend.from_env())


def assert_503(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = json.loads(response.body)
    assert body["error"]["status"] == 503 and "storage is unavailable" in body["error"]["message"]
    return body


def test_unreachable_storage_answers_503_with_retry_after_and_health_says_degraded(api, tokens, monkeypatch):
    storage_down(monkeypatch)
    assert_503(
        api.http.post("/v1/work-items", body=json.dumps({"items": [ITEM]}), headers=bearer(tokens["teams"]["claims"]))
    )
    assert_503(api.http.get("/v1/use-cases/claims-processing/guardrail", headers=bearer(tokens["admin"])))
    health = assert_503(api.http.get("/v1/health"))
    assert health["status"] == "degraded" and health["storage"] == "unavailable"

    storage_back(monkeypatch)
    ok = api.http.get("/v1/health")
    assert ok.status_code == 200 and json.loads(ok.body)["status"] == "ok"
    from chalicelib import stores

    assert stores.stores().work_items.units_for_month("2026-11") == []  # the refused post stored nothing


def test_throttling_after_retries_is_503_not_500(api, tokens, monkeypatch):
    from botocore.exceptions import ClientError

    from chalicelib.storage.work_items import WorkItemStore

    def throttled(self, items, now):
        raise ClientError(
            {
                "Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            "TransactWriteItems",
        )

    monkeypatch.setattr(WorkItemStore, "save", throttled)
    assert_503(
        api.http.post("/v1/work-items", body=json.dumps({"items": [ITEM]}), headers=bearer(tokens["teams"]["claims"]))
    )


def test_a_bug_is_still_a_500_not_a_503(api, tokens, monkeypatch):
    from chalicelib.storage.work_items import WorkItemStore

    def broken(self, items, now):
        raise KeyError("use_case")

    monkeypatch.setattr(WorkItemStore, "save", broken)
    response = api.http.post(
        "/v1/work-items", body=json.dumps({"items": [ITEM]}), headers=bearer(tokens["teams"]["claims"])
    )
    assert response.status_code == 500 and "Retry-After" not in response.headers
