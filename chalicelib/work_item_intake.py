"""POST /v1/work-items: validate a team's batch, store the good items, answer per item."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.access import Caller
from chalicelib.domain.organisation import Organisation
from chalicelib.domain.work_items import Rejection, WorkItem, dedupe_last_wins, is_text, parse_batch, validate_item

if TYPE_CHECKING:
    from chalicelib.storage.interfaces import WorkItems


def post_work_items(caller: Caller, body: bytes, org: Organisation, store: WorkItems, now: datetime) -> dict:
    raw_items = parse_batch(body)  # BadBatch for the request as a whole
    own = {u.use_case_id: u for u in org.use_cases if u.team == caller.team and u.status != "retired"}
    checked = [validate_item(raw, own, now) for raw in raw_items]

    valid = {index: item for index, item in enumerate(checked) if isinstance(item, WorkItem)}
    last = dedupe_last_wins(checked)  # indices of valid items only
    to_store = [valid[i] for i in sorted(last.values())]
    outcome = store.save(to_store, now)

    seen: set = set(outcome.replaced)
    results = []
    counts = {"accepted": 0, "replaced": 0, "rejected": 0}
    for index, item in enumerate(checked):
        result: dict[str, Any]
        if isinstance(item, Rejection):
            result = {"index": index, "status": "rejected", "error": item.to_dict()}
            work_item_id = raw_items[index].get("work_item_id") if isinstance(raw_items[index], dict) else None
            if isinstance(work_item_id, str) and len(work_item_id) <= 128 and is_text(work_item_id):
                result["work_item_id"] = work_item_id
        else:
            key = (item.use_case, item.work_item_id)
            status = "replaced" if key in seen else "accepted"
            seen.add(key)  # a repeat later in the same batch replaces this one
            result = {"index": index, "work_item_id": item.work_item_id, "status": status}
        counts[result["status"]] += 1
        results.append(result)
    return {"results": results, **counts}
