"""Reading finance's cells and rows (pure: no sheet, no AWS)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.domain.organisation import MappingRule, Organisation, Settings, SharedCostRule, Team, UseCase
from chalicelib.sheet import cells, layout
from chalicelib.sheet.inputs import read_inputs


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("$1,200.50", D("1200.50")),
        ("1 200", D("1200")),
        ("USD 1200", D("1200")),
        ("1.200,50", D("1200.50")),
        ("12,5", D("12.5")),
        ("1,200,000", D("1200000")),
        (1200.5, D("1200.5")),
        (0.1, D("0.1")),
        (7, D("7")),
        ("€ 3.50", D("3.50")),
        ("  42  ", D("42")),
        ("1.200.000", D("1200000")),
        ("0.125", D("0.125")),
    ],
)
def test_money_as_typed(typed, expected):
    assert cells.money(typed) == expected


@pytest.mark.parametrize("typed", ["lots", "(300)", "-5", "12%", "", "1,2,3", True, "1.200"])
def test_money_refused(typed):
    with pytest.raises(cells.CellError):
        cells.money(typed)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("12%", D("0.12")),
        ("12 %", D("0.12")),
        (12, D("0.12")),
        (0.12, D("0.12")),
        ("0.15", D("0.15")),
        ("150%", D("1.5")),
        (0, D("0")),
    ],
)
def test_fractions(typed, expected):
    assert cells.fraction(typed) == expected


def test_dates_months_and_yes_no():
    assert cells.day(46346) == date(2026, 11, 20)  # a date cell arrives as its serial number
    assert cells.day("2026-11-20") == cells.day("20 Nov 2026") == cells.day("Nov 20, 2026") == date(2026, 11, 20)
    with pytest.raises(cells.CellError, match="YYYY-MM-DD"):
        cells.day("11/20/26")
    assert (
        cells.month("2026-3") == "2026-03" and cells.month(46346) == "2026-11" and cells.month("Nov 2026") == "2026-11"
    )
    assert cells.yes_no(True) and cells.yes_no("Yes") and not cells.yes_no("n") and cells.yes_no("x")
    with pytest.raises(cells.CellError):
        cells.yes_no("maybe")


def test_ids_choices_and_lists():
    assert cells.ident(" claims-processing ") == "claims-processing"
    with pytest.raises(cells.CellError, match="no spaces"):
        cells.ident("claims processing")
    assert cells.choice("Direct spend", layout.SHARED_COSTS_TAB.column("rule").choices) == "direct_spend"
    assert cells.choice("tier 2", ("T1", "T2", "T3")) == "T2"
    assert cells.ids("a, b;c") == ("a", "b", "c")
    assert cells.percents("60%, 40%") == (D(60), D(40)) and cells.percents(1.0) == (D(100),)
    assert cells.emails("A@x.com; b@y.org") == ("a@x.com", "b@y.org")
    assert cells.a1(0, 0) == "A1" and cells.a1(6, 27) == "AB7"


PREVIOUS = Organisation(
    teams=(Team("support", "Support", "lead@example.com", D(3000)),),
    use_cases=(
        UseCase(
            "ticket-escalation",
            "support",
            "Escalation",
            "ticket escalated",
            "sam@example.com",
            monthly_budget=D(1500),
            target_cpu=D("0.40"),
            tolerance=D("0.15"),
        ),
    ),
    shared_rules=(SharedCostRule("platform", "percent", ("ticket-escalation", "x"), (D(60), D(40))),),
)


def test_rows_read_by_header_with_reordered_extra_and_blank_rows():
    ranges = {
        layout.USE_CASES: [
            ["Finance comment", "Target cost per unit", "Use case id", "Team", "Monthly budget", "Tolerance"],
            ["keep me", "$0.45", "ticket-escalation", "support", "lots", "12%"],
            [],
            ["", "", "", "", "", ""],
            ["only a comment"],
            ["", "2", "", "support"],
            ["", "1", "new one", "support"],
            ["", "3", "claims", "", "9000"],
            ["", "4", "ticket-escalation", "support"],
        ],
    }
    read = read_inputs(ranges, PREVIOUS)
    (u,) = read.organisation.use_cases
    assert u.target_cpu == D("0.45") and u.tolerance == D("0.12")
    assert u.monthly_budget == D(1500)  # "lots": the last good value stays in force
    issues = {(i.tab, i.cell): i for i in read.issues if i.tab == layout.USE_CASES and i.cell}
    assert "kept the last good value 1500" in issues[(layout.USE_CASES, "E2")].reason
    assert issues[(layout.USE_CASES, "E2")].value == "lots"
    assert "no Use case id" in issues[(layout.USE_CASES, "C6")].reason
    assert "no spaces" in issues[(layout.USE_CASES, "C7")].reason
    assert "Team is required" in issues[(layout.USE_CASES, "D8")].reason
    assert "already used above" in issues[(layout.USE_CASES, "C9")].reason
    assert not any(i.cell in ("A5", "A3", "A4") for i in read.issues if i.tab == layout.USE_CASES)
    assert read.tabs[layout.USE_CASES].columns["target_cpu"] == 1  # found by name, wherever it is
    missing = {c.header for c in read.tabs[layout.USE_CASES].missing}
    assert "Owner email" in missing and "Use case id" not in missing


def test_missing_column_keeps_last_good_values():
    ranges = {layout.USE_CASES: [["Use case id", "Team"], ["ticket-escalation", "support"]]}
    (u,) = read_inputs(ranges, PREVIOUS).organisation.use_cases
    assert u.owner_email == "sam@example.com" and u.target_cpu == D("0.40")


def test_missing_tab_keeps_last_good_rows():
    read = read_inputs({}, PREVIOUS)
    assert read.organisation.use_cases == PREVIOUS.use_cases and read.organisation.teams == PREVIOUS.teams
    assert any("tab missing" in i.reason for i in read.issues)


def test_settings_key_value_rows():
    ranges = {
        layout.SETTINGS: [
            ["Setting", "Value"],
            ["Yellow overrun", "15%"],
            ["Tier 1 limit", "$12,000"],
            ["Red overrun", "nope"],
            ["Mystery", 3],
            ["Finance alert emails", "a@x.com, b@x.com"],
            ["critical_overrun", 0.1],
        ]
    }
    read = read_inputs(ranges, Organisation())
    s = read.organisation.settings
    assert s.yellow_overrun == D("0.15") and s.tier1_limit == D(12000) and s.red_overrun == Settings().red_overrun
    assert s.alert_emails_finance == ("a@x.com", "b@x.com")
    assert s.critical_overrun == Settings().critical_overrun  # below red: refused, last good kept
    reasons = [i.reason for i in read.issues if i.tab == layout.SETTINGS]
    assert any("Red overrun" in r and "kept the last good value 0.20" in r for r in reasons)
    assert any("unknown setting" in r for r in reasons)
    assert any("Critical overrun must be above" in r for r in reasons)
    assert {r.field for r in read.settings_missing} >= {"currency", "tier2_limit"}


def test_shared_rule_percentages_must_add_up():
    ranges = {
        layout.SHARED_COSTS: [
            ["Shared cost key", "Split rule", "Split across", "Percentages"],
            ["platform", "percent", "ticket-escalation, x", "70, 40"],
        ]
    }
    read = read_inputs(ranges, PREVIOUS)
    assert read.organisation.shared_rules == PREVIOUS.shared_rules
    assert any("add up to 110" in i.reason for i in read.issues)


def test_mappings_blank_assignment_is_listed_not_mapped():
    ranges = {
        layout.MAPPINGS: [
            ["Vendor key", "Team", "Use case"],
            ["openai:project:new", "", ""],
            ["openai:project:p1", "support", "ticket-escalation"],
        ]
    }
    read = read_inputs(ranges, PREVIOUS)
    assert read.organisation.mappings == (MappingRule("openai:project:p1", "support", "ticket-escalation"),)
    assert read.mapping_keys == {"openai:project:new", "openai:project:p1"}


def test_a_tab_whose_ids_are_all_gone_keeps_its_last_good_rows():
    ranges = {layout.USE_CASES: [["Team", "Name"], ["support", "Escalation"]]}  # the id column deleted
    read = read_inputs(ranges, PREVIOUS)
    assert read.organisation.use_cases == PREVIOUS.use_cases
    assert any("no row has a usable Use case id" in i.reason for i in read.issues)
    emptied = {layout.USE_CASES: [["Use case id", "Team"]]}  # every row deleted on purpose
    assert read_inputs(emptied, PREVIOUS).organisation.use_cases == ()
