"""sheets-emulator --port 8765 --xlsx finops.xlsx (or python -m sheets_emulator ...)"""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from .server import describe, serve_forever, start_emulator
from .store import DEFAULT_SPREADSHEET_ID


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sheets-emulator",
        description="Local Google Sheets API v4 emulator persisting to .xlsx (127.0.0.1 only).",
    )
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--xlsx", help="file holding the default spreadsheet (created if missing)")
    parser.add_argument("--data-dir", help="where spreadsheets created through the API go (default: the --xlsx folder)")
    parser.add_argument(
        "--spreadsheet-id",
        default=DEFAULT_SPREADSHEET_ID,
        help=f"id of the default spreadsheet (default {DEFAULT_SPREADSHEET_ID})",
    )
    parser.add_argument("--title", help="title of the default spreadsheet")
    parser.add_argument("--in-memory", action="store_true", help="write no files")
    parser.add_argument(
        "--lenient-grid",
        action="store_true",
        help="grow the grid on writes past its edge instead of answering 400 'exceeds grid limits' as Sheets does",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    handle = start_emulator(
        args.xlsx,
        args.port,
        data_dir=args.data_dir,
        spreadsheet_id=args.spreadsheet_id,
        title=args.title,
        persist=not args.in_memory,
        strict_grid=not args.lenient_grid,
        background=False,
    )
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    print(describe(handle), flush=True)
    serve_forever(handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
