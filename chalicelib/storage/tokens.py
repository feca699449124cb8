"""API tokens: random, shown once, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from chalicelib.storage.batching import query_all

PK = "TOKEN"
SCOPES = ("team", "sheet", "admin")
PREFIX = "fo_"


@dataclass(frozen=True)
class Grant:
    token_id: str  # first 12 hex digits of the hash: safe to show and to revoke by
    scope: str
    team: str = ""
    created_at: str = ""
    revoked: bool = False
    label: str = ""


def new_token(scope: str, team: str, now: datetime, label: str = "") -> tuple[str, str, Grant]:
    """(token, its hash, its grant) for a new token; refuses a scope or team that do not go together."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    if (scope == "team") != bool(team):
        raise ValueError("a team token needs --team; sheet and admin tokens take none")
    token = PREFIX + secrets.token_urlsafe(32)
    digest = token_hash(token)
    return token, digest, Grant(digest[:12], scope, team, now.isoformat(), False, label)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    def __init__(self, resource, table: str):
        self._table = resource.Table(table)

    def create(self, scope: str, team: str, now: datetime, label: str = "") -> tuple[str, Grant]:
        token, digest, grant = new_token(scope, team, now, label)
        item = {
            "pk": PK,
            "sk": digest,
            "token_id": grant.token_id,
            "scope": scope,
            "created_at": grant.created_at,
            "revoked": False,
        }
        if team:
            item["team"] = team
        if label:
            item["label"] = label
        self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(sk)")
        return token, grant

    def lookup(self, token: str) -> Optional[Grant]:
        if not token:
            return None
        row = self._table.get_item(Key={"pk": PK, "sk": token_hash(token)}).get("Item")
        if not row or row.get("revoked"):
            return None
        return _grant(row)

    def list(self) -> list[Grant]:
        rows = query_all(self._table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": PK})
        return sorted((_grant(r) for r in rows), key=lambda g: g.created_at)

    def revoke(self, token_id: str) -> int:
        revoked = 0
        for row in query_all(self._table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": PK}):
            if row["token_id"] == token_id and not row.get("revoked"):
                self._table.update_item(
                    Key={"pk": PK, "sk": row["sk"]},
                    UpdateExpression="SET revoked = :t",
                    ExpressionAttributeValues={":t": True},
                )
                revoked += 1
        return revoked


def _grant(row: dict) -> Grant:
    return Grant(
        row["token_id"],
        row["scope"],
        row.get("team", ""),
        row.get("created_at", ""),
        bool(row.get("revoked")),
        row.get("label", ""),
    )
