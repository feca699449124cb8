"""How much memory and time each Lambda needs: the sizes in .chalice/config.json come from this.

Each Lambda's work runs in a fresh process of its own (as in Lambda), against moto's server and the
Sheets emulator in other processes, so the peak resident memory (ru_maxrss) measured is the Lambda's:
- API: `import app`, then through the handler two 500-item posts, a guardrail check, the month's summary
  and both exports for the demo organisation with the posted items;
- pipeline: for 200 use cases (a month of facts and counters; bench/bench_hourly_run.py's data, the billing
  source answering with the stored facts): the first hourly run (it also closes the twelve empty months
  before the data), a steady hourly run, and the month close. (bench/bench_hourly_run.py times 1,000 use
  cases in-process.)
Times are moto's server's over HTTP (slower than DynamoDB for the month's queries): an upper bound.

Goals: the API's peak under half of its memory size and its slowest request well inside API Gateway's
29 s; the pipeline's peak under half of its memory size and its slowest run well inside its time-out
(which is also the lease of a run's lock).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.goals import figure  # noqa: E402

CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())["lambda_functions"]
NOW = datetime(2026, 11, 23, 14, 5, tzinfo=timezone.utc)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _env(moto_url: str) -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=moto_url,
        POWERTOOLS_LOG_LEVEL="WARNING",
        POWERTOOLS_METRICS_DISABLED="true",
        SHEETS_BACKOFF_CAP_SECONDS="0.05",
        AWS_READ_TIMEOUT="120",
    )  # moto's server answers a month's queries slower than DynamoDB
    os.environ.pop("ALERT_SENDER", None)


def api_part(moto_url: str) -> dict:
    _env(moto_url)
    import app as app_module

    after_import = peak_mb()
    import boto3
    from chalice.test import Client

    from chalicelib import stores
    from local.demo_org import demo_organisation
    from local.tables import create_tables

    create_tables(boto3.client("dynamodb"))
    stores.stores().organisation.save(demo_organisation())
    token = stores.stores().tokens.create("team", "claims", datetime.now(timezone.utc))[0]
    admin = stores.stores().tokens.create("admin", "", datetime.now(timezone.utc))[0]
    month = datetime.now(timezone.utc).strftime("%Y-%m")
    slowest = 0.0
    with Client(app_module.app, project_dir=str(ROOT)) as client:
        requests = []
        base = datetime.now(timezone.utc) - timedelta(hours=6)
        for batch in range(2):
            items = [
                {
                    "work_item_id": f"b{batch}-{i}",
                    "use_case": "claims-processing",
                    "completed_at": (base + timedelta(seconds=i)).isoformat(),
                    "status": "success",
                    "human_review_minutes": 2,
                    "attributes": {"model": "claude", "tokens": 1234},
                }
                for i in range(500)
            ]
            requests.append(("post", "/v1/work-items", token, json.dumps({"items": items})))
        requests += [
            ("get", "/v1/use-cases/claims-processing/guardrail", token, None),
            ("get", f"/v1/summary?month={month}", admin, None),
            ("get", f"/v1/exports/focus?month={month}", admin, None),
            ("get", f"/v1/exports/unit-costs?month={month}", admin, None),
        ]
        for method, path, who, body in requests:
            headers = {"Authorization": f"Bearer {who}", **({"Content-Type": "application/json"} if body else {})}
            started = time.perf_counter()
            response = getattr(client.http, method)(path, headers=headers, **({"body": body} if body else {}))
            slowest = max(slowest, time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code, response.body[:300])
    return {"after_import_mb": after_import, "peak_mb": peak_mb(), "slowest_s": slowest}


def pipeline_part(moto_url: str, sheets_url: str, use_cases: int) -> dict:
    _env(moto_url)
    import dataclasses
    import importlib.util

    import boto3
    from sheets_emulator import DEFAULT_SPREADSHEET_ID

    import app  # noqa: F401
    from chalicelib import bootstrap, sheet_sync, stores
    from chalicelib.billing import BillingSource
    from chalicelib.services import pipeline
    from local.fake_service_account import service_account_info
    from local.tables import create_tables
    from tests.sheet.data import _put_facts, _put_units, big_organisation

    spec = importlib.util.spec_from_file_location("bench_hourly_run", ROOT / "bench" / "bench_hourly_run.py")
    hourly_bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hourly_bench)
    os.environ.update(AWS_ENDPOINT_URL=moto_url, SHEETS_ENDPOINT_URL=sheets_url, SHEET_ID=DEFAULT_SPREADSHEET_ID)
    create_tables(boto3.client("dynamodb"))
    secret = f"finops/bench-{use_cases}"
    os.environ["GOOGLE_SERVICE_ACCOUNT_SECRET"] = secret
    boto3.client("secretsmanager").create_secret(Name=secret, SecretString=json.dumps(service_account_info(sheets_url)))
    org = big_organisation(use_cases)
    stores.stores().organisation.save(org)
    facts, units = hourly_bench._facts_and_units(org, NOW.date().replace(day=1), NOW.date(), 100_000)
    _put_facts(facts)
    _put_units(units)
    by_day: dict = {}
    for fact in facts:
        by_day.setdefault(fact.day, []).append(fact)

    def pull(start: date, end: date) -> list:
        return [x for d in range((end - start).days) for x in by_day.get(start + timedelta(days=d), [])]

    deps = dataclasses.replace(bootstrap.dependencies(), sources=lambda _org: [BillingSource("aws", pull)])
    report = sheet_sync.init()
    assert report.ok, report
    before = peak_mb()
    seconds = {}
    statuses = {}
    for label, kind, moment in (
        ("first hourly", "hourly", NOW - timedelta(hours=1)),
        ("hourly", "hourly", NOW),
        ("month close", "monthly", datetime(2026, 12, 1, 3, 35, tzinfo=timezone.utc)),
    ):
        started = time.perf_counter()
        record = pipeline.run(kind, deps, moment).record
        seconds[label] = time.perf_counter() - started
        statuses[label] = record.status if record.status == "ok" else f"{record.status}: {record.message[:160]}"
    return {
        "use_cases": use_cases,
        "before_runs_mb": before,
        "peak_mb": peak_mb(),
        "seconds": seconds,
        "statuses": statuses,
    }


def _part(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    if argv[:1] == ["--api"]:
        print(json.dumps(api_part(argv[1])))
        return 0
    if argv[:1] == ["--pipeline"]:
        print(json.dumps(pipeline_part(argv[1], argv[2], int(argv[3]))))
        return 0
    import tempfile

    from local.ports import free_port

    moto_port, sheets_port = free_port(), free_port()
    workbook = Path(tempfile.mkdtemp()) / "sizing.xlsx"
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "local.moto_server", "--port", str(moto_port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "sheets_emulator", "--port", str(sheets_port), "--xlsx", str(workbook)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        import requests

        moto_url, sheets_url = f"http://127.0.0.1:{moto_port}", f"http://127.0.0.1:{sheets_port}"
        for url in (moto_url + "/moto-api/", sheets_url + "/"):
            for _ in range(100):
                try:
                    requests.get(url, timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
        api = _part("--api", moto_url)
        requests.post(moto_url + "/moto-api/reset", timeout=10)
        pipes = []
        for n in (200,):
            pipes.append(_part("--pipeline", moto_url, sheets_url, str(n)))
            requests.post(moto_url + "/moto-api/reset", timeout=10)
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
    api_mb, pipe_mb = CONFIG["api_handler"]["lambda_memory_size"], CONFIG["hourly"]["lambda_memory_size"]
    api_timeout, pipe_timeout = CONFIG["api_handler"]["lambda_timeout"], CONFIG["hourly"]["lambda_timeout"]
    print(f"{'Lambda':<34} {'peak RSS':>9} {'configured':>10} {'slowest':>9} {'time-out':>8}")
    print(f"{'API (after import app)':<34} {api['after_import_mb']:>6.0f} MB")
    print(
        f"{'API (posts, summary, exports)':<34} {api['peak_mb']:>6.0f} MB {api_mb:>7} MB {api['slowest_s']:>7.2f} s "
        f"{api_timeout:>6} s"
    )
    for p in pipes:
        slowest = max(p["seconds"].values())
        print(
            f"{'pipeline, %d use cases' % p['use_cases']:<34} {p['peak_mb']:>6.0f} MB {pipe_mb:>7} MB "
            f"{slowest:>7.1f} s {pipe_timeout:>6} s  ("
            + ", ".join(f"{k} {v:.1f} s" for k, v in p["seconds"].items())
            + ")"
        )
        for label, status in p["statuses"].items():
            if status != "ok":
                print(f"  (the {label} run was {status})")
    goals = [
        (f"API peak {api['peak_mb']:.0f} MB <= half of {api_mb} MB", api["peak_mb"] <= api_mb / 2),
        (f"API slowest request {api['slowest_s']:.1f} s <= 10 s (API Gateway: 29 s)", api["slowest_s"] <= 10),
        *[
            (
                f"pipeline ({p['use_cases']} use cases) peak {p['peak_mb']:.0f} MB <= half of {pipe_mb} MB",
                p["peak_mb"] <= pipe_mb / 2,
            )
            for p in pipes
        ],
        *[
            (
                f"pipeline ({p['use_cases']} use cases) slowest run {max(p['seconds'].values()):.0f} s <= a third of "
                f"{pipe_timeout} s",
                max(p["seconds"].values()) <= pipe_timeout / 3,
            )
            for p in pipes
        ],
    ]
    print()
    for text, ok in goals:
        print(f"{'ok ' if ok else 'MISSED'} {text}")
    figure(
        "API Lambda peak memory (two 500-item posts, guardrail, summary, exports)",
        f"{api['peak_mb']:.0f} MB",
        f"<= half of the configured {api_mb} MB",
        api["peak_mb"] <= api_mb / 2,
    )
    figure(
        "API Lambda slowest request", f"{api['slowest_s']:.1f} s", "<= 10 s (API Gateway: 29 s)", api["slowest_s"] <= 10
    )
    for p in pipes:
        slowest = max(p["seconds"].values())
        figure(
            f"pipeline Lambda peak memory, {p['use_cases']} use cases",
            f"{p['peak_mb']:.0f} MB",
            f"<= half of the configured {pipe_mb} MB",
            p["peak_mb"] <= pipe_mb / 2,
        )
        figure(
            f"pipeline Lambda slowest run, {p['use_cases']} use cases",
            f"{slowest:.0f} s (" + ", ".join(f"{k} {v:.0f} s" for k, v in p["seconds"].items()) + ")",
            f"<= a third of the {pipe_timeout} s time-out",
            slowest <= pipe_timeout / 3,
        )
    return 0 if all(ok for _, ok in goals) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
