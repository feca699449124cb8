"""Runs on request and open alerts, for the API: POST /v1/runs queues, the pipeline Lambda runs.

The API Lambda never waits for a run: it stores the run as "queued" and sends one SQS message
(`RUNS_QUEUE`, default finops-runs) that the pipeline Lambda consumes (`@app.on_sqs_message`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, replace
from datetime import datetime, timezone
from typing import Optional

from chalicelib import runtime, stores
from chalicelib.access import Caller
from chalicelib.services.pipeline import KINDS
from chalicelib.storage.run_store import RunRecord, new_run_id

REQUESTABLE = ("hourly", "daily", "sync")  # weekly digests and month closes follow the calendar only
ALERT_STATES = ("open",)


class BadRunRequest(ValueError):
    pass


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def queue_run(raw_body: Optional[bytes], caller: Caller, now: datetime) -> RunRecord:
    kind = "hourly"
    if raw_body and raw_body.strip():
        try:
            body = json.loads(raw_body)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            raise BadRunRequest('the body must be JSON, e.g. {"kind": "hourly"}') from None
        if not isinstance(body, dict) or set(body) - {"kind"}:
            raise BadRunRequest('the body may only hold kind, e.g. {"kind": "hourly"}')
        kind = body.get("kind", kind)
    if kind not in REQUESTABLE:
        raise BadRunRequest(f"kind: one of {', '.join(REQUESTABLE)} (weekly and monthly runs follow the calendar)")
    record = RunRecord(
        new_run_id(kind, now), kind, "queued", requested_by=f"api:{caller.scope}:{caller.token_id}", queued_at=_iso(now)
    )
    runs = stores.stores().runs
    runs.put(record, now)
    try:
        sqs = runtime.client("sqs")
        url = sqs.get_queue_url(QueueName=os.environ.get("RUNS_QUEUE", "finops-runs"))["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"run_id": record.run_id, "kind": kind}))
    except Exception as exc:  # the record must not stay "queued" for a run nobody will start
        runs.put(replace(record, status="failed", message=f"could not be queued: {type(exc).__name__}"), now)
        raise
    return record


def run_message(body: str) -> tuple:
    """(kind, run id, now) of a queued run's message; `now` is the wall clock unless the message
    carries one (the local scheduler's simulated clock)."""
    message = json.loads(body)
    kind = message.get("kind", "hourly")
    if kind not in KINDS:
        raise ValueError(f"unknown run kind {kind!r}")
    return kind, message.get("run_id"), event_time(message.get("now"))


def event_time(value: Optional[str]) -> datetime:
    """An EventBridge event's time (RFC 3339), or now."""
    if value:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
    return datetime.now(timezone.utc)


def run_answer(run_id: str) -> Optional[dict]:
    record = stores.stores().runs.get(run_id)
    if record is None:
        return None
    answer = asdict(record)
    answer["steps"] = [{**step, "seconds": float(step["seconds"])} for step in answer["steps"]]
    answer["freshness"] = list(answer["freshness"])
    return answer


def open_alerts(caller: Caller, state: str, org) -> dict:
    if state not in ALERT_STATES:
        raise BadRunRequest("state: only open is supported (?state=open)")
    teams = {u.use_case_id: u.team for u in org.use_cases}
    rows = []
    for e in sorted(stores.stores().alerts.open(), key=lambda e: (e.kind, e.key)):
        team = e.team or teams.get(e.use_case, "")
        if caller.scope == "team" and team != caller.team:
            continue  # a team sees its own alerts only
        rows.append(
            {
                "key": e.key,
                "kind": e.kind,
                "level": e.level,
                "use_case": e.use_case or None,
                "team": team or None,
                "since": e.since.isoformat(),
                "reason": e.reason,
            }
        )
    return {"state": state, "alerts": rows}
