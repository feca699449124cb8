"""The pipeline's optimization hints: the engine's outputs with `optimization` attached, from the usage
of the month the hints come from (one Query; domain/optimization.hint_month): today's month from its
HINT_MIN_DAYS-th day, before that the month before's too.

Hints never stop a run: when the usage cannot be read, the hints are computed from the costs alone
(human review and retries; no model mix, cache or what-if) and the compute step's detail says why.
"""

from __future__ import annotations

from datetime import date


def with_hints(stores, org, out, today: date, notes: list):
    from chalicelib.domain.engine import with_optimization
    from chalicelib.domain.optimization import HINT_MIN_DAYS
    from chalicelib.domain.periods import month_key, previous_month

    months = (month_key(today),) if today.day >= HINT_MIN_DAYS else (previous_month(today), month_key(today))
    usage: list = []
    store = getattr(stores, "usage", None)
    if store is not None:
        try:
            for month in months:
                usage += store.usage_for_month(month)
        except Exception as exc:  # noqa: BLE001 - the hints lose their token figures, the run goes on
            from chalicelib.observability import logger

            logger.exception("reading token usage failed")
            usage = []
            notes.append(f"hints without token usage ({type(exc).__name__}: {exc})")
    return with_optimization(out, org, usage, months)


def guardrail_hints(out, use_case: str) -> tuple:
    """The use case's hints as its guardrail carries them (GET /v1/use-cases/{id}/guardrail)."""
    from chalicelib.storage.guardrail_store import GuardrailHint

    optimization = getattr(out, "optimization", None)
    if optimization is None:
        return ()
    return tuple(
        GuardrailHint(h.rank, h.lever, h.title, h.detail, h.per_unit, h.per_month, h.month)
        for h in optimization.hints(use_case)
    )
