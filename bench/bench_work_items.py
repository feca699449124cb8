"""Work-item API: DynamoDB requests per 1,000 items, throughput through `chalice local`, cold start.

Goals (issue 2): requests per 1,000 items posted as 2 x 500 <= 1.5 x the floor of 40 BatchWriteItem
calls; importing `app` <= 1.2 x importing boto3 + chalice + aws_lambda_powertools.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from bench.goals import figure  # noqa: E402

FLOOR_BATCH_WRITES = 40  # 1,000 items / 25 per BatchWriteItem


def items(n: int, prefix: str) -> list:
    base = datetime.now(timezone.utc) - timedelta(hours=2)
    use_cases = ["claims-processing"]
    return [
        {
            "work_item_id": f"{prefix}-{i}",
            "use_case": use_cases[i % len(use_cases)],
            "completed_at": (base + timedelta(seconds=i)).isoformat(),
            "status": "success",
            "human_review_minutes": 2,
        }
        for i in range(n)
    ]


def dynamodb_requests_per_thousand() -> Counter:
    from chalice.test import Client
    from moto import mock_aws

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    with mock_aws():
        import boto3

        import app as app_module
        from chalicelib import bootstrap, runtime, stores
        from local.demo_org import demo_organisation
        from local.tables import create_tables

        create_tables(boto3.client("dynamodb"))
        bootstrap.install(bootstrap.Backend.from_env())  # a world of its own, on this moto
        stores.stores().organisation.save(demo_organisation())
        token = stores.stores().tokens.create("team", "claims", datetime.now(timezone.utc))[0]
        calls: Counter = Counter()
        runtime.dynamodb().meta.client.meta.events.register(
            "before-call.dynamodb", lambda model, **_: calls.update([model.name])
        )
        with Client(app_module.app) as client:
            for batch in range(2):
                body = json.dumps({"items": items(500, f"b{batch}")})
                response = client.http.post(
                    "/v1/work-items",
                    body=body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                )
                assert json.loads(response.body)["accepted"] == 500, response.body
        return calls


def throughput_through_chalice_local(rounds: int = 6) -> tuple[float, float]:
    import tempfile

    import requests

    from local.stack import LocalStack

    with tempfile.TemporaryDirectory() as tmp, LocalStack(workbook=Path(tmp) / "bench.xlsx") as stack:
        headers = {"Authorization": "Bearer " + stack.tokens["teams"]["claims"]}
        # A new connection per request: chalice local's keep-alive answers stall ~40 ms on
        # delayed ACKs, which would measure TCP, not the app.
        session = requests
        session.get(stack.api_url + "/v1/health").raise_for_status()
        started = time.perf_counter()
        for r in range(rounds):
            answer = session.post(
                stack.api_url + "/v1/work-items", json={"items": items(500, f"t{r}")}, headers=headers, timeout=120
            ).json()
            assert answer["accepted"] == 500, answer
        items_per_second = rounds * 500 / (time.perf_counter() - started)
        started = time.perf_counter()
        noop = 200
        for _ in range(noop):
            session.get(stack.api_url + "/v1/health").raise_for_status()
        noop_per_second = noop / (time.perf_counter() - started)
    return items_per_second, noop_per_second


def import_seconds(statement: str, runs: int = 9) -> float:
    code = f"import time; t=time.perf_counter(); {statement}; print(time.perf_counter()-t)"
    samples = [float(subprocess.check_output([sys.executable, "-c", code], cwd=ROOT, text=True)) for _ in range(runs)]
    return statistics.median(samples)


def main() -> None:
    calls = dynamodb_requests_per_thousand()
    total = sum(calls.values())
    print(f"DynamoDB requests per 1,000 items (2 x 500): {total}  {dict(sorted(calls.items()))}")
    print(f"  floor {FLOOR_BATCH_WRITES} BatchWriteItem; ratio {total / FLOOR_BATCH_WRITES:.2f} (goal <= 1.50)")
    figure(
        "DynamoDB requests per 1,000 work items posted as 2 x 500, reads included",
        f"{total}: {total / FLOOR_BATCH_WRITES:.2f} x the floor",
        f"<= 1.5 x the floor of {FLOOR_BATCH_WRITES}",
        total / FLOOR_BATCH_WRITES <= 1.5,
    )

    items_s, noop_s = throughput_through_chalice_local()
    print(
        f"chalice local: {items_s:,.0f} work items/s in 500-item posts; no-op route {noop_s:,.0f} requests/s; "
        f"items stored per no-op request time: {items_s / noop_s:.2f}"
    )
    figure(
        "work items stored through chalice local in the time of one no-op request",
        f"{items_s / noop_s:.2f} ({items_s:,.0f} items/s; no-op {noop_s:,.0f} requests/s)",
        "a ratio",
        None,
    )

    baseline = import_seconds("import boto3, chalice, aws_lambda_powertools")
    ours = import_seconds("import app")
    print(
        f"cold start imports: boto3+chalice+powertools {baseline * 1000:.0f} ms; app {ours * 1000:.0f} ms; "
        f"ratio {ours / baseline:.2f} (goal <= 1.20)"
    )
    figure(
        "cold start: import app vs import boto3, chalice, aws_lambda_powertools",
        f"{ours * 1000:.0f} ms vs {baseline * 1000:.0f} ms: {ours / baseline:.2f} x",
        "<= 1.2 x",
        ours / baseline <= 1.2,
    )
    heavy = subprocess.check_output(
        [
            sys.executable,
            "-c",
            "import sys, app; print(sorted(m for m in "
            "('gspread','google.auth','requests','moto','openpyxl') if m in sys.modules))",
        ],
        cwd=ROOT,
        text=True,
    ).strip()
    print(f"heavy libraries imported by `import app`: {heavy}")
    figure(
        "heavy libraries imported by import app (gspread, google.auth, requests, moto, openpyxl)",
        heavy,
        "none: []",
        heavy == "[]",
    )


if __name__ == "__main__":
    main()
