"""The domain's configuration problems as the sheet shows them: a refused setting on its own cell with
the last good value kept (whichever of the two settings a rule ties finance changed), a mistyped
reference as a warning on the cell holding it, and the severity carried as a field all the way to
the Sync log, the bad-cell count and the run's lines (pure: no sheet, no AWS)."""

from __future__ import annotations

from decimal import Decimal as D

from chalicelib.domain.configuration_checks import ERROR, WARNING
from chalicelib.domain.organisation import MappingRule, Organisation, Settings, SharedCostRule, Team, UseCase
from chalicelib.sheet import layout, render
from chalicelib.sheet.inputs import CellIssue, read_inputs
from chalicelib.sheet_sync import SyncReport

PREVIOUS = Organisation(
    teams=(Team("support"), Team("claims-team")),
    use_cases=(UseCase("triage", "support"), UseCase("claims", "claims-team")),
)


def settings_tab(*rows) -> dict:
    return {layout.SETTINGS: [["Setting", "Value", "What it means"], *[list(r) for r in rows]]}


def settings_issues(read) -> dict:
    return {i.cell: i for i in read.issues if i.tab == layout.SETTINGS}


def test_a_lower_threshold_raised_past_the_upper_one_is_refused_on_its_own_cell():
    read = read_inputs(settings_tab(("Yellow overrun", "30%")), PREVIOUS)
    assert read.organisation.settings.yellow_overrun == Settings().yellow_overrun  # last good kept
    (issue,) = settings_issues(read).values()
    assert (issue.cell, issue.value, issue.severity) == ("B2", "30%", ERROR) and issue.bad_cell
    assert issue.reason.startswith("Red overrun must be above Yellow overrun")
    assert issue.reason.endswith("kept the last good value 0.10")


def test_an_upper_threshold_lowered_to_equal_the_lower_one_is_refused():
    read = read_inputs(settings_tab(("Yellow overrun", "10%"), ("Red overrun", "10%")), PREVIOUS)
    assert read.organisation.settings.red_overrun == Settings().red_overrun
    assert list(settings_issues(read)) == ["B3"]  # yellow is unchanged: only red is refused


def test_two_settings_changed_together_are_judged_together():
    both = read_inputs(settings_tab(("Yellow overrun", "30%"), ("Red overrun", "40%")), PREVIOUS)
    assert (both.organisation.settings.yellow_overrun, both.organisation.settings.red_overrun) == (
        D("0.30"),
        D("0.40"),
    )
    assert not settings_issues(both)
    crossed = read_inputs(settings_tab(("Yellow overrun", "30%"), ("Red overrun", "25%")), PREVIOUS)
    s = crossed.organisation.settings
    assert (s.yellow_overrun, s.red_overrun) == (Settings().yellow_overrun, Settings().red_overrun)
    assert sorted(settings_issues(crossed)) == ["B2", "B3"]


def test_a_refusal_is_checked_again_so_what_stays_in_force_breaks_no_rule():
    # red above critical is refused; with red back at 20 %, yellow at 55 % breaks yellow < red: refused too
    read = read_inputs(settings_tab(("Yellow overrun", "55%"), ("Red overrun", "60%")), PREVIOUS)
    s = read.organisation.settings
    assert s.yellow_overrun < s.red_overrun < s.critical_overrun
    assert sorted(settings_issues(read)) == ["B2", "B3"]


def test_a_refused_tier_limit_is_named_in_money():
    read = read_inputs(settings_tab(("Tier 2 limit", "$5,000")), PREVIOUS)
    (issue,) = settings_issues(read).values()
    assert (issue.cell, issue.value) == ("B2", "$5,000")
    assert "Tier 2 limit $5,000.00, Tier 1 limit $10,000.00" in issue.reason
    assert read.organisation.settings.tier2_limit == Settings().tier2_limit


def test_last_good_settings_that_already_break_a_rule_are_reported_not_silently_kept():
    broken = Organisation(settings=Settings(cache_read_goal=D(2)))
    read = read_inputs(settings_tab(("Cache read goal", "")), broken)
    (issue,) = settings_issues(read).values()
    assert "Cache read goal must not be above 100 %" in issue.reason and issue.severity == ERROR


def uc_tab(*rows) -> list:
    return [["Use case id", "Team", "Tolerance"], *[list(r) for r in rows]]


def test_mistyped_references_are_warnings_on_the_cell_holding_them():
    ranges = {
        layout.USE_CASES: uc_tab(("triage", "suport", ""), ("claims", "claims-team", "100%")),
        layout.SHARED_COSTS: [["Shared cost key", "Split rule", "Split across"], ["platform", "even", "triage, ghost"]],
        layout.MAPPINGS: [["Vendor key", "Team", "Use case"], ["openai:project:p1", "support", "triag"]],
    }
    read = read_inputs(ranges, PREVIOUS)
    warnings = {(i.tab, i.cell): i for i in read.issues if i.severity == WARNING}
    assert set(warnings) == {
        (layout.USE_CASES, "B2"),
        (layout.USE_CASES, "C3"),
        (layout.SHARED_COSTS, "C2"),
        (layout.MAPPINGS, "C2"),
    }
    team = warnings[(layout.USE_CASES, "B2")]
    assert team.value == "suport" and "names team 'suport', not in the Teams tab" in team.reason
    assert warnings[(layout.USE_CASES, "C3")].value == "100.0 %"
    assert warnings[(layout.SHARED_COSTS, "C2")].value == "ghost"
    assert "maps to unknown use case 'triag'" in warnings[(layout.MAPPINGS, "C2")].reason
    assert not any(i.reason.startswith("warning") for i in read.issues)  # the severity is a field, not a prefix
    assert not any(w.bad_cell for w in warnings.values())
    # the rows still count as typed
    assert read.organisation.use_case("triage").team == "suport"
    assert read.organisation.use_case("claims").tolerance == D(1)


def test_a_reference_in_a_missing_tab_is_still_named_without_a_cell():
    stale = Organisation(
        teams=PREVIOUS.teams,
        use_cases=PREVIOUS.use_cases,
        mappings=(MappingRule("openai:project:p1", "support", "gone"),),
        shared_rules=(SharedCostRule("platform", "even", ("triage",)),),
    )
    read = read_inputs({layout.USE_CASES: uc_tab(("triage", "support", ""), ("claims", "claims-team", ""))}, stale)
    (issue,) = [i for i in read.issues if i.severity == WARNING]
    assert (issue.tab, issue.cell, issue.value) == (layout.MAPPINGS, "", "gone")


def test_the_sync_log_counts_and_lines_follow_the_severity_field():
    bad = CellIssue(layout.USE_CASES, "E2", "lots", "not an amount; kept the last good value 1500")
    warned = CellIssue(layout.USE_CASES, "B3", "suport", "use case triage names team 'suport'", WARNING)
    report = SyncReport(True, "2026-11-30T23:05:14Z", issues=[bad, warned])
    assert report.bad_cells == [bad]
    lines = report.lines()
    assert "1 bad cell(s)" in lines[0]
    assert lines[-2:] == [
        "Use cases!E2 ('lots'): not an amount; kept the last good value 1500",
        "Use cases!B3 ('suport'): warning: use case triage names team 'suport'",
    ]
    log = render.sync_log([], "2026-11-30T23:05:14Z", "bad cells", "run", [bad, warned])
    kinds = [row[1]["userEnteredValue"]["stringValue"] for row in log.rows[2:4]]
    reasons = [row[5]["userEnteredValue"]["stringValue"] for row in log.rows[2:4]]
    assert kinds == ["bad cell", "warning"]
    assert reasons == [bad.reason, warned.reason]
