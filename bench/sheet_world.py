"""What the sheet and pipeline benches start from: moto in-process with the real tables, the local
Sheets emulator (in memory) and its service account in Secrets Manager, and a big organisation of
`use_cases` saved. One definition, so the benches measure the same set-up."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def sheet_world(use_cases: int) -> Iterator[tuple]:
    """Yields (organisation, Sheets emulator handle); SHEETS_ENDPOINT_URL and SHEET_ID point at it."""
    from moto import mock_aws
    from sheets_emulator import start_emulator

    from local.fake_service_account import service_account_info

    with mock_aws(), tempfile.TemporaryDirectory() as tmp:
        import boto3
        from aws_lambda_powertools.utilities import parameters

        from chalicelib import bootstrap, stores
        from local.tables import create_tables
        from tests.sheet.data import big_organisation

        before = bootstrap.install(bootstrap.Backend.from_env())  # a world of its own, on this moto
        parameters.clear_caches()
        create_tables(boto3.client("dynamodb"))
        emu = start_emulator(Path(tmp) / "bench.xlsx", port=0, persist=False)
        try:
            os.environ.update(SHEETS_ENDPOINT_URL=emu.url, SHEET_ID=emu.default_spreadsheet_id)
            boto3.client("secretsmanager").create_secret(
                Name="finops/google-service-account", SecretString=json.dumps(service_account_info(emu.url))
            )
            org = big_organisation(use_cases)
            stores.stores().organisation.save(org)
            yield org, emu
        finally:
            emu.stop()
            for key in ("SHEETS_ENDPOINT_URL", "SHEET_ID"):
                os.environ.pop(key, None)
            bootstrap.install(before)  # the next bench in this process builds its own
            parameters.clear_caches()
