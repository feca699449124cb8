"""Email fixtures: moto's SES v2 with a verified sender, the outbox over the real config table."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.domain.notices import Notice

SENDER = "finops-alerts@example.com"
SHEET_URL = "https://docs.google.com/spreadsheets/d/sheet-123/edit"
NOW = datetime(2026, 11, 16, 7, 0, tzinfo=timezone.utc)


def notice(kind: str = "red", key: str = "", **fields) -> Notice:
    values = dict(
        key=key or f"slo:claims-processing:2026-11-09:{kind}",
        kind=kind,
        recipients=("owner@example.com", "lead@example.com"),
        subject=f"{kind.upper()}: Claims processing over its cost per claim target",
        headline="red: $2.4300 per claim in 2026-W46, 62 % over the $1.5000 target, and 25 % over in 2026-W45",
        numbers=(("Cost per claim, 2026-W46", "$2.4300"), ("Target", "$1.5000"), ("Overrun, 2026-W46", "62.00 %")),
        actions=("Find the root cause within 48 hours and write it down for finance.",),
        use_case="claims-processing",
        team="claims",
    )
    values.update(fields)
    return Notice(**values)


@pytest.fixture
def sesv2(aws):
    import boto3

    client = boto3.client("sesv2", region_name="us-east-1")
    client.create_email_identity(EmailIdentity=SENDER)  # SES sends only from a verified identity
    return client


@pytest.fixture
def outbox(aws):
    import boto3

    from chalicelib.storage.outbox_store import OutboxStore

    return OutboxStore(boto3.resource("dynamodb", region_name="us-east-1"), "finops-config")


def sent_messages() -> list:
    """What moto's SES accepted (SES v2 keeps its messages in the v1 backend)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)
