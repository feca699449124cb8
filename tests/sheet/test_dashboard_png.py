"""`make dashboard-png` (local/dashboard_png.py): the Dashboard alone, on one page, rendered by soffice and pdftoppm."""

from __future__ import annotations

import os
import stat
import zipfile

import openpyxl
import pytest
from sheets_emulator.xlsx_io import META_TITLE

from chalicelib import sheet_sync
from chalicelib.sheet import layout
from local import dashboard_png


def test_without_soffice_or_pdftoppm_it_says_so_and_changes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(dashboard_png.shutil, "which", lambda name: None)
    out = tmp_path / "dashboard.png"
    out.write_bytes(b"old")
    assert dashboard_png.main(["--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "soffice" in err and "pdftoppm" in err and "unchanged" in err
    assert out.read_bytes() == b"old"


@pytest.mark.xlsx
def test_the_dashboard_alone_on_one_landscape_page(sheet, sheets_xlsx_path, tmp_path):
    assert sheet_sync.init().ok
    copy = dashboard_png.dashboard_workbook(sheets_xlsx_path, tmp_path / "Dashboard.xlsx")
    wb = openpyxl.load_workbook(copy)
    assert [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"] == [layout.DASHBOARD]
    assert wb.sheetnames == [layout.DASHBOARD, META_TITLE]
    ws = wb[layout.DASHBOARD]
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)
    assert ws.print_area.startswith("'Dashboard'!$A$1:$T$")  # not the columns feeding the charts
    charts = [n for n in zipfile.ZipFile(copy).namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == len(layout.DASH_CHARTS)  # the native charts come along


@pytest.mark.xlsx
def test_renders_with_soffice_then_pdftoppm(sheet, sheets_xlsx_path, tmp_path, monkeypatch):
    assert sheet_sync.init().ok
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls.txt"
    bin_dir.mkdir()
    fakes = {  # stand-ins that write what the real tools write, and note how they were called
        "soffice": 'echo "soffice $*" >> {calls}\nout="$5"; src="$6"; b=$(basename "$src" .xlsx); '
        'echo pdf > "$out/$b.pdf"\n',
        # -gray: a 40 x 30 page, white but for one dark pixel at (20, 10); else a "png"
        "pdftoppm": 'echo "pdftoppm $*" >> {calls}\nfor last; do :; done\ncase "$*" in *-gray*) '
        "python3 -c \"import sys; px = bytearray(b'\\\\xff') * 1200; px[10 * 40 + 20] = 0; "
        'sys.stdout.buffer.write(b\'P5\\\\n40 30\\\\n255\\\\n\' + px)" > "$last.pgm";; '
        '*) echo png > "$last.png";; esac\n',
    }
    for name, body in fakes.items():
        path = bin_dir / name
        path.write_text("#!/bin/sh\n" + body.format(calls=calls))
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "docs" / "dashboard.png"
    assert (
        dashboard_png.main(["--xlsx", str(sheets_xlsx_path), "--out", str(out), "--keep", str(tmp_path / "work")]) == 0
    )
    assert out.read_text() == "png\n"
    soffice, gray, pdftoppm = calls.read_text().splitlines()
    assert soffice.startswith("soffice --headless --convert-to pdf --outdir ") and soffice.endswith("Dashboard.xlsx")
    assert gray.startswith("pdftoppm -gray -r 150 -f 1 -l 1 -singlefile ") and gray.endswith("/work/page")
    # the page cropped to what is printed on it, 16 pixels of white around (within the page)
    assert pdftoppm.startswith(
        "pdftoppm -png -r 150 -f 1 -l 1 -singlefile -x 4 -y 0 -W 33 -H 27 "
    ) and pdftoppm.endswith(f"Dashboard.pdf {out.with_suffix('')}")


def test_the_crop_is_the_box_around_every_pixel_not_white(tmp_path):
    pgm = tmp_path / "page.pgm"
    pixels = bytearray(b"\xff") * (50 * 20)
    for x, y, v in ((7, 3, 0), (40, 15, 200), (45, 18, 245)):  # 245: paper white enough, not ink
        pixels[y * 50 + x] = v
    pixels[0] = 0x20  # a dark pixel whose byte is a space: the header ends at exactly one whitespace
    pgm.write_bytes(b"P5\n50 20\n255\n" + bytes(pixels))
    assert dashboard_png.inked_box(pgm, margin=0) == (0, 0, 41, 16)
    assert dashboard_png.inked_box(pgm, margin=2) == (0, 0, 43, 18)
    pixels[0] = 0xFF
    pgm.write_bytes(b"P5\n50 20\n255\n" + bytes(pixels))
    assert dashboard_png.inked_box(pgm, margin=1) == (6, 2, 36, 15)
    pgm.write_bytes(b"P5\n50 20\n255\n" + b"\xff" * 1000)
    assert dashboard_png.inked_box(pgm) is None  # a blank page: not cropped
    assert dashboard_png.inked_box(tmp_path / "none.pgm") is None
