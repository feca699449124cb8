"""`make demo`: six weeks of an organisation's AI spend on the local stack, on a simulated clock,
told by the real scheduled handlers (see local/demo_story.py for the story and the clock).

    python -m local.demo [--end 2026-10-01]

It starts the local stack (moto's server, the billing and Sheets emulators, `chalice local`),
seeds the organisation, runs the six weeks ending on the last month boundary (one month closes),
and leaves in demo-out/: finops.xlsx (the Google Sheet), outbox/*.eml (every email),
board-report.html (the closed month's one-pager, as the monthly close stored it in S3) and
focus-YYYY-MM.csv (the closed month's FOCUS export). demo-out/ starts empty on every run, and
the same end date gives the same numbers.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal as D
from pathlib import Path
from typing import Optional

import requests

from local.demo_month import run_demo  # noqa: F401 - the month-so-far walk-through, still importable from here

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "demo-out"
DAYS = 42  # six weeks before the 1st, then the 1st
COLOUR_STYLE = {"green": "green", "yellow": "yellow", "red": "red", "critical": "bold white on red", None: "dim"}


@dataclass
class DemoResult:
    story: object  # local.demo_story.Story
    month: str  # the closed month
    summary: dict  # GET /v1/summary?month= (the ledger)
    board_tab: list  # the sheet's Board report tab (values)
    board_html: str  # what the monthly close stored in S3
    focus_csv: str  # GET /v1/exports/focus?month=
    board: object  # the closed month's BoardReport (as the engine computes it now)
    pool: object  # PoolState now (after finance's allocation)
    maturity: object
    statuses: dict  # use case -> status now
    files: dict = field(default_factory=dict)  # what -> path
    optimization: object = None  # the optimization hints now (chalicelib/domain/optimization.py)

    @property
    def emails(self) -> list:
        return self.story.sent_keys()

    def focus_total(self) -> D:
        return sum((D(r["BilledCost"]) for r in csv.DictReader(io.StringIO(self.focus_csv))), D(0))

    def sheet_figure(self, label: str):
        return next(r[1] for r in self.board_tab if r and r[0] == label)


def clean(out_dir: Path) -> None:
    """The story starts from nothing: an empty spreadsheet, no emails, no reports."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in (out_dir / "finops.xlsx", out_dir / "board-report.html", out_dir / "outbox"):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    for path in out_dir.glob("focus-*.csv"):
        path.unlink()


def _api(stack, path: str, token: str, **params) -> requests.Response:
    response = requests.get(
        f"{stack.api_url}{path}", params=params, timeout=60, headers={"Authorization": f"Bearer {stack.tokens[token]}"}
    )
    response.raise_for_status()
    return response


def run_story(
    stack, end: date, out_dir: Path, days: int = DAYS, volume_scale: D = D(1), hourly: bool = False, on_day=None
) -> DemoResult:
    """The six weeks on a started stack, then what finance takes away; files written to `out_dir`."""
    from chalicelib import runtime
    from chalicelib.bootstrap import dependencies
    from chalicelib.services import pipeline
    from chalicelib.sheet import layout
    from local.demo_story import Story

    os.environ["OUTBOX_EML_DIR"] = str(out_dir / "outbox")  # every email the runs send, as .eml files
    story = Story(stack, end, days=days, volume_scale=volume_scale, hourly=hourly, on_day=on_day)
    story.simulate()
    month = story.closed_month
    summary = _api(stack, "/v1/summary", "sheet", month=month).json()
    focus = _api(stack, "/v1/exports/focus", "admin", month=month).text
    board_html = (
        runtime.client("s3")
        .get_object(Bucket=os.environ["REPORTS_BUCKET"], Key=pipeline.board_report_key(month))["Body"]
        .read()
        .decode()
    )
    board_tab = story.spreadsheet().worksheet(layout.BOARD).get(value_render_option="UNFORMATTED_VALUE")
    deps = dependencies()
    out, _ = pipeline._compute(deps, deps.stores.organisation.load(), end)  # read only (a sync's view)
    files = {
        "sheet": out_dir / "finops.xlsx",
        "emails": out_dir / "outbox",
        "board report": out_dir / "board-report.html",
        "FOCUS export": out_dir / f"focus-{month}.csv",
    }
    files["board report"].write_text(board_html, encoding="utf-8", newline="")
    files["FOCUS export"].write_text(focus, encoding="utf-8", newline="")
    return DemoResult(
        story,
        month,
        summary,
        board_tab,
        board_html,
        focus,
        out.board,
        out.pool,
        out.maturity,
        dict(out.statuses),
        files,
        out.optimization,
    )


# --- the terminal --------------------------------------------------------------------------------


def _money(value) -> str:
    return f"${D(str(value)):,.2f}"


def day_line(entry, story) -> Optional[str]:
    """A line for a day worth telling (something happened, or an email went), else None."""
    emails = [k for k in entry.emails if not k.startswith("digest")]
    if not (entry.events or emails or entry.day.weekday() == 0 or entry.day == story.end):
        return None
    from local.demo_story import DRIFTING

    style = COLOUR_STYLE.get(entry.colour, "")
    colour = f"[{style}]{entry.colour or '-'}[/]" + (" [bold red]PAUSED[/]" if entry.paused else "")
    parts = [f"{entry.day:%a %d %b}  {DRIFTING}: {colour}"]
    parts += entry.events
    if entry.emails:
        parts.append("emails: " + ", ".join(entry.emails))
    return "  ".join(parts)


def print_summary(result: DemoResult, console) -> None:
    from rich.table import Table

    s, org = result.summary, result.story.org
    console.print(
        f"\n[bold]{result.month}, closed[/]: total AI spend [bold]{_money(s['total'])}[/] "
        f"({float(s['coverage'] or 0):.1%} allocated; finance expected "
        f"{_money(org.expected_totals[result.month])})"
    )
    console.print(
        "The iceberg: " + ", ".join(f"{r['name']} {_money(r['total'])}" for r in s["by_category"] if D(r["total"]))
    )
    budgets = {t.team_id: t.monthly_budget for t in org.teams}
    teams = Table(title="Spend by team vs budget", title_justify="left")
    for h in ("Team", "Spend", "Budget", ""):
        teams.add_column(h, justify="right" if h in ("Spend", "Budget") else "left")
    for r in s["by_team"]:
        budget = budgets.get(r["name"])
        over = budget is not None and D(r["total"]) > budget
        teams.add_row(
            r["name"],
            _money(r["total"]),
            _money(budget) if budget else "-",
            "[red]over[/]" if over else ("[green]within[/]" if budget else ""),
        )
    console.print(teams)
    cpu = Table(title=f"Cost per unit vs target, {result.month}", title_justify="left")
    for h in ("Agent", "Cost", "Units", "Cost per unit", "Target", "Month", "Now"):
        cpu.add_column(h, justify="left" if h in ("Agent", "Month", "Now") else "right")
    for a in result.board.agents:
        now = result.statuses.get(a.use_case)
        now_colour = now.colour if now else None
        cpu.add_row(
            a.use_case,
            _money(a.cost),
            f"{a.units:,}",
            f"${a.cpu:.2f}" if a.cpu is not None else "-",
            f"${a.target_cpu:.2f}" if a.target_cpu else "-",
            f"[{COLOUR_STYLE.get(a.colour, '')}]{a.colour or '-'}[/]",
            f"[{COLOUR_STYLE.get(now_colour, '')}]{now_colour or '-'}[/]"
            + (" [bold red]PAUSED[/]" if now and now.paused else ""),
        )
    console.print(cpu)
    if result.optimization is not None:
        levers = Table(title="Biggest lever per agent (Optimization tab; if quality holds)", title_justify="left")
        for h in ("Agent", "Lever", "Saving per unit", "Month"):
            levers.add_column(h, justify="right" if h in ("Saving per unit", "Month") else "left")
        for m in sorted(result.optimization.current.values(), key=lambda m: (-m.cost, m.use_case)):
            if m.biggest is not None:
                levers.add_row(
                    m.use_case, m.biggest.title, f"${m.biggest.per_unit:,.2f}", f"${m.biggest.per_month:,.2f}"
                )
        console.print(levers)
    kinds: dict = {}
    for key in result.emails:
        kinds.setdefault(key.split("_")[0], []).append(key)
    console.print(
        f"Emails sent: {len(result.emails)} (" + ", ".join(f"{len(v)} {k}" for k, v in sorted(kinds.items())) + ")"
    )
    pool = result.pool
    console.print(
        "Reallocation pool: "
        + "; ".join(
            f"{t} credited {_money(pool.credited.get(t, 0))}, allocated {_money(pool.allocated.get(t, 0))}, "
            f"balance [bold]{_money(pool.balances.get(t, 0))}[/]"
            for t in ("T1", "T2", "T3")
            if pool.credited.get(t) or pool.balances.get(t)
        )
    )
    console.print(f"Maturity stage: [bold]{result.maturity.stage} of 5[/] ({result.maturity.name or 'none yet'})")
    console.print("\nOpen:")
    for what, path in result.files.items():
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        console.print(f"  {what:<13} {shown}{'/*.eml' if what == 'emails' else ''}")


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.demo", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--end",
        type=date.fromisoformat,
        default=None,
        help="the 1st of the month the story ends on (default: this month's 1st)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # the runs' JSON logs would bury the story
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from local.demo_story import month_boundary
    from local.stack import LocalStack

    console = Console(highlight=False)
    end = args.end or month_boundary(datetime.now(timezone.utc).date())
    clean(OUT_DIR)
    console.print("Starting the local stack (moto server, billing and Sheets emulators, chalice local) ...")
    with LocalStack(workbook=OUT_DIR / "finops.xlsx") as stack:
        console.print(
            f"API {stack.api_url}; the six weeks to {end} on a simulated clock: per day the daily run "
            "(02:35), the weekly on Mondays, the monthly on the 1st, and an hourly (10:05) on the days "
            "finance edits the sheet"
        )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("simulating", total=DAYS + 1)

            def on_day(entry, story):
                progress.update(task, advance=1, description=f"{entry.day:%a %d %b}")
                line = day_line(entry, story)
                if line:
                    progress.console.print(line)

            result = run_story(stack, end, OUT_DIR, on_day=on_day)
        print_summary(result, console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
