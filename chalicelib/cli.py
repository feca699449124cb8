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
        try:
            token, grant = store.create(scope, args.team or "", datetime.now(timezone.utc), args.label or "")
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(token)
        print(f"token id {grant.token_id} ({scope}{' ' + grant.team if grant.team else ''}); "
              "the token is shown once: store it now", file=sys.stderr)
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
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
