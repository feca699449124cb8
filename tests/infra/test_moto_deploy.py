"""The dev template deployed into moto's server: its SAM transform expanded by aws-sam-translator (what
CloudFormation does with `Transform: AWS::Serverless-2016-10-31`), then `CreateStack`. The stack completes and
the tables, queues, bucket, roles (with their policies), functions, queue consumer and schedule rules exist.

Two things moto cannot do, so the test leaves them out or only names them:
- the API Gateway Deployment and Stage: moto's AWS::ApiGateway::RestApi ignores the OpenAPI body (Body), so
  the API has no methods and moto refuses to deploy it ("The REST API doesn't contain any methods"); the
  RestApi itself is created. (tests/test_gateway_responses.py checks the body Chalice generates.)
- resource types moto's CloudFormation skips ("No Moto CloudFormation support"): listed in UNSUPPORTED;
  and properties it ignores: a table's PointInTimeRecoverySpecification and TimeToLiveSpecification,
  SSESpecification (moto reads the API's `Enabled`, CloudFormation's is `SSEEnabled`), a bucket's
  VersioningConfiguration and PublicAccessBlockConfiguration. tests/infra/test_template.py checks those
  in the template instead.
"""

from __future__ import annotations

import ast
import io
import json
import zipfile

import pytest

UNSUPPORTED = {
    "AWS::SecretsManager::Secret",
    "AWS::CloudWatch::Alarm",
    "AWS::Logs::MetricFilter",
    "AWS::SES::ConfigurationSet",
    "AWS::SES::ConfigurationSetEventDestination",
    "AWS::S3::BucketPolicy",
}
pytestmark = [
    pytest.mark.e2e,  # each stage's template deployed on moto's CloudFormation: make check
    pytest.mark.filterwarnings("ignore:Tried to parse AWS:UserWarning"),  # moto names what it skips
]
PARAMETERS = {"SheetId": "1AbCdEfGhIjKlMnOpQrStUvWxYz", "AlertSenderAddress": "finops-alerts@example.com"}
STACK = "finops-dev"


def expanded(template: dict) -> dict:
    """The SAM template as CloudFormation's transform expands it, the code where CloudFormation finds it."""
    from samtranslator.translator.transform import transform

    template = json.loads(json.dumps(template))
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://finops-artifacts/deployment.zip"  # `aws cloudformation package`
    out = transform(template, {"AWS::Region": "us-east-1", "AWS::Partition": "aws", **PARAMETERS}, None)
    for logical_id in [
        k for k, r in out["Resources"].items() if r["Type"] in ("AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage")
    ]:
        del out["Resources"][logical_id]
    out["Outputs"].pop("EndpointURL")  # names the Stage
    return out


@pytest.fixture(scope="module")
def moto():
    from moto.server import ThreadedMotoServer

    from local.ports import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        import requests

        requests.post(f"http://127.0.0.1:{port}/moto-api/reset", timeout=10)
        server.stop()


@pytest.fixture(scope="module")
def deployed(templates, moto):
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    clients = {
        name: session.client(name, endpoint_url=moto)
        for name in ("cloudformation", "s3", "dynamodb", "sqs", "iam", "lambda", "events", "logs", "sns", "apigateway")
    }
    template = expanded(templates["dev"])
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("app.py", "app = None\n")
    clients["s3"].create_bucket(Bucket="finops-artifacts")
    clients["s3"].put_object(Bucket="finops-artifacts", Key="deployment.zip", Body=code.getvalue())
    cfn = clients["cloudformation"]
    cfn.create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()],
    )
    return clients, template


def test_the_stack_completes(deployed):
    clients, template = deployed
    stack = clients["cloudformation"].describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    skipped = {r["Type"] for r in template["Resources"].values() if "Condition" not in r} - _moto_supported()
    assert skipped == UNSUPPORTED, "moto's CloudFormation support changed: update UNSUPPORTED and this test"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["ConfigTableName"] == "finops-config" and outputs["RunsQueueName"] == "finops-runs"
    assert outputs["ReportsBucketName"] == f"{STACK}-reports-123456789012"


def _moto_supported() -> set:
    from moto.cloudformation.parsing import get_model_map

    return set(get_model_map()) | {"AWS::Lambda::Permission", "AWS::CloudFormation::WaitConditionHandle"}


def test_tables(deployed):
    clients, _ = deployed
    dynamodb = clients["dynamodb"]
    assert set(dynamodb.list_tables()["TableNames"]) == {
        "finops-config",
        "finops-work-items",
        "finops-unit-counts",
        "finops-cost-facts",
    }
    for name in dynamodb.list_tables()["TableNames"]:
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["DeletionProtectionEnabled"] is True
    assert [
        i["IndexName"]
        for i in dynamodb.describe_table(TableName="finops-cost-facts")["Table"]["GlobalSecondaryIndexes"]
    ] == ["by_month"]


def test_queue_with_its_dead_letter_queue(deployed):
    clients, _ = deployed
    sqs = clients["sqs"]
    url = sqs.get_queue_url(QueueName="finops-runs")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(
        QueueUrl=sqs.get_queue_url(QueueName="finops-runs-dlq")["QueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert json.loads(attributes["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}
    assert attributes["VisibilityTimeout"] == "5400"
    mappings = clients["lambda"].list_event_source_mappings()["EventSourceMappings"]
    consumer = [m for m in mappings if m["EventSourceArn"].endswith(":finops-runs")]
    assert len(consumer) == 1 and consumer[0]["BatchSize"] == 1
    assert "RequestedRuns" in consumer[0]["FunctionArn"]


def test_bucket_encrypted(deployed):
    s3 = deployed[0]["s3"]
    rule = s3.get_bucket_encryption(Bucket=f"{STACK}-reports-123456789012")["ServerSideEncryptionConfiguration"][
        "Rules"
    ][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_one_role_per_lambda_with_its_policy_and_the_functions_use_them(deployed):
    clients, template = deployed
    iam, lam = clients["iam"], clients["lambda"]
    roles = {r["RoleName"]: r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(STACK)}
    assert len(roles) == 6
    functions = {f["FunctionName"]: f for f in lam.list_functions()["Functions"]}
    assert len(functions) == 6
    for name, function in functions.items():
        role_name = function["Role"].rsplit("/", 1)[-1]
        assert role_name in roles, name
        policy_names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_names[0])["PolicyDocument"]
        if isinstance(document, str):  # moto keeps a CloudFormation role's policy as Python's repr of it
            document = ast.literal_eval(document) if document.startswith("{'") else json.loads(document)
        resources = json.dumps([s["Resource"] for s in document["Statement"]])
        assert "arn:aws:dynamodb:us-east-1:123456789012:table/finops-config" in resources  # resolved ARNs
        assert "Fn::" not in resources
        env = function["Environment"]["Variables"]
        assert env["CONFIG_TABLE"] == "finops-config"
        if "APIHandler" not in name:
            assert env["REPORTS_BUCKET"] == f"{STACK}-reports-123456789012"
            assert env["SHEET_ID"] == PARAMETERS["SheetId"]
            assert env["ALERT_SENDER"] == f"AI FinOps <{PARAMETERS['AlertSenderAddress']}>"
        assert (function["Timeout"], function["MemorySize"]) in ((29, 512), (900, 1769))


def test_schedule_rules(deployed):
    events = deployed[0]["events"]
    rules = {r["Name"]: r for r in events.list_rules()["Rules"]}
    assert sorted(r["ScheduleExpression"] for r in rules.values()) == sorted(
        ["cron(5 * * * ? *)", "cron(35 2 * * ? *)", "cron(35 5 ? * MON *)", "cron(35 3 1 * ? *)"]
    )
    for name in rules:
        targets = events.list_targets_by_rule(Rule=name)["Targets"]
        assert len(targets) == 1 and ":function:" in targets[0]["Arn"]


def test_log_groups_keep_90_days(deployed):
    logs = deployed[0]["logs"]
    groups = {
        g["logGroupName"]: g for g in logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{STACK}")["logGroups"]
    }
    assert set(groups) == {f"/aws/lambda/{STACK}-api", f"/aws/lambda/{STACK}-pipeline"}
    assert {g["retentionInDays"] for g in groups.values()} == {90}
