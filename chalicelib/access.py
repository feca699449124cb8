"""Who is calling: bearer token -> grant (scope, team), and what each scope may see."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

if TYPE_CHECKING:
    from chalicelib.storage.tokens import Grant

TOKEN_CACHE_SECONDS = 60  # a revoked token stops working within this long (and API Gateway's TTL)
MAX_TOKENS_KEPT = 10_000  # more tokens than this seen within the cache time: start again


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


class Callers:
    """The caller behind each bearer token, as a warm Lambda remembers it: each answer (a caller, or
    None for an unknown or revoked token) is kept `seconds`. One per backend (chalicelib.bootstrap),
    so a new backend, like a new Lambda, starts with none."""

    def __init__(self, seconds: float = TOKEN_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._answers: dict[str, tuple[float, Optional[Caller]]] = {}  # token -> (looked up at, caller)

    def resolve(self, header: Optional[str], lookup: Callable[[str], Optional[Grant]]) -> Optional[Caller]:
        """The caller behind an Authorization header, or None; `lookup` asks the tokens store."""
        token = bearer_token(header)
        if not token or len(token) > 256:
            return None
        hit = self._answers.get(token)
        now = self._clock()
        if hit and now - hit[0] < self.seconds:
            return hit[1]
        grant = lookup(token)
        caller = Caller(grant.token_id, grant.scope, grant.team) if grant else None
        if len(self._answers) > MAX_TOKENS_KEPT:
            self._answers.clear()
        self._answers[token] = (now, caller)
        return caller
