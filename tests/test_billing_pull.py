"""A scheduled pull: every source lands in the ledger; a failing vendor is skipped, not fatal."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import boto3
import pytest

from local import demo_billing
from local.vendor_emulators import start_anthropic_emulator, start_openai_emulator

START, END = date(2026, 11, 2), date(2026, 11, 5)  # three UTC days


@pytest.fixture
def vendors(demo_org, monkeypatch):
    openai, anthropic = start_openai_emulator(), start_anthropic_emulator()
    monkeypatch.setenv("OPENAI_BASE_URL", openai.url)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic.url)
    monkeypatch.setenv("VENDOR_HTTP_BACKOFF_FACTOR", "0.001")
    monkeypatch.setenv("VENDOR_HTTP_RETRIES", "2")
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="finops/openai-admin-key", SecretString=demo_billing.OPENAI_ADMIN_KEY)
    secrets.create_secret(Name="finops/anthropic-admin-key", SecretString=demo_billing.ANTHROPIC_ADMIN_KEY)
    yield {"openai": openai, "anthropic": anthropic}
    openai.stop()
    anthropic.stop()


def pull():
    from chalicelib import billing, stores

    demo_billing.inject_aws_costs_into_moto(START, END)
    s, org = stores.stores(), stores.organisation()
    return billing.pull_sources(billing.vendor_sources(org, s.work_items), START, END, org, s.ledger, s.freshness,
                                datetime.now(timezone.utc))


def ledger_by_key():
    from chalicelib import stores

    totals: dict = {}
    for f in stores.stores().ledger.facts_between(START, date(2026, 11, 4)):
        totals[f.vendor_key] = totals.get(f.vendor_key, Decimal(0)) + f.effective_cost
    return totals


def expected_by_key(keys_from=("openai:", "anthropic:", "aws:")):
    totals: dict = {}
    for day in (date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)):
        for key, amount in demo_billing.expected_daily_spend(day).items():
            if key.startswith(keys_from):
                totals[key] = totals.get(key, Decimal(0)) + amount
    return totals


def test_every_vendor_dollar_lands_exactly_and_a_rerun_changes_nothing(vendors):
    report = pull()
    assert all(r.ok for r in report.results), report.results
    assert ledger_by_key() == expected_by_key()
    assert set(report.unmapped) == set(demo_billing.UNMAPPED_VENDOR_KEYS)

    again = pull()
    assert sum(r.puts + r.deletes for r in again.results) == 0
    assert ledger_by_key() == expected_by_key()


def test_a_restated_day_replaces_the_old_amount(vendors):
    pull()
    vendors["openai"].faults.restate(date(2026, 11, 3), Decimal("1.5"), key="proj_claims")
    pull()
    stored = ledger_by_key()["openai:project:proj_claims"]
    days = [demo_billing.expected_daily_spend(date(2026, 11, d))["openai:project:proj_claims"] for d in (2, 3, 4)]
    restated_day = stored - days[0] - days[2]
    # The emulator restates each line item in OpenAI's own 6 decimals: the day is replaced, not added.
    assert abs(restated_day - days[1] * Decimal("1.5")) <= Decimal("0.000002")


def test_a_failing_vendor_is_skipped_and_recorded_while_the_others_land(vendors):
    from chalicelib import stores

    pull()
    vendors["anthropic"].faults.fail_next(50, status=503)
    report = pull()
    outcome = {r.source: r.ok for r in report.results}
    assert outcome == {"openai": True, "anthropic": False, "aws": True, "human_review": True}
    fresh = {f.source: f for f in stores.stores().freshness.all()}
    assert fresh["anthropic"].last_error and fresh["anthropic"].last_success_at  # the earlier success is kept
    assert fresh["openai"].last_error == ""
    # What Anthropic reported before stays: a failed pull never removes facts.
    assert ledger_by_key()["anthropic:workspace:wrkspc_support"] == expected_by_key()[
        "anthropic:workspace:wrkspc_support"]
