"""Every Lambda of the app run through its real handler, on moto, with every AWS request recorded.

`exercise(environment)` builds the pipeline tests' two-use-case world (tests/sheet/pipeline_world.py:
vendor emulators, the Sheets emulator, moto's DynamoDB, SQS, SES v2, S3 and Secrets Manager) with the
environment the stack gives the Lambdas, then drives, each invocation from a cold start:

- the schedules (`hourly`, `daily`, `weekly`, `monthly`): a September whose weekly runs first find SES
  refusing (the emails stay pending) and then send them, finance editing the sheet, a use case going
  critical, an hourly and a daily run, and the month close (pool credits, board report page in S3);
- the runs-queue consumer (`requested_runs`): the messages `POST /v1/runs` queued, as SQS hands them
  over: an hourly run while a vendor's key is refused (its source fails) and a sync;
- the API Lambda (`api_handler`): every route, through `chalice.test.Client`.

What the operator does by hand (minting tokens, `sheet init`, putting secrets) and what the agents post
happens outside any Lambda and is not recorded. Returns the recorded calls (tests/infra/aws_calls.py).
"""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import date, datetime, timezone
from decimal import Decimal as D
from pathlib import Path

from tests.infra.aws_calls import Recorder

ROOT = Path(__file__).resolve().parents[2]

COST_CSV = """date,source,category,team,use_case,amount,provider,service
2026-09-10,pinecone-invoice,vector_db,claims,drift,30.10,Pinecone,Serverless
"""


def exercise(environment: dict) -> list:
    """Run every Lambda with `environment` (what the stack gives the pipeline Lambdas, a superset of the
    API's; chalice.test.Client lays .chalice/config.json's dev stage over it, as Lambda would): the AWS
    resources it names are made in moto. Returns the calls recorded."""
    import tempfile

    import pytest
    from moto import mock_aws

    recorder = Recorder()
    with pytest.MonkeyPatch.context() as mp, mock_aws(), tempfile.TemporaryDirectory() as tmp:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            **environment,
        }.items():
            mp.setenv(key, value)
        for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "OUTBOX_EML_DIR"):
            mp.delenv(key, raising=False)
        try:
            _world(mp, Path(tmp), recorder)
        finally:
            recorder.uninstall()
    return recorder.calls


def _world(mp, tmp: Path, recorder: Recorder) -> None:
    import boto3
    from aws_lambda_powertools.utilities import parameters
    from chalice.test import Client
    from sheets_emulator import start_emulator

    import app as app_module
    from chalicelib import bootstrap, sheet_sync, stores
    from chalicelib.services import pipeline
    from local import demo_billing
    from local.fake_service_account import service_account_info
    from local.tables import create_tables
    from local.vendor_emulators import start_anthropic_emulator, start_openai_emulator
    from tests.sheet import pipeline_world as pw

    before = bootstrap.install(bootstrap.Backend.from_env())  # the operator's session, on this moto
    parameters.clear_caches()
    create_tables(boto3.client("dynamodb"))
    env = os.environ
    sheet = start_emulator(tmp / "sheet.xlsx", port=0, persist=False, spreadsheet_id=env["SHEET_ID"])
    box: dict = {}
    openai = start_openai_emulator(results_for_day=lambda day: box["world"].openai_rows(day))
    anthropic = start_anthropic_emulator(results_for_day=lambda day: box["world"].anthropic_rows(day))
    try:
        secrets = boto3.client("secretsmanager")  # what the operator puts (docs/DEPLOY.md)
        secrets.create_secret(
            Name=env["GOOGLE_SERVICE_ACCOUNT_SECRET"], SecretString=json.dumps(service_account_info(sheet.url))
        )
        secrets.create_secret(Name=env["OPENAI_ADMIN_KEY_SECRET"], SecretString=demo_billing.OPENAI_ADMIN_KEY)
        secrets.create_secret(Name=env["ANTHROPIC_ADMIN_KEY_SECRET"], SecretString=demo_billing.ANTHROPIC_ADMIN_KEY)
        sesv2 = boto3.client("sesv2")  # what the stack creates, and the operator verifies
        sesv2.create_email_identity(EmailIdentity=pw.SENDER_ADDRESS)
        assert env["ALERT_SENDER"] == pw.SENDER
        sesv2.create_configuration_set(ConfigurationSetName=env["SES_CONFIGURATION_SET"])
        boto3.client("sqs").create_queue(QueueName=env["RUNS_QUEUE"])
        boto3.client("s3").create_bucket(Bucket=env["REPORTS_BUCKET"])
        for key, value in {
            "SHEETS_ENDPOINT_URL": sheet.url,
            "SHEETS_BACKOFF_CAP_SECONDS": "0.01",
            "OPENAI_BASE_URL": openai.url,
            "ANTHROPIC_BASE_URL": anthropic.url,
            "VENDOR_HTTP_BACKOFF_FACTOR": "0",
            "VENDOR_HTTP_RETRIES": "1",
        }.items():
            mp.setenv(key, value)
        mp.setattr(pipeline, "HISTORY_MONTHS", 3)
        clock = pw.Clock()
        real = bootstrap.dependencies
        mp.setattr(bootstrap, "dependencies", lambda: dataclasses.replace(real(), wall=clock))

        # The operator: the organisation, tokens, `sheet init`.
        stores.stores().organisation.save(pw.organisation())
        created = datetime.now(timezone.utc)
        token_store = stores.stores().tokens
        tokens = {
            "teams": {t: token_store.create("team", t, created)[0] for t in ("claims", "support")},
            "admin": token_store.create("admin", "", created)[0],
            "sheet": token_store.create("sheet", "", created)[0],
        }
        assert sheet_sync.init().ok
        cold_start()  # a Lambda starts cold: nothing cached from the operator's session

        recorder.install()
        with Client(app_module.app, stage_name="dev", project_dir=str(ROOT)) as client:
            world = box["world"] = pw.World(
                sheet,
                openai,
                anthropic,
                client,
                clock,
                tokens,
                overrun={
                    date(2026, 8, 31): D("0.12"),
                    date(2026, 9, 7): D("0.25"),
                    date(2026, 9, 14): D("0.30"),
                    date(2026, 9, 21): D("0.60"),
                },
            )
            _schedules(world, recorder, tokens)
            cold_start()
            _api(client, tokens, recorder)
    finally:
        openai.stop()
        anthropic.stop()
        sheet.stop()
        bootstrap.install(before)
        parameters.clear_caches()


def cold_start() -> None:
    """What a new Lambda process starts without: cached clients, secrets, tokens, the organisation."""
    from aws_lambda_powertools.utilities import parameters

    from chalicelib import bootstrap

    bootstrap.install(bootstrap.Backend.from_env())  # a new process: its own clients, stores, tokens, sheet clients
    parameters.clear_caches()


def _invoke(world, recorder: Recorder, lambda_name: str, kind: str, moment, *, allowed=("ok",)):
    world.post_units(moment.date())  # the agents' counters: not a Lambda's doing
    cold_start()
    with recorder.lambda_(lambda_name):
        answer = world.invoke(kind, moment, post_units=False)
    record = world.record(answer["run_id"])
    assert record.status in allowed, (kind, record.status, record.message, record.steps)
    return record


def _schedules(world, recorder: Recorder, tokens: dict) -> None:
    import boto3

    from tests.sheet.pipeline_world import SENDER_ADDRESS, at

    ses = boto3.client("sesv2")
    ses.delete_email_identity(EmailIdentity=SENDER_ADDRESS)  # SES refuses: the emails stay pending
    record = _invoke(world, recorder, "weekly", "weekly", at("2026-09-07T05:35:00Z"), allowed=("partial",))
    assert record.emails_sent == 0
    ses.create_email_identity(EmailIdentity=SENDER_ADDRESS)
    world.set_use_case_cell("steady", "Owner email", "steady-owner-2@example.com")  # finance edits the sheet
    record = _invoke(world, recorder, "weekly", "weekly", at("2026-09-21T05:35:00Z"))  # sends the pending too
    assert record.emails_sent
    _requested_runs(world, recorder, tokens, [("hourly", "2026-09-23T10:05:00Z"), ("sync", "2026-09-23T10:35:00Z")])
    _invoke(world, recorder, "hourly", "hourly", at("2026-09-23T11:05:00Z"))
    _invoke(world, recorder, "daily", "daily", at("2026-09-24T02:35:00Z"))
    record = _invoke(world, recorder, "monthly", "monthly", at("2026-10-01T03:35:00Z"))
    assert record.emails_sent and any(s.name == "store board report" for s in record.steps)


def _api(client, tokens: dict, recorder: Recorder) -> None:
    def call(method, path, token=None, body=None, content_type="application/json"):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if body:
            headers["Content-Type"] = content_type
        with recorder.lambda_("api_handler"):
            response = getattr(client.http, method)(path, headers=headers, **({"body": body} if body else {}))
        assert response.status_code < 300, (path, response.status_code, response.body)
        kind = {k.lower(): v for k, v in response.headers.items()}.get("content-type", "")
        return response.body if kind.startswith("text/csv") else json.loads(response.body)

    team = tokens["teams"]["claims"]
    admin = tokens["admin"]
    call("get", "/v1/health")
    items = [
        {
            "work_item_id": f"claim-{n}",
            "use_case": "drift",
            "completed_at": "2026-10-01T09:00:00Z",
            "status": "success",
            "human_review_minutes": 2,
        }
        for n in range(3)
    ]
    assert call("post", "/v1/work-items", team, json.dumps({"items": items}))["accepted"] == 3
    call("get", "/v1/use-cases", team)
    call("get", "/v1/use-cases/drift/guardrail", team)
    call("get", "/v1/alerts?state=open", team)
    call("post", "/v1/cost-imports?feed=invoices", admin, COST_CSV, content_type="text/csv")
    call("post", "/v1/cost-imports?feed=invoices", admin, COST_CSV.replace("30.10", "31.10"), content_type="text/csv")
    call("get", "/v1/summary?month=2026-09", admin)
    call("get", "/v1/exports/focus?month=2026-09", tokens["sheet"])
    call("get", "/v1/exports/unit-costs?month=2026-09", admin)


def _requested_runs(world, recorder: Recorder, tokens: dict, runs: list) -> None:
    """`POST /v1/runs` (the API Lambda), then the message as Lambda's SQS event source hands it to the
    consumer. The message carries the simulated clock, as the local scheduler's do. The first run finds
    Anthropic refusing the admin key (its source fails; the rest of the run goes on)."""
    import boto3

    from chalicelib import stores
    from local import demo_billing
    from tests.sheet.pipeline_world import at

    client, sqs = world.client, boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=os.environ["RUNS_QUEUE"])["QueueUrl"]
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    secrets, anthropic_key = boto3.client("secretsmanager"), os.environ["ANTHROPIC_ADMIN_KEY_SECRET"]
    secrets.put_secret_value(SecretId=anthropic_key, SecretString="sk-ant-admin01-revoked")
    for n, (kind, moment) in enumerate(runs):
        cold_start()
        with recorder.lambda_("api_handler"):
            response = client.http.post(
                "/v1/runs", headers={**headers, "Content-Type": "application/json"}, body=json.dumps({"kind": kind})
            )
        assert response.status_code == 202, response.body
        run_id = json.loads(response.body)["run_id"]
        message = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"][0]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        body = {**json.loads(message["Body"]), "now": moment}
        world.post_units(at(moment).date())
        cold_start()
        with recorder.lambda_("requested_runs"):
            client.lambda_.invoke(
                "requested_runs",
                client.events.generate_sqs_event(
                    message_bodies=[json.dumps(body)], queue_name=os.environ["RUNS_QUEUE"]
                ),
            )
        with recorder.lambda_("api_handler"):
            assert client.http.get(f"/v1/runs/{run_id}", headers=headers).status_code == 200
        record = stores.stores().runs.get(run_id)
        assert record.status == ("partial" if n == 0 else "ok"), (record.status, record.message, record.steps)
        if n == 0:
            assert "anthropic" in record.message, record.message
            secrets.put_secret_value(SecretId=anthropic_key, SecretString=demo_billing.ANTHROPIC_ADMIN_KEY)
