"""Who is calling: bearer token -> grant (scope, team), and what each scope may see."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional

TOKEN_CACHE_SECONDS = 60  # a revoked token stops working within this long (and API Gateway's TTL)
_cache: dict = {}


@dataclass(frozen=True)
class Caller:
    token_id: str
    scope: str  # team | sheet | admin
    team: str = ""

    def may_see_use_case(self, team_of_use_case: str) -> bool:
        return self.scope in ("admin", "sheet") or (self.scope == "team" and self.team == team_of_use_case)


def bearer_token(header: Optional[str]) -> str:
    if not header:
        return ""
    kind, _, token = header.strip().partition(" ")
    return token.strip() if kind.lower() == "bearer" else ""


def resolve(header: Optional[str], lookup) -> Optional[Caller]:
    """The caller behind an Authorization header, or None; answers cached briefly per warm Lambda."""
    token = bearer_token(header)
    if not token or len(token) > 256:
        return None
    hit = _cache.get(token)
    now = time.monotonic()
    if hit and now - hit[0] < TOKEN_CACHE_SECONDS:
        return hit[1]
    grant = lookup(token)
    caller = Caller(grant.token_id, grant.scope, grant.team) if grant else None
    if len(_cache) > 10_000:
        _cache.clear()
    _cache[token] = (now, caller)
    return caller


def clear_cache() -> None:
    _cache.clear()
