"""The configuration's rules as domain problems: Settings invariants (refused: ERROR) and references
to unknown teams or use cases (shown: WARNING), with their edges (equal thresholds refused, a
tolerance of exactly 100 % flagged, a goal of exactly 100 % allowed)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.configuration_checks import (
    ERROR,
    MAPPINGS,
    SETTINGS,
    SHARED_RULES,
    USE_CASES,
    WARNING,
    Problem,
    reference_problems,
    settings_problems,
)
from chalicelib.domain.facts import SHARED_TEAM, UNALLOCATED
from chalicelib.domain.organisation import MappingRule, Organisation, Settings, SharedCostRule, Team, UseCase

D = Decimal
SMALLEST = D("0.0001")  # the finest step a percentage cell carries (0.01 %)

shares = st.decimals(min_value=0, max_value=3, places=4)
amounts = st.decimals(min_value=0, max_value=10**7, places=2)


def fields(problems: list[Problem]) -> list[str]:
    return [p.field for p in problems]


def test_the_default_settings_break_no_rule():
    assert settings_problems(Settings()) == []


@pytest.mark.parametrize(
    "low, high, label",
    [
        ("yellow_overrun", "red_overrun", "Red overrun must be above Yellow overrun"),
        ("red_overrun", "critical_overrun", "Critical overrun must be above Red overrun"),
        ("tier1_limit", "tier2_limit", "Tier 2 limit must be above Tier 1 limit"),
    ],
)
@given(a=shares, b=shares)
def test_ordered_thresholds_are_refused_unless_strictly_increasing(low, high, label, a, b):
    s = Settings()
    if low == "tier1_limit":
        a, b = a * 10000, b * 10000
    # keep the neighbouring pair of the chain valid so only this pair is judged
    wide = {"yellow_overrun": D(-1), "red_overrun": D("0.5"), "critical_overrun": D(100)}
    s = dataclasses.replace(s, **{k: v for k, v in wide.items() if k not in (low, high)}, **{low: a, high: b})
    problems = [p for p in settings_problems(s) if p.field == high]
    if a < b:
        assert problems == []
    else:
        (p,) = problems
        assert p.subject == SETTINGS and p.record == "" and p.severity == ERROR
        assert p.related == (low,) and label in p.message


@pytest.mark.parametrize("low, high", [("yellow_overrun", "red_overrun"), ("red_overrun", "critical_overrun")])
def test_equal_overruns_are_refused_and_one_step_apart_is_allowed(low, high):
    s = Settings()
    at = getattr(s, low)
    (p,) = settings_problems(dataclasses.replace(s, **{high: at}))
    assert (p.field, p.related, p.severity) == (high, (low,), ERROR)
    assert p.value == f"{at * 100:.1f} %"  # shown as finance reads a percentage
    assert settings_problems(dataclasses.replace(s, **{high: at + SMALLEST})) == []


def test_equal_tier_limits_are_refused_a_cent_apart_allowed():
    s = Settings(tier1_limit=D(50000), tier2_limit=D(50000))
    (p,) = settings_problems(s)
    assert p.field == "tier2_limit" and p.value == "$50,000.00"
    assert "Tier 2 limit $50,000.00, Tier 1 limit $50,000.00" in p.message
    assert settings_problems(dataclasses.replace(s, tier2_limit=D("50000.01"))) == []


def test_the_default_tolerance_is_refused_from_exactly_100_percent():
    assert settings_problems(Settings(default_tolerance=D(1) - SMALLEST)) == []
    (p,) = settings_problems(Settings(default_tolerance=D(1)))
    assert (p.field, p.value, p.severity) == ("default_tolerance", "100.0 %", ERROR)
    assert "Default tolerance must be below 100 %" in p.message
    assert fields(settings_problems(Settings(default_tolerance=D("1.5")))) == ["default_tolerance"]


@given(low=shares, high=shares)
def test_retirement_bounds_may_be_equal_but_not_crossed(low, high):
    problems = settings_problems(Settings(healthy_retirement_low=low, healthy_retirement_high=high))
    if low <= high:
        assert problems == []
    else:
        (p,) = problems
        assert (p.field, p.related) == ("healthy_retirement_high", ("healthy_retirement_low",))


@pytest.mark.parametrize("name, label", [("cache_read_goal", "Cache read goal"), ("review_reduction_goal", "Review")])
def test_a_goal_of_exactly_100_percent_is_allowed_above_it_refused(name, label):
    assert settings_problems(dataclasses.replace(Settings(), **{name: D(1)})) == []
    (p,) = settings_problems(dataclasses.replace(Settings(), **{name: D(1) + SMALLEST}))
    assert p.field == name and p.message.startswith(label) and "must not be above 100 %" in p.message


def test_every_broken_rule_is_named_once_in_a_fixed_order():
    s = Settings(
        yellow_overrun=D("0.6"),
        red_overrun=D("0.5"),
        critical_overrun=D("0.5"),
        tier1_limit=D(9),
        tier2_limit=D(1),
        default_tolerance=D(2),
        healthy_retirement_low=D("0.5"),
        healthy_retirement_high=D("0.4"),
        cache_read_goal=D(2),
        review_reduction_goal=D(2),
    )
    assert fields(settings_problems(s)) == [
        "red_overrun",
        "critical_overrun",
        "tier2_limit",
        "default_tolerance",
        "healthy_retirement_high",
        "cache_read_goal",
        "review_reduction_goal",
    ]
    assert {p.severity for p in settings_problems(s)} == {ERROR}


def test_tier_limits_are_shown_in_the_deployment_currency():
    (p,) = settings_problems(Settings(currency="EUR", tier1_limit=D(10), tier2_limit=D(5)))
    assert "EUR" in p.value and "EUR" in p.message


def test_a_problem_is_a_frozen_value():
    (p,) = settings_problems(Settings(cache_read_goal=D(2)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.severity = WARNING  # type: ignore[misc]
    assert {p, p} == {p}


# --- references ---------------------------------------------------------------------------


def consistent() -> Organisation:
    return Organisation(
        teams=(Team("support"), Team("claims-team")),
        use_cases=(UseCase("triage", "support", tolerance=D("0.2")), UseCase("claims", "claims-team")),
        shared_rules=(SharedCostRule("platform", "even", ("triage", "claims")),),
        mappings=(
            MappingRule("openai:project:p1", "support", "triage"),
            MappingRule("openai:project:p2", "claims-team", UNALLOCATED),  # team only: no use case named
            MappingRule("aws:tag:obs", SHARED_TEAM, "platform"),  # booked on a shared cost, then split
        ),
    )


def test_a_consistent_organisation_has_no_reference_problems():
    assert reference_problems(consistent()) == []
    assert reference_problems(Organisation()) == []


def test_a_use_case_naming_an_unknown_team_is_a_warning_only_when_there_are_teams():
    org = dataclasses.replace(consistent(), use_cases=(UseCase("triage", "suport"), UseCase("claims", "claims-team")))
    (p,) = reference_problems(org)
    assert (p.subject, p.record, p.field, p.value, p.severity) == (USE_CASES, "triage", "team", "suport", WARNING)
    assert "names team 'suport', not in the Teams tab" in p.message
    assert reference_problems(dataclasses.replace(org, teams=())) == []  # no Teams at all: nothing to check against


@pytest.mark.parametrize(
    "tolerance, flagged",
    [(None, False), (D(0), False), (D(1) - SMALLEST, False), (D(1), True), (D("1.000"), True), (D(3), True)],
)
def test_a_use_case_tolerance_is_flagged_from_exactly_100_percent(tolerance, flagged):
    org = dataclasses.replace(consistent(), use_cases=(UseCase("triage", "support", tolerance=tolerance),))
    problems = [p for p in reference_problems(org) if p.field == "tolerance"]
    assert bool(problems) is flagged
    if flagged:
        (p,) = problems
        assert (p.record, p.severity) == ("triage", WARNING) and "tolerance of 100 % or more" in p.message
        assert p.value == f"{tolerance * 100:.1f} %"


def test_a_shared_rule_names_only_its_unknown_targets_in_order():
    org = dataclasses.replace(
        consistent(), shared_rules=(SharedCostRule("platform", "even", ("ghost", "triage", "retired-bot")),)
    )
    (p,) = reference_problems(org)
    assert (p.subject, p.record, p.field, p.value) == (SHARED_RULES, "platform", "targets", "ghost, retired-bot")
    assert "their share stays unallocated" in p.message and p.severity == WARNING


def test_a_mapping_to_an_unknown_use_case_is_a_warning_and_a_shared_key_is_known_only_under_shared():
    org = dataclasses.replace(
        consistent(),
        mappings=(
            MappingRule("openai:project:p9", "support", "triagee"),
            MappingRule("aws:tag:obs", "support", "platform"),  # not under "shared": never split
            MappingRule("aws:tag:ok", SHARED_TEAM, "platform"),
        ),
    )
    problems = reference_problems(org)
    assert [(p.subject, p.record, p.field, p.value) for p in problems] == [
        (MAPPINGS, "openai:project:p9", "use_case", "triagee"),
        (MAPPINGS, "aws:tag:obs", "use_case", "platform"),
    ]
    assert "maps to unknown use case 'triagee'" in problems[0].message


ids = st.text(alphabet="abcdefgh-", min_size=1, max_size=8)


@given(
    team_ids=st.lists(ids, min_size=1, max_size=4, unique=True),
    uc_ids=st.lists(ids, min_size=1, max_size=6, unique=True),
    typo=ids,
    data=st.data(),
)
def test_exactly_the_mistyped_references_are_named(team_ids, uc_ids, typo, data):
    use_cases = tuple(UseCase(u, data.draw(st.sampled_from(team_ids))) for u in uc_ids)
    targets = tuple(data.draw(st.lists(st.sampled_from(uc_ids), min_size=1, unique=True)))
    org = Organisation(
        teams=tuple(Team(t) for t in team_ids),
        use_cases=use_cases,
        shared_rules=(SharedCostRule("pool", "even", targets),),
        mappings=tuple(MappingRule(f"key:{u.use_case_id}", u.team, u.use_case_id) for u in use_cases),
    )
    assert reference_problems(org) == []
    bad_team = dataclasses.replace(use_cases[0], team=typo)
    bad = dataclasses.replace(
        org,
        use_cases=(bad_team, *use_cases[1:]),
        shared_rules=(SharedCostRule("pool", "even", (*targets, typo)),),
        mappings=(*org.mappings, MappingRule("key:typo", team_ids[0], typo)),
    )
    expected = []
    if typo not in team_ids:
        expected.append((USE_CASES, bad_team.use_case_id, "team", typo))
    if typo not in uc_ids:
        expected += [(SHARED_RULES, "pool", "targets", typo), (MAPPINGS, "key:typo", "use_case", typo)]
    got = reference_problems(bad)
    assert [(p.subject, p.record, p.field, p.value) for p in got] == expected
    assert all(p.severity == WARNING for p in got)
