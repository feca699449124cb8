"""What the deployed system costs a month at 10k and 1M work items, from request counts measured here.

Measured (moto in-process, the real handlers, every AWS request metered by bench/aws_meter.py):
- the API Lambda posting work items (10,000 in 500-item posts; 200 single-item posts) and answering
  guardrail checks: DynamoDB read/write units and requests per post, seconds per invocation, log bytes,
  bytes stored per work item;
- the pipeline's scheduled runs (hourly, daily, weekly, monthly) for 200 use cases with the current month
  and two closed months of data (bench/bench_hourly_run.py's data; the billing source answers with the
  stored facts, the steady state): units, seconds, log bytes per run;
- the real connectors' AWS requests per run (tests/infra/lambda_world.py: every Lambda through its handler
  on moto with the vendor emulators): Cost Explorer requests and Secrets Manager reads per invocation.

Computed: a month = 730 hourly, 30.4 daily, 4.35 weekly and 1 monthly run; posts = work items / items per
post. Prices are us-east-1 list prices without free tiers (PRICES below: edit them for another region or
when AWS changes them). Seconds are this machine's with moto answering in-process (moto's own time
included), so Lambda time is an upper bound. Memory is what .chalice/config.json gives each Lambda.
Not counted: the Lambda platform's own log lines, KMS requests for the tables' AWS-managed key,
API Gateway data transfer, S3 (one board report page a month).
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import sys
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.update(
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",
    AWS_DEFAULT_REGION="us-east-1",
    SHEETS_BACKOFF_CAP_SECONDS="0.05",
    POWERTOOLS_METRICS_NAMESPACE="AIFinOps",
)
for _key in ("AWS_ENDPOINT_URL", "ALERT_SENDER", "AWS_PROFILE"):
    os.environ.pop(_key, None)

from aws_meter import Meter  # noqa: E402

from bench.goals import figure  # noqa: E402
from bench.sheet_world import sheet_world  # noqa: E402
from local.moto_server import copy_touched_items_only, track_instances_weakly  # noqa: E402

# moto in-process as the local stack's moto server runs it: a transaction copies the items it touches,
# not whole tables (else each post costs more than the one before), and discarded copies are freed.
track_instances_weakly()
copy_touched_items_only()

# us-east-1 list prices (USD), no free tier. Sources: the AWS pricing pages of each service.
PRICES = {
    "lambda_gb_second": D("0.0000166667"),  # x86_64
    "lambda_request": D("0.20") / 1_000_000,
    "api_gateway_request": D("3.50") / 1_000_000,  # REST API, first 333 million a month
    "dynamodb_wru": D("0.625") / 1_000_000,  # on-demand write request unit
    "dynamodb_rru": D("0.125") / 1_000_000,  # on-demand read request unit
    "dynamodb_gb_month": D("0.25"),  # table storage
    "dynamodb_pitr_gb_month": D("0.20"),  # continuous backups
    "cost_explorer_request": D("0.01"),
    "ses_email": D("0.10") / 1000,
    "secret_month": D("0.40"),
    "secrets_request": D("0.05") / 10_000,
    "alarm_metric_month": D("0.10"),  # a metric-math alarm is billed per metric it reads
    "logs_gb_ingested": D("0.50"),
}
RUNS_A_MONTH = {"hourly": D(730), "daily": D("30.42"), "weekly": D("4.35"), "monthly": D(1)}
ALARM_METRICS = 6 + 1 + 1  # pipeline failures (5 Lambdas' Errors + the error-lines metric), DLQ, API 5xx
SECRETS = 3
USE_CASES = 200
NOW = datetime(2026, 11, 23, 14, 5, tzinfo=timezone.utc)  # a Monday: the weekly run has a week to judge


def _memory_gb(function: str) -> D:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return D(config["lambda_functions"][function]["lambda_memory_size"]) / 1024


@contextmanager
def _log_bytes():
    """Bytes the app logs while the block runs: Powertools' JSON lines (formatted as its handler formats
    them) and the EMF metrics it prints."""
    import logging

    import app  # noqa: F401 - its logger configured as in the Lambda
    from chalicelib.observability import logger

    class Count(logging.Handler):
        bytes = 0

        def emit(self, record):
            Count.bytes += len(self.format(record).encode()) + 1

    counter = Count()
    counter.setFormatter(logger.registered_handler.formatter)
    logging.getLogger(logger.name).addHandler(counter)
    out = io.StringIO()
    real_stdout, sys.stdout = sys.stdout, out
    box = {}
    try:
        yield box
    finally:
        sys.stdout = real_stdout
        logging.getLogger(logger.name).removeHandler(counter)
        box["bytes"] = Count.bytes + len(out.getvalue().encode())


# --- the API: posting work items, checking guardrails --------------------------------------------------


def measure_api() -> dict:
    from chalice.test import Client
    from moto import mock_aws

    with mock_aws():
        import boto3
        from moto.dynamodb.models import dynamodb_backends

        import app as app_module
        from chalicelib import bootstrap, stores
        from local.demo_org import demo_organisation
        from local.tables import create_tables

        before = bootstrap.install(bootstrap.Backend.from_env())  # a world of its own, on this moto
        create_tables(boto3.client("dynamodb"))
        stores.stores().organisation.save(demo_organisation())
        token = stores.stores().tokens.create("team", "claims", datetime.now(timezone.utc))[0]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        base = datetime.now(timezone.utc) - timedelta(hours=6)

        def post(client, n: int, prefix: str):
            items = [
                {
                    "work_item_id": f"{prefix}-{i}",
                    "use_case": "claims-processing",
                    "completed_at": (base + timedelta(seconds=i)).isoformat(),
                    "status": "success",
                    "human_review_minutes": 2,
                }
                for i in range(n)
            ]
            response = client.http.post("/v1/work-items", body=json.dumps({"items": items}), headers=headers)
            assert json.loads(response.body)["accepted"] == n, response.body

        out = {}
        with Client(app_module.app, project_dir=str(ROOT)) as client:
            post(client, 500, "warm")  # the first request warms caches (token, organisation)
            for label, n, posts in (("500 per post", 500, 20), ("1 per post", 1, 200)):
                with Meter() as meter, _log_bytes() as logs:
                    started = time.perf_counter()
                    for p in range(posts):
                        post(client, n, f"{label[:3]}-{p}")
                    seconds = time.perf_counter() - started
                out[label] = {
                    "items_per_post": n,
                    "posts": posts,
                    "rru": meter.rru / posts,
                    "wru": meter.wru / posts,
                    "requests": meter.of("dynamodb") / posts,
                    "seconds": seconds / posts,
                    "log_bytes": logs["bytes"] / posts,
                }
            with Meter() as meter, _log_bytes() as logs:
                started = time.perf_counter()
                for _ in range(50):
                    r = client.http.get(
                        "/v1/use-cases/claims-processing/guardrail", headers={"Authorization": headers["Authorization"]}
                    )
                    assert r.status_code == 200, r.body
                seconds = time.perf_counter() - started
            out["guardrail check"] = {
                "rru": meter.rru / 50,
                "wru": meter.wru / 50,
                "requests": meter.of("dynamodb") / 50,
                "seconds": seconds / 50,
                "log_bytes": logs["bytes"] / 50,
            }
        backend = dynamodb_backends["123456789012"]["us-east-1"]
        stored = sum(
            item.size() + 100
            for name in ("finops-work-items", "finops-unit-counts")  # +100: DynamoDB's
            for item in backend.get_table(name).all_items()
        )  # per-item overhead, and the index's
        items = 500 + 20 * 500 + 200
        out["bytes_per_item"] = stored / items
        bootstrap.install(before)
    return out


# --- the pipeline's scheduled runs ---------------------------------------------------------------------


def _hourly_bench():
    spec = importlib.util.spec_from_file_location("bench_hourly_run", ROOT / "bench" / "bench_hourly_run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure_pipeline() -> dict:
    import dataclasses

    hourly_bench = _hourly_bench()
    with sheet_world(USE_CASES) as (org, emu):
        from chalice.test import Client

        import app as app_module
        from chalicelib import bootstrap, sheet_sync, stores
        from chalicelib.billing import BillingSource
        from chalicelib.domain.allocation import build_ledger
        from chalicelib.domain.periods import month_key
        from chalicelib.services import pipeline
        from chalicelib.storage.snapshot_store import SnapshotStore
        from tests.sheet.data import _put_facts, _put_units

        first = NOW.date().replace(day=1)
        facts, units = hourly_bench._facts_and_units(org, first, NOW.date(), 100_000)
        _put_facts(facts)
        _put_units(units)
        deps = bootstrap.dependencies()
        snapshots = SnapshotStore(deps.pool._resource, deps.pool._table_name)
        closed = first
        for _ in range(2):
            last = closed - timedelta(days=1)
            closed = last.replace(day=1)
            f, u = hourly_bench._facts_and_units(org, closed, last, 100_000)
            snapshots.save(month_key(closed), build_ledger(org, f, u), "2026-01-01T00:00:00+00:00")
        by_day: dict = {}
        for fact in facts:
            by_day.setdefault(fact.day, []).append(fact)

        def pull(start: date, end: date) -> list:
            return [x for d in range((end - start).days) for x in by_day.get(start + timedelta(days=d), [])]

        deps = dataclasses.replace(deps, sources=lambda _org: [BillingSource("aws", pull)])
        assert sheet_sync.init().ok
        assert pipeline.run("hourly", deps, NOW - timedelta(hours=1)).record.status == "ok"  # warm
        out = {}
        # the monthly run closes the month before NOW's: run it on the 1st, as its schedule does
        moments = {
            "hourly": NOW,
            "daily": NOW.replace(hour=2, minute=35),
            "weekly": NOW.replace(hour=5, minute=35),
            "monthly": datetime(2026, 12, 1, 3, 35, tzinfo=timezone.utc),
        }
        real = bootstrap.dependencies
        bootstrap.dependencies = lambda: dataclasses.replace(real(), sources=deps.sources)
        try:
            with Client(app_module.app, project_dir=str(ROOT)) as client:
                for kind, moment in moments.items():  # through the scheduled handlers, as EventBridge calls them
                    event = client.events.generate_cw_event(
                        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
                    )
                    event["time"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
                    with Meter() as meter, _log_bytes() as logs:
                        started = time.perf_counter()
                        answer = client.lambda_.invoke(kind, event).payload
                        seconds = time.perf_counter() - started
                    record = stores.stores().runs.get(answer["run_id"])
                    assert record.status == "ok", (kind, record.message, record.steps)
                    out[kind] = {
                        "rru": meter.rru,
                        "wru": meter.wru,
                        "requests": meter.of("dynamodb"),
                        "seconds": seconds,
                        "sheets": record.sheets_requests,
                        "log_bytes": logs["bytes"],
                    }
        finally:
            bootstrap.dependencies = real
        return out


def measure_connectors() -> dict:
    """Cost Explorer requests and secret reads per invocation of each pipeline Lambda, cold."""
    from collections import Counter

    sys.path.insert(0, str(ROOT / "infra"))
    import merge_template
    from sheets_emulator import DEFAULT_SPREADSHEET_ID

    from tests.infra.lambda_world import exercise
    from tests.sheet.pipeline_world import SENDER

    env = {
        **merge_template.stage_environment("dev"),
        "REPORTS_BUCKET": "finops-bench-reports",
        "SHEET_ID": DEFAULT_SPREADSHEET_ID,
        "ALERT_SENDER": SENDER,
        "SES_CONFIGURATION_SET": "finops-bench-email",
    }
    calls = exercise(env)
    invocations = Counter()
    per: dict = {}
    seen_runs: set = set()
    for call in calls:
        per.setdefault(call.lambda_name, Counter())[(call.service, call.operation)] += 1
        if call.service == "dynamodb" and call.operation == "PutItem" and call.site.endswith("RunStore.acquire"):
            invocations[call.lambda_name] += 1
            seen_runs.add(call.lambda_name)
    return {
        name: {
            "invocations": invocations[name],
            "ce": per[name][("ce", "GetCostAndUsage")] / invocations[name],
            "secrets": per[name][("secretsmanager", "GetSecretValue")] / invocations[name],
        }
        for name in seen_runs
    }


# --- a month ------------------------------------------------------------------------------------------


def money(x) -> str:
    return f"${D(x).quantize(D('0.01'), ROUND_HALF_UP):,}"


def monthly_cost(work_items: int, post: dict, api: dict, runs: dict, connectors: dict) -> dict:
    p = PRICES
    posts = D(work_items) / post["items_per_post"]
    api_gb = _memory_gb("api_handler")
    pipe_gb = _memory_gb("hourly")
    run_count = sum(RUNS_A_MONTH.values())
    lam = posts * (D(str(post["seconds"])) * api_gb * p["lambda_gb_second"] + p["lambda_request"])
    lam += sum(
        RUNS_A_MONTH[k] * (D(str(runs[k]["seconds"])) * pipe_gb * p["lambda_gb_second"] + p["lambda_request"])
        for k in RUNS_A_MONTH
    )
    gateway = posts * p["api_gateway_request"]
    rru = posts * D(str(post["rru"])) + sum(RUNS_A_MONTH[k] * D(str(runs[k]["rru"])) for k in RUNS_A_MONTH)
    wru = posts * D(str(post["wru"])) + sum(RUNS_A_MONTH[k] * D(str(runs[k]["wru"])) for k in RUNS_A_MONTH)
    gb = D(work_items) * D(str(api["bytes_per_item"])) / D(1024**3)
    dynamodb = (
        rru * p["dynamodb_rru"] + wru * p["dynamodb_wru"] + gb * (p["dynamodb_gb_month"] + p["dynamodb_pitr_gb_month"])
    )
    ce = sum(RUNS_A_MONTH[k] * D(str(connectors[k]["ce"])) for k in RUNS_A_MONTH) * p["cost_explorer_request"]
    emails = RUNS_A_MONTH["weekly"] + RUNS_A_MONTH["monthly"]  # the digest and the board report
    ses = emails * p["ses_email"]
    secrets = (
        SECRETS * p["secret_month"]
        + sum(RUNS_A_MONTH[k] * D(str(connectors[k]["secrets"])) for k in RUNS_A_MONTH) * p["secrets_request"]
    )
    log_bytes = posts * D(str(post["log_bytes"])) + sum(
        RUNS_A_MONTH[k] * D(str(runs[k]["log_bytes"])) for k in RUNS_A_MONTH
    )
    watch = ALARM_METRICS * p["alarm_metric_month"] + log_bytes / D(1024**3) * p["logs_gb_ingested"]
    lines = {
        "Lambda": lam,
        "API Gateway": gateway,
        "DynamoDB on-demand": dynamodb,
        "Cost Explorer API": ce,
        "SES": ses,
        "Secrets Manager": secrets,
        "CloudWatch (alarms, logs)": watch,
    }
    lines["total"] = sum(lines.values())
    lines["_detail"] = {"posts": posts, "rru": rru, "wru": wru, "gb": gb, "runs": run_count}
    return lines


PARTS = {"api": measure_api, "pipeline": measure_pipeline, "connectors": measure_connectors}


def measured(part: str) -> dict:
    """One measurement in a process of its own (a fresh interpreter, as each Lambda has)."""
    import subprocess

    out = subprocess.run([sys.executable, __file__, "--part", part], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"measuring {part} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    if sys.argv[1:2] == ["--part"]:
        with _log_bytes():
            result = PARTS[sys.argv[2]]()
        print(json.dumps(result))
        return 0
    started = time.perf_counter()
    api, runs, connectors = (measured(part) for part in PARTS)
    print("Measured per request (moto in-process, this machine):")
    print(f"{'':<26} {'DynamoDB req':>12} {'RRU':>8} {'WRU':>8} {'seconds':>8} {'log bytes':>9}")
    for label in ("500 per post", "1 per post", "guardrail check"):
        r = api[label]
        print(
            f"{'API, ' + label:<26} {r['requests']:>12.1f} {r['rru']:>8.1f} {r['wru']:>8.1f} {r['seconds']:>8.3f} "
            f"{r['log_bytes']:>9.0f}"
        )
    for kind, r in runs.items():
        print(
            f"{kind + f' run, {USE_CASES} use cases':<26} {r['requests']:>12} {r['rru']:>8.1f} {r['wru']:>8.1f} "
            f"{r['seconds']:>8.2f} {r['log_bytes']:>9.0f}"
        )
    print(f"stored per work item (item + its share of the day's counter): {api['bytes_per_item']:.0f} bytes")
    print(
        "per pipeline invocation (real connectors, cold): "
        + ", ".join(
            f"{k} {v['ce']:.0f} Cost Explorer + {v['secrets']:.0f} secret reads" for k, v in sorted(connectors.items())
        )
    )
    connectors = {k: connectors.get(k, connectors["hourly"]) for k in RUNS_A_MONTH}
    print(
        f"\nA month ({', '.join(f'{v} {k}' for k, v in RUNS_A_MONTH.items())} runs; {USE_CASES} use cases; "
        "us-east-1 list prices, no free tier):"
    )
    scenarios = [
        (10_000, "500 per post"),
        (10_000, "1 per post"),
        (1_000_000, "500 per post"),
        (1_000_000, "1 per post"),
    ]
    costs = [monthly_cost(n, api[label], api, runs, connectors) for n, label in scenarios]
    print(f"{'work items a month':<28}" + "".join(f"{n:>15,}" for n, _ in scenarios))
    print(f"{'items per post':<28}" + "".join(f"{label.split()[0]:>15}" for _, label in scenarios))
    for line in (
        "Lambda",
        "API Gateway",
        "DynamoDB on-demand",
        "Cost Explorer API",
        "SES",
        "Secrets Manager",
        "CloudWatch (alarms, logs)",
        "total",
    ):
        print(f"{line:<28}" + "".join(f"{money(c[line]):>15}" for c in costs))
    check = api["guardrail check"]
    per_thousand = (
        D(str(check["seconds"])) * _memory_gb("api_handler") * PRICES["lambda_gb_second"]
        + PRICES["lambda_request"]
        + PRICES["api_gateway_request"]
        + D(str(check["rru"])) * PRICES["dynamodb_rru"]
        + D(str(check["wru"])) * PRICES["dynamodb_wru"]
    ) * 1000
    print(
        f"\nEach million guardrail checks (GET /v1/use-cases/{{id}}/guardrail) add {money(per_thousand * 1000)}; "
        f"each 1,000 "
        f"alert emails add {money(1000 * PRICES['ses_email'])}. Work items stay stored: each month of 1M adds "
        f"{money(costs[2]['_detail']['gb'] * (PRICES['dynamodb_gb_month'] + PRICES['dynamodb_pitr_gb_month']))} "
        "a month of storage and backups."
    )
    for (n, label), c in zip(scenarios, costs, strict=False):
        figure(
            f"AWS cost a month, {USE_CASES} use cases, {n:,} work items, {label.split()[0]} per post",
            f"{money(c['total'])} (Cost Explorer {money(c['Cost Explorer API'])}, "
            f"DynamoDB {money(c['DynamoDB on-demand'])}, Lambda {money(c['Lambda'])})",
            "a figure",
            None,
        )
    figure("AWS cost of each million guardrail checks", money(per_thousand * 1000), "a figure", None)
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
