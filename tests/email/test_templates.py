"""Rendering: one template per kind, HTML and text parts, everything escaped, a link to the sheet."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from chalicelib.domain.notices import KINDS
from chalicelib.email.templates import DIAGNOSTIC_QUESTIONS, KIND_TEMPLATES, render

from .conftest import SHEET_URL, notice

# What a Gmail/Outlook-safe body may contain: tables, text formatting, one link; no script, SVG,
# images, forms, frames or <style> blocks.
ALLOWED_TAGS = {"html", "head", "meta", "title", "body", "div", "table", "tr", "td", "th", "a", "b"}

HOSTILE = '<script>alert("x")</script>'
FORMULA = '=HYPERLINK("http://evil.example","click")'


class Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.text = set(), [], []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser


def table_notice(kind: str):
    return notice(
        kind,
        table_header=("Use case", "Colour", "Cost per unit", "Target"),
        table_rows=(
            ("claims-processing", "red", "$2.4300", "$1.5000"),
            ("support-triage", "green", "$0.3900", "$0.4000"),
        ),
    )


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_an_html_and_a_text_part_with_the_sheet_link(kind):
    subject, html, text = render(table_notice(kind), SHEET_URL)
    assert subject == f"{kind.upper()}: Claims processing over its cost per claim target"
    tags = parse(html)
    assert tags.tags <= ALLOWED_TAGS, tags.tags - ALLOWED_TAGS
    assert ("href", SHEET_URL) in tags.attrs and SHEET_URL in text
    assert not any(name in ("src", "background") or name.startswith("on") for name, _ in tags.attrs)
    for part in (" ".join(tags.text), text):
        assert KIND_TEMPLATES[kind].label.lower() in part.lower()
        assert "62 % over the $1.5000 target" in part  # the headline
        assert "Cost per claim, 2026-W46" in part and "$2.4300" in part  # the numbers
        assert "Find the root cause within 48 hours" in part  # what to do next
        assert "support-triage" in part  # the table
    assert "charset=UTF-8" in html and "<style" not in html.lower()


def test_values_are_escaped_and_shown_as_text():
    hostile = notice(
        "critical",
        key=f"slo:{HOSTILE}:2026-11-16:critical",
        subject=f"CRITICAL: {HOSTILE}",
        headline=f"{FORMULA} is critical",
        use_case=HOSTILE,
        team='"><svg onload=alert(1)>',
        numbers=((f"{FORMULA}", "<b>$1</b>"),),
        actions=("<img src=x onerror=alert(1)>",),
        table_header=("<svg>",),
        table_rows=((HOSTILE,),),
    )
    subject, html, text = render(hostile, SHEET_URL)
    lowered = html.lower()
    assert "<script" not in lowered and "<svg" not in lowered and "<img" not in lowered
    tags = parse(html)
    assert tags.tags <= ALLOWED_TAGS
    shown = "".join(tags.text)
    assert HOSTILE in shown and FORMULA in shown and "<img src=x onerror=alert(1)>" in shown
    assert "&lt;script&gt;" in html
    # The text part shows the values as they are; the subject is the notice's subject.
    assert HOSTILE in text and FORMULA in text and subject == f"CRITICAL: {HOSTILE}"


@pytest.mark.parametrize("url", ["", "   ", "javascript:alert(1)", "data:text/html,<script>", 'https://x" onclick="a'])
def test_no_link_without_a_usable_sheet_url(url):
    _, html, text = render(notice("red"), url)
    assert "<a " not in html and "Open the sheet" not in text and "javascript" not in html


def test_the_sheet_url_is_attribute_escaped():
    url = "https://docs.google.com/spreadsheets/d/abc/edit?a=1&gid=0#gid=0"
    _, html, text = render(notice("red"), url)
    assert 'href="https://docs.google.com/spreadsheets/d/abc/edit?a=1&amp;gid=0#gid=0"' in html
    assert url in text


def test_subject_cannot_inject_headers():
    subject, _, _ = render(notice("red", subject="RED: x\r\nBcc: everyone@example.com\n"), SHEET_URL)
    assert "\r" not in subject and "\n" not in subject and subject == "RED: x Bcc: everyone@example.com"


def test_red_asks_for_the_48_hour_root_cause_with_the_four_diagnostic_questions():
    _, html, text = render(notice("red"), SHEET_URL)
    assert DIAGNOSTIC_QUESTIONS == (
        "Is this a prompt problem?",
        "A model problem?",
        "A task definition problem?",
        "Is the baseline SLO itself wrong (do we need to retarget it)?",
    )
    shown = " ".join(parse(html).text)
    for part in (shown, text):
        assert "48-hour root-cause analysis" in part
        assert "tune and continue, or pause and redesign" in part
        for question in DIAGNOSTIC_QUESTIONS:
            assert question in part


def test_critical_says_the_agent_is_paused_and_how_to_clear_it():
    _, html, text = render(notice("critical", key="slo:claims-processing:2026-11-16:critical"), SHEET_URL)
    shown = " ".join(parse(html).text)
    for part in (shown, " ".join(text.split())):
        assert "claims-processing is paused" in part
        assert "immediate pause: the agent doesn't run until you fix it" in part
        assert '"Critical cleared on" column of the Use cases tab' in part
        assert "on or after the day this critical episode began (2026-11-16)" in part
        assert "a later critical breach pauses the agent again" in part


def test_critical_without_a_date_in_its_key_still_says_how_to_clear():
    _, _, text = render(notice("critical", key="custom-key"), "")
    flat = " ".join(text.split())
    assert "on or after the day this critical episode began. The next run lifts the pause." in flat


def test_digest_colours_are_tinted_cells_and_the_policy_is_stated():
    _, html, text = render(table_notice("digest"), SHEET_URL)
    assert 'bgcolor="#fce8e6"' in html  # red
    assert 'bgcolor="#e6f4ea"' in html  # green
    for part in (" ".join(parse(html).text), " ".join(text.split())):
        assert "Finance investigates" in part and "48-hour root-cause analysis" in part
        assert "Immediate pause" in part
    # The text table lines up its columns under a header rule.
    lines = [line for line in text.splitlines() if "|" in line]
    assert lines[0].split("|")[0].strip() == "Use case" and "claims-processing" in lines[1]


def test_a_notice_without_numbers_actions_or_table_renders():
    bare = notice("recipients", numbers=(), actions=(), use_case="", team="", headline="2 alerts had nobody to go to")
    _, html, text = render(bare, "")
    assert "The numbers" not in text and "What to do next" not in text
    assert "2 alerts had nobody to go to" in text and "your organisation" not in text
    assert "Fill in the owner" in text


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        render(notice("yellow"), SHEET_URL)
