"""The board report as one self-contained HTML page: inline CSS, bars drawn as table cells (they
survive email clients and printing), fits one A4 or Letter page.

It renders the same model as the Board report tab and the board email
(`chalicelib.domain.board_report`: `key_figures` and the agent lines), rounded the same way, so
the three agree to the cent.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from chalicelib.domain.board_report import BoardReport, key_figures, shown
from chalicelib.domain.money import show_cpu, show_money

AGENT_ROWS = 12  # one page: the largest agents; the tab holds them all
COLOURS = {"green": "#b7e1cd", "yellow": "#fce8b2", "red": "#f4c7c3", "critical": "#cc0000"}
_PAGE = "font-family:Arial,Helvetica,sans-serif;font-size:11px;color:#202124;max-width:720px;margin:0 auto;padding:16px"
_CELL = "padding:3px 6px;border-bottom:1px solid #e0e0e0;"


def _bar(share: Decimal, colour: str, width_px: int = 160) -> str:
    """A horizontal bar as two table cells: it prints and survives email clients (no SVG, no images)."""
    filled = max(0, min(width_px, int(share * width_px)))
    return (
        f'<table role="presentation" cellpadding="0" cellspacing="0" style="border-collapse:collapse">'
        f'<tr><td style="width:{filled}px;height:9px;background:{colour}"></td>'
        f'<td style="width:{width_px - filled}px;height:9px;background:#eeeeee"></td></tr></table>'
    )


def render(b: BoardReport, sheet_url: str = "") -> str:
    cur = b.currency
    e = escape
    figures = "".join(
        f'<tr><td style="{_CELL}">{e(label)}</td><td style="{_CELL}text-align:right;font-weight:bold">'
        f"{e(shown(value, kind, cur))}</td></tr>"
        for label, value, kind in key_figures(b)
    )
    top = max((a.cost for a in b.agents), default=Decimal(0))
    agents = []
    for a in b.agents[:AGENT_ROWS]:
        ratio = a.cpu / a.target_cpu if a.cpu is not None and a.target_cpu else None
        bar = _bar(min(ratio / 2, Decimal(1)), COLOURS.get(a.colour or "", "#9aa0a6")) if ratio is not None else ""
        agents.append(
            f'<tr><td style="{_CELL}">{e(a.name or a.use_case)}</td>'
            f'<td style="{_CELL}text-align:right">{e(show_money(a.cost, cur))}</td>'
            f'<td style="{_CELL}">{_bar(a.cost / top if top else Decimal(0), "#4285f4", 90)}</td>'
            f'<td style="{_CELL}text-align:right">{a.units:,}</td>'
            f'<td style="{_CELL}text-align:right">{e(show_cpu(a.cpu, cur)) if a.cpu is not None else ""}</td>'
            f'<td style="{_CELL}text-align:right">{e(show_cpu(a.target_cpu, cur)) if a.target_cpu else ""}</td>'
            f'<td style="{_CELL}">{bar}</td>'
            f'<td style="{_CELL}background:{COLOURS.get(a.colour or "", "#ffffff")}">{e(a.colour or "")}</td></tr>'
        )
    more = len(b.agents) - AGENT_ROWS
    agents_table = (
        (
            '<table style="border-collapse:collapse;width:100%"><tr style="background:#f1f3f4">'
            + "".join(
                f'<th style="{_CELL}text-align:left">{h}</th>'
                for h in (
                    "Agent",
                    "Cost",
                    "",
                    "Units",
                    "Cost per unit",
                    "Target",
                    "vs target (bar: 2× at full)",
                    "Colour",
                )
            )
            + "</tr>"
            + "".join(agents)
            + "</table>"
            + (f'<p style="color:#5f6368">… {more} more agents in the Agent P&amp;L tab</p>' if more > 0 else "")
        )
        if b.agents
        else "<p>No agent ran this month.</p>"
    )
    headcount = "".join(
        f'<tr><td style="{_CELL}">{e(h.name or h.use_case)}</td>'
        f'<td style="{_CELL}text-align:right">{e(show_money(h.monthly_offset, cur))}</td>'
        f'<td style="{_CELL}text-align:right">{e(show_money(h.ai_cost, cur))}</td>'
        f'<td style="{_CELL}text-align:right;font-weight:bold">{e(show_money(h.net, cur))}</td>'
        f'<td style="{_CELL}">{e(h.net_label)}</td></tr>'
        for h in b.headcount
    )
    headcount_table = (
        (
            '<table style="border-collapse:collapse;width:100%"><tr style="background:#f1f3f4">'
            + "".join(
                f'<th style="{_CELL}text-align:left">{h}</th>'
                for h in ("Agent", "Headcount offset", "AI cost", "Net", "")
            )
            + "</tr>"
            + headcount
            + "</table>"
        )
        if b.headcount
        else "<p>No agent replaces headcount.</p>"
    )
    anomalies = "".join(f"<li>{e(a.reason)}</li>" for a in sorted(b.anomalies, key=lambda a: -a.significance)[:5])
    link = (
        f'<p><a href="{e(sheet_url, quote=True)}" style="color:#1a73e8">Open the sheet</a></p>'
        if sheet_url.startswith(("https://", "http://"))
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>AI spend board report, {e(b.month)}</title>
<style>@page {{ size: A4; margin: 12mm; }}</style></head>
<body style="margin:0;background:#ffffff">
<div style="{_PAGE}">
<h1 style="font-size:18px;margin:0 0 6px">AI spend board report: {e(b.month)}</h1>
<p style="font-size:12px;line-height:1.4">{e(b.summary)}</p>
<h2 style="font-size:13px;margin:12px 0 4px">Key figures</h2>
<table style="border-collapse:collapse;width:60%">{figures}</table>
<h2 style="font-size:13px;margin:12px 0 4px">Agents: cost per unit against target</h2>
{agents_table}
<h2 style="font-size:13px;margin:12px 0 4px">Headcount plan</h2>
{headcount_table}
{
        f'<h2 style="font-size:13px;margin:12px 0 4px">Anomalies ({len(b.anomalies)})</h2><ul>{anomalies}</ul>'
        if b.anomalies
        else ""
    }
{link}
<p style="color:#5f6368;font-size:10px">Figures are rounded to the cent as in the sheet's Board report tab
and the board email.</p>
</div></body></html>
"""
