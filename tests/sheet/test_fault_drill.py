"""The fault drill (issue 14): the month-close scenario run clean, then again with one dependency
failing through its first three runs (the month close included) and healthy after; once the faults
stop, the ledger, the sheet, the guardrails, the pool, the alerts and the set of emails sent are
exactly those of the clean run: not a cent or an email more or less.

`make fault-drill` runs every fault and prints a table of the faults injected and each run's
outcome (tests/sheet/conftest.py); `make test` runs one fault of each dependency."""

from __future__ import annotations

import os
import re
from datetime import date
from decimal import Decimal as D

import pytest

from tests.sheet.pipeline_world import at, ses_messages, state_digest

pytestmark = pytest.mark.e2e  # the month close under each injected fault: make check

# Runs of the scenario: the product has run before (the first run); the faults last through the
# next three, the month close included; the last three recover.
SCHEDULE = [
    ("daily", "2026-08-31T02:35:00Z"),
    ("daily", "2026-09-28T02:35:00Z"),
    ("hourly", "2026-09-30T10:05:00Z"),
    ("monthly", "2026-10-01T03:35:00Z"),
    ("hourly", "2026-10-01T04:05:00Z"),
    ("daily", "2026-10-02T02:35:00Z"),
    ("hourly", "2026-10-02T03:05:00Z"),
]
FAULTY = range(1, 4)


def _throttle_dynamodb(world, patch):
    """Every third DynamoDB request throttled (after botocore's own retries were spent)."""
    from botocore.exceptions import ClientError

    from chalicelib import runtime

    calls = {"n": 0}

    def throttle(**kwargs):
        calls["n"] += 1
        if calls["n"] % 3 == 0:
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "throttled (fault drill)"}},
                kwargs.get("event_name", "call"),
            )

    events = runtime.dynamodb().meta.client.meta.events
    events.register("before-call.dynamodb", throttle, unique_id="drill")
    return lambda: events.unregister("before-call.dynamodb", unique_id="drill")


def _throttle_ses(world, patch):
    from botocore.exceptions import ClientError

    from chalicelib.email.mailer import SesMailer

    def throttled(self, *args, **kwargs):
        raise ClientError(
            {"Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded"}}, "SendEmail"
        )

    patch.setattr(SesMailer, "send", throttled)
    return patch.undo


def _vendor(name, how):
    def apply(world, patch):
        faults = getattr(world, name).faults
        how(faults)
        return faults.clear

    return apply


def _slow_vendor(world, patch):
    patch.setenv("VENDOR_HTTP_READ_TIMEOUT", "0.2")
    world.openai.faults.delay_next(10_000, seconds=0.6)

    def clear():
        world.openai.faults.clear()
        patch.delenv("VENDOR_HTTP_READ_TIMEOUT")

    return clear


def _sheets(status, **kwargs):
    def apply(world, patch):
        patch.setenv("SHEETS_MAX_RETRIES", "1")
        world.sheet.inject_fault(status, **kwargs)

        def clear():
            world.sheet.clear_faults()
            patch.delenv("SHEETS_MAX_RETRIES")

        return clear

    return apply


FAULTS = {
    "none": None,
    "OpenAI answers 500": _vendor("openai", lambda f: f.fail_next(10_000, status=500)),
    "OpenAI answers 429": _vendor("openai", lambda f: f.fail_next(10_000, status=429, retry_after=0)),
    "OpenAI answers garbage": _vendor("openai", lambda f: f.bad_json_next(10_000)),
    "OpenAI answers the wrong shape": _vendor("openai", lambda f: f.bad_shape_next(10_000)),
    "OpenAI answers too slowly": _slow_vendor,
    "Anthropic answers 503": _vendor("anthropic", lambda f: f.fail_next(10_000, status=503)),
    "Sheets answers 429": _sheets(429, count=10_000),
    "Sheets answers 500": _sheets(500, count=10_000),
    "Sheets drops the answer to a write": _sheets(500, count=10_000, match=":batchUpdate", after_commit=True),
    "SES throttles": _throttle_ses,
    "DynamoDB throttles": _throttle_dynamodb,
}


def _comparable(digest: dict) -> dict:
    """What must equal the clean run's: everything but how fresh each source's last pull reads
    (an "ok; ..." line names when it last landed)."""
    out = dict(digest)
    out["sheet"] = {
        tab: [["ok" if isinstance(c, str) and c.startswith("ok") else c for c in row] for row in rows]
        for tab, rows in digest["sheet"].items()
    }
    return out


def play(world, fault: str) -> tuple:
    """The scenario with `fault` through the first runs; (outcome of each run, the end digest)."""
    from chalicelib import stores

    apply = FAULTS[fault]
    outcomes = []
    with pytest.MonkeyPatch.context() as patch:
        clear = None
        for n, (kind, moment) in enumerate(SCHEDULE):
            if n == FAULTY.start and apply:
                clear = apply(world, patch)
            if n == FAULTY.stop and clear:
                clear()
            try:
                answer = world.invoke(kind, at(moment))
                record = world.record(answer["run_id"])
                outcomes.append(record.status if record.status == "ok" else f"{record.status}: {record.message}")
            except Exception as exc:  # noqa: BLE001 - the drill reports what a fault did, whatever it was
                outcomes.append(f"raised {type(exc).__name__}: {exc}")
    ledger = sorted(
        (f.day, f.source, f.use_case, f.effective_cost)
        for f in stores.stores().ledger.facts_between(date(2026, 9, 1), date(2026, 10, 31))
    )
    return outcomes, {**_comparable(state_digest(world.sheet)), "ledger": ledger, "sent": len(ses_messages())}


_CLEAN: dict = {}
# Faults that keep costs from the ledger for a while: an alert is raised when the data arrives.
DELAYS_DATA = {name for name in FAULTS if name.startswith(("OpenAI", "Anthropic", "DynamoDB"))}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _detected(digest: dict) -> list:
    return sorted(g[9] for g in digest["guardrails"] if g[9] is not None)  # critical_since


def _undated(digest: dict) -> dict:
    """The digest with the days alerts were raised on blanked (alerts, pauses, emails, Alerts tab)."""

    def blank(value):
        if isinstance(value, str):
            return _ISO_DAY.sub("<day>", value)
        if isinstance(value, date):
            return "<day>"
        if isinstance(value, (list, tuple)):
            return type(value)(blank(v) for v in value)
        return value

    out = dict(digest)
    for key in ("alerts", "guardrails"):
        out[key] = sorted(blank(digest[key]), key=repr)
    # An email's body quotes the figures of the day it was raised (month to date, forecast).
    out["outbox"] = sorted(blank(row[:4]) for row in digest["outbox"])
    out["sheet"] = {**digest["sheet"], "Alerts": blank(digest["sheet"].get("Alerts", []))}
    return out


# Faults whose end state is known to differ from the clean run's (see the README), run strictly
# so the day one is fixed is noticed. None today.
GAPS: dict = {}
TABLE: list = []  # (fault, outcome of each run, verdict): printed by `make fault-drill`


# `make test` runs one fault of each dependency; `make fault-drill` (FAULT_DRILL=all) runs them all.
SHORT = ("none", "OpenAI answers 500", "Sheets drops the answer to a write", "SES throttles", "DynamoDB throttles")
DRILLED = list(FAULTS) if os.environ.get("FAULT_DRILL") == "all" else list(SHORT)


@pytest.mark.parametrize(
    "fault",
    [pytest.param(f, marks=pytest.mark.xfail(reason=GAPS[f], strict=True)) if f in GAPS else f for f in DRILLED],
)
def test_after_the_fault_stops_everything_equals_the_clean_run(short_world, fault):
    w = short_world
    w.overrun[date(2026, 9, 28)] = D("0.10")
    outcomes, end = play(w, fault)
    TABLE.append((fault, outcomes, GAPS.get(fault, "same end state as the clean run")))
    if fault == "none":
        assert all(o == "ok" for o in outcomes), outcomes
        _CLEAN["end"] = end
        return
    clean = _CLEAN.get("end")
    if clean is None:
        pytest.skip("the clean run comes first (run the whole module)")
    assert any(outcomes[n] != "ok" for n in FAULTY), f"the fault did nothing: {outcomes}"
    assert outcomes[-1] == "ok", outcomes
    if fault in DELAYS_DATA:
        # The costs reached the ledger late, so the critical alert was raised (and the agent paused)
        # the day they did: the same alert, email and pause, dated then; never earlier than clean.
        assert _detected(end) >= _detected(clean)
        clean, end = _undated(clean), _undated(end)
    differences = sorted(k for k in clean if clean[k] != end[k])
    assert not differences, "\n".join(f"{k}: {_diff(clean[k], end[k])}" for k in differences)


def _diff(clean, end) -> str:
    """What a clean run has that this one has not (-) and the reverse (+), row by row."""
    if isinstance(clean, dict):
        return "; ".join(
            f"{k}: {_diff(clean.get(k), end.get(k))}"
            for k in sorted(set(clean) | set(end), key=str)
            if clean.get(k) != end.get(k)
        )
    if isinstance(clean, list) and isinstance(end, list):
        gone = [r for r in clean if r not in end]
        new = [r for r in end if r not in clean]
        return f"- {gone} + {new}"
    return f"{clean!r} -> {end!r}"


def test_a_month_close_with_a_source_failing_holds_the_board_report_until_a_daily_run_has_it_all(short_world):
    """No verdict without the data: OpenAI fails at the close, so the board is not mailed a month
    short of OpenAI's last days; finance sees why (an open "held" alert), and the first daily run
    whose pull every source answers mails it, once, with the whole month."""
    from chalicelib import stores
    from tests.sheet.pipeline_world import BOARD, emails_by_key, outbox_items, to

    w = short_world
    w.openai.faults.fail_next(10_000, status=500)
    answer = w.invoke("monthly", at("2026-10-01T03:35:00Z"))
    record = w.record(answer["run_id"])
    assert record.status == "partial" and "board report held (openai)" in record.message
    assert "board:2026-09" not in outbox_items()
    held = [e for e in stores.stores().alerts.open() if e.key == "held:board:2026-09"]
    assert held and "openai failed to answer" in held[0].reason
    w.openai.faults.clear()
    w.invoke("hourly", at("2026-10-01T04:05:00Z"))  # an hourly pull covers 3 days, not the month: still held
    assert "board:2026-09" not in outbox_items()
    w.invoke("daily", at("2026-10-02T02:35:00Z"))
    assert [to(m) for m in emails_by_key()["board:2026-09"]] == [[BOARD]]
    assert not [e for e in stores.stores().alerts.open() if e.key.startswith("held:")]
    w.invoke("daily", at("2026-10-03T02:35:00Z"))
    assert len(emails_by_key()["board:2026-09"]) == 1
