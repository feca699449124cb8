"""One board report model, three renderings that agree to the cent: the tab, the email, the HTML page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from chalicelib import board_html
from chalicelib.domain import engine
from chalicelib.domain.board_report import key_figures, shown
from chalicelib.domain.digest import board_notice
from chalicelib.domain.facts import DailyUnits
from chalicelib.domain.organisation import Settings, Team, UseCase
from chalicelib.email.templates import render as render_email
from chalicelib.sheet import render
from tests.domain.builders import fact, org

D = Decimal
TODAY = date(2026, 12, 9)
AGENTS = (
    UseCase(
        "claims",
        "ops",
        name="Claims <b>processing</b>",
        unit_of_work="claim",
        target_cpu=D("5"),
        baseline_cpu=D("8"),
        ftes_replaced=D("2.5"),
        fte_annual_cost=D("160000"),
    ),
    UseCase("leads", "sales", name="Lead scoring", unit_of_work="lead", target_cpu=D("12")),
)
ORG = org(
    *AGENTS,
    teams=(Team("ops", monthly_budget=D("50000.005")), Team("sales", monthly_budget=D("9000"))),
    settings=Settings(alert_emails_finance=("finance@example.com",)),
)


def month_of_spend():
    facts, units = [], []
    for n in range(70):
        day = TODAY - timedelta(days=n)
        facts += [fact(day, D("1402.337"), "claims", "ops"), fact(day, D("201.1149"), "leads", "sales")]
        units += [DailyUnits("claims", day, 290, 290), DailyUnits("leads", day, 15, 15)]
    return facts, units


def figures_in_tab(out) -> dict:
    rows = render.board(out).rows
    labels = {label for label, _, _ in key_figures(out.board)}
    found = {}
    for r in rows:
        label = r[0].get("userEnteredValue", {}).get("stringValue") if r else None
        if label in labels and len(r) > 1:
            v = r[1].get("userEnteredValue", {})
            found[label] = v.get("numberValue", v.get("stringValue"))
    return found


def test_the_tab_the_email_and_the_html_show_the_same_figures_to_the_cent():
    facts, units = month_of_spend()
    out = engine.compute(ORG, facts, units, TODAY)
    b = out.board
    assert b.month == "2026-11" and b.total > 0
    tab = figures_in_tab(out)
    notice = board_notice(out, ORG)
    _, html_email, text_email = render_email(notice, "https://docs.google.com/spreadsheets/d/x/edit")
    page = board_html.render(b, "https://docs.google.com/spreadsheets/d/x/edit")
    for label, value, kind in key_figures(b):
        text = shown(value, kind, "USD")
        if kind == "money":  # the tab holds the rounded number the text shows
            assert Decimal(str(tab[label])) == Decimal(text.replace("$", "").replace(",", "")), label
        assert text in page and text in text_email and text in html_email, (label, text)
    assert "<script" not in page.lower() and "<svg" not in page.lower() and "<img" not in page.lower()
    assert "Claims &lt;b&gt;processing&lt;/b&gt;" in page  # a name is text, never markup


def test_a_month_with_no_spend_says_so_plainly():
    facts, units = month_of_spend()
    out = engine.compute(
        ORG, [f for f in facts if f.day >= date(2026, 12, 1)], [u for u in units if u.day >= date(2026, 12, 1)], TODAY
    )
    assert out.board.summary.startswith("No AI spend was recorded in 2026-11")
    page = board_html.render(out.board)
    assert "No AI spend was recorded in 2026-11" in page and re.search(r"No agent ran this month", page)


def test_the_tab_names_the_stored_page_only_when_given_and_links_the_console():
    facts, units = month_of_spend()
    out = engine.compute(ORG, facts, units, TODAY)

    def lines(rows):
        return [[c.get("userEnteredValue", {}).get("stringValue") for c in r] for r in rows[2:4] if r]

    assert render.board(out).rows[2] == []  # no page: the key figures follow the summary as before
    uri, link = "s3://reports/board-reports/2026-11.html", "https://s3.console.aws.amazon.com/s3/object/reports"
    rows = render.board(out, (uri, link)).rows
    assert lines(rows) == [["Stored page", uri], ["Open in the S3 console", link]]
    assert rows[3][1]["userEnteredFormat"]["textFormat"]["link"] == {"uri": link}
    assert "userEnteredFormat" not in rows[2][1]  # an s3:// URI is no link a browser opens
    assert lines(render.board(out, (uri, "")).rows) == [["Stored page", uri]]  # no console link: moto's S3
