"""Fixtures for the sheet front end: moto (tables + Secrets Manager) and the in-process Sheets emulator.

The fake service account lives in moto's Secrets Manager under the production secret name and
SHEET_ID names the emulator's spreadsheet: the code under test takes its production path.
"""
from __future__ import annotations

import json

import pytest

from tests.sheets_fixtures import (  # noqa: F401  (fixtures)
    sheets_emulator, sheets_env, sheets_service_account, sheets_xlsx_path)


@pytest.fixture
def sheet(aws, sheets_env, sheets_service_account, monkeypatch):
    """The emulator handle, with credentials stored and SHEET_ID set."""
    import boto3
    from aws_lambda_powertools.utilities import parameters

    from chalicelib.sheet import session

    boto3.client("secretsmanager").create_secret(Name="finops/google-service-account",
                                                 SecretString=json.dumps(sheets_service_account))
    monkeypatch.setenv("SHEET_ID", sheets_env.default_spreadsheet_id)
    monkeypatch.delenv("GOOGLE_SERVICE_ACCOUNT_SECRET", raising=False)
    parameters.clear_caches()
    session.reset()
    yield sheets_env
    parameters.clear_caches()
    session.reset()
