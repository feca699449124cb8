"""Shared fixtures: moto's in-process AWS with the real tables and a backend on it, the demo organisation, tokens."""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

import moto  # noqa: F401  (before any boto3 session: the session the tests keep carries moto's hook)
import pytest

# Fixture modules every test may use (fixtures, not imports, so no test redefines a name it imported).
pytest_plugins = ["sheets_emulator.pytest_plugin", "tests.sheets_fixtures", "tests.sheet.pipeline_world"]

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "AIFinOps")
os.environ.setdefault("INDEX_SETTLE_SECONDS", "0")  # moto's indexes are synchronous: settled days cache at once
for _name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
    os.environ.pop(_name, None)


@pytest.fixture
def aws(monkeypatch):
    """moto in-process with the tables from infra/tables.json, and a backend (clients and stores) built
    on it and served for the test: chalicelib.bootstrap.Backend, the one `stores.stores()` answers with."""
    import boto3

    from chalicelib import bootstrap
    from local.tables import create_tables

    with moto_aws(monkeypatch):
        create_tables(boto3.client("dynamodb"))
        with bootstrap.serving(bootstrap.Backend.from_env()) as backend:  # no token or sheet client remembered
            yield backend


@contextmanager
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in-process, empty, with its fake credentials and no secret remembered from before (`aws`, and
    fixtures of a wider scope with their own MonkeyPatch)."""
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # One boto3 session per worker (moto would make a new one per test): its loaded service models are kept.
    with mock_aws(config={"core": {"reset_boto3_session": False}}):
        forget_secrets()
        try:
            yield
        finally:
            forget_secrets()


def forget_secrets() -> None:
    """Powertools keeps the secrets it read (the sheet's service account, the vendors' keys) per process:
    each test's moto holds its own."""
    import sys

    parameters = sys.modules.get("aws_lambda_powertools.utilities.parameters")
    if parameters is not None:
        parameters.clear_caches()


@pytest.fixture
def backend(aws):
    """The backend the test's organisation and tokens are stored on: moto's DynamoDB here; a module
    overrides it to keep them elsewhere (tests/sheet/test_sync.py: in memory)."""
    return aws


@pytest.fixture
def demo_org(backend):
    from local.demo_org import demo_organisation

    org = demo_organisation()
    backend.stores.organisation.save(org)
    return org


@pytest.fixture
def tokens(backend, demo_org):
    now = datetime.now(timezone.utc)
    store = backend.stores.tokens
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
