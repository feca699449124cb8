"""The weekly SLO digest to finance and the monthly board report email, as Notices."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Mapping

from .board_report import key_figures, shown
from .money import show_cpu, show_money, show_percent
from .notices import Notice
from .organisation import Organisation
from .periods import week_label, week_start

if TYPE_CHECKING:  # annotations only: building an email needs no engine at run time
    from .engine import Outputs


def weekly_digest(
    out: Outputs, org: Organisation, previous_colours: Mapping[str, str]
) -> tuple[Notice, dict[str, str]]:
    """(Notice, this week's colours): every use case's colour, its cost per unit vs target for the judged
    week, and what changed since the last digest (`previous_colours`: use case -> colour or "")."""
    cur = out.currency
    week = week_label(week_start(out.today) - timedelta(days=7))
    colours = {uid: st.colour or "" for uid, st in out.statuses.items()}
    rows: list[tuple[str, ...]] = []
    changes: list[str] = []
    for uid, st in out.statuses.items():
        before = previous_colours.get(uid)
        changed = (
            "new"
            if before is None
            else (f"{before or 'no colour'} → {st.colour or 'no colour'}" if before != (st.colour or "") else "")
        )
        if changed:
            changes.append(f"{st.name or uid}: {changed}")
        rows.append(
            (
                st.name or uid,
                st.colour or "no colour",
                show_cpu(st.cpu_week, cur) if st.cpu_week is not None else "",
                show_cpu(st.target_cpu, cur) if st.target_cpu is not None else "",
                show_percent(st.overrun_week) if st.overrun_week is not None else "",
                show_money(st.month_to_date_cost, cur),
                "paused" if st.paused else "",
                changed,
            )
        )
    counts = {
        c: sum(1 for st in out.statuses.values() if st.colour == c) for c in ("green", "yellow", "red", "critical")
    }
    headline = (
        f"Cost SLOs for {week}: "
        + ", ".join(f"{n} {c}" for c, n in counts.items() if n)
        + (f"; {len(changes)} change(s) since last week" if changes else "; no change since last week")
        if out.statuses
        else f"Cost SLOs for {week}: no use cases yet"
    )
    s = org.settings
    notice = Notice(
        key=f"digest:{week}",
        kind="digest",
        recipients=tuple(s.alert_emails_finance),
        subject=f"Weekly AI cost SLO digest, {week}",
        headline=headline,
        numbers=tuple((c.capitalize(), str(n)) for c, n in counts.items())
        + tuple(("Changed", c) for c in changes[:20]),
        actions=(
            "Red: the owner owes a root cause within 48 hours. Critical: the agent is paused until "
            "cleared in the sheet. Yellow: investigate.",
        ),
        table_header=(
            "Use case",
            "Colour",
            f"Cost per unit ({week})",
            "Target",
            "Overrun",
            "Month to date",
            "Paused",
            "Change",
        ),
        table_rows=tuple(rows),
    )
    return notice, colours


def board_notice(out: Outputs, org: Organisation) -> Notice:
    b = out.board
    cur = out.currency
    s = org.settings
    recipients = tuple(s.alert_emails_board) or tuple(dict.fromkeys((*s.alert_emails_finance, *s.alert_emails_cfo)))
    numbers = [(label, shown(value, kind, cur)) for label, value, kind in key_figures(b)]  # as the sheet
    rows = tuple(
        (
            a.name or a.use_case,
            show_money(a.cost, cur),
            str(a.units),
            show_cpu(a.cpu, cur) if a.cpu is not None else "",
            show_cpu(a.target_cpu, cur) if a.target_cpu is not None else "",
            a.colour or "",
        )
        for a in b.agents[:30]
    )
    return Notice(
        key=f"board:{b.month}",
        kind="board",
        recipients=recipients,
        subject=f"AI spend board report, {b.month}",
        headline=b.summary,
        numbers=tuple(numbers),
        actions=("The full report is in the Board report tab of the sheet.",),
        table_header=("Agent", "Cost", "Units", "Cost per unit", "Target", "Colour"),
        table_rows=rows,
    )
