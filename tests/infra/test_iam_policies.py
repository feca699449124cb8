"""Least privilege, checked against what the code does: every AWS call each Lambda makes is allowed by that
Lambda's role, and no role allows anything its Lambdas never call.

The calls are recorded while every Lambda runs through its real handler on moto (tests/infra/lambda_world.py),
with the environment the dev stack gives it; the roles are the packaged dev template's, resolved as
CloudFormation would (tests/infra/iam.py). Every call written in the source (tests/infra/aws_calls.py's scan
of app.py and chalicelib/) must have been made by some Lambda in that run, or be declared below with who
makes it and what IAM must say about it.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from tests.infra.aws_calls import Authorization, authorizations, source_call_sites
from tests.infra.iam import decide

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
POLICY_OF = {name: spec["iam_policy_file"] for name, spec in CONFIG["lambda_functions"].items()}
PIPELINE = [f for f, p in POLICY_OF.items() if p == "policy-pipeline.json"]
NO_RESOURCE_LEVEL = {"ce:GetCostAndUsage"}  # Cost Explorer's GetCostAndUsage takes no resource ARN: "*" only

OPERATOR = "the operator's CLI with the operator's credentials; no Lambda runs it"
# (site, operation) written in the source but not made in the recorded run: who makes it, and the IAM
# requests it needs (role: "pipeline" for the schedules' role; None: no Lambda's role may allow them).
DECLARED = {
    ("chalicelib/storage/tokens.py:TokenStore.create", "PutItem"): (
        OPERATOR + " (`tokens create`)",
        None,
        [("dynamodb:PutItem", "ConfigTable", {"TOKEN"})],
    ),
    ("chalicelib/storage/tokens.py:TokenStore.revoke", "UpdateItem"): (
        OPERATOR + " (`tokens revoke`)",
        None,
        [("dynamodb:UpdateItem", "ConfigTable", {"TOKEN"})],
    ),
    ("chalicelib/storage/work_items.py:WorkItemStore.recount_day", "Query"): (
        OPERATOR + " (a repair tool reading every item of a day)",
        None,
        [("dynamodb:Query", "WorkItemsTable/index/by_day", set())],
    ),
    ("chalicelib/storage/run_store.py:RunStore.recent", "Query"): (
        "no Lambda calls it (tests and local tools list runs)",
        None,
        [],
    ),
    ("chalicelib/storage/outbox_store.py:OutboxStore.get", "GetItem"): (
        "no Lambda calls it (tests and local tools read one email)",
        None,
        [],
    ),
}


@pytest.fixture(scope="module")
def calls(dev_stack):
    from tests.infra.lambda_world import exercise

    return exercise(dev_stack.environment("hourly"))


def _hash_keys(stack) -> dict:
    return {
        r["Properties"]["TableName"]: next(
            k["AttributeName"] for k in r["Properties"]["KeySchema"] if k["KeyType"] == "HASH"
        )
        for r in stack.resources.values()
        if r["Type"] == "AWS::DynamoDB::Table"
    }


def _secret_arns(stack) -> dict:
    return {
        r["Properties"]["Name"]: stack.ref(k)
        for k, r in stack.resources.items()
        if r["Type"] == "AWS::SecretsManager::Secret"
    }


def _declared_auth(stack, action: str, target: str, keys: set) -> Authorization:
    table, _, index = target.partition("/index/")
    arn = stack.get_att(table, "Arn") + (f"/index/{index}" if index else "")
    return Authorization(action, (arn,), frozenset(keys))


def _runtime_auths(stack, function: str) -> list:
    """What Lambda itself does with the function's role: write its logs; poll its queue."""
    spec = stack.functions()[function]["Properties"]
    group = spec["LoggingConfig"]["LogGroup"]
    stream = f"arn:aws:logs:us-east-1:123456789012:log-group:{group}:log-stream:2026/12/01/[$LATEST]0123abcd"
    out = [Authorization("logs:CreateLogStream", (stream,)), Authorization("logs:PutLogEvents", (stream,))]
    for event in spec.get("Events", {}).values():
        if event["Type"] == "SQS":
            out += [
                Authorization(f"sqs:{a}", (event["Properties"]["Queue"],))
                for a in ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")
            ]
    return out


def _auths_by_function(stack, calls) -> dict:
    hash_keys, secrets = _hash_keys(stack), _secret_arns(stack)
    out = {f: _runtime_auths(stack, f) for f in POLICY_OF}
    for call in calls:
        out[call.lambda_name] += authorizations(call, hash_keys, secrets)
    for _, role, needs in DECLARED.values():
        for function in PIPELINE if role == "pipeline" else []:
            out[function] += [_declared_auth(stack, *need) for need in needs]
    return out


@pytest.mark.e2e  # every Lambda run against moto: make check
def test_every_lambda_ran_and_called_aws(calls):
    assert {c.lambda_name for c in calls} == set(POLICY_OF)


@pytest.mark.e2e  # every Lambda's calls on moto: make check
def test_every_call_each_lambda_makes_is_allowed_by_its_role(dev_stack, calls):
    refused = []
    for function, auths in _auths_by_function(dev_stack, calls).items():
        statements = dev_stack.statements(function)
        refused += sorted(
            {
                f"{function}: {a.action} on {' or '.join(a.resources)}"
                f"{' keys ' + ','.join(sorted(a.leading_keys)) if a.leading_keys else ''}"
                for a in auths
                if decide(statements, a) != "allow"
            }
        )
    assert not refused, (
        "refused by the Lambda's role (allow it in its .chalice/policy-*.json, as narrowly as "
        "the call needs):\n" + "\n".join(refused)
    )


@pytest.mark.e2e  # every Lambda's calls on moto: make check
def test_every_aws_call_in_the_source_was_made_by_a_lambda_or_is_declared(calls):
    written = source_call_sites()
    made = {(c.site, c.operation) for c in calls}
    assert {s for s in made if s[0]} <= written, "a call the scan of the source missed"
    unexplained = sorted(written - made - set(DECLARED))
    assert not unexplained, (
        "AWS calls no Lambda made in tests/infra/lambda_world.py: make them there, or "
        f"declare them in DECLARED: {unexplained}"
    )
    stale = sorted(set(DECLARED) - written)
    assert not stale, f"declared calls no longer in the source: {stale}"
    assert not sorted(set(DECLARED) & made), "declared as not made, but made: drop them from DECLARED"


def test_what_only_the_operator_does_no_lambda_may_do(dev_stack):
    for (site, _), (_, role, needs) in DECLARED.items():
        if role is not None:
            continue
        for need in needs:
            auth = _declared_auth(dev_stack, *need)
            for function in POLICY_OF:
                assert decide(dev_stack.statements(function), auth) != "allow", (site, function, auth)


def _statement_used(statement: dict, auths: list) -> list:
    """What of an Allow statement no request used: (action, resource) pairs and LeadingKeys patterns."""
    unused = []
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    for action in actions:
        for resource in resources:
            if not any(a.action == action and any(fnmatchcase(r, resource) for r in a.resources) for a in auths):
                unused.append(f"{action} on {resource}")
    for keys in statement.get("Condition", {}).values():
        for pattern in keys.get("dynamodb:LeadingKeys", []):
            if not any(a.action in actions and any(fnmatchcase(k, pattern) for k in a.leading_keys) for a in auths):
                unused.append(f"LeadingKeys {pattern}")
    return unused


@pytest.mark.e2e  # every Lambda's calls on moto: make check
def test_no_role_allows_more_than_its_lambdas_call(dev_stack, calls):
    by_function = _auths_by_function(dev_stack, calls)
    unused = []
    for policy in sorted(set(POLICY_OF.values())):
        functions = [f for f, p in POLICY_OF.items() if p == policy]  # the schedules share one: one code path
        auths = [a for f in functions for a in by_function[f]]
        for statement in dev_stack.statements(functions[0]):
            assert statement["Effect"] in ("Allow", "Deny")
            if statement["Effect"] == "Allow":
                unused += [f"{policy} {statement.get('Sid')}: {u}" for u in _statement_used(statement, auths)]
    assert not unused, (
        "allowed but never called (drop it from the .chalice/policy-*.json, or make the call in "
        "tests/infra/lambda_world.py):\n" + "\n".join(unused)
    )


def test_the_schedules_share_a_role_policy_and_each_lambda_has_its_own_role(dev_stack):
    roles = {f: dev_stack.role_logical_id(f) for f in POLICY_OF}
    assert len(set(roles.values())) == len(roles)
    assert len({json.dumps(dev_stack.statements(f), sort_keys=True) for f in PIPELINE}) == 1


def test_the_api_cannot_send_email_read_secrets_write_the_sheet_or_mint_tokens(dev_stack):
    api = dev_stack.statements("api_handler")
    sender = dev_stack.parameters["AlertSenderAddress"]
    refused = [
        Authorization("ses:SendEmail", (f"arn:aws:ses:us-east-1:123456789012:identity/{sender}",)),
        Authorization("ses:SendEmail", (f"arn:aws:ses:us-east-1:123456789012:identity/{sender.split('@')[1]}",)),
        *[Authorization("secretsmanager:GetSecretValue", (arn,)) for arn in _secret_arns(dev_stack).values()],
        *[
            _declared_auth(dev_stack, f"dynamodb:{a}", "ConfigTable", {"TOKEN"})
            for a in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")
        ],
        _declared_auth(dev_stack, "dynamodb:PutItem", "ConfigTable", {"GUARDRAIL"}),  # could unpause an agent
        _declared_auth(dev_stack, "dynamodb:BatchWriteItem", "ConfigTable", {"ORG"}),
        Authorization("s3:PutObject", (dev_stack.get_att("ReportsBucket", "Arn") + "/board-reports/x.html",)),
    ]
    assert [a for a in refused if decide(api, a) == "allow"] == []
    # The sheet is written with the service account's key: the API cannot read it (above), and holds
    # no Google credentials of its own (no variable names one).
    assert "SHEET_ID" not in dev_stack.environment("api_handler")


def test_the_pipeline_cannot_mint_read_or_revoke_tokens(dev_stack):
    for function in [*PIPELINE, "requested_runs"]:
        statements = dev_stack.statements(function)
        for action in ("PutItem", "UpdateItem", "DeleteItem", "GetItem", "Query", "BatchWriteItem", "BatchGetItem"):
            auth = _declared_auth(dev_stack, f"dynamodb:{action}", "ConfigTable", {"TOKEN"})
            assert decide(statements, auth) == "deny", (function, action)
        mixed = _declared_auth(dev_stack, "dynamodb:BatchWriteItem", "ConfigTable", {"ALERT#open", "TOKEN"})
        assert decide(statements, mixed) == "deny"
        assert decide(statements, _declared_auth(dev_stack, "dynamodb:PutItem", "ConfigTable", {"RUN"})) == "allow"


def test_no_wildcard_where_an_arn_is_known(dev_stack):
    for function in POLICY_OF:
        for statement in dev_stack.statements(function):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert not any("*" in a for a in actions), (function, statement)
            if "*" in resources:
                assert set(actions) <= NO_RESOURCE_LEVEL, (function, statement)
            for resource in resources:
                if resource != "*" and "*" in resource:  # only the object keys of one prefix, or log streams
                    assert resource.endswith(("/board-reports/*", ":*")), (function, resource)
