"""Operator commands: `python -m chalicelib.cli tokens create --team support`, ..."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from chalicelib import stores


def _tokens(args) -> int:
    store = stores.stores().tokens
    if args.action == "create":
        scope = "team" if args.team else args.scope
        if not scope:
            print("tokens create needs --team TEAM or --scope admin|sheet", file=sys.stderr)
            return 2
        if args.team:
            known = sorted(t.team_id for t in stores.stores().organisation.load().teams)
            if args.team not in known:
                print(
                    f"error: unknown team {args.team!r}; the stored configuration's teams are: "
                    f"{', '.join(known) if known else 'none yet (run `sheet sync` or seed the configuration)'}",
                    file=sys.stderr,
                )
                return 2
        try:
            token, grant = store.create(scope, args.team or "", datetime.now(timezone.utc), args.label or "")
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(token)
        print(
            f"token id {grant.token_id} ({scope}{' ' + grant.team if grant.team else ''}); "
            "the token is shown once: store it now",
            file=sys.stderr,
        )
    elif args.action == "list":
        for g in store.list():
            state = "revoked" if g.revoked else "active"
            print(f"{g.token_id}  {g.scope:<5}  {g.team or '-':<16}  {state:<7}  {g.created_at}  {g.label}")
    elif args.action == "revoke":
        if not store.revoke(args.token_id):
            print(f"no active token with id {args.token_id}", file=sys.stderr)
            return 1
        print(f"revoked {args.token_id}")
    return 0


def _costs(args) -> int:
    from datetime import date, timedelta
    from pathlib import Path

    from chalicelib import billing

    org = stores.organisation()
    if args.action == "import":
        result = billing.import_cost_file(
            Path(args.file).read_bytes(),
            org,
            stores.stores().ledger,
            feed=args.feed or Path(args.file).stem,
            filename=Path(args.file).name,
        )
        for error in result.errors:
            print(
                f"row {error['row']}, column {error['column']} ({error['value']!r}): {error['reason']}", file=sys.stderr
            )
        if result.errors:
            print(f"{len(result.errors)} invalid cell(s) in {args.file}: nothing was stored", file=sys.stderr)
            return 1
        print(
            f"{args.file}: {result.format} file, feed {result.feed}: {result.rows_read} rows read, "
            f"{result.rows_stored} stored, total {result.total:,.2f}"
        )
        for key, amount in sorted(result.unmapped.items()):
            print(f"  unmapped {key}: {amount:,.2f} (map it in the sheet's Mappings tab)")
        for restated in result.restatements:
            print(f"  {restated.line}")
        if result.restatements:
            stores.stores().freshness.record_restatements(
                f"import {result.feed}", datetime.now(timezone.utc).isoformat(), [r.line for r in result.restatements]
            )
        return 0
    end = date.fromisoformat(args.end) if args.end else datetime.now(timezone.utc).date() + timedelta(days=1)
    start = date.fromisoformat(args.start) if args.start else end - timedelta(days=args.days)
    report = billing.pull_sources(
        billing.vendor_sources(org, stores.stores().work_items),
        start,
        end,
        org,
        stores.stores().ledger,
        stores.stores().freshness,
        datetime.now(timezone.utc),
    )
    for r in report.results:
        if r.ok:
            kept = (
                ""
                if not r.unanswered_days
                else (f" (not answered, kept as stored: {', '.join(d.isoformat() for d in r.unanswered_days)})")
            )
            outcome = (
                f"{r.status}: {r.days_answered} of {r.days_asked} days answered{kept}; "
                f"{r.facts} facts, {r.puts} written, {r.deletes} removed, "
                f"{len(r.restatements)} day{'' if len(r.restatements) == 1 else 's'} restated"
            )
        else:
            outcome = f"FAILED: {r.error} (nothing stored was changed)"
        print(f"{r.source:<13} {outcome}")
        for restated in r.restatements:
            print(f"  {restated.line}")
    for key, amount in sorted(report.unmapped.items()):
        print(f"  unmapped {key}: {amount:,.2f}")
    return 0 if all(r.ok for r in report.results) else 1


def _sheet(args) -> int:
    from chalicelib import sheet_sync

    if args.action == "init":
        report = sheet_sync.init()
        for line in report.lines():
            print(line, file=sys.stdout if report.ok else sys.stderr)
        return 0 if report.ok else 1
    if args.action == "rules":
        return _sheet_rules(args)
    return _run(argparse.Namespace(kind="sync", now=args.now))


def _sheet_rules(args) -> int:
    """The add-on's input rules (sheets_addon/Rules.gs), generated from layout.py and cells.py."""
    from pathlib import Path

    from chalicelib.sheet import addon_rules

    path = Path(args.output) if args.output else addon_rules.RULES_FILE
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != addon_rules.render():
            print(f"{path} is out of date: run `python -m chalicelib.cli sheet rules`", file=sys.stderr)
            return 1
        print(f"{path} matches the Python definitions")
        return 0
    changed = addon_rules.write(path)
    print(f"{path}: {'written' if changed else 'already up to date'}")
    return 0


def _run(args) -> int:
    """One pipeline run now (or at --now): the same call the schedules make."""
    from chalicelib.bootstrap import dependencies
    from chalicelib.services import pipeline

    now = datetime.fromisoformat(args.now.replace("Z", "+00:00")) if args.now else datetime.now(timezone.utc)
    result = pipeline.run(args.kind, dependencies(), now, requested_by="cli")
    record, report = result.record, result.sheet
    ok = record.status == "ok"
    out = sys.stdout if ok else sys.stderr
    print(f"{record.kind} run {record.run_id}: {record.status} ({record.message})", file=out)
    for step in record.steps:
        print(f"  {step.name:<20} {step.status:<7} {step.seconds:>7.2f} s  {step.detail}", file=out)
    for line in report.lines() if record.status != "skipped" else []:
        print(f"  {line}", file=out)
    return 0 if ok else 1


def _export(args) -> int:
    """The month's allocated ledger as FOCUS, or cost per unit per use case, as CSV (any size)."""
    from datetime import date
    from pathlib import Path

    from chalicelib import exports
    from chalicelib.summary import BadMonth, parse_month

    try:
        month = parse_month(args.month)
    except BadMonth as exc:
        print(f"error: --month {exc}", file=sys.stderr)
        return 2
    s = stores.stores()
    org = stores.organisation()
    if args.kind == "focus":
        text = exports.month_focus_csv(month, org, s.ledger, s.work_items, args.team)
    else:
        today = date.fromisoformat(args.today) if args.today else datetime.now(timezone.utc).date()
        text = exports.month_unit_costs_csv(month, org, s.ledger, s.work_items, today)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8", newline="")
        rows = max(text.count("\r\n") - 1, 0)
        print(f"{args.output}: {args.kind} export of {month}, {rows} row{'' if rows == 1 else 's'}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description=__doc__)
    groups = parser.add_subparsers(dest="group", required=True)

    tokens = groups.add_parser("tokens", help="API tokens (stored as SHA-256 hashes)")
    actions = tokens.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="print a new token once")
    create.add_argument("--team")
    create.add_argument("--scope", choices=("admin", "sheet"))
    create.add_argument("--label")
    actions.add_parser("list", help="list tokens (never their secrets)")
    revoke = actions.add_parser("revoke", help="revoke by token id")
    revoke.add_argument("token_id")
    tokens.set_defaults(handler=_tokens)

    costs = groups.add_parser("costs", help="the cost ledger")
    cost_actions = costs.add_subparsers(dest="action", required=True)
    imp = cost_actions.add_parser("import", help="import a FOCUS or simple CSV file (all rows or none)")
    imp.add_argument("file")
    imp.add_argument("--feed", help="the invoice stream this file restates (default: the file's name)")
    pull = cost_actions.add_parser("pull", help="pull billing sources for a window of UTC days")
    pull.add_argument("--days", type=int, default=3, help="the last N days up to today (default 3)")
    pull.add_argument("--start", help="first day, YYYY-MM-DD")
    pull.add_argument("--end", help="day after the last, YYYY-MM-DD")

    run = groups.add_parser("run", help="one pipeline run, as the schedules make it")
    run.add_argument("kind", choices=("hourly", "daily", "weekly", "monthly", "sync"))
    run.add_argument("--now", help="the run's clock, e.g. 2026-11-30T23:00:00Z (default: now)")
    run.set_defaults(handler=_run)
    costs.set_defaults(handler=_costs)

    sheet = groups.add_parser("sheet", help="the Google Sheet (SHEET_ID; service account in Secrets Manager)")
    sheet_actions = sheet.add_subparsers(dest="action", required=True)
    sheet_actions.add_parser("init", help="create missing tabs, headers, validations, protections and charts")
    sync = sheet_actions.add_parser("sync", help="read finance's tabs, compute, write the output tabs")
    sync.add_argument("--now", help="the run's time, ISO 8601 (default: now, UTC)")
    rules = sheet_actions.add_parser("rules", help="write the Apps Script add-on's input rules (sheets_addon/Rules.gs)")
    rules.add_argument("--output", help="another path to write (default: sheets_addon/Rules.gs)")
    rules.add_argument("--check", action="store_true", help="only check the file is up to date (exit 1 if not)")
    sheet.set_defaults(handler=_sheet)

    export = groups.add_parser("export", help="CSV exports: the allocated ledger as FOCUS 1.3, cost per unit")
    export.add_argument("kind", choices=("focus", "unit-costs"))
    export.add_argument("--month", required=True, help="YYYY-MM")
    export.add_argument("--output", help="file to write (default: standard output)")
    export.add_argument("--team", help="focus: only the rows allocated to this team ('unallocated' for the rest)")
    export.add_argument(
        "--today", help="unit-costs: the day the figures are computed on, YYYY-MM-DD (default: today, UTC)"
    )
    export.set_defaults(handler=_export)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
