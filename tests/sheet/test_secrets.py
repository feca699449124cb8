"""No secret leaves where it is kept: over a month close (billing pulled with the vendors' admin keys,
the sheet read and written with the service account, emails sent, runs recorded) and the API read
with every token, no API token, vendor admin key, service-account field (private key, key id) or
Google access token appears in the logs, the sheet's cells and notes, the emails (SES, the outbox,
the .eml copies), the stored items (run records included) or any API answer.

Also when a vendor quotes the refused key back in its error (some do, in full): the error is kept
(freshness, Sync log, run record) with the key redacted.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.sheet.pipeline_world import at, ses_messages
from tests.sheet.test_pipeline_runs import MONTH_CLOSE, run_ok

pytestmark = pytest.mark.e2e  # a month close searched for secrets everywhere it writes: make check

TABLES = ("finops-config", "finops-work-items", "finops-unit-counts", "finops-cost-facts")


def secrets_of(world) -> dict:
    """name -> secret text, each long and distinctive enough that finding it is a leak."""
    import boto3

    from local import demo_billing

    account = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId="finops/google-service-account")["SecretString"]
    )
    pem_lines = [line for line in account["private_key"].splitlines() if line and "PRIVATE KEY" not in line]
    found = {
        "openai admin key": demo_billing.OPENAI_ADMIN_KEY,
        "anthropic admin key": demo_billing.ANTHROPIC_ADMIN_KEY,
        "service account private_key_id": account["private_key_id"],
        "service account private key (first line)": pem_lines[0],
        "service account private key (last full line)": pem_lines[-2],
        "admin token": world.tokens["admin"],
        "sheet token": world.tokens["sheet"],
    }
    found.update({f"{team} token": token for team, token in world.tokens["teams"].items()})
    found.update({f"google access token {i}": t for i, t in enumerate(world.sheet.app.auth.tokens)})
    return found


def stored_items() -> str:
    """Every stored item but the tokens' own rows (which hold SHA-256 hashes, by design)."""
    import boto3

    client = boto3.client("dynamodb")
    items = [
        i
        for t in TABLES
        for page in client.get_paginator("scan").paginate(TableName=t)
        for i in page["Items"]
        if i.get("pk", {}).get("S") != "TOKEN"
    ]
    return json.dumps(items, default=str)


def sheet_text(world) -> str:
    """Every cell of every tab: values, notes, formats."""
    return json.dumps(
        [
            {"title": s.title, "cells": {f"{r},{c}": v for (r, c), v in s.cells.items()}}
            for s in world.sheet.spreadsheet().sheets
        ]
    )


def emails_text(tmp_path: Path) -> str:
    sent = [{"subject": m.subject, "body": str(m.body), "raw": str(getattr(m, "raw_data", ""))} for m in ses_messages()]
    copies = [p.read_text(errors="replace") for p in (tmp_path / "outbox").glob("*.eml")]
    return json.dumps(sent) + "\n".join(copies)


def api_text(world, run_ids) -> str:
    """The answers every token gets from every read route, plus refusals of near-miss tokens."""
    c = world.client.http
    answers = []
    callers = [world.tokens["admin"], world.tokens["sheet"], *world.tokens["teams"].values()]
    paths = [
        "/v1/health",
        "/v1/use-cases",
        "/v1/use-cases/drift/guardrail",
        "/v1/alerts",
        "/v1/summary?month=2026-09",
        "/v1/exports/focus?month=2026-09",
        "/v1/exports/unit-costs?month=2026-09",
        "/v1/runs/nope",
        *(f"/v1/runs/{r}" for r in run_ids),
    ]
    for token in callers:
        for path in paths:
            answers.append(c.get(path, headers={"Authorization": f"Bearer {token}"}).body.decode())
        near_miss = token[:-1] + ("A" if token[-1] != "A" else "B")
        answers.append(c.get("/v1/use-cases", headers={"Authorization": f"Bearer {near_miss}"}).body.decode())
        answers.append(
            c.post(
                "/v1/runs", headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, body="{}"
            ).body.decode()
        )
        answers.append(
            c.post(
                "/v1/work-items",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                body=json.dumps({"items": [{"work_item_id": "w"}]}),
            ).body.decode()
        )
    return "\n".join(answers)


def leaks(secrets: dict, places: dict) -> list:
    return [(name, where) for name, secret in secrets.items() for where, text in places.items() if secret in text]


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO)  # what the Lambdas log (Powertools' level); libraries' DEBUG is off there
    return caplog


def test_no_secret_in_logs_sheet_emails_stored_items_or_answers_over_a_month_close(short_world, logs, capfd, tmp_path):
    w = short_world
    record = run_ok(w, "monthly", MONTH_CLOSE)
    assert record.emails_sent == 3 and ses_messages()  # the scenario did mail, pull and write the sheet
    secrets = secrets_of(w)
    assert any(name.startswith("google access token") for name in secrets)  # the sheet was reached
    places = {
        "answers": api_text(w, [record.run_id]),
        "sheet": sheet_text(w),
        "emails": emails_text(tmp_path),
        "stored items (run records, outbox, alerts, ...)": stored_items(),
    }
    out, err = capfd.readouterr()
    places["logs"] = out + err + logs.text
    assert "scheduled run" in places["logs"]  # the handlers' lines were captured to look through
    assert not leaks(secrets, places)


def test_a_vendor_quoting_the_refused_key_back_is_kept_with_the_key_redacted(short_world, logs, capfd, monkeypatch):
    from local.vendor_emulators.base import json_response

    w = short_world

    def quoting(request):  # as a vendor echoing what it was sent
        return json_response(
            {"error": {"message": f"Incorrect API key provided: {request.headers.get('Authorization', '')[7:]}"}}, 401
        )

    monkeypatch.setattr(w.openai.app, "auth_error", quoting)
    answer = w.invoke("hourly", at("2026-10-01T04:05:00Z"))
    record = w.record(answer["run_id"])
    assert record.status == "partial", record.message
    secrets = secrets_of(w)
    from chalicelib import stores

    openai = next(f for f in stores.stores().freshness.all() if f.source == "openai")
    assert "Incorrect API key provided: [redacted]" in openai.last_error  # the vendor's words kept
    out, err = capfd.readouterr()
    places = {
        "sheet": sheet_text(w),
        "stored items": stored_items(),
        "answers": api_text(w, [record.run_id]),
        "logs": out + err + logs.text,
    }
    assert not leaks(secrets, places)
