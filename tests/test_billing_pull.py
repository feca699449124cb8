"""A scheduled pull: every source lands in the ledger; a failing vendor is skipped, not fatal."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import boto3
import pytest

from local import demo_billing
from local.vendor_emulators import start_anthropic_emulator, start_openai_emulator

START, END = date(2026, 11, 2), date(2026, 11, 5)  # three UTC days


@pytest.fixture
def vendors(demo_org, monkeypatch):
    openai, anthropic = start_openai_emulator(), start_anthropic_emulator()
    monkeypatch.setenv("OPENAI_BASE_URL", openai.url)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic.url)
    monkeypatch.setenv("VENDOR_HTTP_BACKOFF_FACTOR", "0.001")
    monkeypatch.setenv("VENDOR_HTTP_RETRIES", "2")
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="finops/openai-admin-key", SecretString=demo_billing.OPENAI_ADMIN_KEY)
    secrets.create_secret(Name="finops/anthropic-admin-key", SecretString=demo_billing.ANTHROPIC_ADMIN_KEY)
    yield {"openai": openai, "anthropic": anthropic}
    openai.stop()
    anthropic.stop()


def pull(inject_aws=True):
    from chalicelib import billing, stores

    if inject_aws:  # moto answers the same window's request the same way again without it
        demo_billing.inject_aws_costs_into_moto(START, END)
    s, org = stores.stores(), stores.organisation()
    return billing.pull_sources(
        billing.vendor_sources(org, s.work_items), START, END, org, s.ledger, s.freshness, datetime.now(timezone.utc)
    )


def ledger_by_key():
    from chalicelib import stores

    totals: dict = {}
    for f in stores.stores().ledger.facts_between(START, date(2026, 11, 4)):
        totals[f.vendor_key] = totals.get(f.vendor_key, Decimal(0)) + f.effective_cost
    return totals


def expected_by_key(keys_from=("openai:", "anthropic:", "aws:")):
    totals: dict = {}
    for day in (date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)):
        for key, amount in demo_billing.expected_daily_spend(day).items():
            if key.startswith(keys_from):
                totals[key] = totals.get(key, Decimal(0)) + amount
    return totals


def test_every_vendor_dollar_lands_exactly_and_a_rerun_changes_nothing(vendors):
    report = pull()
    assert all(r.ok for r in report.results), report.results
    assert ledger_by_key() == expected_by_key()
    assert set(report.unmapped) == set(demo_billing.UNMAPPED_VENDOR_KEYS)

    again = pull()
    assert sum(r.puts + r.deletes for r in again.results) == 0
    assert ledger_by_key() == expected_by_key()


def test_a_restated_day_replaces_the_old_amount(vendors):
    pull()
    vendors["openai"].faults.restate(date(2026, 11, 3), Decimal("1.5"), key="proj_claims")
    pull()
    stored = ledger_by_key()["openai:project:proj_claims"]
    days = [demo_billing.expected_daily_spend(date(2026, 11, d))["openai:project:proj_claims"] for d in (2, 3, 4)]
    restated_day = stored - days[0] - days[2]
    # The emulator restates each line item in OpenAI's own 6 decimals: the day is replaced, not added.
    assert abs(restated_day - days[1] * Decimal("1.5")) <= Decimal("0.000002")


def test_a_failing_vendor_is_skipped_and_recorded_while_the_others_land(vendors):
    from chalicelib import stores

    pull()
    vendors["anthropic"].faults.fail_next(50, status=503)
    report = pull()
    outcome = {r.source: r.ok for r in report.results}
    assert outcome == {"openai": True, "anthropic": False, "aws": True, "human_review": True}
    fresh = {f.source: f for f in stores.stores().freshness.all()}
    assert fresh["anthropic"].last_error and fresh["anthropic"].last_success_at  # the earlier success is kept
    assert fresh["openai"].last_error == ""
    # What Anthropic reported before stays: a failed pull never removes facts.
    assert (
        ledger_by_key()["anthropic:workspace:wrkspc_support"] == expected_by_key()["anthropic:workspace:wrkspc_support"]
    )


# --- nothing stored is removed unless the source said so ------------------------------------
DAY_2, DAY_3, DAY_4 = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)


def stored(source, day):
    from chalicelib import stores

    return sum(
        (f.effective_cost for f in stores.stores().ledger.facts_between(day, day) if f.source == source), Decimal(0)
    )


def vendor_total(prefix, day):
    return sum((v for k, v in demo_billing.expected_daily_spend(day).items() if k.startswith(prefix)), Decimal(0))


def freshness_of(source):
    from chalicelib import stores

    return {f.source: f for f in stores.stores().freshness.all()}[source]


def result_of(report, source):
    return {r.source: r for r in report.results}[source]


def test_an_empty_cost_explorer_answer_removes_no_stored_aws_cost(vendors):
    from chalicelib import billing, stores

    pull()
    before = {d: stored("aws", d) for d in (DAY_2, DAY_3, DAY_4)}
    assert before[DAY_3] == demo_billing.aws_daily_cost(DAY_3)
    # Another window is another Cost Explorer request: with nothing queued, moto answers no day.
    s, org = stores.stores(), stores.organisation()
    report = billing.pull_sources(
        billing.vendor_sources(org, s.work_items),
        DAY_3,
        date(2026, 11, 6),
        org,
        s.ledger,
        s.freshness,
        datetime.now(timezone.utc),
    )
    aws = result_of(report, "aws")
    assert (aws.ok, aws.status, aws.days_asked, aws.days_answered, aws.deletes) == (True, "partial", 3, 0, 0)
    assert aws.restatements == [] and aws.unanswered_days == [DAY_3, DAY_4, date(2026, 11, 5)]
    assert {d: stored("aws", d) for d in (DAY_2, DAY_3, DAY_4)} == before
    fresh = freshness_of("aws")
    assert (fresh.status, fresh.days_asked, fresh.days_answered) == ("partial", 3, 0)
    assert fresh.unanswered_days == ("2026-11-03", "2026-11-04", "2026-11-05") and fresh.restatements == ()
    assert freshness_of("openai").status == "ok"


def test_a_vendor_answer_missing_a_day_keeps_that_day(vendors):
    pull()
    kept = stored("openai", DAY_3)
    vendors["openai"].faults.restate(DAY_3, Decimal("2"))  # would double the day, were it answered
    vendors["openai"].faults.omit(DAY_3)
    vendors["anthropic"].faults.omit(DAY_4)
    report = pull()
    assert stored("openai", DAY_3) == kept == vendor_total("openai:", DAY_3)
    assert stored("anthropic", DAY_4) == vendor_total("anthropic:", DAY_4)
    openai, anthropic = result_of(report, "openai"), result_of(report, "anthropic")
    assert (openai.status, openai.days_answered, openai.unanswered_days) == ("partial", 2, [DAY_3])
    assert (anthropic.status, anthropic.days_answered, anthropic.unanswered_days) == ("partial", 2, [DAY_4])
    assert report.restatements == [] and sum(r.deletes for r in report.results) == 0
    assert freshness_of("openai").unanswered_days == ("2026-11-03",)


def test_a_failed_page_keeps_everything(vendors):
    from chalicelib import billing, stores
    from chalicelib.connectors import openai_costs
    from tests.connectors.window import FAST

    pull()
    before = ledger_by_key()
    vendors["openai"].faults.empty(DAY_3)  # the answer would restate a day to nothing...
    vendors["openai"].faults.delay_next(1, 0)  # ...but after its first page (one day a page)...
    vendors["openai"].faults.fail_next(FAST.retries + 1, status=502)  # ...the vendor breaks
    source = billing.BillingSource(
        "openai",
        lambda s, e: openai_costs.pull(
            demo_billing.OPENAI_ADMIN_KEY, s, e, base_url=vendors["openai"].url, limit=1, config=FAST
        ),
    )
    s, org = stores.stores(), stores.organisation()
    report = billing.pull_sources([source], START, END, org, s.ledger, s.freshness, datetime.now(timezone.utc))
    openai = result_of(report, "openai")
    assert (openai.ok, openai.status, openai.deletes, openai.restatements) == (False, "error", 0, [])
    assert ledger_by_key() == before
    fresh = freshness_of("openai")
    assert fresh.status == "error" and "502" in fresh.last_error
    assert (fresh.days_asked, fresh.days_answered) == (3, 3)  # what the last landed pull answered


def test_a_restatement_to_zero_removes_and_is_reported(vendors):
    from chalicelib import billing, stores
    from chalicelib.domain.money import show_money

    pull()
    vendors["openai"].faults.empty(DAY_3)  # an explicit empty bucket
    vendors["anthropic"].faults.restate(DAY_4, Decimal(0))  # explicit zero amounts
    report = pull(inject_aws=False)
    openai, anthropic = result_of(report, "openai"), result_of(report, "anthropic")
    assert stored("openai", DAY_3) == 0 and openai.deletes == 6 and openai.status == "ok"
    [line] = [r.line for r in openai.restatements]
    assert line == (
        f"openai 2026-11-03: restated {show_money(vendor_total('openai:', DAY_3))} → $0.00 "
        f"by the source (6 facts removed)"
    )
    assert [r.line for r in anthropic.restatements] == [
        f"anthropic 2026-11-04: restated {show_money(vendor_total('anthropic:', DAY_4))} → $0.00 by the source"
    ]
    assert anthropic.deletes == 0 and stored("anthropic", DAY_4) == 0  # zero facts kept, as stated
    assert stored("openai", DAY_2) == vendor_total("openai:", DAY_2)  # other days untouched

    # Cost Explorer restates a day to nothing: its ResultsByTime entry has no groups.
    page = demo_billing.aws_cost_and_usage_pages(DAY_3, date(2026, 11, 6))[0]
    page["ResultsByTime"][0]["Groups"] = []
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.set_ce_cost_usage(result=page, account_id=DEFAULT_ACCOUNT_ID)
    s, org = stores.stores(), stores.organisation()
    sources = [x for x in billing.vendor_sources(org, s.work_items) if x.name == "aws"]
    report = billing.pull_sources(
        sources, DAY_3, date(2026, 11, 6), org, s.ledger, s.freshness, datetime.now(timezone.utc)
    )
    aws = result_of(report, "aws")
    expected = (
        f"aws 2026-11-03: restated {show_money(demo_billing.aws_daily_cost(DAY_3))} → $0.00 "
        f"by the source (1 fact removed)"
    )
    assert [r.line for r in report.restatements] == [expected]
    assert (aws.deletes, aws.status, stored("aws", DAY_3), stored("aws", DAY_4)) == (
        1,
        "ok",
        0,
        demo_billing.aws_daily_cost(DAY_4),
    )
    fresh = freshness_of("aws")
    assert (fresh.restatements, fresh.restated_days, fresh.facts_removed, fresh.status) == ((expected,), 1, 1, "ok")
    again = billing.pull_sources(
        sources, DAY_3, date(2026, 11, 6), org, s.ledger, s.freshness, datetime.now(timezone.utc)
    )  # moto answers the same again: nothing new
    assert again.restatements == [] and freshness_of("aws").restatements == ()


def test_freshness_keeps_the_first_twenty_restatement_lines_and_counts_all(aws):
    from chalicelib import billing, stores
    from chalicelib.connectors.common import Pulled
    from chalicelib.domain.facts import CostFact
    from chalicelib.domain.organisation import Organisation

    first, end = date(2026, 10, 1), date(2026, 11, 1)
    days = [first + timedelta(days=n) for n in range(31)]

    def source(amount):
        return billing.BillingSource(
            "vendorx",
            lambda s, e: Pulled(
                [CostFact(d, "vendorx", "other", "X", "svc", Decimal(amount), Decimal(amount)) for d in days], days
            ),
        )

    s = stores.stores()
    billing.pull_sources([source("1")], first, end, Organisation(), s.ledger, s.freshness, datetime.now(timezone.utc))
    report = billing.pull_sources(
        [source("2")], first, end, Organisation(), s.ledger, s.freshness, datetime.now(timezone.utc)
    )
    assert len(report.restatements) == 31
    fresh = freshness_of("vendorx")
    assert fresh.restated_days == 31 and len(fresh.restatements) == 20
    assert fresh.restatements[0] == "vendorx 2026-10-01: restated $1.00 → $2.00 by the source"


def test_an_old_freshness_item_still_loads(aws):
    from chalicelib import stores

    stores.stores().freshness._table.put_item(
        Item={
            "pk": "SOURCE",
            "sk": "legacy",
            "source": "legacy",
            "last_success_at": "2026-11-01T00:00:00+00:00",
            "last_window": "2026-10-30..2026-11-01",
            "facts_last_pull": Decimal(3),
        }
    )
    fresh = freshness_of("legacy")
    assert (fresh.status, fresh.days_asked, fresh.restatements, fresh.unanswered_days) == ("", 0, (), ())


def test_human_review_answers_every_day_from_the_counters(demo_org):
    from chalicelib import billing, stores
    from chalicelib.domain.facts import DailyUnits

    class Counters:  # the work-item counters, as units_for_month reads them
        def __init__(self, units):
            self.units = units

        def units_for_month(self, month):
            return [u for u in self.units if u.day.isoformat()[:7] == month]

    s, org = stores.stores(), stores.organisation()
    rate = org.settings.loaded_hourly_rate

    def run(units):
        [source] = [x for x in billing.vendor_sources(org, Counters(units)) if x.name == "human_review"]
        return result_of(
            billing.pull_sources([source], START, END, org, s.ledger, s.freshness, datetime.now(timezone.utc)),
            "human_review",
        )

    first = run(
        [
            DailyUnits("claims-processing", DAY_2, units=10, review_minutes=Decimal(60)),
            DailyUnits("retired-agent", DAY_3, units=1, review_minutes=Decimal(30)),
        ]
    )  # no longer in the sheet
    assert (first.status, first.days_answered, first.facts) == ("ok", 3, 2)
    assert stored("human_review", DAY_2) == rate and stored("human_review", DAY_3) == rate / 2  # kept, unallocated
    # Items reposted without review time: day 2 now counts no minutes; day 4 never had any.
    second = run(
        [
            DailyUnits("claims-processing", DAY_2, units=10, review_minutes=Decimal(0)),
            DailyUnits("retired-agent", DAY_3, units=1, review_minutes=Decimal(30)),
        ]
    )
    assert stored("human_review", DAY_2) == 0 and second.deletes == 1 and second.puts == 0
    from chalicelib.domain.money import show_money

    assert [r.line for r in second.restatements] == [
        f"human_review 2026-11-02: restated {show_money(rate)} → $0.00 by the source (1 fact removed)"
    ]


def test_costs_pull_prints_what_was_answered_and_restated(vendors, capsys):
    from chalicelib.cli import main
    from chalicelib.domain.money import show_money

    demo_billing.inject_aws_costs_into_moto(START, END)
    assert main(["costs", "pull", "--start", "2026-11-02", "--end", "2026-11-05"]) == 0
    capsys.readouterr()
    vendors["openai"].faults.empty(DAY_3)
    vendors["anthropic"].faults.omit(DAY_4)
    assert main(["costs", "pull", "--start", "2026-11-02", "--end", "2026-11-05"]) == 0
    out = capsys.readouterr().out
    assert (
        f"  openai 2026-11-03: restated {show_money(vendor_total('openai:', DAY_3))} → $0.00 by the source "
        f"(6 facts removed)"
    ) in out.splitlines()
    assert "anthropic     partial: 2 of 3 days answered (not answered, kept as stored: 2026-11-04)" in out
    assert "openai        ok: 3 of 3 days answered; 12 facts, 0 written, 6 removed, 1 day restated" in out


def test_a_corrected_import_names_the_days_it_restated(demo_org):
    from chalicelib import billing, stores

    header = "date,source,category,team,use_case,amount\n"
    org, ledger = stores.organisation(), stores.stores().ledger
    first = billing.import_cost_file(
        header + "2026-11-02,Pinecone,vector_db,claims,claims-processing,300.00\n"
        "2026-11-03,Pinecone,vector_db,claims,claims-processing,310.00\n",
        org,
        ledger,
        feed="pinecone",
    )
    assert first.restatements == [] and not first.errors
    corrected = billing.import_cost_file(
        header + "2026-11-02,Pinecone,vector_db,claims,claims-processing,300.00\n"
        "2026-11-03,Pinecone,vector_db,claims,claims-processing,0\n",
        org,
        ledger,
        feed="pinecone",
    )
    assert [r.line for r in corrected.restatements] == [
        "import:pinecone 2026-11-03: restated $310.00 → $0.00 by the source"
    ]
    assert corrected.facts_removed == 0


# --- a pull killed at any write boundary is repaired by the next pull --------------------------
@pytest.mark.e2e  # the pull killed at each of its writes: make check
def test_a_pull_killed_at_any_write_boundary_is_repaired_by_the_next(demo_org, monkeypatch):
    from chalicelib import billing, stores
    from chalicelib.domain.facts import UNALLOCATED
    from tests.domain.builders import fact
    from tests.storage.test_cost_ledger_interrupted import KillAfter

    def answer(name, amounts):  # {(day, service): amount}
        return [
            fact(
                d, a, UNALLOCATED, UNALLOCATED, provider="Vendor", service=svc, source=name, vendor_key=f"{name}:{svc}"
            )
            for (d, svc), a in amounts.items()
        ]

    old = {(d, f"m{i}"): "1.00" for d in (DAY_2, DAY_3, DAY_4) for i in range(20)}
    new = {
        **{(DAY_2, f"m{i}"): "1.25" for i in range(20)},
        **{(DAY_3, f"m{i}"): "1.00" for i in range(5)},
        **{(DAY_4, f"n{i}"): "2.00" for i in range(20)},
    }
    s, org, now = stores.stores(), stores.organisation(), datetime.now(timezone.utc)
    ledger, real = s.ledger, s.ledger._resource

    def run(name, amounts, resource):
        monkeypatch.setattr(ledger, "_resource", resource)
        source = billing.BillingSource(name, lambda a, b: answer(name, amounts))
        return billing.pull_sources([source], START, END, org, ledger, s.freshness, now)

    def stored_of(name):
        return {(f.day, f.service): f.effective_cost for f in ledger.facts_between(DAY_2, DAY_4) if f.source == name}

    run("count", old, real)
    counting = KillAfter(real, None)
    whole = result_of(run("count", new, counting), "count")
    assert counting.calls >= 4
    for k in range(counting.calls):
        name = f"vendor{k}"
        run(name, old, real)
        died = result_of(run(name, new, KillAfter(real, k)), name)
        assert not died.ok and "killed" in died.error  # recorded as a failed pull, as a crash would be
        between = stored_of(name)
        want, had = {key: Decimal(v) for key, v in new.items()}, {key: Decimal(v) for key, v in old.items()}
        assert not ({key for key in between if key not in want} and {key for key in between if key not in had}), k

        again = result_of(run(name, new, real), name)
        assert again.ok and stored_of(name) == want, k
        assert again.facts == len(want) == len(stored_of(name))
        # The next pull reports what the killed one would have: the same restated days and removals.
        assert [r.line.replace(name, "count") for r in again.restatements] == [r.line for r in whole.restatements]
        assert freshness_of(name).facts_removed == whole.deletes
