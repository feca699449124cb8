"""Figures shown together foot: in the sheet, every total is the sum of the parts shown beside
it and every difference the difference of the figures shown, over random months of sub-cent
ledger amounts."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import engine
from chalicelib.domain.facts import CATEGORIES, DailyUnits
from chalicelib.domain.organisation import Team, UseCase
from chalicelib.sheet import layout, render
from tests.domain.builders import fact, org

D = Decimal
TODAY = date(2026, 12, 9)
AGENTS = (
    UseCase(
        "claims",
        "ops",
        unit_of_work="claim",
        target_cpu=D("5"),
        monthly_budget=D("1000.005"),
        baseline_cpu=D("8.333"),
        ftes_replaced=D("2.5"),
        fte_annual_cost=D("160000.01"),
    ),
    UseCase(
        "leads", "sales", unit_of_work="lead", target_cpu=D("0.4"), ftes_replaced=D("1"), fte_annual_cost=D("99999.99")
    ),
)
TEAMS = (Team("ops", monthly_budget=D("5000.125")), Team("sales", monthly_budget=D("333.333")))

amounts = st.decimals(min_value=D("0"), max_value=D("900"), places=6, allow_nan=False, allow_infinity=False)


@st.composite
def months(draw):
    facts, units = [], []
    for offset in range(draw(st.integers(20, 45))):
        day = TODAY - timedelta(days=offset)
        for uc in AGENTS:
            for category in draw(st.lists(st.sampled_from(CATEGORIES), max_size=3, unique=True)):
                facts.append(fact(day, draw(amounts), uc.use_case_id, uc.team, category=category))
            units.append(DailyUnits(uc.use_case_id, day, draw(st.integers(0, 40)), 0))
        if draw(st.booleans()):  # shadow spend nobody mapped
            facts.append(fact(day, draw(amounts), "unallocated", "unallocated", vendor_key="openai:project:p9"))
    return facts, units


def money(cell) -> Decimal:
    v = cell.get("userEnteredValue", {}).get("numberValue") if cell else None
    return D(str(v)) if v is not None else D(0)


def labelled(rows, label, col=1):
    row = next(r for r in rows if r and r[0].get("userEnteredValue", {}).get("stringValue") == label)
    return money(row[col])


@settings(max_examples=40, deadline=None)
@given(month=months())
def test_every_total_shown_is_the_sum_of_its_parts_and_every_difference_of_its_figures(month):
    facts, units = month
    o = org(*AGENTS, teams=TEAMS)
    out = engine.compute(o, facts, units, TODAY)
    now = datetime(2026, 12, 9, 10, tzinfo=timezone.utc)

    dash = render.dashboard(out, o, [], now, 0, 0).rows
    total = labelled(dash, "Spend, month to date")
    assert labelled(dash, "  allocated to use cases") + labelled(dash, "  unallocated") == total
    assert labelled(dash, "Forecast, month end (all spend)") >= total
    iceberg = [money(dash[i][layout.DASH_ICEBERG_DATA_COL + 1]) for i in range(1, 1 + len(CATEGORIES))]
    assert sum(iceberg) == total

    for r in render.agent_pnl(out, render.History()).rows[1:]:
        cost, parts = money(r[6]), [money(x) for x in r[8:15]]
        assert sum(parts) == cost
        if len(r) > 22 and r[22]:
            assert money(r[22]) == money(r[21]) - cost  # net = offset - AI cost, as shown

    board = render.board(out).rows
    b_total, b_budget = labelled(board, "Total AI spend"), labelled(board, "Budget (all teams)")
    assert labelled(board, "Over (+) / under (-) budget") == b_total - b_budget
    prior = next(
        money(r[1]) for r in board if r and "Prior month" in r[0].get("userEnteredValue", {}).get("stringValue", "")
    )
    assert labelled(board, "Change on prior month") == b_total - prior
    for h in out.board.headcount:
        shown = render.value(h.net, "money")["userEnteredValue"]["numberValue"]
        assert D(str(shown)) == money(render.value(h.monthly_offset, "money")) - money(render.value(h.ai_cost, "money"))

    for st_ in out.statuses.values():
        if st_.budget is not None:
            assert st_.budget_remaining == money(render.value(st_.budget, "money")) - money(
                render.value(st_.month_to_date_cost, "money")
            )
    for t in out.teams:
        if t.budget is not None:
            assert t.remaining == money(render.value(t.budget, "money")) - money(
                render.value(t.month_to_date_cost, "money")
            )
