"""What agents and the sheet read: the use cases a caller may see and each one's guardrail."""

from __future__ import annotations

from chalicelib.access import Caller
from chalicelib.domain.money import CPU_PLACES, api_amount
from chalicelib.domain.organisation import Organisation
from chalicelib.storage.guardrail_store import GuardrailStore


class UnknownUseCase(LookupError):
    pass


def visible_use_cases(caller: Caller, org: Organisation, store: GuardrailStore) -> list[dict]:
    computed_pause = {g.use_case for g in store.all() if g.paused}
    return [
        {
            "use_case": u.use_case_id,
            "name": u.name,
            "team": u.team,
            "unit_of_work": u.unit_of_work,
            "target": api_amount(u.target_cpu, CPU_PLACES),
            "paused": u.status in ("paused", "retired") or u.use_case_id in computed_pause,
            "status": u.status,
        }
        for u in sorted(org.use_cases, key=lambda u: u.use_case_id)
        if caller.may_see_use_case(u.team)
    ]


def guardrail_for(caller: Caller, use_case_id: str, org: Organisation, store: GuardrailStore) -> dict:
    use_case = org.use_case(use_case_id)
    if use_case is None or not caller.may_see_use_case(use_case.team):
        raise UnknownUseCase(use_case_id)  # another team's use case is as unknown as a missing one
    computed = store.get(use_case_id)
    paused = use_case.status in ("paused", "retired") or bool(computed and computed.paused)
    return {
        "use_case": use_case_id,
        "paused": paused,
        "colour": computed.colour if computed else None,
        "reason": computed.reason if computed and computed.reason else None,
        "cost_per_unit": api_amount(computed.cost_per_unit, CPU_PLACES) if computed else None,
        "cost_per_unit_period": computed.cost_per_unit_period or None if computed else None,
        "cost_per_unit_this_week": api_amount(computed.cost_per_unit_this_week, CPU_PLACES) if computed else None,
        "counts_reported_through": computed.counts_reported_through.isoformat()
        if computed and computed.counts_reported_through
        else None,
        "target": api_amount(computed.target, CPU_PLACES) if computed else api_amount(use_case.target_cpu, CPU_PLACES),
        "month_to_date_cost": api_amount(computed.month_to_date_cost) if computed else None,
        "budget_remaining": api_amount(computed.budget_remaining) if computed else None,
        "as_of": computed.as_of if computed else None,
        "hints": [
            {
                "rank": h.rank,
                "lever": h.lever,
                "what": h.title,
                "detail": h.detail,
                "saving_per_unit": api_amount(h.saving_per_unit, CPU_PLACES),
                "saving_per_month": api_amount(h.saving_per_month),
                "month": h.month,
            }
            for h in (computed.hints if computed else ())
        ],
    }
