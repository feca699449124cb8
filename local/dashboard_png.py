"""`make dashboard-png`: docs/dashboard.png, the Dashboard tab on the last day of the month `make demo`'s
story closes.

Runs the demo's six weeks (ending on a fixed 1st, so the picture is the same every run) on a local
stack with its own workbook, keeps a copy of the sheet as it stands on the month's last day after
that day's runs (the 30th for November: the month to date is nearly the whole month; on the 1st the
Dashboard starts a new month at $0), keeps only the Dashboard (with its native charts) in a copy
fitted to one landscape page, and renders it: `soffice --headless --convert-to pdf`, then
`pdftoppm -png`. Both must be on PATH (LibreOffice and poppler-utils); without them it says so and
changes nothing.

    python -m local.dashboard_png [--out docs/dashboard.png] [--end 2026-12-01] [--keep DIR]

`make pictures` (`--pictures`): the README tour's three pictures from one run of the story:
docs/dashboard.png (as above), docs/alert-email.png (the critical alert email's HTML) and
docs/board-report.png (the board report page the monthly close stored on the 1st), the last two
rendered by headless Chromium (CHROMIUM, else chromium or google-chrome on PATH).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "dashboard.png"
DEMO_END = date(2026, 12, 1)  # the 1st the pictures' story ends on (November closes)
RESOLUTION = 150  # pdftoppm dots per inch


def missing_tools() -> list[str]:
    """What is not on PATH, with how to get it."""
    out = []
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        out.append("soffice (LibreOffice: apt-get install libreoffice-calc, brew install --cask libreoffice)")
    if not shutil.which("pdftoppm"):
        out.append("pdftoppm (poppler: apt-get install poppler-utils, brew install poppler)")
    return out


def dashboard_workbook(xlsx: Path, out: Path) -> Path:
    """A copy of the emulator's workbook holding only the Dashboard, on one landscape page."""
    from openpyxl.utils import get_column_letter
    from sheets_emulator import xlsx_io

    from chalicelib.sheet import layout

    book = xlsx_io.load(xlsx)
    dash = book.sheet_by_title(layout.DASHBOARD)
    if dash is None:
        raise SystemExit(f"{xlsx} has no {layout.DASHBOARD} tab: run `sheet init` and `sheet sync` first")
    book.sheets = [dash]
    wb = xlsx_io.build_workbook(book)
    ws = wb[dash.title]
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.print_options.gridLines = False
    # what a person sees: the figures and the charts, not the columns that feed the charts
    last_row = max([r for r, _ in dash.cells] + [60]) + 1
    ws.print_area = f"A1:{get_column_letter(layout.DASH_TEAM_DATA_COL)}{last_row}"
    wb.save(out)
    return out


def render(xlsx: Path, png: Path, work: Path) -> Path:
    """xlsx -> pdf (soffice) -> png of page 1 (pdftoppm), cropped to what is printed on it."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(work), str(xlsx)],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=300,
    )
    pdf = work / (xlsx.stem + ".pdf")
    if not pdf.exists():
        raise SystemExit(f"soffice wrote no {pdf.name}")
    png.parent.mkdir(parents=True, exist_ok=True)
    page = ["-r", str(RESOLUTION), "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run(["pdftoppm", "-gray", *page, str(pdf), str(work / "page")], check=True, timeout=300)
    box = inked_box(work / "page.pgm")
    crop = ["-x", str(box[0]), "-y", str(box[1]), "-W", str(box[2]), "-H", str(box[3])] if box else []
    subprocess.run(["pdftoppm", "-png", *page, *crop, str(pdf), str(png.with_suffix(""))], check=True, timeout=300)
    return png


def inked_box(pgm: Path, margin: int = 16) -> tuple | None:
    """(x, y, width, height) around every pixel that is not white in a binary PGM (`pdftoppm -gray`),
    with `margin` pixels of white around it; None when there is no such file or nothing is printed."""
    import re

    try:
        data = pgm.read_bytes()
    except OSError:
        return None
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", data)  # then one byte per pixel, row by row
    if header is None:
        return None
    width, height, pixels = int(header[1]), int(header[2]), data[header.end() :]
    if len(pixels) < width * height:
        return None
    rows = [y for y in range(height) if min(pixels[y * width : (y + 1) * width], default=255) < 240]
    if not rows:
        return None
    columns = [min(pixels[y * width + x] for y in rows) for x in range(width)]
    inked = [x for x, v in enumerate(columns) if v < 240]
    x0, x1 = max(inked[0] - margin, 0), min(inked[-1] + margin + 1, width)
    y0, y1 = max(rows[0] - margin, 0), min(rows[-1] + margin + 1, height)
    return x0, y0, x1 - x0, y1 - y0


def month_end_name(end: date) -> str:
    return f"finops-{end - timedelta(days=1)}.xlsx"


def keep_month_end(path: Path):
    """A run_story `on_day` that saves the sheet as it stands after the closed month's last day's runs."""
    from sheets_emulator import xlsx_io

    def on_day(entry, story) -> None:
        if entry.day == story.end - timedelta(days=1):
            store, spreadsheet_id = story.stack.sheets.store, story.stack.sheets.default_spreadsheet_id
            with store.lock:
                xlsx_io.save(store.get(spreadsheet_id), path)

    return on_day


def demo_workbook(work: Path, end: date = DEMO_END) -> tuple:
    """The demo's six weeks on a fresh local stack, its files in `work`: (the workbook at the end, the
    workbook as it stood on the closed month's last day)."""
    from local.demo import clean, run_story
    from local.stack import LocalStack

    clean(work)
    month_end = work / month_end_name(end)
    month_end.unlink(missing_ok=True)
    with LocalStack(workbook=work / "finops.xlsx") as stack:
        run_story(stack, end, work, on_day=keep_month_end(month_end))
    if not month_end.exists():
        raise SystemExit(f"the story never reached {end - timedelta(days=1)}: no {month_end.name}")
    return work / "finops.xlsx", month_end


def chromium() -> str | None:
    import os

    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("google-chrome")


def html_png(html: Path, png: Path, width: int, height: int) -> Path:
    """One HTML file as a PNG screenshot by headless Chromium."""
    png.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--hide-scrollbars",
            f"--window-size={width},{height}",
            f"--screenshot={png}",
            html.resolve().as_uri(),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=120,
    )
    return png


def email_html(eml: Path, out: Path) -> Path:
    """The HTML part of an .eml the outbox wrote."""
    import email
    from email import policy

    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    out.write_text(message.get_body(preferencelist=("html",)).get_content(), encoding="utf-8")
    return out


def pictures(work: Path, end: date, docs: Path) -> list:
    """The demo's story once; the Dashboard tab (on the closed month's last day), the critical alert email
    and the board report (the story's end) as PNGs."""
    _, month_end = demo_workbook(work, end)
    critical = sorted((work / "outbox").glob("slo_*_critical.eml"))[0]
    return [
        render(dashboard_workbook(month_end, work / "Dashboard.xlsx"), docs / "dashboard.png", work),
        html_png(email_html(critical, work / "alert-email.html"), docs / "alert-email.png", 760, 900),
        html_png(work / "board-report.html", docs / "board-report.png", 800, 1100),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.dashboard_png", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--end",
        type=date.fromisoformat,
        default=DEMO_END,
        help="the 1st the demo's story ends on (the Dashboard is the day before's)",
    )
    parser.add_argument("--xlsx", type=Path, help="render this workbook instead of running the demo")
    parser.add_argument("--keep", type=Path, help="keep the workbook and the pdf in this folder")
    parser.add_argument(
        "--pictures",
        action="store_true",
        help="the README tour's pictures: dashboard, alert email, board report (in --out's folder)",
    )
    args = parser.parse_args(argv)
    import os

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # the runs' JSON logs
    missing = missing_tools() + (
        [] if chromium() or not args.pictures else ["chromium (apt-get install chromium, or set CHROMIUM)"]
    )
    if missing:
        print(
            "cannot render docs/dashboard.png: not on PATH: " + "; ".join(missing) + f". {args.out} is unchanged.",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="dashboard-png-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if args.pictures:
            print(f"Running the demo's six weeks to {args.end} on a local stack ...", flush=True)
            for png in pictures(work, args.end, args.out.parent):
                print(f"wrote {png}")
            return 0
        if args.xlsx is None:
            print(f"Running the demo's six weeks to {args.end} on a local stack ...", flush=True)
        source = args.xlsx or demo_workbook(work, args.end)[1]
        png = render(dashboard_workbook(source, work / "Dashboard.xlsx"), args.out, work)
    print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
