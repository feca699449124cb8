"""What an email says, in domain terms: built by the alert rules, rendered by chalicelib.email.

A Notice is everything one email needs and nothing about how it is sent: a deterministic key
(one email per alert episode and escalation: the outbox refuses a key it already holds), the
kind, the recipients, and the content as plain values already formatted for people (money to
the cent, cost per unit to 4 places) so every renderer shows the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("red", "critical", "recovery", "approval", "budget", "reminder", "digest", "board", "recipients")


@dataclass(frozen=True)
class Notice:
    key: str  # deterministic, e.g. "slo:claims-processing:2026-11-16:critical"
    kind: str  # one of KINDS
    recipients: tuple[str, ...]  # e-mail addresses, deduplicated, in order
    subject: str
    headline: str  # one sentence: what breached, by how much, since when
    numbers: tuple[tuple[str, str], ...] = ()  # (label, value as shown): the numbers behind it
    actions: tuple[str, ...] = ()  # what to do next, in order
    table_header: tuple[str, ...] = ()  # digest and board report: one table
    table_rows: tuple[tuple[str, ...], ...] = ()
    use_case: str = ""
    team: str = ""
