"""The add-on's Refresh now against the real local API: the add-on's .gs files run in Node (a vm with a
UrlFetchApp fake performing real HTTP, sheets_addon/tools/refresh_live.js); the runs-queue consumer runs in
this process (`stack.start_pipeline(schedules=False)`), as Lambda's SQS trigger would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from local.stack import LocalStack

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.e2e,  # the add-on's Refresh now through the local stack: make check
    pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (node) on PATH"),
]


def _sync_log_rows(stack) -> list:
    book = stack.sheets.spreadsheet()
    if "Sync log" not in book.titles():
        return []
    sheet = book.sheet_by_title("Sync log")
    rows, cols = sheet.data_extent()
    out = []
    for r in range(rows):
        row = []
        for c in range(cols):
            value = (sheet.cell(r, c) or {}).get("userEnteredValue") or {}
            row.append(next(iter(value.values()), None))
        out.append(row)
    return out


def test_refresh_now_runs_the_pipeline_and_the_sheet_changes(tmp_path):
    with LocalStack(workbook=tmp_path / "finops.xlsx") as stack:
        stack.start_pipeline(schedules=False)
        before_titles = list(stack.sheets.spreadsheet().titles())
        before_log = _sync_log_rows(stack)
        token = stack.tokens["sheet"]
        env = {**os.environ, "FINOPS_API_URL": stack.api_url, "FINOPS_SHEET_TOKEN": token, "FINOPS_POLL_MS": "1000"}
        done = subprocess.run(
            ["node", str(ROOT / "sheets_addon" / "tools" / "refresh_live.js"), "hourly"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert token not in done.stdout and token not in done.stderr
        result = json.loads(done.stdout)

        outcome = result["outcome"]
        assert outcome["status"] == "ok", outcome
        assert result["alerts"][-1]["title"] == "AI FinOps: the sheet is up to date"
        assert outcome["runId"] in result["alerts"][-1]["message"]
        assert result["toasts"][0]["message"].startswith("Refresh queued (run ")
        # The API agrees with what the add-on showed.
        run = requests.get(
            f"{stack.api_url}/v1/runs/{outcome['runId']}", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ).json()
        assert run["status"] == "ok" and run["kind"] == "hourly"
        assert any(s["name"] == "write sheet" and s["status"] == "ok" for s in run["steps"]), run["steps"]

        # The sheet changed: the run wrote its tabs and its Sync log line.
        after_titles = list(stack.sheets.spreadsheet().titles())
        after_log = _sync_log_rows(stack)
        assert "Dashboard" in after_titles and "Sync log" in after_titles
        assert after_log != before_log and after_log[1][1] == "ok", after_log[:3]
        assert (before_titles, before_log) != (after_titles, after_log)

        # The Status sidebar's data, from the same API and sheet.
        status = result["status"]
        assert status["errors"] == [], status["errors"]
        assert status["lastRun"]["runId"] == outcome["runId"] and status["lastRun"]["status"] == "ok"
        assert {f["source"] for f in status["freshness"]} >= {"openai", "anthropic"}
        # (status["syncLog"] reads the Node fake's own sheet, not the emulator's: checked in status.test.js.)
