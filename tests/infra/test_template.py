"""The packaged template of each stage (what `make package` builds, without the zip): lint-clean, every
resource named from the variable the Lambdas read, and each resource as the issue asks (on-demand tables
with point-in-time recovery, encryption and deletion protection, a private versioned bucket, a queue with a
dead-letter queue, secrets as empty placeholders, logs with retention, alarms), Lambdas sized as configured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
sys.path.insert(0, str(INFRA))
import merge_template  # noqa: E402

from tests.infra.iam import FUNCTIONS  # noqa: E402  (the template's functions: logical id -> handler)

CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
STAGES = tuple(CONFIG["stages"])
PIPELINE = ("Hourly", "Daily", "Weekly", "Monthly", "RequestedRuns")


def of_type(template: dict, kind: str) -> dict:
    return {k: r for k, r in template["Resources"].items() if r.get("Type") == kind}


def test_both_stages_lint_clean(templates, tmp_path):
    paths = []
    for stage, template in templates.items():
        path = tmp_path / f"{stage}.json"
        path.write_text(json.dumps(template))
        paths.append(str(path))
    out = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), *paths], capture_output=True, text=True)
    assert (out.returncode, out.stdout) == (0, ""), out.stdout + out.stderr


@pytest.mark.parametrize("stage", STAGES)
def test_each_resource_is_named_by_the_variable_its_lambdas_read(templates, stage):
    template = templates[stage]
    environment = merge_template.stage_environment(stage)
    named = {k: r for k, r in template["Resources"].items() if "NameFrom" in r.get("Metadata", {})}
    assert {r["Metadata"]["NameFrom"] for r in named.values()} == {
        "CONFIG_TABLE",
        "WORK_ITEMS_TABLE",
        "UNIT_COUNTS_TABLE",
        "COST_FACTS_TABLE",
        "RUNS_QUEUE",
        "GOOGLE_SERVICE_ACCOUNT_SECRET",
        "OPENAI_ADMIN_KEY_SECRET",
        "ANTHROPIC_ADMIN_KEY_SECRET",
    }
    for resource in named.values():
        name = resource["Properties"][merge_template.NAME_PROPERTY[resource["Type"]]]
        assert name == environment[resource["Metadata"]["NameFrom"]] + resource["Metadata"].get("NameSuffix", "")
        for function in FUNCTIONS:
            variables = template["Resources"][function]["Properties"]["Environment"]["Variables"]
            assert variables[resource["Metadata"]["NameFrom"]] == environment[resource["Metadata"]["NameFrom"]]
    # the consumer reads the queue the API sends to (Chalice names it in the event source from RUNS_QUEUE)
    event = template["Resources"]["RequestedRuns"]["Properties"]["Events"]["RequestedRunsSqsEventSource"]
    assert event["Properties"]["Queue"]["Fn::Sub"].endswith(":" + environment["RUNS_QUEUE"])
    assert event["Properties"]["BatchSize"] == 1
    assert "RunsQueue" in template["Resources"]["RequestedRuns"]["DependsOn"]
    # what CloudFormation decides is handed to the pipeline, not written anywhere else
    for function in PIPELINE:
        variables = template["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert variables["REPORTS_BUCKET"] == {"Ref": "ReportsBucket"}
        assert variables["SES_CONFIGURATION_SET"] == {"Ref": "EmailConfigurationSet"}
        assert variables["SHEET_ID"] == {"Ref": "SheetId"}


def test_the_stages_share_no_name_so_both_fit_one_account(templates):
    def names(template):
        return {
            json.dumps(r["Properties"][p])
            for r in template["Resources"].values()
            for p in ("TableName", "QueueName", "Name", "BucketName", "LogGroupName")
            if p in r["Properties"] and "Ref" not in r["Properties"][p]
        }

    dev, prod = names(templates["dev"]), names(templates["prod"])
    # bucket, log groups and the SES configuration set are named after the stack (one stack per stage)
    assert dev & prod <= {
        json.dumps(n)
        for n in (
            {"Fn::Sub": "${AWS::StackName}-reports-${AWS::AccountId}"},
            {"Fn::Sub": "/aws/lambda/${AWS::StackName}-api"},
            {"Fn::Sub": "/aws/lambda/${AWS::StackName}-pipeline"},
            {"Fn::Sub": "${AWS::StackName}-email"},
            {"Fn::Sub": "${AWS::StackName}-api"},
        )
    }


def test_the_local_stack_and_tests_create_the_dev_tables():
    from local.tables import table_definitions

    dev = merge_template.merged_template("dev")
    assert [p["TableName"] for p in table_definitions()] == [
        r["Properties"]["TableName"] for r in of_type(dev, "AWS::DynamoDB::Table").values()
    ]
    assert merge_template.merged_template()["Resources"] == dev["Resources"]  # dev: the names in the files


def test_tables_on_demand_recoverable_encrypted_protected_and_kept(templates):
    for template in templates.values():
        tables = of_type(template, "AWS::DynamoDB::Table")
        assert len(tables) == 4
        for logical_id, table in tables.items():
            props = table["Properties"]
            assert props["BillingMode"] == "PAY_PER_REQUEST", logical_id
            assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
            assert props["SSESpecification"] == {"SSEEnabled": True}
            assert props["DeletionProtectionEnabled"] is True
            assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
        # run records, locks and alert history expire (chalicelib/storage/run_store.py, alert_store.py)
        assert tables["ConfigTable"]["Properties"]["TimeToLiveSpecification"] == {
            "AttributeName": "expires_at",
            "Enabled": True,
        }


def test_bucket_private_encrypted_versioned_tls_only_and_kept(templates):
    template = templates["prod"]
    bucket = template["Resources"]["ReportsBucket"]
    props = bucket["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values()) and len(props["PublicAccessBlockConfiguration"]) == 4
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["DeletionPolicy"] == "Retain"
    policy = template["Resources"]["ReportsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert policy[0]["Effect"] == "Deny" and policy[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_runs_queue_has_a_dead_letter_queue_and_outlasts_the_consumer(templates):
    resources = templates["prod"]["Resources"]
    queue = resources["RunsQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["RunsDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 3,
    }
    assert queue["SqsManagedSseEnabled"] and resources["RunsDeadLetterQueue"]["Properties"]["SqsManagedSseEnabled"]
    # Lambda refuses an SQS source whose visibility timeout is below the function's; AWS advises 6x
    assert queue["VisibilityTimeout"] >= 6 * resources["RequestedRuns"]["Properties"]["Timeout"]


def test_secrets_are_empty_placeholders_the_stack_never_writes(templates):
    secrets = of_type(templates["prod"], "AWS::SecretsManager::Secret")
    assert len(secrets) == 3
    for secret in secrets.values():
        assert not {"SecretString", "GenerateSecretString"} & set(secret["Properties"])


def test_lambdas_sized_as_configured_with_their_own_logs(templates):
    from chalicelib.services.pipeline import LEASE_SECONDS

    resources = templates["prod"]["Resources"]
    for logical_id, name in FUNCTIONS.items():
        props = resources[logical_id]["Properties"]
        config = CONFIG["lambda_functions"][name]
        assert (props["Timeout"], props["MemorySize"]) == (config["lambda_timeout"], config["lambda_memory_size"])
        assert props["Runtime"] == "python3.11" and props["Architectures"] == ["x86_64"]
        group = props["LoggingConfig"]["LogGroup"]["Ref"]
        assert resources[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert resources["APIHandler"]["Properties"]["Timeout"] <= 29  # API Gateway gives up at 29 s
    for logical_id in PIPELINE:  # a run's lock lease outlives the Lambda that holds it
        assert resources[logical_id]["Properties"]["Timeout"] <= LEASE_SECONDS


def test_the_four_schedules(templates):
    import app as app_module  # noqa: F401 - the schedules the app declares

    resources = templates["prod"]["Resources"]
    schedules = {
        k: resources[k]["Properties"]["Events"][f"{k}Event"]["Properties"]["Schedule"]
        for k in ("Hourly", "Daily", "Weekly", "Monthly")
    }
    assert schedules == {
        "Hourly": "cron(5 * * * ? *)",
        "Daily": "cron(35 2 * * ? *)",
        "Weekly": "cron(35 5 ? * MON *)",
        "Monthly": "cron(35 3 1 * ? *)",
    }


def test_alarms_on_pipeline_failures_dead_letters_and_api_5xx(templates):
    resources = templates["prod"]["Resources"]
    pipeline = resources["PipelineFailuresAlarm"]["Properties"]
    watched = {
        m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
        for m in pipeline["Metrics"]
        if "MetricStat" in m and m["MetricStat"]["Metric"]["MetricName"] == "Errors"
    }
    assert watched == set(PIPELINE)
    assert any(
        m.get("MetricStat", {}).get("Metric", {}).get("MetricName") == "PipelineErrors" for m in pipeline["Metrics"]
    )
    assert resources["PipelineErrorLines"]["Properties"]["LogGroupName"] == {"Ref": "PipelineLogGroup"}
    dlq = resources["RunsDeadLetterAlarm"]["Properties"]
    assert dlq["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["RunsDeadLetterQueue", "QueueName"]}
    api = resources["Api5xxAlarm"]["Properties"]
    assert {d["Name"]: d["Value"] for d in api["Dimensions"]} == {
        "ApiName": resources["RestAPI"]["Properties"]["Name"],
        "Stage": resources["RestAPI"]["Properties"]["StageName"],
    }
    for alarm in ("PipelineFailuresAlarm", "RunsDeadLetterAlarm", "Api5xxAlarm"):
        assert resources[alarm]["Properties"]["AlarmActions"] == [{"Ref": "AlarmsTopic"}]


def test_a_stage_without_the_variable_a_name_comes_from_is_refused():
    template = {
        "Resources": {
            "T": {"Type": "AWS::DynamoDB::Table", "Metadata": {"NameFrom": "NOPE"}, "Properties": {"TableName": "x"}}
        }
    }
    with pytest.raises(ValueError, match="NOPE"):
        merge_template.name_resources(template, {})


def test_the_operators_shell_finds_the_stage(tmp_path):
    out = subprocess.run(
        [sys.executable, str(INFRA / "merge_template.py"), "--stage", "prod", "--exports"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "export CONFIG_TABLE=finops-prod-config\n" in out
    assert "export GOOGLE_SERVICE_ACCOUNT_SECRET=finops/prod/google-service-account\n" in out
