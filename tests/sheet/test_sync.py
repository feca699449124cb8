"""`sheet sync` against the emulator through the real gspread client, with the stores in memory behind it
(`memory_backend`: moto is there for Secrets Manager, where the service account is; the stores are
tested on DynamoDB by tests/storage). Each test's sheet starts as `sheet init` laid it out (`laid_out`)."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from decimal import Decimal as D

import pytest
from sheets_emulator.pytest_plugin import edited_workbook

from chalicelib import sheet_sync, stores
from chalicelib.domain import engine
from chalicelib.domain.money import cents
from chalicelib.services import pipeline
from chalicelib.sheet import layout
from tests.conftest import bearer
from tests.sheet.data import seed_demo
from tests.sheet.helpers import NOW, api_calls, column, find_row, snapshot, values

pytestmark = pytest.mark.usefixtures("memory_backend")


@pytest.fixture
def backend(memory_backend):
    """The demo organisation and the tokens (tests/conftest.py's demo_org, tokens) in the in-memory stores."""
    return memory_backend


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory):
    """The demo organisation's sheet as `sheet init` lays it out (through gspread, on an emulator
    persisting to .xlsx), made once per module: laying it out was most of the emulator's work for a
    test, and the result is the same each time (it depends on the organisation only). That a copy
    loaded from the file is the sheet as laid out, test_cli_sheet_commands checks: `sheet init` finds
    nothing to change in it."""
    from chalicelib import bootstrap
    from chalicelib.runtime import AwsClients, TableNames
    from chalicelib.storage.in_memory import in_memory_stores
    from local.demo_org import demo_organisation
    from tests.conftest import moto_aws
    from tests.sheet.conftest import emulator_with_credentials

    path = tmp_path_factory.mktemp("laid-out") / "finops.xlsx"
    with pytest.MonkeyPatch.context() as mp, moto_aws(mp):
        backend = bootstrap.Backend(AwsClients(), TableNames.from_env(), stores=in_memory_stores())
        backend.stores.organisation.save(demo_organisation())
        with bootstrap.serving(backend), emulator_with_credentials(path, mp, persist=True):
            report = sheet_sync.init()
            assert report.ok and report.created, report.error
    return path


@pytest.fixture
def sheets_xlsx_path(sheets_xlsx_path, laid_out):
    """Each test's emulator starts from a copy of the laid-out sheet."""
    sheets_xlsx_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(laid_out, sheets_xlsx_path)
    return sheets_xlsx_path


@pytest.fixture
def demo_sheet(sheet, demo_org):
    sheet.data = seed_demo(NOW.date(), days=36)
    return sheet


def _engine(data):
    org = stores.stores().organisation.load()
    return engine.compute(org, data["facts"], data["units"], NOW.date(), None)


def test_full_sync_writes_the_engines_numbers(demo_sheet, api, tokens):
    demo_sheet.reset_log()
    report = pipeline.sync(NOW)
    assert report.ok, report.error
    # two reads (metadata, one values batch get) and one write
    assert api_calls(demo_sheet) == [
        ("GET", "metadata", 200),
        ("GET", "values:batchGet", 200),
        ("POST", "batchUpdate", 200),
    ]
    assert (report.requests, report.reads, report.writes) == (3, 2, 1)
    out = _engine(demo_sheet.data)
    alloc = out.allocation["2026-11"]

    dash = values(demo_sheet, layout.DASHBOARD)
    assert find_row(dash, "Last updated")[1] == "2026-11-22 14:05 UTC"
    assert find_row(dash, "Spend, month to date")[1] == float(cents(alloc.total))
    assert find_row(dash, "Use cases critical")[1] == sum(1 for s in out.statuses.values() if s.colour == "critical")
    assert find_row(dash, "Maturity stage")[1].startswith(f"{out.maturity.stage} of 5")

    pnl = values(demo_sheet, layout.AGENT_PNL)
    assert pnl[0] == list(layout.PNL_HEADERS)
    row = next(r for r in pnl if r[0] == "2026-11" and r[2] == "claims-processing")
    expected = next(r for r in out.pnl if r.month == "2026-11" and r.use_case == "claims-processing")
    assert row[column(pnl, "Cost")] == float(cents(expected.cost))
    assert row[column(pnl, "Units")] == expected.units
    assert row[column(pnl, "Cost per unit")] == float(expected.cpu.quantize(D("0.0001")))
    assert row[column(pnl, "Colour")] == expected.colour
    assert {r[0] for r in pnl[1:]} == {"2026-10", "2026-11"}
    cost_fmt = demo_sheet.spreadsheet().sheet_by_title(layout.AGENT_PNL).cell(1, column(pnl, "Cost"))
    assert cost_fmt["userEnteredFormat"]["numberFormat"]["type"] == "CURRENCY"

    units = values(demo_sheet, layout.UNIT_COSTS)
    lead = find_row(units, "lead-scoring")
    status = out.statuses["lead-scoring"]
    assert lead[column(units, "Judged week")] == "2026-W46"
    assert lead[column(units, "Cost per unit (judged week)")] == float(status.cpu_week.quantize(D("0.0001")))
    assert lead[column(units, "Colour")] == status.colour == "critical"
    assert units[0][-1] == "Month 2026-11 (to date)" and "Week 2026-W47 (partial)" in units[0]

    alerts = values(demo_sheet, layout.ALERTS)
    assert alerts[1][:2] == ["critical", "lead-scoring"]
    assert any(r[0] == "red" and r[1] == "ticket-escalation" for r in alerts)

    board = values(demo_sheet, layout.BOARD)
    assert board[0][0] == "Board report: 2026-10"
    assert find_row(board, "Total AI spend")[1] == float(cents(out.board.total))

    mappings = values(demo_sheet, layout.MAPPINGS)
    shadow = find_row(mappings, "openai:project:proj_shadow_marketing")
    assert shadow[1:3] == [None, None] and "added by the sync" in shadow[3]
    assert report.new_mapping_keys == ["openai:project:proj_shadow_marketing"]

    log = values(demo_sheet, layout.SYNC_LOG)
    assert log[1][:2] == ["2026-11-22T14:05:00Z", "ok"]

    # what was computed is what agents are told
    body = json.loads(
        api.http.get("/v1/use-cases/lead-scoring/guardrail", headers=bearer(tokens["teams"]["sales"])).body
    )
    assert body["paused"] is True and body["colour"] == "critical" and body["as_of"] == "2026-11-22T14:05:00Z"
    body = json.loads(
        api.http.get("/v1/use-cases/claims-processing/guardrail", headers=bearer(tokens["teams"]["claims"])).body
    )
    claims = out.statuses["claims-processing"]
    assert body["colour"] == claims.colour and body["paused"] is False
    assert body["month_to_date_cost"] == str(cents(claims.month_to_date_cost))


def test_a_second_sync_with_no_changes_changes_nothing(demo_sheet):
    assert pipeline.sync(NOW).ok
    before = snapshot(demo_sheet)
    report = pipeline.sync(NOW)
    assert report.ok and report.new_mapping_keys == [] and report.added_headers == []
    after = snapshot(demo_sheet)
    assert set(after) == set(before)
    for title in after:
        if title != layout.SYNC_LOG:
            assert after[title] == before[title], title
    log = values(demo_sheet, layout.SYNC_LOG)
    assert [r[0] for r in log[1:]] == ["2026-11-22T14:05:00Z"] * 2  # one more run line, the first one kept


def _rewrite(ws, rows):
    ws.delete_rows(1, ws.max_row)
    for r in rows:
        ws.append(r)


@pytest.mark.xlsx
def test_finance_edits_take_effect_and_bad_cells_are_named(demo_sheet, sheets_xlsx_path):
    assert pipeline.sync(NOW).ok
    with edited_workbook(sheets_xlsx_path) as wb:
        ws = wb[layout.USE_CASES]
        rows = [[c.value for c in r] for r in ws.iter_rows()]
        header = rows[0]
        by_id = {r[0]: r for r in rows[1:]}
        by_id["claims-processing"][header.index("Target cost per unit")] = "$5.50"
        by_id["ticket-escalation"][header.index("Monthly budget")] = "lots"
        by_id["ticket-escalation"][header.index("Tolerance")] = "12%"
        by_id["sdr-followup"][header.index("Decision")] = "retire"
        # finance moves the target column first, adds a column of their own and leaves gaps
        order = [header.index("Target cost per unit")] + [
            i for i in range(len(header)) if i != header.index("Target cost per unit")
        ]
        new = [["Finance comment"] + [header[i] for i in order]]
        for uid, r in by_id.items():
            new.append([f"note on {uid}"] + [r[i] for i in order])
            new.append([])
        new.append([None, 3, None, "support", "Nameless agent"])
        _rewrite(ws, new)
        teams = wb[layout.TEAMS]
        for r in teams.iter_rows(min_row=2):
            if r[0].value == "support":
                r[3].value = "1 200"
        settings = wb[layout.SETTINGS]
        for r in settings.iter_rows(min_row=2):
            if r[0].value == "Yellow overrun":
                r[1].value = "15%"
    report = pipeline.sync(NOW + timedelta(hours=1))
    assert report.ok, report.error

    org = stores.stores().organisation.load()
    assert org.use_case("claims-processing").target_cpu == D("5.50")
    assert org.use_case("ticket-escalation").tolerance == D("0.12")
    assert org.use_case("ticket-escalation").monthly_budget == D("1500")  # last good value kept
    assert org.use_case("sdr-followup").decision == "retire"
    assert next(t for t in org.teams if t.team_id == "support").monthly_budget == D("1200")
    assert org.settings.yellow_overrun == D("0.15")

    sheet_rows = values(demo_sheet, layout.USE_CASES)
    budget_col = sheet_rows[0].index("Monthly budget")
    bad_row = next(i for i, r in enumerate(sheet_rows) if r[2] == "ticket-escalation")
    cell = f"{chr(65 + budget_col)}{bad_row + 1}"
    nameless = next(i for i, r in enumerate(sheet_rows) if len(r) > 4 and r[4] == "Nameless agent")
    issues = {(i.tab, i.cell): i.reason for i in report.bad_cells}
    assert "kept the last good value 1500" in issues[(layout.USE_CASES, cell)]
    assert "row skipped: no Use case id" in issues[(layout.USE_CASES, f"C{nameless + 1}")]
    log = values(demo_sheet, layout.SYNC_LOG)
    assert log[1][1] == "bad cells"
    assert [layout.USE_CASES, cell, "lots"] == find_row(log, layout.USE_CASES, 2)[2:5]
    assert find_row(values(demo_sheet, layout.DASHBOARD), "Bad cells this sync")[1] == len(report.bad_cells)

    # nothing finance typed was rewritten: their text, their column, their gaps
    assert sheet_rows[0][0] == "Finance comment" and sheet_rows[1][0].startswith("note on")
    claims = next(r for r in sheet_rows if r[2] == "claims-processing")
    assert claims[1] == "$5.50"
    assert sheet_rows[2] == [None] * len(sheet_rows[2]) or not any(sheet_rows[2])
    assert find_row(values(demo_sheet, layout.UNIT_COSTS), "claims-processing")[4] == 5.5


@pytest.mark.xlsx
def test_a_deleted_column_comes_back_with_its_last_good_values(demo_sheet, sheets_xlsx_path):
    assert pipeline.sync(NOW).ok
    with edited_workbook(sheets_xlsx_path) as wb:
        ws = wb[layout.USE_CASES]
        owner = [c.value for c in ws[1]].index("Owner email") + 1
        ws.delete_cols(owner)
    report = pipeline.sync(NOW)
    assert report.ok, report.error
    assert report.added_headers == ["Use cases: Owner email"]
    rows = values(demo_sheet, layout.USE_CASES)
    assert rows[0][-1] == "Owner email"
    assert find_row(rows, "claims-processing")[-1] == "chris@example.com"
    assert stores.stores().organisation.load().use_case("claims-processing").owner_email == "chris@example.com"
    assert "Owner email" in values(demo_sheet, layout.SYNC_LOG)[1][5]
    assert pipeline.sync(NOW).added_headers == []  # and the next sync reads it as usual
    assert stores.stores().organisation.load().use_case("claims-processing").owner_email == "chris@example.com"


@pytest.mark.xlsx
def test_unmapped_key_listed_once_then_mapped_by_finance(demo_sheet, sheets_xlsx_path):
    assert pipeline.sync(NOW).new_mapping_keys == ["openai:project:proj_shadow_marketing"]
    assert pipeline.sync(NOW).new_mapping_keys == []
    keys = [r[0] for r in values(demo_sheet, layout.MAPPINGS)[1:]]
    assert keys.count("openai:project:proj_shadow_marketing") == 1
    assert any(r[3] == "unmapped vendor key" for r in values(demo_sheet, layout.ALERTS)[1:])
    with edited_workbook(sheets_xlsx_path) as wb:
        for r in wb[layout.MAPPINGS].iter_rows(min_row=2):
            if r[0].value == "openai:project:proj_shadow_marketing":
                r[1].value, r[2].value = "sales", "lead-scoring"
    report = pipeline.sync(NOW)
    assert report.ok and report.new_mapping_keys == []
    assert not any(r[3] == "unmapped vendor key" for r in values(demo_sheet, layout.ALERTS)[1:])
    assert find_row(values(demo_sheet, layout.DASHBOARD), "  unallocated")[1] == 0


def test_a_429_storm_is_retried_and_the_sync_succeeds(demo_sheet):
    demo_sheet.reset_log()
    demo_sheet.inject_fault(429, count=5)
    report = pipeline.sync(NOW)
    assert report.ok, report.error
    statuses = [s for _, _, s in api_calls(demo_sheet)]
    assert statuses.count(429) == 5 and statuses[-1] == 200
    assert report.requests == 3  # what the sync asked for; the transport retried underneath
    assert values(demo_sheet, layout.SYNC_LOG)[1][1] == "ok"


@pytest.mark.xlsx
def test_an_interrupted_write_leaves_the_sheet_as_it_was(demo_sheet, sheets_xlsx_path, monkeypatch):
    assert pipeline.sync(NOW).ok
    with edited_workbook(sheets_xlsx_path) as wb:
        for r in wb[layout.USE_CASES].iter_rows(min_row=2):
            if r[0].value == "claims-processing":
                r[6].value = 4  # a new target: the outputs would change
    values(demo_sheet, layout.USE_CASES)  # the emulator reads the edited file
    before = snapshot(demo_sheet)
    monkeypatch.setenv("SHEETS_MAX_RETRIES", "3")
    demo_sheet.inject_fault(503, count=100, match=":batchUpdate")
    later = NOW + timedelta(hours=2)
    report = pipeline.sync(later)
    assert not report.ok
    assert "writing the sheet failed (the sheet is unchanged)" in report.error and "503" in report.error
    assert snapshot(demo_sheet) == before
    assert [s for m, w, s in api_calls(demo_sheet) if w == "batchUpdate"][-4:] == [503] * 4
    # the guardrails still follow the latest figures
    rail = stores.stores().guardrails.get("claims-processing")
    assert rail.as_of == "2026-11-22T16:05:00Z" and rail.target == D(4)
    demo_sheet.clear_faults()
    assert pipeline.sync(later).ok
    assert find_row(values(demo_sheet, layout.UNIT_COSTS), "claims-processing")[4] == 4


def test_an_unreadable_sheet_falls_back_to_the_stored_configuration(demo_sheet, monkeypatch):
    monkeypatch.setenv("SHEETS_MAX_RETRIES", "2")
    before = snapshot(demo_sheet)
    demo_sheet.inject_fault(500, count=100, methods=["GET"])
    report = pipeline.sync(NOW)
    assert not report.ok and report.configuration == "stored" and "reading the sheet failed" in report.error
    assert report.guardrails == 5 and stores.stores().guardrails.get("lead-scoring").paused
    assert report.writes == 0
    demo_sheet.clear_faults()
    assert snapshot(demo_sheet) == before


def test_history_is_shortened_to_keep_the_request_small(demo_sheet, monkeypatch):
    assert pipeline.sync(NOW).ok  # (appends the new unmapped key)
    full = pipeline.sync(NOW)
    assert full.ok and not full.history_trimmed and (full.history_weeks, full.history_months) == (13, 13)
    monkeypatch.setenv("SHEET_MAX_REQUEST_BYTES", str(full.write_bytes - 1))
    report = pipeline.sync(NOW)
    assert report.ok and report.history_trimmed and report.write_bytes < full.write_bytes
    assert (report.history_weeks, report.history_months) < (13, 13)
    assert "history shortened" in values(demo_sheet, layout.SYNC_LOG)[1][5]
    header = values(demo_sheet, layout.UNIT_COSTS)[0]
    assert sum(1 for h in header if h.startswith("Week ")) == report.history_weeks
    assert sum(1 for h in header if h.startswith("Month ")) == report.history_months


def test_missing_configuration_is_reported(sheet, monkeypatch):
    monkeypatch.delenv("SHEET_ID")
    report = sheet_sync.init()
    assert not report.ok and "SHEET_ID is not set" in report.error
    monkeypatch.setenv("SHEET_ID", "x")
    monkeypatch.setenv("GOOGLE_SERVICE_ACCOUNT_SECRET", "finops/no-such-secret")
    assert "cannot read the Google service account" in sheet_sync.init().error


def test_cli_sheet_commands(demo_sheet, capsys):
    from chalicelib import cli

    assert cli.main(["sheet", "init"]) == 0
    assert "nothing to change" in capsys.readouterr().out
    assert cli.main(["sheet", "sync", "--now", "2026-11-22T14:05:00Z"]) == 0
    out = capsys.readouterr().out
    assert "sync ok at 2026-11-22T14:05:00Z: 5 use cases" in out and "3 Sheets request(s)" in out


@pytest.mark.xlsx
def test_a_deleted_tab_is_recreated_with_the_last_good_rows(demo_sheet, sheets_xlsx_path):
    assert pipeline.sync(NOW).ok
    teams_before = sorted(stores.stores().organisation.load().teams, key=lambda t: t.team_id)
    with edited_workbook(sheets_xlsx_path) as wb:
        del wb[layout.TEAMS]
        del wb[layout.ALERTS]
    report = pipeline.sync(NOW)
    assert report.ok, report.error
    assert report.created_tabs == [layout.ALERTS, layout.TEAMS]
    assert sorted(stores.stores().organisation.load().teams, key=lambda t: t.team_id) == teams_before
    assert sorted(r[0] for r in values(demo_sheet, layout.TEAMS)[1:]) == [t.team_id for t in teams_before]
    assert values(demo_sheet, layout.ALERTS)[1][:2] == ["critical", "lead-scoring"]
    assert demo_sheet.spreadsheet().sheet_by_title(layout.ALERTS).protected_ranges


def test_closed_months_pool_credits_reach_the_sheet(demo_sheet):
    org = stores.stores().organisation.load()
    data = demo_sheet.data
    credits = engine.close_month(org, data["facts"], data["units"], NOW.date(), None, "2026-10")
    pools = stores.stores().pool
    pools.save(credits)
    assert pools.load() == credits
    assert pipeline.sync(NOW).ok
    out = engine.compute(org, data["facts"], data["units"], NOW.date(), credits)
    pool = values(demo_sheet, layout.POOL)
    for tier in ("T1", "T2", "T3"):
        assert find_row(pool, tier)[3] == float(cents(out.pool.balances[tier]))
    assert sum(out.pool.balances.values()) > 0
    assert find_row(values(demo_sheet, layout.DASHBOARD), "Reallocation pool T2")[1] == float(
        cents(out.pool.balances["T2"])
    )


def test_no_number_finance_reads_ends_in_a_bare_decimal_point(demo_sheet, sheets_client):
    """The Settings percentages read "20.0%", never "20.%" as a "0.##%" pattern shows 20 % (the
    demo's other numbers with optional decimals are not whole: the next test covers those)."""
    import re

    report = pipeline.sync(NOW)
    assert report.ok, report.error
    book = sheets_client.open_by_key(demo_sheet.default_spreadsheet_id)
    titles = [ws.title for ws in book.worksheets()]
    answer = book.values_batch_get([f"'{t}'" for t in titles])  # formatted, as the browser shows them
    bare = [
        (title, text)
        for title, block in zip(titles, answer["valueRanges"], strict=True)
        for row in block.get("values", [])
        for text in row
        if re.fullmatch(r"[^A-Za-z]*\d\.%?", text)
    ]
    assert bare == [], bare


def test_whole_numbers_in_optional_decimal_columns_read_with_a_digit_after_the_point():
    """Tokens, requests and review minutes per unit, FTEs replaced: 2 reads "2.0", as Google renders
    the pattern (the emulator's renderer), never "2." as "#,##0.##" shows it."""
    from sheets_emulator.numfmt import format_number

    from chalicelib.sheet.render import number_formats

    pattern = number_formats("USD")["num"]["pattern"]
    assert [format_number(v, pattern) for v in (2, 2.5, 1234.25)] == ["2.0", "2.5", "1,234.25"]
