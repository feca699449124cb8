"""Exports: the allocated ledger as FOCUS 1.3 (engine totals to the cent, read back by our own importer)
and cost per unit per use case per week and month."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

from chalicelib.domain.allocation import allocate, build_ledger, month_allocations
from chalicelib.domain.facts import SHARED_TEAM, UNALLOCATED, DailyUnits
from chalicelib.domain.organisation import MappingRule, Organisation, SharedCostRule, Team, UseCase
from chalicelib.domain.periods import month_key
from tests.conftest import bearer
from tests.domain import builders

MONTH = "2026-11"
D1, D2, D3 = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 17)


def fact(day, amount, vendor_key="", team=UNALLOCATED, use_case=UNALLOCATED, service="gpt-4o", **kw):
    """An OpenAI API cost unless told (builders.fact, with this file's defaults: unallocated, gpt-4o)."""
    return builders.fact(day, amount, use_case, team, service=service, vendor_key=vendor_key, **kw)


def shared_cost(day, amount, vendor_key, rule, category, provider, service, source, billed=None):
    """A cost of the shared platform team, split by the shared-cost rule `rule`."""
    return builders.fact(
        day, amount, rule, SHARED_TEAM, category, provider, service, billed, source=source, vendor_key=vendor_key
    )


def observability(day, amount, provider, service, source, billed=None):
    """A shared observability cost (vendor key `csv:<provider>`), split by the rule platform-observability."""
    return shared_cost(
        day, amount, f"csv:{provider}", "platform-observability", "observability", provider, service, source, billed
    )


def tricky_facts():
    """Shared costs over several providers and sub-cent amounts, credits, mapped, unmapped and unknown
    use cases, a rule with an unknown target, a rule with no targets, a foreign currency."""
    return [
        fact(D1, "1000.101", "openai:project:proj_claims"),
        fact(D1, "333.3333", "openai:project:proj_sales_leads", service="gpt-4o-mini", billed="350.0001"),
        fact(D2, "500.05", team="support", use_case="ticket-escalation", provider="Anthropic", service="claude"),
        fact(D2, "-12.345", team="support", use_case="ticket-escalation", provider="Anthropic", service="credit"),
        fact(D2, "25.00", "openai:project:proj_shadow_marketing"),
        fact(
            D2,
            "7.777",
            team="sales",
            use_case="no-such-agent",
            provider="Pinecone",
            service="index",
            category="vector_db",
            source="csv",
        ),
        fact(D3, "80.00", "openai:project:proj_claims", currency="EUR"),
        observability(D1, "100.00", "Datadog", "APM", "datadog"),
        observability(D1, "33.331", "LangSmith", "traces", "csv"),
        observability(D1, "0.013", "Grafana", "cloud", "csv", billed="0.02"),
        observability(D2, "10.00", "Datadog", "APM", "datadog"),
        observability(D2, "-1.001", "Datadog", "credit", "datadog"),
        shared_cost(D3, "66.67", "aws:gpu", "gpu", "self_hosted", "AWS", "SageMaker", "aws"),
        shared_cost(D3, "1.01", "aws:gpu-ebs", "gpu", "storage", "AWS", "EBS", "aws"),
        shared_cost(D3, "9.99", "aws:empty", "empty-rule", "self_hosted", "AWS", "EC2", "aws"),
        shared_cost(D3, "4.44", "aws:none", "no-rule-at-all", "self_hosted", "AWS", "EC2", "aws"),
        fact(
            D3,
            "2.50",
            "odd",
            team="claims",
            use_case="claims-processing",
            category="mystery",
            provider="Acme",
            service="thing",
            source="csv",
        ),
    ]


def tricky_org(empty_rule: bool = True):
    """The demo organisation with a rule naming an unknown target and (unless stored: the organisation
    store does not keep a rule with no targets) a rule with none."""
    from local.demo_org import demo_organisation

    org = demo_organisation()
    rules = (SharedCostRule("gpu", "even", ("claims-processing", "contract-review", "retired-agent")),)
    if empty_rule:
        rules += (SharedCostRule("empty-rule", "even", ()),)
    return replace(org, shared_rules=org.shared_rules + rules)


def tricky_units():
    return [
        DailyUnits("claims-processing", D1, 290, 280),
        DailyUnits("contract-review", D1, 75, 70),
        DailyUnits("claims-processing", D3, 300, 290),
    ]


def _sums(rows):
    out = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: D(0))))
    for r in rows:
        month = month_key(r.day)
        for cut, name in (
            ("team", r.team),
            ("use_case", r.use_case),
            ("category", r.category),
            ("provider", r.provider),
            ("service", (r.provider, r.service)),
        ):
            out[month][cut][name] += r.effective
            out[month]["b_" + cut][name] += r.billed
        out[month]["day"][((r.team, r.use_case), r.day)] += r.effective
    return out


def _nonzero(d: dict) -> dict:
    return {k: v for k, v in d.items() if v != 0}


def assert_rows_match_engine(org, facts, units):
    rows = allocate(org, facts, units)
    ledger = build_ledger(org, facts, units)
    alloc = month_allocations(org, ledger)
    sums = _sums(rows)
    for month, a in alloc.items():
        s = sums[month]
        assert _nonzero(s["team"]) == _nonzero(a.by_team)
        assert _nonzero(s["use_case"]) == _nonzero(a.by_use_case)
        assert _nonzero(s["category"]) == _nonzero(a.by_category)
        assert _nonzero(s["provider"]) == _nonzero(a.by_provider)
        assert _nonzero(s["service"]) == _nonzero(a.by_service)
        assert _nonzero(s["b_team"]) == _nonzero(a.billed_by_team)
        assert _nonzero(s["b_use_case"]) == _nonzero(a.billed_by_use_case)
        assert _nonzero(s["b_service"]) == _nonzero(a.billed_by_service)
    per_day = defaultdict(lambda: D(0))
    for s in sums.values():
        for key, v in s["day"].items():
            per_day[key] += v
    expected = {(owner, day): v for owner, days in ledger.owner_days.items() for day, v in days.items()}
    assert _nonzero(per_day) == _nonzero(expected)
    return rows


def test_allocated_rows_give_the_engines_totals_per_month_and_per_day():
    org = tricky_org()
    rows = assert_rows_match_engine(org, tricky_facts(), tricky_units())
    assert not any(r.provider == "OpenAI" and r.day == D3 for r in rows)  # the EUR fact is not booked
    methods = {r.method for r in rows}
    assert {
        "direct",
        "mapping",
        "shared split",
        "unmapped vendor key",
        "unknown use case",
        "shared cost with no split rule",
        "split target is not a known use case",
    } <= methods
    # A shared cell over three providers keeps each provider's amount exactly.
    obs = [r for r in rows if r.rule_key == "platform-observability" and r.day == D1]
    assert sum((r.effective for r in obs if r.provider == "LangSmith"), D(0)) == D("33.331")
    assert sum((r.effective for r in obs if r.provider == "Grafana"), D(0)) == D("0.013")
    assert sum((r.billed for r in obs if r.provider == "Grafana"), D(0)) == D("0.02")


def test_allocated_rows_match_the_engine_on_the_benchmarks_data():
    from bench.bench_money_engine import synthetic

    org, facts, units, _ = synthetic(30, 70, seed=7)
    facts = facts + [
        fact(f.day, "-3.337", team=SHARED_TEAM, use_case="platform", provider="AWS", service="credit")
        for f in facts[::900]
    ]
    org = replace(org, mappings=(MappingRule("anthropic:workspace:w1", "team1", "uc0001"),))
    assert_rows_match_engine(org, facts, units)


def test_focus_export_header_and_rows():
    from chalicelib.connectors.focus_csv import REQUIRED_COLUMNS
    from chalicelib.exports import FOCUS_COLUMNS, focus_csv

    text = focus_csv(tricky_org(), tricky_facts(), tricky_units(), MONTH)
    records = list(csv.DictReader(io.StringIO(text)))
    assert tuple(records[0].keys()) == FOCUS_COLUMNS
    for required in REQUIRED_COLUMNS + (
        "ServiceProviderName",
        "HostProviderName",
        "InvoiceIssuerName",
        "ProviderName",
        "PublisherName",
        "ChargeCategory",
        "ChargeClass",
        "BillingAccountId",
        "BillingPeriodStart",
        "BillingPeriodEnd",
        "ChargePeriodEnd",
        "ContractedCost",
        "ListCost",
        "ServiceCategory",
        "ServiceSubcategory",
        "Tags",
    ):
        assert required in FOCUS_COLUMNS
    row = next(r for r in records if r["x_AllocationMethod"] == "mapping" and r["ServiceName"] == "gpt-4o")
    assert row["ServiceCategory"] == "AI and Machine Learning" and row["ChargeCategory"] == "Usage"
    assert (row["ChargePeriodStart"], row["ChargePeriodEnd"]) == ("2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z")
    assert (row["BillingPeriodStart"], row["BillingPeriodEnd"]) == ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")
    assert row["EffectiveCost"] == "1000.101" and row["BillingCurrency"] == "USD"
    assert json.loads(row["Tags"]) == {
        "team": "claims",
        "use-case": "claims-processing",
        "vendor-key": "openai:project:proj_claims",
    }
    credit = next(r for r in records if r["ServiceName"] == "credit" and r["ProviderName"] == "Anthropic")
    assert credit["ChargeCategory"] == "Credit" and credit["EffectiveCost"] == "-12.345"
    shadow = next(r for r in records if r["x_VendorKey"] == "openai:project:proj_shadow_marketing")
    assert json.loads(shadow["Tags"])["use-case"] == "unallocated"
    assert {r["ServiceCategory"] for r in records} >= {
        "AI and Machine Learning",
        "Management and Governance",
        "Compute",
        "Databases",
        "Storage",
        "Other",
    }
    assert "E" not in "".join(r["EffectiveCost"] + r["BilledCost"] for r in records)


def _fresh_ledger():
    """A second cost-facts table in moto: the import's own ledger, nothing shared with the export's."""
    import boto3

    from chalicelib.storage.cost_ledger import CostLedger
    from local.tables import table_definitions

    props = next(p for p in table_definitions() if p["TableName"] == "finops-cost-facts")
    client = boto3.client("dynamodb")
    client.create_table(
        **{
            **{
                k: props[k]
                for k in ("AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes")
                if k in props
            },
            "TableName": "fresh-cost-facts",
        }
    )
    return CostLedger(boto3.resource("dynamodb"), "fresh-cost-facts")


def _seed(org):
    from chalicelib import stores

    s = stores.stores()
    s.organisation.save(org)
    by_source = defaultdict(list)
    for f in tricky_facts():
        by_source[f.source].append(f)
    for source, facts in by_source.items():
        stores.stores().ledger.replace_days(source, sorted({f.day for f in facts}), facts)
    return stores.stores()


def _cuts(allocation):
    return {
        "team": _nonzero(allocation.by_team),
        "use_case": _nonzero(allocation.by_use_case),
        "provider": _nonzero(allocation.by_provider),
        "service": _nonzero(allocation.by_service),
        "billed_team": _nonzero(allocation.billed_by_team),
        "billed_service": _nonzero(allocation.billed_by_service),
    }


def test_the_focus_export_reads_back_through_our_importer_to_the_same_totals(api, tokens):
    from chalicelib import billing

    org = tricky_org(empty_rule=False)
    s = _seed(org)
    response = api.http.get(f"/v1/exports/focus?month={MONTH}", headers=bearer(tokens["sheet"]))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "focus-2026-11.csv" in response.headers["Content-Disposition"]
    body = response.body.decode("utf-8") if isinstance(response.body, bytes) else response.body

    original = month_allocations(
        org, build_ledger(org, s.ledger.facts_for_month(MONTH), s.work_items.units_for_month(MONTH))
    )[MONTH]
    fresh = _fresh_ledger()
    result = billing.import_cost_file(
        body.encode("utf-8"), org, fresh, feed="focus-roundtrip", filename="focus-2026-11.csv", today=date(2026, 12, 1)
    )
    assert result.errors == [] and result.format == "focus"
    assert result.total == original.total
    again = month_allocations(org, build_ledger(org, fresh.facts_for_month(MONTH), []))[MONTH]
    assert _cuts(again) == _cuts(original)
    assert again.total == original.total and again.billed_total == original.billed_total
    # Categories come back too (human_review, which FOCUS has no word for, would come back as "other").
    assert _nonzero(again.by_category) == _nonzero(original.by_category)


def test_focus_export_needs_a_month_and_an_admin_or_sheet_token(api, tokens):
    assert api.http.get("/v1/exports/focus?month=2026-13", headers=bearer(tokens["admin"])).status_code == 400
    assert api.http.get("/v1/exports/focus", headers=bearer(tokens["admin"])).status_code == 400
    assert (
        api.http.get(f"/v1/exports/focus?month={MONTH}", headers=bearer(tokens["teams"]["claims"])).status_code == 403
    )
    assert (
        api.http.get(f"/v1/exports/unit-costs?month={MONTH}", headers=bearer(tokens["teams"]["claims"])).status_code
        == 403
    )
    assert api.http.get(f"/v1/exports/focus?month={MONTH}").status_code == 401
    response = api.http.get("/v1/exports/focus?month=2020-01", headers=bearer(tokens["admin"]))
    assert response.status_code == 200
    body = response.body.decode() if isinstance(response.body, bytes) else response.body
    assert body.count("\r\n") == 1  # the header alone


def test_an_export_too_large_for_a_lambda_response_is_a_413_naming_the_cli(api, tokens, monkeypatch):
    from chalicelib import exports

    monkeypatch.setattr(exports, "MAX_RESPONSE_BYTES", 100)
    response = api.http.get(f"/v1/exports/focus?month={MONTH}", headers=bearer(tokens["admin"]))
    assert response.status_code == 413
    error = json.loads(response.body)["error"]
    assert error["status"] == 413 and "cli export focus --month 2026-11" in error["message"]
    assert "?team=" in error["message"]


def test_one_teams_rows_total_its_by_team_figure(api, tokens):
    org = tricky_org(empty_rule=False)
    s = _seed(org)
    allocation = month_allocations(org, build_ledger(org, s.ledger.facts_for_month(MONTH), []))[MONTH]
    for team in ("claims", "unallocated"):
        response = api.http.get(f"/v1/exports/focus?month={MONTH}&team={team}", headers=bearer(tokens["admin"]))
        body = response.body.decode() if isinstance(response.body, bytes) else response.body
        records = list(csv.DictReader(io.StringIO(body)))
        assert records and all(json.loads(r["Tags"])["team"] == team for r in records)
        assert sum(D(r["EffectiveCost"]) for r in records) == allocation.by_team[team]


def test_cli_export_focus_writes_the_file(demo_org, tmp_path, capsys):
    from chalicelib import cli

    _seed(tricky_org(empty_rule=False))
    out = tmp_path / "focus.csv"
    assert cli.main(["export", "focus", "--month", MONTH, "--output", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("BilledCost,") and "claims-processing" in text
    assert cli.main(["export", "focus", "--month", "11-2026"]) == 2


def _unit_org():
    from chalicelib.domain.terms import UseCaseTerms

    org = Organisation(
        teams=(Team("claims", "Claims"),),
        use_cases=(
            UseCase(
                "claims-processing",
                "claims",
                "Claims processor",
                "claim processed",
                "c@example.com",
                target_cpu=D("5.00"),
            ),
            UseCase("quiet", "claims", "Quiet", "thing", "q@example.com"),
        ),
    )
    history = {
        "claims-processing": (
            UseCaseTerms(date(2026, 1, 1), target_cpu=D("4.00")),
            UseCaseTerms(date(2026, 11, 16), target_cpu=D("5.00")),
        )
    }
    return replace(org, terms_history=history)


def _unit_data():
    facts, units = [], []
    day = date(2026, 10, 26)
    while day <= date(2026, 12, 6):
        facts.append(
            fact(
                day,
                "110.00" if day < date(2026, 11, 16) else "90.00",
                team="claims",
                use_case="claims-processing",
                source="csv",
            )
        )
        units.append(DailyUnits("claims-processing", day, 20, 20))
        day += timedelta(days=1)
    return facts, units


def test_unit_costs_csv_per_week_and_month_with_the_target_then_and_colour():
    from chalicelib.exports import unit_costs_csv

    facts, units = _unit_data()
    text = unit_costs_csv(_unit_org(), facts, units, MONTH, date(2026, 12, 10))
    rows = list(csv.DictReader(io.StringIO(text)))
    weeks = {r["label"]: r for r in rows if r["period"] == "week"}
    assert sorted(weeks) == ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    w45 = weeks["2026-W45"]
    assert (w45["cost"], w45["units"], w45["cost_per_unit"], w45["target_cpu"]) == ("770.00", "140", "5.5", "4.00")
    assert w45["overrun"] == "0.3750" and w45["colour"] == "red"  # 37.5 % over in it and in the week before
    assert weeks["2026-W44"]["colour"] == "yellow"  # no week before it to make it red
    w47 = weeks["2026-W47"]  # the target changed on Monday 16 November: 5.00 from then
    assert (w47["cost_per_unit"], w47["target_cpu"], w47["colour"]) == ("4.5", "5.00", "green")
    (month,) = [r for r in rows if r["period"] == "month"]
    assert month["label"] == MONTH and month["units"] == "600" and month["target_cpu"] == "5.00"
    assert month["cost"] == str(D("110.00") * 15 + D("90.00") * 15)
    assert month["colour"] in ("green", "yellow", "red", "critical")
    assert not any(r["use_case"] == "quiet" for r in rows)


def test_unit_costs_route_and_cli(api, tokens, capsys):
    from chalicelib import cli, stores

    s = stores.stores()
    facts, units = _unit_data()
    s.ledger.replace_days("csv", sorted({f.day for f in facts}), facts)
    response = api.http.get(f"/v1/exports/unit-costs?month={MONTH}", headers=bearer(tokens["admin"]))
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    body = response.body.decode() if isinstance(response.body, bytes) else response.body
    assert body.startswith("use_case,name,team,unit_of_work,period,label,")
    assert ",month,2026-11," in body  # no work items stored: cost with zero units, no cost per unit
    assert cli.main(["export", "unit-costs", "--month", MONTH, "--today", "2026-12-10"]) == 0
    assert "claims-processing" in capsys.readouterr().out
