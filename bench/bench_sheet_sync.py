"""Google Sheet sync: Sheets API requests per sync for 10 and 1,000 use cases (issue 5).

Each run: moto in-process (tables, Secrets Manager with a fake service account), the local
Sheets emulator, an organisation of N use cases with 14 days of costs and units, `init`,
then one `sync`, counted from the emulator's request log. Beside it, the naive count: one
values request per row written to the output tabs (and to Mappings) plus one read per tab.
Goal: the same small number of requests whatever N (2 reads, 1 write), each under 2 MB.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.in_process import in_process_env  # noqa: E402

in_process_env()

from bench.goals import figure  # noqa: E402
from bench.sheet_world import sheet_world  # noqa: E402

NOW = datetime(2026, 11, 22, 14, 5, tzinfo=timezone.utc)
SIZES = (10, 1000)
DAYS = 14


def rows_written(emu) -> int:
    from chalicelib.sheet import layout

    book = emu.spreadsheet()
    total = 0
    for title in [t.title for t in layout.OUTPUT_TABS] + [layout.MAPPINGS]:
        sheet = book.sheet_by_title(title)
        total += len({r for (r, _), cell in sheet.cells.items() if cell.get("userEnteredValue")})
    return total


def run(n: int) -> dict:
    with sheet_world(n) as (org, emu):
        from chalicelib import sheet_sync
        from chalicelib.services import pipeline
        from chalicelib.sheet import layout
        from tests.sheet.data import seed_big

        seed_big(org, NOW.date(), days=DAYS)
        assert sheet_sync.init().ok
        emu.reset_log()
        started = time.perf_counter()
        report = pipeline.sync(NOW)
        seconds = time.perf_counter() - started
        assert report.ok, report.error
        calls = emu.api_requests()
        reads = sum(1 for c in calls if c["method"] == "GET")
        writes = len(calls) - reads
        naive = rows_written(emu) + len(layout.INPUT_TABS) + 1
        return {
            "n": n,
            "requests": len(calls),
            "reads": reads,
            "writes": writes,
            "naive": naive,
            "bytes": report.write_bytes,
            "seconds": seconds,
            "sheet_seconds": report.sheet_seconds,
            "history": (report.history_weeks, report.history_months),
        }


def main() -> int:
    results = [run(n) for n in SIZES]
    print(
        f"{'use cases':>9}  {'requests/sync':>13}  {'(reads+writes)':>14}  {'naive':>7}  {'ratio':>7}  "
        f"{'write MB':>8}  {'history w/m':>11}  {'sync s':>7}  {'Sheets s':>8}"
    )
    for r in results:
        print(
            f"{r['n']:>9}  {r['requests']:>13}  {str(r['reads']) + '+' + str(r['writes']):>14}  {r['naive']:>7}  "
            f"{r['naive'] / r['requests']:>6.0f}x  {r['bytes'] / 1e6:>8.2f}  "
            f"{'%d/%d' % r['history']:>11}  {r['seconds']:>7.2f}  {r['sheet_seconds']:>8.2f}"
        )
    same = len({r["requests"] for r in results}) == 1
    fits = all(r["bytes"] <= 2_000_000 for r in results)
    print(
        f"\nrequests per sync constant across sizes: {'yes' if same else 'NO'}; every write under 2 MB: "
        f"{'yes' if fits else 'NO'}\n(sync s includes moto's in-process DynamoDB reading the facts; Sheets s is the "
        "time in the three Sheets API calls against the local emulator)"
    )
    for r in results:
        figure(
            f"Sheets API requests per sync, {r['n']:,} use cases",
            f"{r['requests']} ({r['reads']} reads, {r['writes']} write{'s' if r['writes'] != 1 else ''}) "
            f"vs a naive {r['naive']:,}: "
            f"{r['naive'] / r['requests']:.0f} x fewer",
            "<= 2 reads + 2 writes",
            r["reads"] <= 2 and r["writes"] <= 2,
        )
    figure(
        f"Sheets API requests per sync constant across {' and '.join(f'{n:,}' for n in SIZES)} use cases",
        " and ".join(str(r["requests"]) for r in results),
        "the same for every size",
        same,
    )
    figure(
        "Sheets bytes written per sync, the larger size",
        f"{max(r['bytes'] for r in results) / 1e6:.2f} MB",
        "<= 2 MB",
        fits,
    )
    return 0 if same and fits else 1


if __name__ == "__main__":
    sys.exit(main())
