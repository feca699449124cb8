"""Pulling the vendors' token usage into the usage store, beside the billing pull.

The same rules as cost (chalicelib/billing.py): each source pulls a window of UTC days and replaces
its usage for the days it answered (a daily bucket, empty included), so a vendor's restatement
corrects the store and a rerun changes nothing; a day the answer leaves out keeps what is stored;
vendor keys are placed on (team, use case) by the Mappings tab (`domain.usage.map_usage`). A failing
source is recorded in the freshness store under its own name ("openai usage", "anthropic usage")
and skipped: the costs and the other source still land.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable


@dataclass(frozen=True)
class UsageSource:
    name: str  # the connector: openai | anthropic
    freshness: str  # its line in the freshness store and the Dashboard
    pull: Callable  # (start, end) -> connectors.common.Pulled of UsageFacts


def usage_sources() -> list[UsageSource]:
    """The vendors' usage reports, read with the admin keys the cost pulls use."""
    from chalicelib.billing import ANTHROPIC_KEY_SECRET, OPENAI_KEY_SECRET, secret
    from chalicelib.connectors import anthropic_usage, openai_usage

    return [
        UsageSource(
            "openai",
            openai_usage.FRESHNESS,
            lambda s, e: openai_usage.pull(secret(OPENAI_KEY_SECRET, "finops/openai-admin-key"), s, e),
        ),
        UsageSource(
            "anthropic",
            anthropic_usage.FRESHNESS,
            lambda s, e: anthropic_usage.pull(secret(ANTHROPIC_KEY_SECRET, "finops/anthropic-admin-key"), s, e),
        ),
    ]


def restatement_line(change) -> str:
    return (
        f"{change.day.isoformat()}: usage restated {change.tokens_before:,} → {change.tokens_after:,} tokens "
        "by the source"
    )


def pull_usage(sources, start: date, end: date, org, store, freshness, now: datetime) -> list:
    """Pull each usage source for [start, end) and replace, for each day it answered, its stored rows;
    returns a `billing.SourceResult` per source (named by its freshness line)."""
    from chalicelib.billing import asked_days, failed_pull, landed_pull
    from chalicelib.domain.usage import map_usage

    days, window = asked_days(start, end)
    results = []
    for source in sources:
        try:
            pulled = source.pull(start, end)
            mapped, _ = map_usage(pulled.facts, org.mappings)
            answered = set(pulled.answered)
            written = store.replace_days(source.name, sorted(answered), mapped)
        except Exception as exc:  # noqa: BLE001 - any source failure is recorded, never fatal
            results.append(failed_pull(source.freshness, exc, days, freshness, now))
            continue
        lines = [f"{source.freshness} {restatement_line(c)}" for c in written.changed]
        results.append(landed_pull(source.freshness, days, answered, written, lines, freshness, now, window))
    return results
