"""The sheet's tabs and columns: the one place a header name maps to a field.

Input tabs are edited by finance and read by name (columns may be in any order; extra
columns are ignored and kept). Output tabs are written by the sync and protected.

A column's `kind` says how a cell is read (see chalicelib.sheet.cells) and which data
validation `init` puts on it:

    id        text without spaces (use case, team ids)     key       any text (vendor keys, names)
    text      free text                                    money     amount >= 0 ("$1,200.50" ok)
    cpu       cost per unit >= 0                           fraction  share: 0.12, "12%" or 12 -> 0.12
    number    number >= 0                                  integer   whole number >= 1
    date      a date (or YYYY-MM-DD text)                  month     YYYY-MM
    bool      yes/no                                       email     one address
    emails    addresses separated by commas                choice    one of `choices`
    ids       use case ids separated by commas             percents  numbers separated by commas (sum 100)
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import fields as dc_fields
from typing import Optional

from chalicelib.domain.organisation import SPLIT_RULES, TIERS, UNIT_RULES, USE_CASE_STATUSES, Settings

# ---------------------------------------------------------------------------
# tab titles

DASHBOARD = "Dashboard"
AGENT_PNL = "Agent P&L"
UNIT_COSTS = "Unit costs"
ALERTS = "Alerts"
POOL = "Reallocation pool"
BOARD = "Board report"
SYNC_LOG = "Sync log"
SETTINGS = "Settings"
TEAMS = "Teams"
USE_CASES = "Use cases"
SHARED_COSTS = "Shared costs"
MAPPINGS = "Mappings"
POOL_ALLOCATIONS = "Pool allocations"
EXPECTED_TOTALS = "Expected totals"
BENCHMARKS = "Benchmarks"
MODEL_PRICES = "Model prices"
OPTIMIZATION = "Optimization"

DECISIONS = ("continue", "retire")
YES_NO = ("yes", "no")


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: str
    note: str
    choices: tuple = ()
    required: bool = False
    width: int = 140


@dataclass(frozen=True)
class InputTab:
    title: str
    columns: tuple
    id_field: str  # the row's identity: last good values are matched on it
    note: str = ""

    @property
    def headers(self) -> tuple:
        return tuple(c.header for c in self.columns)

    def column(self, field_name: str) -> Column:
        return next(c for c in self.columns if c.field == field_name)


def _c(header, field_name, kind, note, choices=(), required=False, width=140) -> Column:
    return Column(header, field_name, kind, note, tuple(choices), required, width)


TEAMS_TAB = InputTab(
    TEAMS,
    (
        _c("Team id", "team_id", "id", "Short id teams use in the API, e.g. support. No spaces.", required=True),
        _c("Team name", "name", "text", "Name shown on the dashboard.", width=180),
        _c("Team lead email", "lead_email", "email", "Gets red and critical alerts for the team's agents.", width=220),
        _c(
            "Monthly budget",
            "monthly_budget",
            "money",
            "AI budget per calendar month, in the deployment currency. Blank: no budget.",
        ),
        _c(
            "Effective from",
            "effective_from",
            "date",
            "The day a new budget applies from. Blank: the day the sync reads it. Earlier months keep the budget "
            "they had.",
            width=120,
        ),
    ),
    "team_id",
)

USE_CASES_TAB = InputTab(
    USE_CASES,
    (
        _c(
            "Use case id",
            "use_case_id",
            "id",
            "Id the team's agent posts work items with, e.g. claims-processing. No spaces.",
            required=True,
            width=170,
        ),
        _c("Team", "team", "id", "Team id (Teams tab) that owns this use case.", required=True, width=110),
        _c("Name", "name", "text", "Name shown in reports.", width=200),
        _c(
            "Unit of work",
            "unit_of_work",
            "text",
            "What one unit is: ticket escalated, claim processed, ...",
            width=150,
        ),
        _c("Owner email", "owner_email", "email", "Gets this use case's alerts and experiment reminders.", width=200),
        _c("Monthly budget", "monthly_budget", "money", "Budget per calendar month. Blank: none."),
        _c(
            "Target cost per unit",
            "target_cpu",
            "cpu",
            "The cost SLO: target cost of one unit of work. Blank: no target, no colour.",
        ),
        _c(
            "Tolerance",
            "tolerance",
            "fraction",
            "Below target x (1 - tolerance) is flagged 'investigate'. 15% or 0.15. Blank: the Settings default.",
            width=100,
        ),
        _c(
            "Manual cost per unit",
            "baseline_cpu",
            "cpu",
            "What one unit cost before the agent (people). Gives the margin benefit.",
        ),
        _c("FTEs replaced", "ftes_replaced", "number", "Full-time staff the agent replaces.", width=110),
        _c(
            "Annual cost per FTE",
            "fte_annual_cost",
            "money",
            "Loaded yearly cost of ONE full-time employee (2.5 FTEs costing $400,000 together: $160,000). "
            "Headcount offset = FTEs replaced x this / 12.",
            width=150,
        ),
        _c(
            "Headcount saving target",
            "headcount_target",
            "money",
            "Monthly saving finance expects from headcount.",
            width=160,
        ),
        _c(
            "Headcount gap reason",
            "headcount_gap_reason",
            "text",
            "Why realized savings differ from the target.",
            width=200,
        ),
        _c(
            "Estimated monthly cost",
            "estimated_monthly_cost",
            "money",
            "Finance's estimate; the tier uses the larger of this and the forecast.",
            width=160,
        ),
        _c(
            "Approved tier",
            "approved_tier",
            "choice",
            "Tier signed off: T1 (< $10k, auto), T2 (manager + finance), T3 (CFO). A forecast above it raises "
            "'approval required'.",
            TIERS,
            width=110,
        ),
        _c(
            "CFO approved",
            "cfo_approved",
            "bool",
            "yes once the CFO signed off spend above the tier-2 limit.",
            YES_NO,
            width=110,
        ),
        _c(
            "Units counted",
            "units_rule",
            "choice",
            "all: every processed item is a unit; success: only successes.",
            UNIT_RULES,
            width=110,
        ),
        _c(
            "Status",
            "status",
            "choice",
            "active, paused (agents are told to stop) or retired.",
            USE_CASE_STATUSES,
            width=100,
        ),
        _c(
            "Critical cleared on",
            "critical_cleared_on",
            "date",
            "A critical breach pauses the agent until you enter a date here on or after the day it began "
            "(see Alerts): it then runs again. A later critical episode pauses it again.",
            width=140,
        ),
        _c("Hypothesis", "hypothesis", "text", "Experiment: what we expect the agent to prove.", width=220),
        _c("Success metric", "success_metric", "text", "Experiment: how success is measured.", width=180),
        _c(
            "Success met",
            "success_met",
            "bool",
            "Experiment: yes / no once assessed; blank until then.",
            YES_NO,
            width=110,
        ),
        _c("Experiment start", "experiment_start", "date", "Experiment start date (YYYY-MM-DD).", width=130),
        _c(
            "Decision date",
            "decision_date",
            "date",
            "When to decide continue or retire; the owner is reminded once it passes without a decision.",
            width=130,
        ),
        _c("Decision", "decision", "choice", "continue or retire; blank until decided.", DECISIONS, width=110),
        _c(
            "Effective from",
            "effective_from",
            "date",
            "The day a change to this row's target, tolerance, budget, approved tier or CFO approval applies from. "
            "Blank: the day the sync reads it. Earlier weeks and months keep the values they had.",
            width=120,
        ),
        _c(
            "Optimization decision",
            "optimization_decision",
            "text",
            "The owner's decision on this use case's optimization hints (Optimization tab): the change made or "
            "planned, or why not. Maturity stage 5 needs one from every use case that ran over its target.",
            width=260,
        ),
    ),
    "use_case_id",
)

SHARED_COSTS_TAB = InputTab(
    SHARED_COSTS,
    (
        _c(
            "Shared cost key",
            "key",
            "id",
            "The use case id the shared cost is booked on under team 'shared' (e.g. platform-observability).",
            required=True,
            width=190,
        ),
        _c(
            "Split rule",
            "rule",
            "choice",
            "even, units (by work items), direct_spend (by each target's own spend) or percent.",
            SPLIT_RULES,
            required=True,
            width=120,
        ),
        _c(
            "Split across",
            "targets",
            "ids",
            "Use case ids receiving the split, separated by commas.",
            required=True,
            width=320,
        ),
        _c(
            "Percentages",
            "percents",
            "percents",
            "For the percent rule: one percentage per target, same order, summing to 100 (e.g. 60, 40).",
            width=160,
        ),
    ),
    "key",
)

MAPPINGS_TAB = InputTab(
    MAPPINGS,
    (
        _c(
            "Vendor key",
            "vendor_key",
            "key",
            "Billing key as the vendor reports it: openai:project:..., anthropic:workspace:..., aws tag, FOCUS tag. "
            "New unmapped keys are added here by the sync.",
            required=True,
            width=300,
        ),
        _c("Team", "team", "id", "Team id this spend belongs to. Blank: still unallocated.", width=120),
        _c("Use case", "use_case", "id", "Use case id this spend belongs to. Blank: still unallocated.", width=170),
        _c("Note", "note", "text", "Free text. The sync writes here when it adds a newly seen key.", width=320),
    ),
    "vendor_key",
)

POOL_ALLOCATIONS_TAB = InputTab(
    POOL_ALLOCATIONS,
    (
        _c(
            "Allocation id",
            "allocation_id",
            "key",
            "Any unique id for this allocation, e.g. 2026-11-01.",
            required=True,
        ),
        _c("Tier", "tier", "choice", "The tier pool drawn from: T1, T2 or T3.", TIERS, required=True, width=80),
        _c(
            "Amount",
            "amount",
            "money",
            "Amount drawn. More than the pool's balance is refused and flagged.",
            required=True,
            width=120,
        ),
        _c(
            "Month",
            "month",
            "month",
            "Month drawn in (YYYY-MM). Uses credits of months closed before it.",
            required=True,
            width=100,
        ),
        _c("To use case", "to_use_case", "key", "Use case (or project) receiving the money.", width=170),
        _c("Note", "note", "text", "Why.", width=260),
    ),
    "allocation_id",
)

EXPECTED_TOTALS_TAB = InputTab(
    EXPECTED_TOTALS,
    (
        _c("Month", "month", "month", "Month (YYYY-MM).", required=True, width=100),
        _c(
            "Expected total",
            "amount",
            "money",
            "What finance expects the month's AI spend to be (e.g. from invoices). Differences beyond the "
            "reconciliation tolerance are flagged.",
            required=True,
            width=140,
        ),
    ),
    "month",
)

MODEL_PRICES_TAB = InputTab(
    MODEL_PRICES,
    (
        _c(
            "Model",
            "model",
            "key",
            "The model as the vendor's usage report names it, or the start of the name (gpt-4o also prices "
            "gpt-4o-2024-08-06; the longest matching name wins).",
            required=True,
            width=170,
        ),
        _c(
            "Provider",
            "provider",
            "text",
            "OpenAI or Anthropic, as the usage reports name them.",
            required=True,
            width=100,
        ),
        _c(
            "Input per M tokens",
            "input_per_mtok",
            "cpu",
            "List price of one million input tokens (not cached), in the deployment currency. Cache writes are "
            "priced as input.",
            required=True,
            width=150,
        ),
        _c(
            "Cached input per M tokens",
            "cached_input_per_mtok",
            "cpu",
            "List price of one million cached input tokens (cache reads). Blank: the input price.",
            width=180,
        ),
        _c(
            "Output per M tokens",
            "output_per_mtok",
            "cpu",
            "List price of one million output tokens.",
            required=True,
            width=150,
        ),
        _c("Prices as of", "prices_as_of", "date", "The day these prices were read.", width=110),
        _c("Source", "source", "text", "Where the prices come from (the vendor's pricing page).", width=380),
    ),
    "model",
    "List prices per model: the what-ifs and hints price each model's tokens with them.",
)

BENCHMARKS_TAB = InputTab(
    BENCHMARKS,
    (
        _c("Benchmark", "name", "key", "Who published it, e.g. Klarna.", required=True, width=160),
        _c(
            "Unit",
            "unit",
            "text",
            "The unit it is measured per, e.g. ticket. Compared with use cases whose unit of work contains this word.",
            required=True,
            width=120,
        ),
        _c("Cost per unit", "cpu", "cpu", "Published cost of one unit.", required=True, width=120),
    ),
    "name",
)


# ---------------------------------------------------------------------------
# Settings: key/value rows


@dataclass(frozen=True)
class SettingRow:
    label: str
    field: str
    kind: str
    note: str


_SETTING_ROWS = (
    SettingRow("Currency", "currency", "currency", "The one currency of this deployment (ISO code, e.g. USD)."),
    SettingRow(
        "Yellow overrun", "yellow_overrun", "fraction", "Cost per unit this far above target (in a week) is yellow."
    ),
    SettingRow(
        "Red overrun", "red_overrun", "fraction", "This far above target in each of the last two complete weeks is red."
    ),
    SettingRow(
        "Critical overrun",
        "critical_overrun",
        "fraction",
        "This far above target in the latest complete (or current) week is critical: the agent is paused.",
    ),
    SettingRow(
        "Default tolerance",
        "default_tolerance",
        "fraction",
        "Below target x (1 - tolerance) is flagged 'investigate' (target stale or spend missing).",
    ),
    SettingRow("Tier 1 limit", "tier1_limit", "money", "Monthly cost below this is Tier 1 (auto-approved)."),
    SettingRow(
        "Tier 2 limit",
        "tier2_limit",
        "money",
        "Monthly cost at or above this is Tier 3 (CFO); a forecast above it without CFO approval is critical.",
    ),
    SettingRow("Anomaly ratio", "anomaly_ratio", "fraction", "A day this far above its trailing median is an anomaly."),
    SettingRow("Anomaly window (days)", "anomaly_window_days", "integer", "Trailing days the median is taken over."),
    SettingRow(
        "Anomaly minimum units",
        "anomaly_min_units",
        "integer",
        "A day's cost per unit is judged for anomalies only with at least this many units.",
    ),
    SettingRow(
        "Retry storm units band",
        "retry_storm_units_band",
        "fraction",
        "Cost up while units stay within this band: a retry storm.",
    ),
    SettingRow(
        "Forecast window (days)",
        "forecast_window_days",
        "integer",
        "Trailing days averaged for the month-end forecast.",
    ),
    SettingRow("Coverage goal", "coverage_goal", "fraction", "Share of spend that should be allocated."),
    SettingRow(
        "Reconciliation tolerance",
        "reconciliation_tolerance",
        "fraction",
        "Flag a month whose total differs from the expected total by more than this.",
    ),
    SettingRow("Loaded hourly rate", "loaded_hourly_rate", "money", "Cost of one hour of human review."),
    SettingRow(
        "Current week minimum days",
        "current_week_min_days",
        "integer",
        "Full days of data before the current week can turn a use case critical.",
    ),
    SettingRow(
        "Healthy retirement low",
        "healthy_retirement_low",
        "fraction",
        "Healthy share of Tier 1 experiments retired per quarter: lower bound.",
    ),
    SettingRow(
        "Healthy retirement high",
        "healthy_retirement_high",
        "fraction",
        "Healthy share of Tier 1 experiments retired per quarter: upper bound.",
    ),
    SettingRow(
        "Finance alert emails",
        "alert_emails_finance",
        "emails",
        "Finance addresses for critical alerts, separated by commas.",
    ),
    SettingRow("CFO alert emails", "alert_emails_cfo", "emails", "CFO addresses for critical alerts."),
    SettingRow(
        "Board report emails",
        "alert_emails_board",
        "emails",
        "Who gets the monthly board report. Blank: the finance and CFO addresses.",
    ),
    SettingRow(
        "Cache read goal",
        "cache_read_goal",
        "fraction",
        "Optimization hints: the share of input tokens a use case could read from a prompt cache; below it, "
        "raising cache reads is a lever.",
    ),
    SettingRow(
        "Review reduction goal",
        "review_reduction_goal",
        "fraction",
        "Optimization hints: the share of human review minutes per unit a lever assumes routing can save "
        "(review only the items that need it).",
    ),
    SettingRow(
        "Hints for top spenders",
        "hint_top_spenders",
        "integer",
        "Optimization hints: this many of a month's biggest spenders get hints even on target (those over "
        "target always do).",
    ),
)

SETTING_ROWS = _SETTING_ROWS
SETTINGS_HEADERS = ("Setting", "Value", "What it means")
SETTINGS_TAB = InputTab(
    SETTINGS,
    (
        _c("Setting", "label", "key", "The setting's name: keep it as written.", width=220),
        _c("Value", "value", "text", "The value in force. Percentages as 10% or 0.10.", width=160),
        _c("What it means", "meaning", "text", "Explanation (not read).", width=520),
    ),
    "label",
)


def _check_settings_rows() -> None:
    names = {f.name for f in dc_fields(Settings)}
    covered = {r.field for r in _SETTING_ROWS}
    missing = names - covered
    if missing:  # a new Settings field must get a row here
        raise AssertionError(f"Settings fields without a sheet row: {sorted(missing)}")


_check_settings_rows()

INPUT_TABS = (
    SETTINGS_TAB,
    TEAMS_TAB,
    USE_CASES_TAB,
    SHARED_COSTS_TAB,
    MAPPINGS_TAB,
    POOL_ALLOCATIONS_TAB,
    EXPECTED_TOTALS_TAB,
    BENCHMARKS_TAB,
    MODEL_PRICES_TAB,
)
INPUT_BY_TITLE = {t.title: t for t in INPUT_TABS}


# ---------------------------------------------------------------------------
# output tabs


@dataclass(frozen=True)
class OutputTab:
    title: str
    note: str
    frozen_rows: int = 1
    columns: int = 12  # grid width kept by the sync
    widths: tuple = ()  # pixel widths of the first columns (0: the default width)
    colour_columns: tuple = ()  # columns holding green/yellow/red/critical words (conditional colours)
    charts: bool = False


# Dashboard geometry (0-based columns). Main block A:H; charts float over J:S; chart data from U.
DASH_COLUMNS = 36
DASH_CHART_COL = 9  # J
DASH_TEAM_DATA_COL = 20  # U: Team | Month to date | Forecast | Monthly budget
DASH_ICEBERG_DATA_COL = 25  # Z: Category | Month to date
DASH_CPU_DATA_COL = 28  # AC: Week | top use cases' CPU as % of target | Target
DASH_CPU_SERIES = 5  # use cases plotted
_DASH_WIDTHS = {
    0: 230,
    1: 150,
    2: 150,
    3: 130,
    4: 110,
    5: 120,
    6: 120,
    7: 480,
    8: 20,
    20: 150,
    21: 120,
    22: 120,
    23: 120,
    24: 20,
    25: 180,
    26: 120,
    27: 20,
    28: 140,
}
DASH_WIDTHS = tuple(_DASH_WIDTHS.get(i, 130 if i > 28 else 0) for i in range(36))
DASH_CHARTS = (
    "Spend by team vs budget (month to date)",
    "The cost iceberg (month to date)",
    "Cost per unit vs target, by week (% of target)",
)

PNL_HEADERS = (
    "Month",
    "Period",
    "Use case",
    "Name",
    "Team",
    "Unit of work",
    "Cost",
    "Billed cost",
    "API",
    "Self-hosted inference",
    "Vector DB",
    "Observability",
    "Storage",
    "Human review",
    "Other",
    "Units",
    "Cost per unit",
    "Target cost per unit",
    "Overrun",
    "Manual cost per unit",
    "Margin benefit",
    "Headcount offset",
    "Net (offset - AI cost)",
    "Colour",
    "Tier",
    "Pool credit",
    "Decision date",
    "Decision",
    "Success met",
    "Retirement trigger",
    "Biggest lever",
)
PNL_WIDTHS = (
    80,
    110,
    170,
    230,
    100,
    140,
    110,
    110,
    110,
    150,
    100,
    110,
    100,
    110,
    90,
    80,
    110,
    150,
    80,
    150,
    120,
    130,
    160,
    80,
    50,
    100,
    110,
    80,
    100,
    300,
    420,
)
UNIT_FIXED_HEADERS = (
    "Use case",
    "Name",
    "Team",
    "Unit of work",
    "Target cost per unit",
    "Colour",
    "Judged week",
    "Cost per unit (judged week)",
    "Overrun (judged week)",
    "Cost per unit (this week so far)",
    "Cost per unit (month to date)",
    "Counts reported through",
)
UNIT_WEEKS = 13
UNIT_MONTHS = 13
ALERT_HEADERS = ("Severity", "Use case", "Team", "What", "Detail", "Day", "Owner")
SYNC_LOG_HEADERS = ("Run at", "Result", "Tab", "Cell", "Value", "Message")
OPTIMIZATION_COLUMNS = 19

OUTPUT_TABS = (
    OutputTab(
        DASHBOARD,
        "Written by the sync: key figures, freshness, what needs attention and charts.",
        frozen_rows=2,
        columns=DASH_COLUMNS,
        widths=DASH_WIDTHS,
        colour_columns=(1, 2),
        charts=True,
    ),
    OutputTab(
        AGENT_PNL,
        "Written by the sync: each agent's P&L per month (current month first).",
        columns=len(PNL_HEADERS),
        widths=PNL_WIDTHS,
        colour_columns=(23,),
    ),
    OutputTab(
        UNIT_COSTS,
        "Written by the sync: cost per unit by ISO week and calendar month.",
        columns=len(UNIT_FIXED_HEADERS) + UNIT_WEEKS + UNIT_MONTHS,
        widths=(170, 220, 100, 140, 150, 80, 200, 190, 210) + (170,) * (UNIT_WEEKS + UNIT_MONTHS),
        colour_columns=(5,),
    ),
    OutputTab(
        OPTIMIZATION,
        "Written by the sync: optimization hints, model mix, what-ifs and cross-agent benchmarks per use case.",
        frozen_rows=0,
        columns=OPTIMIZATION_COLUMNS,
        widths=(170, 80, 150, 110, 130, 330, 120, 130, 120, 110, 120, 130, 110, 120, 150, 150, 130, 120, 140),
    ),
    OutputTab(
        ALERTS,
        "Written by the sync: what needs someone to act, most severe first.",
        columns=len(ALERT_HEADERS),
        widths=(110, 170, 100, 220, 520, 100, 200),
        colour_columns=(0,),
    ),
    OutputTab(
        POOL,
        "Written by the sync: pool balances, finance's allocations and month-close credits.",
        frozen_rows=0,
        columns=8,
        widths=(150, 110, 170, 120, 120, 110, 120, 360),
    ),
    OutputTab(
        BOARD,
        "Written by the sync: the monthly board report for the last complete month.",
        frozen_rows=0,
        columns=10,
        widths=(240, 200, 150, 120, 90, 110, 110, 90, 90, 120),
        colour_columns=(8,),
    ),
    OutputTab(
        SYNC_LOG,
        "Written by the sync: one line per run, then every bad cell it found.",
        columns=len(SYNC_LOG_HEADERS),
        widths=(170, 90, 130, 70, 160, 620),
    ),
)
OUTPUT_BY_TITLE = {t.title: t for t in OUTPUT_TABS}

# Order of the tabs when init creates them.
TAB_ORDER = (
    DASHBOARD,
    AGENT_PNL,
    UNIT_COSTS,
    OPTIMIZATION,
    ALERTS,
    POOL,
    BOARD,
    SETTINGS,
    TEAMS,
    USE_CASES,
    SHARED_COSTS,
    MAPPINGS,
    POOL_ALLOCATIONS,
    EXPECTED_TOTALS,
    BENCHMARKS,
    MODEL_PRICES,
    SYNC_LOG,
)
ALL_TABS = tuple(TAB_ORDER)

PROTECTION_DESCRIPTION = "AI FinOps output: written by the sync; edits here are overwritten"

COLOURS = {  # conditional colours of SLO colour cells (background, text)
    "green": ({"red": 0.718, "green": 0.882, "blue": 0.804}, None),
    "yellow": ({"red": 0.988, "green": 0.91, "blue": 0.698}, None),
    "red": ({"red": 0.957, "green": 0.78, "blue": 0.765}, None),
    "critical": ({"red": 0.8, "green": 0.0, "blue": 0.0}, {"red": 1, "green": 1, "blue": 1}),
}
HEADER_BACKGROUND = {"red": 0.851, "green": 0.918, "blue": 0.827}
OUTPUT_HEADER_BACKGROUND = {"red": 0.812, "green": 0.886, "blue": 0.953}
SECTION_BACKGROUND = {"red": 0.937, "green": 0.937, "blue": 0.937}


def setting_by_label(label: str) -> Optional[SettingRow]:
    key = " ".join(str(label).split()).lower()
    for row in SETTING_ROWS:
        if key in (row.label.lower(), row.field.lower()):
            return row
    return None
