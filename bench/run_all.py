"""`make bench`: run every bench/bench_*.py in turn, then print one table of every figure beside its goal.

Each script's output streams as it runs; the figures each reports through bench/goals.py (its marker
lines) are collected and printed at the end as one table: figure, measured, goal, ok / MISSED / - (a
figure without a pass mark). Exit code 1 if a goal is missed, a script fails, or a script reports no
figure. `python bench/run_all.py bench_sheet_sync.py ...` runs only the scripts named.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here.parent))

from bench.goals import MISSED, NO_MARK, OK, parse  # noqa: E402

HEADER = ("figure", "measured", "goal", "result")


def run(script: Path) -> tuple[int, list[tuple[str, str, str, str]]]:
    """Run one script, streaming its output (without the marker lines); its exit code and figures."""
    figures = []
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, str(script)], cwd=here.parent, env=env, stdout=subprocess.PIPE, text=True, bufsize=1
    ) as process:
        for line in process.stdout:
            row = parse(line)
            if row is None:
                sys.stdout.write(line)
                sys.stdout.flush()
            else:
                figures.append(row)
    return process.returncode, figures


def rows_of(script: str, code: int, figures: list) -> list[tuple[str, str, str, str]]:
    """The table's rows for one script: its figures, and a MISSED row if it failed or reported none."""
    rows = [(f"{name} ({Path(script).stem.removeprefix('bench_')})", *rest) for name, *rest in figures]
    if code != 0:
        rows.append((f"{script} exit code", str(code), "0", MISSED))
    elif not figures:
        rows.append((script, "no figure reported", "its figures", MISSED))
    return rows


def table(rows: list[tuple[str, str, str, str]]) -> str:
    """A Markdown table (readable as printed, pastable as is), columns padded to their widest cell."""
    rows = [tuple(c.replace("|", "\\|") for c in r) for r in rows]
    cells = [HEADER, *rows]
    widths = [max(len(r[i]) for r in cells) for i in range(4)]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + " |"  # noqa: E731
    return "\n".join([line(HEADER), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def summary(rows: list[tuple[str, str, str, str]]) -> str:
    ok, missed, figures = (sum(1 for r in rows if r[3] == v) for v in (OK, MISSED, NO_MARK))
    plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
    return f"{plural(ok, 'goal')} met, {missed} missed, {plural(figures, 'figure')} without a pass mark" + (
        "" if missed else ": every goal met"
    )


def main(argv: list[str]) -> int:
    scripts = [here / name for name in argv] if argv else sorted(here.glob("bench_*.py"))
    rows = []
    for script in scripts:
        print(f"\n=== {script.name}", flush=True)
        code, figures = run(script)
        rows += rows_of(script.name, code, figures)
    print("\n=== every figure beside its goal\n")
    print(table(rows))
    print("\n" + summary(rows))
    return 1 if any(r[3] == MISSED for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
