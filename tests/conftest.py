"""Shared fixtures: moto's in-process AWS with the real tables, the demo organisation, tokens."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "AIFinOps")
os.environ.setdefault("INDEX_SETTLE_SECONDS", "0")  # moto's indexes are synchronous: settled days cache at once
for _name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
    os.environ.pop(_name, None)


@pytest.fixture
def aws(monkeypatch):
    """moto in-process with the tables from infra/tables.json; the app's cached clients reset."""
    from moto import mock_aws

    from chalicelib import access, stores
    from local.tables import create_tables

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        import boto3

        stores.reset()
        access.clear_cache()
        create_tables(boto3.client("dynamodb"))
        yield
        stores.reset()
        access.clear_cache()


@pytest.fixture
def demo_org(aws):
    from chalicelib import stores
    from local.demo_org import demo_organisation

    org = demo_organisation()
    stores.stores().organisation.save(org)
    return org


@pytest.fixture
def tokens(demo_org):
    from chalicelib import stores

    now = datetime.now(timezone.utc)
    store = stores.stores().tokens
    made = {"teams": {}}
    for team in ("sales", "support", "claims", "operations"):
        made["teams"][team] = store.create("team", team, now)[0]
    made["admin"] = store.create("admin", "", now)[0]
    made["sheet"] = store.create("sheet", "", now)[0]
    return made


@pytest.fixture
def api(tokens):
    from chalice.test import Client

    import app as app_module

    with Client(app_module.app) as client:
        yield client


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
