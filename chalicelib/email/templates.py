"""One email per Notice: an HTML part and a plain-text part from one template per kind.

`render(notice, sheet_url) -> (subject, html, text)`. Both parts come from the same pieces: a
base layout (banner, headline, the numbers, what this kind means, what to do next, a table for
the digest and the board report, a link to the sheet) and the wording of the notice's kind
(`KIND_TEMPLATES`, one per `notices.KINDS`), which follows the seed's escalation policy.

Readable in Gmail and Outlook: nested tables, inline CSS and `bgcolor`, no <style> block, no
scripts, no SVG, no images. Every value from the Notice is HTML-escaped (a use case called
`<script>` or `=HYPERLINK(` is shown as those characters); the sheet link is used only when it
is an http(s) URL. Standard library only, to keep the Lambda small.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from html import escape
from string import Template
from typing import Optional

from chalicelib.domain.notices import KINDS, Notice

FONT = "Arial,Helvetica,sans-serif"
WIDTH = 640  # px: fits Gmail's and Outlook's reading panes; Outlook ignores max-width, so also width=
COLOUR_WORDS = {  # cell tints for the SLO words in the digest and board tables (the sheet's colours)
    "green": ("#e6f4ea", "#137333"),
    "yellow": ("#fef7e0", "#8a6100"),
    "red": ("#fce8e6", "#c5221f"),
    "critical": ("#c5221f", "#ffffff"),
}


@dataclass(frozen=True)
class KindTemplate:
    """The wording of one kind. `intro` and `closing` are string.Template text: $name (the use
    case, else the team, else "your organisation"), $use_case, $team, $since_clause."""

    label: str  # the banner: what kind of email this is
    colour: str  # the banner's background
    intro: str
    points_title: str = ""
    points: tuple[str, ...] = ()  # a fixed list, e.g. the four diagnostic questions
    closing: str = ""


# The seed's escalation policy ("AI workforce P&L guardrails"), word for word where it is quoted.
DIAGNOSTIC_QUESTIONS = (
    "Is this a prompt problem?",
    "A model problem?",
    "A task definition problem?",
    "Is the baseline SLO itself wrong (do we need to retarget it)?",
)
POLICY = (
    "Yellow: cost per unit over target by 10 % or more. Finance investigates: acknowledge, document, move on.",
    "Red: 20 % or more over target two weeks running. A 48-hour root-cause analysis and a decision: "
    "tune and continue, or pause and redesign.",
    "Critical: 50 % or more over target, or the month's forecast above the tier-2 limit without CFO "
    "approval. Immediate pause: the agent doesn't run until you fix it.",
)

KIND_TEMPLATES: dict[str, KindTemplate] = {
    "red": KindTemplate(
        label="Red alert",
        colour="#c5221f",
        intro=(
            "$name is running hot: its cost per unit has exceeded its SLO target by the red threshold "
            "(20 % by default) for two consecutive weeks. The escalation policy calls for a 48-hour "
            "root-cause analysis and a decision: tune and continue, or pause and redesign."
        ),
        points_title="Diagnostics required (answer within 48 hours):",
        points=DIAGNOSTIC_QUESTIONS,
        closing=(
            "If the cost per unit reaches the critical threshold (50 % over target by default), the alert "
            "becomes critical and the agent is paused."
        ),
    ),
    "critical": KindTemplate(
        label="Critical alert: agent paused",
        colour="#8c1d18",
        intro=(
            "$name is paused. Its cost per unit exceeds the SLO target by the critical threshold (50 % by "
            "default), or the month's "
            "forecast is above the tier-2 limit without CFO approval. The escalation policy is an "
            "immediate pause: the agent doesn't run until you fix it. This protects the broader team's "
            "budget. From now on its guardrail answers paused, and agents that check it stop."
        ),
        points_title="Before clearing it, answer the diagnostic questions:",
        points=DIAGNOSTIC_QUESTIONS,
        closing=(
            "How to clear the pause: once the cause is fixed, finance enters a date in the "
            '"Critical cleared on" column of the Use cases tab, on or after the day this critical '
            "episode began$since_clause. The next run lifts the pause. The clearance covers this episode "
            "only: a later critical breach pauses the agent again."
        ),
    ),
    "recovery": KindTemplate(
        label="Recovered",
        colour="#137333",
        intro=(
            "$name is back within its SLO: the red or critical episode is closed and no action is needed. "
            "A new breach opens a new episode, with its own email."
        ),
        closing="Keep an eye on the Unit costs tab for the next weeks.",
    ),
    "approval": KindTemplate(
        label="Approval required",
        colour="#b06000",
        intro=(
            "$name is forecast to cost more this month than its approved tier allows. The approval "
            "framework sets the sign-off by estimated monthly cost:"
        ),
        points=(
            "Tier 1 ($0-$10,000/month): auto-approved.",
            "Tier 2 ($10,000-$50,000/month): product/engineering manager approval + finance sign-off.",
            "Tier 3 ($50,000+/month): CFO approval.",
        ),
        closing=(
            "Record the sign-off in the Use cases tab (Approved tier; CFO approved for spend above the "
            "tier-2 limit), or bring the spend back under the approved tier. Above the tier-2 limit "
            "without CFO approval the use case turns critical and is paused."
        ),
    ),
    "budget": KindTemplate(
        label="Budget overrun",
        colour="#b06000",
        intro="$name is over its monthly budget, or is forecast to be by the end of the month.",
        closing=(
            "Either raise the budget in the sheet (with an Effective from date) or bring the spend down. "
            "You get one more email if the month to date itself goes over the budget."
        ),
    ),
    "reminder": KindTemplate(
        label="Experiment decision due",
        colour="#1a73e8",
        intro=(
            'The experiment $name has reached its decision point: "when will we know if it works?". '
            "Compare it with its success metric and decide: continue, or kill it."
        ),
        closing=(
            "Write the decision in the Use cases tab (Success met, and the status: active or retired). "
            "Small experiments are learning expenses: a clear no is a good result too."
        ),
    ),
    "digest": KindTemplate(
        label="Weekly SLO digest",
        colour="#1a73e8",
        intro=(
            "Every use case's colour this week, its cost per unit against its target for the week, and "
            "what changed since last week. The escalation policy:"
        ),
        points=POLICY,
        closing=(
            "The thresholds above are the defaults; the Settings tab holds yours. Yellow is shown here and "
            "in the sheet only; red and critical alerts are emailed when they happen."
        ),
    ),
    "board": KindTemplate(
        label="Monthly board report",
        colour="#3c4043",
        intro=(
            "The board report for the closed month: total spend against budget and the prior month, cost "
            "per unit against target for each agent, margin benefit, anomalies and the headcount plan."
        ),
        closing="The Board report tab of the sheet holds the same report, with the key figures and benchmarks.",
    ),
    "recipients": KindTemplate(
        label="Alert recipients missing",
        colour="#5f6368",
        intro=(
            "Some alerts could not be emailed: the sheet names nobody to send them to. They are listed "
            "in the Alerts tab."
        ),
        closing=(
            "Fill in the owner's email (Use cases tab), the team lead's email (Teams tab) or the finance "
            "and CFO alert lists (Settings tab). Alerts raised from then on are emailed."
        ),
    ),
}
assert set(KIND_TEMPLATES) == set(KINDS), "one template per kind"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SINCE_IN_KEY = re.compile(r":(\d{4}-\d{2}-\d{2}):critical$")  # the alert rules' "slo:<uc>:<since>:critical"


def render(notice: Notice, sheet_url: str = "") -> tuple[str, str, str]:
    """(subject, html, text) for `notice`; a link to `sheet_url` unless it is empty (or not http/https)."""
    if notice.kind not in KIND_TEMPLATES:
        raise ValueError(f"no email template for kind {notice.kind!r} (kinds: {', '.join(KINDS)})")
    kind = KIND_TEMPLATES[notice.kind]
    url = safe_url(sheet_url)
    subject = one_line(notice.subject) or kind.label
    words = _words(notice)
    return subject, _html(notice, kind, subject, words, url), _text(notice, kind, subject, words, url)


def one_line(value: str) -> str:
    """A header-safe line: control characters (CR, LF: header injection) become spaces."""
    return " ".join(_CONTROL.sub(" ", value or "").split())


def safe_url(url: str) -> Optional[str]:
    url = (url or "").strip()
    if not re.match(r"^https?://[^\s<>\"']+$", url, re.IGNORECASE):
        return None
    return url


def _words(notice: Notice) -> dict:
    since = _SINCE_IN_KEY.search(notice.key)
    name = notice.use_case or (f"team {notice.team}" if notice.team else "your organisation")
    return {
        "name": name,
        "use_case": notice.use_case,
        "team": notice.team,
        "since_clause": f" ({since.group(1)})" if since else "",
    }


def _fill(template: str, words: dict, html: bool) -> str:
    if html:
        return Template(escape(template)).safe_substitute({k: escape(v) for k, v in words.items()})
    return Template(template).safe_substitute(words)


def _scope(notice: Notice) -> str:
    parts = [p for p in (notice.use_case, f"team {notice.team}" if notice.team else "") if p]
    return " · ".join(parts)


# ---------------------------------------------------------------------------------------------
# HTML: the base layout
# ---------------------------------------------------------------------------------------------


def _p(inner: str, style: str = "") -> str:
    return (
        f'<tr><td style="padding:8px 24px;font-family:{FONT};font-size:14px;line-height:21px;'
        f'color:#202124;{style}">{inner}</td></tr>'
    )


def _heading(text: str) -> str:
    return (
        f'<tr><td style="padding:16px 24px 4px 24px;font-family:{FONT};font-size:13px;font-weight:bold;'
        f'color:#5f6368;text-transform:uppercase;letter-spacing:0.5px;">{escape(text)}</td></tr>'
    )


def _list(items, numbered: bool) -> str:
    rows = "".join(
        f'<tr><td valign="top" width="24" style="width:24px;padding:3px 0;font-family:{FONT};font-size:14px;'
        f'line-height:20px;color:#5f6368;">{f"{i}." if numbered else "&#8226;"}</td>'
        f'<td valign="top" style="padding:3px 0;font-family:{FONT};font-size:14px;line-height:20px;'
        f'color:#202124;">{escape(item)}</td></tr>'
        for i, item in enumerate(items, 1)
    )
    return (
        f'<tr><td style="padding:4px 24px 8px 24px;"><table role="presentation" width="100%" '
        f'cellpadding="0" cellspacing="0" border="0">{rows}</table></td></tr>'
    )


def _numbers_html(numbers) -> str:
    rows = "".join(
        f'<tr><td style="padding:6px 12px;border-bottom:1px solid #e8eaed;font-family:{FONT};font-size:14px;'
        f'color:#5f6368;">{escape(label)}</td><td align="right" style="padding:6px 12px;border-bottom:1px solid '
        f'#e8eaed;font-family:{FONT};font-size:14px;font-weight:bold;color:#202124;white-space:nowrap;">'
        f"{escape(value)}</td></tr>"
        for label, value in numbers
    )
    return (
        f'<tr><td style="padding:4px 24px 8px 24px;"><table role="presentation" width="100%" cellpadding="0" '
        f'cellspacing="0" border="0" style="border:1px solid #e8eaed;border-collapse:collapse;">{rows}</table>'
        f"</td></tr>"
    )


def _cell(value: str) -> str:
    tint = COLOUR_WORDS.get(value.strip().lower())
    style = f"padding:5px 8px;border:1px solid #e8eaed;font-family:{FONT};font-size:12px;line-height:16px;"
    if tint:
        return (
            f'<td valign="top" bgcolor="{tint[0]}" style="{style}background-color:{tint[0]};color:{tint[1]};'
            f'font-weight:bold;">{escape(value)}</td>'
        )
    return f'<td valign="top" style="{style}color:#202124;">{escape(value)}</td>'


def _table_html(header, rows) -> str:
    head = "".join(
        f'<th align="left" bgcolor="#f1f3f4" style="padding:6px 8px;border:1px solid #e8eaed;background-color:'
        f'#f1f3f4;font-family:{FONT};font-size:12px;color:#3c4043;">{escape(h)}</th>'
        for h in header
    )
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    return (
        f'<tr><td style="padding:4px 24px 8px 24px;"><table role="presentation" width="100%" cellpadding="0" '
        f'cellspacing="0" border="0" style="border-collapse:collapse;">'
        f"{'<tr>' + head + '</tr>' if head else ''}{body}</table></td></tr>"
    )


def _button(url: str) -> str:
    href = escape(url, quote=True)
    return (
        f'<tr><td style="padding:16px 24px 8px 24px;"><table role="presentation" cellpadding="0" '
        f'cellspacing="0" border="0"><tr><td bgcolor="#1a73e8" style="background-color:#1a73e8;'
        f'border-radius:4px;padding:10px 18px;"><a href="{href}" target="_blank" style="font-family:{FONT};'
        f'font-size:14px;font-weight:bold;color:#ffffff;text-decoration:none;">Open the sheet</a></td></tr>'
        f"</table></td></tr>"
        + _p(
            f'Or paste this address: <a href="{href}" style="color:#1a73e8;word-break:break-all;">{escape(url)}</a>',
            "font-size:12px;color:#5f6368;",
        )
    )


def _html(notice: Notice, kind: KindTemplate, subject: str, words: dict, url: Optional[str]) -> str:
    scope = _scope(notice)
    banner = escape(kind.label) + (f" &#183; {escape(scope)}" if scope else "")
    parts = [
        f'<tr><td bgcolor="{kind.colour}" style="background-color:{kind.colour};padding:12px 24px;'
        f'font-family:{FONT};font-size:13px;font-weight:bold;color:#ffffff;letter-spacing:0.5px;">{banner}</td></tr>',
        f'<tr><td style="padding:20px 24px 8px 24px;font-family:{FONT};font-size:18px;line-height:26px;'
        f'font-weight:bold;color:#202124;">{escape(notice.headline)}</td></tr>',
    ]
    if notice.numbers:
        parts += [_heading("The numbers"), _numbers_html(notice.numbers)]
    parts.append(_p(_fill(kind.intro, words, html=True)))
    if kind.points:
        if kind.points_title:
            parts.append(_p(f"<b>{escape(kind.points_title)}</b>", "padding-bottom:0;"))
        parts.append(_list(kind.points, numbered=bool(kind.points_title)))
    if notice.table_rows or notice.table_header:
        parts.append(_table_html(notice.table_header, notice.table_rows))
    if notice.actions:
        parts += [_heading("What to do next"), _list(notice.actions, numbered=True)]
    if kind.closing:
        parts.append(_p(_fill(kind.closing, words, html=True)))
    if url:
        parts.append(_button(url))
    parts.append(
        f'<tr><td style="padding:16px 24px;border-top:1px solid #e8eaed;font-family:{FONT};font-size:11px;'
        f'line-height:16px;color:#80868b;">Sent by AI FinOps. Recipients come from the sheet (owners in Use cases, '
        f"leads in Teams, the alert lists in Settings). Reference: {escape(notice.key)}</td></tr>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(subject)}</title></head>\n"
        '<body style="margin:0;padding:0;background-color:#f1f3f4;">'
        '<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">'
        f"{escape(one_line(notice.headline))}</div>\n"
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#f1f3f4" '
        'style="background-color:#f1f3f4;"><tr><td align="center" style="padding:24px 8px;">\n'
        f'<table role="presentation" width="{WIDTH}" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff" '
        f'style="width:{WIDTH}px;max-width:{WIDTH}px;background-color:#ffffff;border:1px solid #dadce0;">\n'
        + "\n".join(parts)
        + "\n</table>\n</td></tr></table>\n</body></html>\n"
    )


# ---------------------------------------------------------------------------------------------
# Plain text: the same pieces
# ---------------------------------------------------------------------------------------------


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(
        text, width=76, initial_indent=indent, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
    )


def _items(items, numbered: bool) -> list[str]:
    out = []
    for i, item in enumerate(items, 1):
        mark = f"{i}. " if numbered else "- "
        out.append(
            textwrap.fill(
                item,
                width=76,
                initial_indent="  " + mark,
                subsequent_indent="  " + " " * len(mark),
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return out


def _table_text(header, rows) -> list[str]:
    grid = [tuple(header)] + [tuple(r) for r in rows] if header else [tuple(r) for r in rows]
    columns = max((len(r) for r in grid), default=0)
    widths = [max((len(one_line(r[i])) for r in grid if i < len(r)), default=0) for i in range(columns)]
    lines = []
    for n, row in enumerate(grid):
        cells = [one_line(row[i]) if i < len(row) else "" for i in range(columns)]
        lines.append("  " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)).rstrip())
        if n == 0 and header:
            lines.append("  " + "-+-".join("-" * w for w in widths))
    return lines


def _text(notice: Notice, kind: KindTemplate, subject: str, words: dict, url: Optional[str]) -> str:
    scope = _scope(notice)
    title = kind.label.upper() + (f" · {scope}" if scope else "")
    lines = [title, "=" * min(len(title), 76), "", _wrap(one_line(notice.headline))]
    if notice.numbers:
        width = max(len(one_line(label)) for label, _ in notice.numbers)
        lines += ["", "The numbers"]
        lines += [f"  {one_line(label).ljust(width)}  {one_line(value)}" for label, value in notice.numbers]
    lines += ["", _wrap(_fill(kind.intro, words, html=False))]
    if kind.points:
        if kind.points_title:
            lines += ["", kind.points_title]
        lines += _items(kind.points, numbered=bool(kind.points_title))
    if notice.table_rows or notice.table_header:
        lines += [""] + _table_text(notice.table_header, notice.table_rows)
    if notice.actions:
        lines += ["", "What to do next"] + _items(notice.actions, numbered=True)
    if kind.closing:
        lines += ["", _wrap(_fill(kind.closing, words, html=False))]
    if url:
        lines += ["", f"Open the sheet: {url}"]
    lines += [
        "",
        "-- ",
        _wrap(
            "Sent by AI FinOps. Recipients come from the sheet (owners in Use cases, leads in "
            "Teams, the alert lists in Settings)."
        ),
        f"Reference: {one_line(notice.key)}",
    ]
    return "\n".join(lines) + "\n"
