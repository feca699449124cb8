"""The scheduled pipeline end to end (issue 10, "Done when"): the app's scheduled handlers invoked
through chalice.test.Client at simulated moments, against moto (tables, SES v2, SQS, Secrets
Manager) and the local emulators (Sheets, OpenAI and Anthropic billing). See pipeline_world.py
for the world: two use cases, one of which drifts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from tests.sheet.pipeline_world import (
    BOARD,
    CFO,
    CLAIMS_LEAD,
    DRIFT_OWNER,
    FINANCE,
    SENDER_ADDRESS,
    SIX_WEEKS_EMAIL_KEYS,
    STEADY_OWNER,
    SUPPORT_LEAD,
    WEEKLY_STEPS,
    Kill,
    at,
    emails_by_key,
    failed_steps,
    open_alert_keys,
    outbox_items,
    ses_messages,
    state_digest,
    step_names,
    to,
)

pytestmark = pytest.mark.e2e  # the scheduled runs over simulated weeks, killed at every step boundary: make check

# drift's cost per claim over target, by week (Monday): yellow, yellow, red, critical, then fixed
SIX_WEEKS = {
    date(2026, 8, 31): D("0.12"),
    date(2026, 9, 7): D("0.25"),
    date(2026, 9, 14): D("0.30"),
    date(2026, 9, 21): D("0.60"),
}


def sheet_rows(world, tab):
    from tests.sheet.helpers import values

    return values(world.sheet, tab)


def unit_costs_colour(world, use_case="drift"):
    from chalicelib.sheet import layout
    from tests.sheet.helpers import column, find_row

    rows = sheet_rows(world, layout.UNIT_COSTS)
    return find_row(rows, use_case)[column(rows, "Colour")]


def pool_row(world, tier="T1"):
    from chalicelib.sheet import layout
    from tests.sheet.helpers import find_row

    return find_row(sheet_rows(world, layout.POOL), tier)


def sync_log_first(world):
    from chalicelib.sheet import layout

    return sheet_rows(world, layout.SYNC_LOG)[1]


def run_ok(world, kind, moment):
    answer = world.invoke(kind, moment)
    record = world.record(answer["run_id"])
    assert answer["status"] == record.status == "ok", (record.status, record.message, record.steps)
    assert record.now == moment.strftime("%Y-%m-%dT%H:%M:%SZ") and record.kind == kind
    return record


def rerun_changes_nothing(world, kind, moment):
    """The same run again: the same state everywhere, and no email."""
    before, sent = state_digest(world.sheet), len(ses_messages())
    record = run_ok(world, kind, moment)
    assert record.emails_sent == 0 and len(ses_messages()) == sent
    assert state_digest(world.sheet) == before
    return record


def test_six_weeks_yellow_red_critical_cleared_recovered_month_closed_pool_allocated(world):
    from chalicelib.sheet import layout
    from tests.sheet.helpers import find_row

    world.overrun.update(SIX_WEEKS)

    # Week 1 (judging the week of 08-31, 12 % over): yellow, nobody is mailed about it.
    r = run_ok(world, "weekly", at("2026-09-07T05:35:00Z"))
    assert step_names(r) == WEEKLY_STEPS
    assert world.guardrail()["colour"] == "yellow" and unit_costs_colour(world) == "yellow"
    assert set(emails_by_key()) == {"budget:use_case:steady:2026-09:forecast", "digest:2026-W36"}
    rerun_changes_nothing(world, "weekly", at("2026-09-07T05:35:00Z"))

    # Week 2 (25 % over, after 12 %): still yellow.
    run_ok(world, "weekly", at("2026-09-14T05:35:00Z"))
    assert world.guardrail()["colour"] == "yellow"

    # Week 3 (30 % over, after 25 %): red, mailed once to the owner and the team lead.
    r = run_ok(world, "weekly", at("2026-09-21T05:35:00Z"))
    rail = world.guardrail()
    assert (rail["colour"], rail["paused"]) == ("red", False)
    assert unit_costs_colour(world) == "red"
    assert find_row(sheet_rows(world, layout.ALERTS), "red")[1] == "drift"
    red = emails_by_key()["slo:drift:2026-09-21:red"]
    assert len(red) == 1 and to(red[0]) == [DRIFT_OWNER, CLAIMS_LEAD]
    assert "48" in red[0].body
    rerun_changes_nothing(world, "weekly", at("2026-09-21T05:35:00Z"))

    # Wednesday of week 4: two full days 60 % over: critical, paused, mailed to finance and the CFO too.
    run_ok(world, "hourly", at("2026-09-23T10:05:00Z"))
    rail = world.guardrail()
    assert (rail["colour"], rail["paused"]) == ("critical", True)
    assert unit_costs_colour(world) == "critical"
    assert find_row(sheet_rows(world, layout.DASHBOARD), "Use cases critical")[1] == 1
    critical = emails_by_key()["slo:drift:2026-09-23:critical"]
    assert len(critical) == 1 and to(critical[0]) == [DRIFT_OWNER, CLAIMS_LEAD, FINANCE, CFO]
    assert "paused" in critical[0].subject.lower()
    rerun_changes_nothing(world, "hourly", at("2026-09-23T10:05:00Z"))
    assert open_alert_keys() == ["budget:use_case:steady:2026-09", "slo:drift"]

    # Week 5's Monday: the latest complete week is 60 % over: still critical and paused.
    run_ok(world, "weekly", at("2026-09-28T05:35:00Z"))
    assert world.guardrail()["paused"] is True

    # Finance clears the pause as the critical email says: a date in "Critical cleared on".
    import re

    cleared = re.search(r"enter a date on or after (\d{4}-\d{2}-\d{2})", critical[0].body).group(1)
    world.set_use_case_cell("drift", "Critical cleared on", cleared)
    run_ok(world, "hourly", at("2026-09-29T09:05:00Z"))
    rail = world.guardrail()
    assert rail["paused"] is False and rail["colour"] == "critical"  # cleared: runs again, still judged critical
    assert "slo:drift" in open_alert_keys()

    # The 1st: September closes; steady beat its target: (2.00 - 1.50) x 50 x 30 = $750 to T1.
    sent_before = set(emails_by_key())
    r = run_ok(world, "monthly", at("2026-10-01T03:35:00Z"))
    assert "close month" in step_names(r) and "board report" in step_names(r)
    from chalicelib import stores

    pool = stores.stores().pool.load()
    assert [(c.use_case, c.tier, c.amount) for c in pool["2026-09"]] == [("steady", "T1", D("750.00"))]
    assert pool_row(world)[1:4] == [750, 0, 750]
    board_tab = sheet_rows(world, layout.BOARD)
    assert board_tab[0][0] == "Board report: 2026-09"
    september = [date(2026, 9, 1) + timedelta(days=n) for n in range(30)]
    total = sum(world.drift_cost(d) for d in september) + 30 * 75
    assert find_row(board_tab, "Total AI spend")[1] == float(total)
    new = set(emails_by_key()) - sent_before
    assert new >= {"board:2026-09", "budget:use_case:steady:2026-10:forecast"}
    assert to(emails_by_key()["board:2026-09"][0]) == [BOARD]
    rerun_changes_nothing(world, "monthly", at("2026-10-01T03:35:00Z"))

    # Finance allocates $500 of T1 to drift in October; the next run applies it.
    world.add_pool_allocation("oct-drift-fix", "T1", 500, "2026-10", "drift", "fix the prompt")
    run_ok(world, "hourly", at("2026-10-02T09:05:00Z"))
    assert pool_row(world)[1:4] == [750, 500, 250]
    assert find_row(sheet_rows(world, layout.POOL), "oct-drift-fix")[5] == "allocated"

    # Week 6's Monday: last week back on target: green, the episode closes with one recovery email.
    run_ok(world, "weekly", at("2026-10-05T05:35:00Z"))
    rail = world.guardrail()
    assert (rail["colour"], rail["paused"]) == ("green", False)
    recovery = emails_by_key()["slo:drift:2026-09-21:recovery"]
    assert len(recovery) == 1 and to(recovery[0]) == [DRIFT_OWNER, CLAIMS_LEAD, FINANCE, CFO]
    assert "slo:drift" not in open_alert_keys()
    rerun_changes_nothing(world, "weekly", at("2026-10-05T05:35:00Z"))
    run_ok(world, "weekly", at("2026-10-12T05:35:00Z"))

    # Exactly one email per episode and escalation, each to the right people; nothing pending.
    emails = emails_by_key()
    assert "?" not in emails and all(len(v) == 1 for v in emails.values())
    assert set(emails) == SIX_WEEKS_EMAIL_KEYS
    for key, (message,) in emails.items():
        if key.startswith("digest:"):
            assert to(message) == [FINANCE]
        elif key.startswith("budget:"):
            assert to(message) == [STEADY_OWNER, SUPPORT_LEAD]
    assert all(i.status == "sent" for i in outbox_items().values())


# --- one run at a time, from a short history: September, with drift 60 % over in its last full week ---


MONTH_CLOSE = at("2026-10-01T03:35:00Z")  # a Thursday: the week of 09-21 is the latest complete one
# What the month close of MONTH_CLOSE mails (the first run ever): the pause, the board, steady's budget.
MONTH_CLOSE_EMAILS = {
    "slo:drift:2026-10-01:critical": [DRIFT_OWNER, CLAIMS_LEAD, FINANCE, CFO],
    "board:2026-09": [BOARD],
    "budget:use_case:steady:2026-10:forecast": [STEADY_OWNER, SUPPORT_LEAD],
}


def assert_month_closed(world):
    """MONTH_CLOSE's end state, as an uninterrupted run leaves it."""
    from chalicelib import stores
    from chalicelib.sheet import layout

    rail = world.guardrail()
    assert (rail["colour"], rail["paused"]) == ("critical", True)
    assert [(c.use_case, c.amount) for c in stores.stores().pool.load()["2026-09"]] == [("steady", D("750.00"))]
    assert unit_costs_colour(world) == "critical" and pool_row(world)[1:4] == [750, 0, 750]
    assert sheet_rows(world, layout.BOARD)[0][0] == "Board report: 2026-09"
    emails = emails_by_key()
    assert {k: [to(m) for m in v] for k, v in emails.items()} == {k: [r] for k, r in MONTH_CLOSE_EMAILS.items()}
    assert all(i.status == "sent" for i in outbox_items().values())
    assert open_alert_keys() == ["budget:use_case:steady:2026-10", "slo:drift"]


# (step the run is killed before, the pipeline function that runs it, which call of it)
BOUNDARIES = [
    ("pull billing", "_pull", 1),
    ("read sheet", "_read_sheet", 1),
    ("configuration", "_configuration", 1),
    ("compute", "_compute", 1),
    ("store guardrails", "_store_guardrails", 1),
    ("close month", "_close_month", 1),
    ("compute after close", "_compute", 2),
    ("alerts", "_alerts", 1),
    ("board report", "_board_notice", 1),
    ("write sheet", "_write_sheet", 1),
    ("email", "_email", 1),
    ("the run's record", "_finish", 1),
]
_END_STATES: dict = {}  # what every variant of MONTH_CLOSE left behind: all must be the same


def kill_before(monkeypatch, function: str, nth: int) -> None:
    """The run dies as the `nth` call of pipeline.`function` begins, and (a dead process) releases nothing."""
    from chalicelib.services import pipeline
    from chalicelib.storage.run_store import RunStore

    original, calls = getattr(pipeline, function), []

    def dies(*args, **kwargs):
        calls.append(1)
        if len(calls) == nth:
            raise Kill(f"killed before {function} (call {nth})")
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, function, dies)
    monkeypatch.setattr(RunStore, "release", lambda self, run_id: None)


@pytest.mark.parametrize(
    "step,function,nth",
    [(None, None, 0)] + BOUNDARIES,
    ids=["uninterrupted"] + [b[0].replace(" ", "-") for b in BOUNDARIES],
)
def test_a_run_killed_at_a_step_boundary_then_rerun_ends_as_an_uninterrupted_run(
    short_world, monkeypatch, step, function, nth
):
    from chalicelib import stores
    from chalicelib.services import pipeline

    w = short_world
    if function is not None:
        with monkeypatch.context() as m:
            kill_before(m, function, nth)
            with pytest.raises(Kill):
                w.invoke("monthly", MONTH_CLOSE)
        dead = next(r for r in stores.stores().runs.recent() if r.status == "running")
        # The dead run's lease holds: a run now exits cleanly and says who holds the lock.
        answer = w.invoke("monthly", MONTH_CLOSE)
        assert answer["status"] == "skipped"
        assert dead.run_id in w.record(answer["run_id"]).message
        w.wall.advance(pipeline.LEASE_SECONDS + 1)  # the lease runs out (a Lambda time-out): not forever
    record = run_ok(w, "monthly", MONTH_CLOSE)
    assert not failed_steps(record)
    if function is not None:  # the dead run's record no longer says "running"
        buried = w.record(dead.run_id)
        assert buried.status == "failed" and record.run_id in buried.message
    assert_month_closed(w)
    end = state_digest(w.sheet)
    assert end == _END_STATES.setdefault("month close", end)
    if function is None:
        rerun_changes_nothing(w, "monthly", MONTH_CLOSE)


def test_two_overlapping_runs_the_second_is_skipped_and_says_so(short_world, monkeypatch):
    import threading

    from chalicelib.services import pipeline

    w = short_world
    w.post_units(date(2026, 9, 30))
    inside, go_on = threading.Event(), threading.Event()
    compute = pipeline._compute

    def slow_compute(*args):
        inside.set()
        assert go_on.wait(30), "the test never let the first run go on"
        return compute(*args)

    monkeypatch.setattr(pipeline, "_compute", slow_compute)
    answers: list = []
    first = threading.Thread(target=lambda: answers.append(w.invoke("monthly", MONTH_CLOSE, post_units=False)))
    first.start()
    try:
        assert inside.wait(30)
        monkeypatch.setattr(pipeline, "_compute", compute)
        second = w.invoke("hourly", at("2026-10-01T04:05:00Z"), post_units=False)
    finally:
        go_on.set()
        first.join(60)
    assert second["status"] == "skipped" and answers[0]["status"] == "ok"
    skipped = w.record(second["run_id"])
    assert answers[0]["run_id"] in skipped.message and "holds the lock" in skipped.message
    assert skipped.steps == () and skipped.emails_sent == 0
    assert_month_closed(w)  # what the first run did, once
    assert run_ok(w, "hourly", at("2026-10-01T04:05:00Z")).status == "ok"  # the lock was released


def test_a_vendor_outage_the_other_sources_land_and_freshness_says_failing(short_world):
    from chalicelib import stores
    from chalicelib.sheet import layout
    from tests.sheet.helpers import find_row

    w = short_world
    run_ok(w, "daily", at("2026-09-28T02:35:00Z"))
    w.openai.faults.fail_next(1000, status=503)
    w.overrun[date(2026, 9, 28)] = D("0.10")  # what OpenAI would have said about drift this week
    answer = w.invoke("hourly", at("2026-09-29T09:05:00Z"))
    record = w.record(answer["run_id"])
    assert record.status == "partial" and "openai" in record.message
    assert any(line.startswith("openai error") for line in record.freshness)
    assert "anthropic ok 3/3 days" in record.freshness
    facts = stores.stores().ledger.facts_between(date(2026, 9, 29), date(2026, 9, 29))
    assert {f.source for f in facts} == {"anthropic"}  # anthropic's day landed, openai's did not
    fresh = {f.source: f for f in stores.stores().freshness.all()}
    assert fresh["openai"].status == "error" and "503" in fresh["openai"].last_error
    assert fresh["openai"].last_success_at.startswith("2026-09-28")
    dash = sheet_rows(w, layout.DASHBOARD)
    assert find_row(dash, "openai")[3].startswith("failing:") and find_row(dash, "anthropic")[3] == "ok"
    alerts = sheet_rows(w, layout.ALERTS)
    assert any(r[3] == "billing source openai failing" for r in alerts)
    # OpenAI answers again: its days land, freshness is ok again.
    w.openai.faults.clear()
    run_ok(w, "hourly", at("2026-09-29T10:05:00Z"))
    assert {f.source for f in stores.stores().ledger.facts_between(date(2026, 9, 29), date(2026, 9, 29))} == {
        "anthropic",
        "openai",
    }
    assert find_row(sheet_rows(w, layout.DASHBOARD), "openai")[3].startswith("ok")  # (its 09-28 restated)


def test_a_sheets_429_storm_guardrails_still_stored_sheet_unchanged_next_run_writes(short_world, monkeypatch):
    from chalicelib import stores
    from tests.sheet.helpers import snapshot

    w = short_world
    run_ok(w, "daily", at("2026-09-21T02:35:00Z"))
    assert w.guardrail()["paused"] is False
    before = snapshot(w.sheet)
    monkeypatch.setenv("SHEETS_MAX_RETRIES", "2")
    w.sheet.inject_fault(429, count=10_000)
    answer = w.invoke("hourly", at("2026-09-23T10:05:00Z"))  # drift turns critical (two full days 60 % over)
    record = w.record(answer["run_id"])
    assert record.status == "partial" and "429" in record.message
    rail = stores.stores().guardrails.get("drift")
    assert (rail.colour, rail.paused, rail.as_of) == ("critical", True, "2026-09-23T10:05:00Z")
    assert w.guardrail()["paused"] is True
    assert emails_by_key()["slo:drift:2026-09-23:critical"]  # the alert does not wait for the sheet
    w.sheet.clear_faults()
    assert snapshot(w.sheet) == before
    run_ok(w, "hourly", at("2026-09-23T11:05:00Z"))
    assert unit_costs_colour(w) == "critical" and sync_log_first(w)[0] == "2026-09-23T11:05:00Z"
    assert len(emails_by_key()["slo:drift:2026-09-23:critical"]) == 1


def test_an_ses_failure_is_retried_by_the_next_run_and_sent_once(short_world):
    import boto3

    w = short_world
    ses = boto3.client("sesv2")
    ses.delete_email_identity(EmailIdentity=SENDER_ADDRESS)  # SES refuses every email now
    answer = w.invoke("monthly", MONTH_CLOSE)
    record = w.record(answer["run_id"])
    assert record.status == "partial" and record.emails_sent == 0 and ses_messages() == []
    assert "email" in record.message
    pending = outbox_items()
    assert set(pending) == set(MONTH_CLOSE_EMAILS) and all(i.status == "pending" for i in pending.values())
    assert all(i.attempts == 1 and "MessageRejected" in i.last_error for i in pending.values())
    rail = w.guardrail()
    assert rail["paused"] is True  # everything but the email was done
    ses.create_email_identity(EmailIdentity=SENDER_ADDRESS)
    record = run_ok(w, "hourly", at("2026-10-01T04:05:00Z"))
    assert record.emails_sent == 3
    assert {k: [to(m) for m in v] for k, v in emails_by_key().items()} == {
        k: [r] for k, r in MONTH_CLOSE_EMAILS.items()
    }
    assert run_ok(w, "hourly", at("2026-10-01T05:05:00Z")).emails_sent == 0
    assert len(ses_messages()) == 3


def test_post_runs_queues_and_the_queue_consumer_runs_it(short_world):
    import json

    import boto3

    w = short_world
    admin = {"Authorization": f"Bearer {w.tokens['admin']}", "Content-Type": "application/json"}
    response = w.client.http.post("/v1/runs", headers=admin, body=json.dumps({"kind": "sync"}))
    assert response.status_code == 202
    queued = json.loads(response.body)
    assert queued["status"] == "queued" and queued["kind"] == "sync"
    status, body = w.api_get(f"/v1/runs/{queued['run_id']}", w.tokens["sheet"])
    assert status == 200 and body["status"] == "queued" and body["steps"] == []
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="finops-runs")["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1 and json.loads(messages[0]["Body"])["run_id"] == queued["run_id"]
    w.post_units(date(2026, 9, 30))
    event = w.client.events.generate_sqs_event(message_bodies=[messages[0]["Body"]], queue_name="finops-runs")
    w.client.lambda_.invoke("requested_runs", event)
    status, body = w.api_get(f"/v1/runs/{queued['run_id']}", w.tokens["admin"])
    assert status == 200 and body["status"] == "ok" and body["kind"] == "sync"
    assert body["requested_by"].startswith("api:admin:") and body["queued_at"] == queued["queued_at"]
    assert [s["name"] for s in body["steps"]] == [
        "read sheet",
        "configuration",
        "compute",
        "store guardrails",
        "write sheet",
    ]
    assert all(s["status"] == "ok" and isinstance(s["seconds"], float) for s in body["steps"])
    team = {"Authorization": f"Bearer {w.tokens['teams']['claims']}", "Content-Type": "application/json"}
    assert w.client.http.post("/v1/runs", headers=team, body="{}").status_code == 403
    assert w.client.http.post("/v1/runs", headers=admin, body=json.dumps({"kind": "monthly"})).status_code == 400
    assert w.api_get("/v1/runs/no-such-run", w.tokens["admin"])[0] == 404


def test_open_alerts_a_team_sees_only_its_own(short_world):
    w = short_world
    run_ok(w, "monthly", MONTH_CLOSE)

    def keys(token):
        status, body = w.api_get("/v1/alerts?state=open", token)
        assert status == 200 and body["state"] == "open"
        return {a["key"]: a for a in body["alerts"]}

    claims, support = keys(w.tokens["teams"]["claims"]), keys(w.tokens["teams"]["support"])
    assert set(claims) == {"slo:drift"} and claims["slo:drift"]["level"] == "critical"
    assert claims["slo:drift"]["since"] == "2026-10-01" and claims["slo:drift"]["team"] == "claims"
    assert set(support) == {"budget:use_case:steady:2026-10"}
    assert set(keys(w.tokens["admin"])) == set(keys(w.tokens["sheet"])) == set(claims) | set(support)
    assert w.api_get("/v1/alerts?state=closed", w.tokens["admin"])[0] == 400


# --- the board report's page in S3, named on the Board report tab ---------------------------------


def board_page_lines(world) -> dict:
    from chalicelib.sheet import layout

    rows = sheet_rows(world, layout.BOARD)
    return {r[0]: r[1] for r in rows[:6] if len(r) > 1 and r[0] in ("Stored page", "Open in the S3 console")}


def test_the_board_report_tab_names_the_page_the_month_close_stored_and_only_while_it_is_there(
    short_world, monkeypatch
):
    import boto3

    from chalicelib.services import pipeline

    w = short_world
    bucket, key = "finops-reports-test", "board-reports/2026-09.html"
    monkeypatch.setenv("REPORTS_BUCKET", bucket)
    s3 = boto3.client("s3")

    # The bucket is missing: the upload fails, so does looking for the page; the tab names none and
    # the rest of the run is done (the sheet written, the board report mailed).
    answer = w.invoke("monthly", MONTH_CLOSE)
    record = w.record(answer["run_id"])
    assert record.status == "partial"
    assert failed_steps(record) == ["store board report", "board report location"]
    assert board_page_lines(w) == {} and "board:2026-09" in emails_by_key()

    # The close again, with the bucket there: the page is stored and the tab names it.
    s3.create_bucket(Bucket=bucket)
    record = run_ok(w, "monthly", MONTH_CLOSE)
    assert "store board report" in step_names(record)
    page = s3.get_object(Bucket=bucket, Key=key)
    assert page["ContentType"].startswith("text/html")
    from chalicelib.sheet import layout
    from tests.sheet.helpers import find_row

    total = find_row(sheet_rows(w, layout.BOARD), "Total AI spend")[1]
    assert f"${total:,.2f}" in page["Body"].read().decode()  # the stored page is this month's report
    console = f"https://s3.console.aws.amazon.com/s3/object/{bucket}?region=us-east-1&prefix={key}"
    assert board_page_lines(w) == {"Stored page": f"s3://{bucket}/{key}", "Open in the S3 console": console}

    # The next day's run stores nothing, and still names the page (it is there).
    record = run_ok(w, "hourly", at("2026-10-02T10:05:00Z"))
    assert "store board report" not in step_names(record)
    assert next(s.detail for s in record.steps if s.name == "board report location") == f"s3://{bucket}/{key}"
    assert board_page_lines(w) == {"Stored page": f"s3://{bucket}/{key}", "Open in the S3 console": console}

    # Gone from the bucket: the tab no longer points at it.
    s3.delete_object(Bucket=bucket, Key=key)
    run_ok(w, "hourly", at("2026-10-02T11:05:00Z"))
    assert board_page_lines(w) == {}

    # Against an S3 other than AWS's (moto's server, as the local stack runs it) there is no console link.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    assert pipeline.s3_console_url(bucket, key, "us-east-1") == ""
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert pipeline.s3_console_url(bucket, key, "eu-west-1") == (
        f"https://s3.console.aws.amazon.com/s3/object/{bucket}?region=eu-west-1&prefix={key}"
    )
