"""The rules finance's configuration must follow, as problems in finance's words.

Pure: an Organisation (or its Settings) in, a list of `Problem`s out; nothing read or written.
Where the configuration came from (the sheet's tabs, a stored copy) and where a problem is shown
(a cell, the Sync log, a report line) is the caller's business.

Public API
----------
    settings_problems(settings) -> list[Problem]
        Thresholds that contradict each other or cannot be met: yellow < red < critical overrun,
        Tier 1 limit < Tier 2 limit, default tolerance below 100 %, healthy retirement low ≤ high,
        the optimization goals at most 100 %. Severity ERROR: the value is refused and the last
        good one stays in force. Equal thresholds are refused (two colours on one overrun, an
        empty Tier 2).
    reference_problems(org) -> list[Problem]
        References that name nothing known: a use case's team not among the teams (checked only
        when there are teams), a use case's tolerance of 100 % or more, a shared-cost rule
        splitting onto unknown use cases, a mapping to an unknown use case (a mapping onto a
        shared cost's key under team "shared" is known: that cost is split). Severity WARNING: the
        row still counts as typed.

A Problem names what it concerns: `subject` (the part of the configuration: "settings",
"use_cases", "shared_rules", "mappings", as Organisation calls them), `record` (the row's id;
"" for settings), `field` (the field holding the offending value) and `related` (other fields of
the same record the rule compares it with: either may be the one to fix).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from .facts import SHARED_TEAM, UNALLOCATED
from .money import show_money, show_percent
from .organisation import Organisation, Settings

Severity = Literal["error", "warning"]
ERROR: Final = "error"  # the value is refused: the last good value stays in force
WARNING: Final = "warning"  # the value is used as given; finance should look at it

SETTINGS: Final = "settings"
USE_CASES: Final = "use_cases"
SHARED_RULES: Final = "shared_rules"
MAPPINGS: Final = "mappings"


@dataclass(frozen=True)
class Problem:
    subject: str  # SETTINGS | USE_CASES | SHARED_RULES | MAPPINGS
    record: str  # the row's id (use case id, shared cost key, vendor key); "" for settings
    field: str  # the field holding the offending value
    value: str  # the offending value, as finance reads it
    message: str  # what is wrong, in finance's words
    severity: Severity
    related: tuple[str, ...] = ()  # other fields of the record the rule compares `field` with


# (lower field, its label, upper field, its label, how the two are shown): lower < upper, strictly.
_ORDERED: Final[tuple[tuple[str, str, str, str, str], ...]] = (
    ("yellow_overrun", "Yellow overrun", "red_overrun", "Red overrun", "percent"),
    ("red_overrun", "Red overrun", "critical_overrun", "Critical overrun", "percent"),
    ("tier1_limit", "Tier 1 limit", "tier2_limit", "Tier 2 limit", "money"),
)
_GOALS: Final[tuple[tuple[str, str], ...]] = (
    ("cache_read_goal", "Cache read goal"),
    ("review_reduction_goal", "Review reduction goal"),
)
_HUNDRED_PERCENT: Final = Decimal(1)


def _shown(value: Decimal, kind: str, currency: str) -> str:
    return show_money(value, currency) if kind == "money" else show_percent(value)


def settings_problems(settings: Settings) -> list[Problem]:
    """Every rule `settings` breaks, each as an ERROR on the field the message names."""
    s = settings
    out: list[Problem] = []
    for low, low_label, high, high_label, kind in _ORDERED:
        a: Decimal = getattr(s, low)
        b: Decimal = getattr(s, high)
        if not a < b:
            shown_a, shown_b = _shown(a, kind, s.currency), _shown(b, kind, s.currency)
            out.append(
                Problem(
                    SETTINGS,
                    "",
                    high,
                    shown_b,
                    f"{high_label} must be above {low_label} ({high_label} {shown_b}, {low_label} {shown_a})",
                    ERROR,
                    (low,),
                )
            )
    if not s.default_tolerance < _HUNDRED_PERCENT:
        out.append(
            Problem(
                SETTINGS,
                "",
                "default_tolerance",
                show_percent(s.default_tolerance),
                "Default tolerance must be below 100 % (at 100 % no cost per unit is ever below its band)",
                ERROR,
            )
        )
    if s.healthy_retirement_low > s.healthy_retirement_high:
        low, high = show_percent(s.healthy_retirement_low), show_percent(s.healthy_retirement_high)
        out.append(
            Problem(
                SETTINGS,
                "",
                "healthy_retirement_high",
                high,
                f"Healthy retirement high must not be below the low bound (high {high}, low {low})",
                ERROR,
                ("healthy_retirement_low",),
            )
        )
    for name, label in _GOALS:
        goal: Decimal = getattr(s, name)
        if goal > _HUNDRED_PERCENT:
            out.append(Problem(SETTINGS, "", name, show_percent(goal), f"{label} must not be above 100 %", ERROR))
    return out


def reference_problems(org: Organisation) -> list[Problem]:
    """References finance may have mistyped, each as a WARNING: the rows still count as typed."""
    teams = {t.team_id for t in org.teams}
    use_cases = {u.use_case_id for u in org.use_cases}
    out: list[Problem] = []
    for u in org.use_cases:
        if teams and u.team not in teams:
            out.append(
                Problem(
                    USE_CASES,
                    u.use_case_id,
                    "team",
                    u.team,
                    f"use case {u.use_case_id} names team {u.team!r}, not in the Teams tab: "
                    "its spend counts for a team with no budget",
                    WARNING,
                )
            )
        if u.tolerance is not None and u.tolerance >= _HUNDRED_PERCENT:
            out.append(
                Problem(
                    USE_CASES,
                    u.use_case_id,
                    "tolerance",
                    show_percent(u.tolerance),
                    f"use case {u.use_case_id} has a tolerance of 100 % or more: "
                    "its cost per unit is never flagged below its band",
                    WARNING,
                )
            )
    for r in org.shared_rules:
        unknown = [t for t in r.targets if t not in use_cases]
        if unknown:
            out.append(
                Problem(
                    SHARED_RULES,
                    r.key,
                    "targets",
                    ", ".join(unknown),
                    f"{r.key} splits onto unknown use case(s): their share stays unallocated",
                    WARNING,
                )
            )
    shared_keys = {r.key for r in org.shared_rules}
    for m in org.mappings:
        split = m.team == SHARED_TEAM and m.use_case in shared_keys  # booked on a shared cost, then split
        if m.use_case != UNALLOCATED and m.use_case not in use_cases and not split:
            out.append(
                Problem(
                    MAPPINGS,
                    m.vendor_key,
                    "use_case",
                    m.use_case,
                    f"{m.vendor_key} maps to unknown use case {m.use_case!r}: its spend stays unallocated",
                    WARNING,
                )
            )
    return out


__all__ = [
    "ERROR",
    "MAPPINGS",
    "SETTINGS",
    "SHARED_RULES",
    "USE_CASES",
    "WARNING",
    "Problem",
    "Severity",
    "reference_problems",
    "settings_problems",
]
