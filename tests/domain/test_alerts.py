"""Alert episodes: one email per episode and escalation, recovery closes, no verdict without data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from types import SimpleNamespace

from chalicelib.domain import engine
from chalicelib.domain.alerts import evaluate
from chalicelib.domain.organisation import Settings, Team, UseCase

from .builders import D, fact, org, units

MON = date(2026, 11, 2)
AGENT = UseCase(
    "claims", "claims-team", name="Claims", unit_of_work="claim", target_cpu=D(5), owner_email="owner@example.com"
)
ORG = org(
    AGENT,
    teams=(Team("claims-team", lead_email="lead@example.com"),),
    settings=Settings(alert_emails_finance=("finance@example.com",), alert_emails_cfo=("cfo@example.com",)),
)


def base_status():
    out = engine.compute(ORG, [fact(MON, "500")], units("claims", MON, 1, 100), MON + timedelta(days=9))
    return out


def run(previous, colour, paused=False, day=0, critical_since=None):
    out = base_status()
    st = replace(
        out.statuses["claims"],
        colour=colour,
        paused=paused,
        critical_since=critical_since,
        reason=f"{colour}: test",
        flags=(),
    )
    shaped = SimpleNamespace(statuses={"claims": st}, teams=(), reminders=(), currency="USD", month=out.month)
    ev = evaluate(shaped, ORG, {e.key: e for e in previous}, MON + timedelta(days=day))
    return ev


def test_yellow_red_critical_cleared_recovered_sends_one_email_per_escalation():
    ev1 = run((), "yellow")
    assert ev1.notices == () and ev1.episodes == ()
    ev2 = run(ev1.episodes, "red", day=7)
    assert [n.kind for n in ev2.notices] == ["red"]
    assert ev2.notices[0].recipients == ("owner@example.com", "lead@example.com")
    again = run(ev2.episodes, "red", day=8)
    assert again.notices == ()  # still red: same episode, no email
    ev3 = run(again.episodes, "critical", paused=True, day=14, critical_since=MON + timedelta(days=14))
    assert [n.kind for n in ev3.notices] == ["critical"]
    critical = ev3.notices[0]
    assert critical.recipients == ("owner@example.com", "lead@example.com", "finance@example.com", "cfo@example.com")
    # keyed by the day the pause began (what "Critical cleared on" must reach), not the red episode's start
    assert critical.key == f"slo:claims:{(MON + timedelta(days=14)).isoformat()}:critical"
    assert f"on or after {(MON + timedelta(days=14)).isoformat()}" in " ".join(critical.actions)
    assert any("Critical cleared on" in a for a in critical.actions)
    still_paused = run(ev3.episodes, "yellow", paused=True, day=15, critical_since=MON + timedelta(days=14))
    assert still_paused.notices == ()  # latched: not recovered while paused
    no_data = run(still_paused.episodes, None, day=16)
    assert no_data.notices == () and any(e.open for e in no_data.episodes)  # no verdict without data
    ev4 = run(no_data.episodes, "green", day=21)
    assert [n.kind for n in ev4.notices] == ["recovery"]
    assert ev4.notices[0].recipients == critical.recipients  # to everyone who heard of its highest level
    assert all(not e.open for e in ev4.episodes)
    ev5 = run([e for e in ev4.episodes if e.open], "red", day=28)
    assert [n.kind for n in ev5.notices] == ["red"] and ev5.notices[0].key.endswith(
        f"{(MON + timedelta(days=28)).isoformat()}:red"
    )  # a new episode, a new key


def test_a_notice_with_nobody_to_send_to_is_an_alert_row_not_a_crash():
    nobody = replace(
        ORG, use_cases=(replace(AGENT, owner_email=""),), teams=(Team("claims-team"),), settings=Settings()
    )
    out = base_status()
    st = replace(out.statuses["claims"], colour="red", owner_email="")
    shaped = SimpleNamespace(statuses={"claims": st}, teams=(), reminders=(), currency="USD", month=out.month)
    ev = evaluate(shaped, nobody, {}, MON)
    assert ev.notices == () and len(ev.missing_recipients) == 1
    assert any(e.kind == "recipients" and e.open for e in ev.episodes)


def test_a_second_pause_in_one_episode_after_a_clearance_is_a_new_email():
    first_pause = MON + timedelta(days=14)
    ev1 = run((), "critical", paused=True, day=14, critical_since=first_pause)
    cleared = run(ev1.episodes, "red", paused=False, day=16)  # finance cleared it; still red: episode open
    assert cleared.notices == ()
    second_pause = MON + timedelta(days=21)
    ev2 = run(cleared.episodes, "critical", paused=True, day=21, critical_since=second_pause)
    assert [n.kind for n in ev2.notices] == ["critical"]
    assert ev2.notices[0].key != ev1.notices[0].key and second_pause.isoformat() in ev2.notices[0].key


def test_an_alert_held_back_for_want_of_recipients_is_sent_once_the_sheet_names_someone():
    nobody = replace(ORG, teams=(Team("claims-team"),), settings=Settings())
    out = base_status()
    st = replace(out.statuses["claims"], colour="red", owner_email="", reason="red: test", flags=())
    shaped = SimpleNamespace(statuses={"claims": st}, teams=(), reminders=(), currency="USD", month=out.month)
    held = evaluate(shaped, nobody, {}, MON)
    assert held.notices == () and not any(e.kind == "slo" for e in held.episodes)
    assert any(e.kind == "recipients" and e.open for e in held.episodes)
    fixed = SimpleNamespace(**{**vars(shaped), "statuses": {"claims": replace(st, owner_email="owner@example.com")}})
    sent = evaluate(fixed, ORG, {e.key: e for e in held.episodes}, MON + timedelta(days=1))
    assert [n.kind for n in sent.notices] == ["red"] and sent.notices[0].recipients[0] == "owner@example.com"
    assert not any(e.kind == "recipients" and e.open for e in sent.episodes)  # closed once sent
