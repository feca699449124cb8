"""Every AWS request the code makes, recorded with the Lambda that made it and the line that made it.

`Recorder` wraps botocore's `BaseClient._convert_to_request_dict`, the one point every client passes
through (boto3 clients, the DynamoDB resource, Powertools' own Secrets Manager client) after the
parameters are built (the DynamoDB resource's conditions and types already serialised): each request
made while `recorder.lambda_(name)` is active is kept as a `Call` (service, operation, parameters,
the innermost function in app.py or chalicelib/ on the stack). Requests made outside any Lambda (the test's own
setup, the operator's CLI) are not kept.

`authorizations(call, hash_keys)` turns a call into the IAM requests AWS evaluates for it: action,
resource ARN and, for DynamoDB, the partition keys the request touches (`dynamodb:LeadingKeys`).
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT, REGION, PARTITION = "123456789012", "us-east-1", "aws"


@dataclass(frozen=True)
class Call:
    lambda_name: str
    service: str  # botocore's service name: dynamodb, sqs, s3, sesv2, ce, secretsmanager
    operation: str  # the API operation: GetItem, TransactWriteItems, ...
    params: dict = field(hash=False, compare=False)
    site: str = ""  # the function that made it: "chalicelib/storage/tokens.py:TokenStore.lookup"


@dataclass(frozen=True)
class Authorization:
    action: str  # "dynamodb:GetItem"
    resources: tuple  # ARNs, any one of which authorizes (SES: the sender address or its domain)
    leading_keys: frozenset = frozenset()


def _site() -> str:
    frame = sys._getframe(2)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        try:
            rel = path.resolve().relative_to(ROOT)
        except ValueError:
            rel = None
        if rel is not None and (rel.parts[0] == "chalicelib" or rel.as_posix() == "app.py"):
            return f"{rel.as_posix()}:{frame.f_code.co_qualname}"
        frame = frame.f_back
    return ""


class Recorder:
    def __init__(self):
        self.calls: list[Call] = []
        self._current: Optional[str] = None
        self._original = None

    def install(self) -> "Recorder":
        from botocore.client import BaseClient

        original = self._original = BaseClient._convert_to_request_dict
        recorder = self

        def convert(client, api_params, operation_model, *args, **kwargs):
            if recorder._current is not None:
                recorder.calls.append(
                    Call(
                        recorder._current,
                        client.meta.service_model.service_name,
                        operation_model.name,
                        dict(api_params),
                        _site(),
                    )
                )
            return original(client, api_params, operation_model, *args, **kwargs)

        BaseClient._convert_to_request_dict = convert
        return self

    def uninstall(self) -> None:
        from botocore.client import BaseClient

        if self._original is not None:
            BaseClient._convert_to_request_dict = self._original
            self._original = None

    @contextlib.contextmanager
    def lambda_(self, name: str):
        previous, self._current = self._current, name
        try:
            yield
        finally:
            self._current = previous


# --- IAM's view of a call -------------------------------------------------------------------------


def _value(typed) -> str:
    """A DynamoDB attribute value as IAM compares it: {"S": "TOKEN"} -> "TOKEN"."""
    if isinstance(typed, dict) and len(typed) == 1:
        return str(next(iter(typed.values())))
    return str(typed)


def _table_arn(table: str, index: str = "") -> str:
    arn = f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def _query_leading_keys(params: dict, hash_key: str) -> frozenset:
    names = params.get("ExpressionAttributeNames", {})
    values = params.get("ExpressionAttributeValues", {})
    keys = set()
    for clause in params.get("KeyConditionExpression", "").split(" AND "):
        left, _, right = (part.strip().strip("()") for part in clause.partition("="))
        if names.get(left, left) == hash_key and right in values:
            keys.add(_value(values[right]))
    return frozenset(keys)


def _dynamodb(call: Call, hash_keys: dict) -> list[Authorization]:
    p, op = call.params, call.operation

    def item_auth(action: str, table: str, key: dict) -> Authorization:
        hk = hash_keys.get(table)
        return Authorization(
            f"dynamodb:{action}",
            (_table_arn(table),),
            frozenset({_value(key[hk])}) if hk and hk in key else frozenset(),
        )

    if op in ("GetItem", "DeleteItem", "UpdateItem"):
        return [item_auth(op, p["TableName"], p["Key"])]
    if op == "PutItem":
        return [item_auth(op, p["TableName"], p["Item"])]
    if op == "Query":
        index = p.get("IndexName", "")
        keys = frozenset() if index else _query_leading_keys(p, hash_keys.get(p["TableName"], ""))
        return [Authorization("dynamodb:Query", (_table_arn(p["TableName"], index),), keys)]
    if op == "BatchGetItem":
        return [
            Authorization(
                "dynamodb:BatchGetItem",
                (_table_arn(table),),
                frozenset(_value(k[hash_keys[table]]) for k in spec["Keys"]),
            )
            for table, spec in p["RequestItems"].items()
        ]
    if op == "BatchWriteItem":
        out = []
        for table, requests in p["RequestItems"].items():
            keys = {
                _value((r.get("PutRequest", {}).get("Item") or r["DeleteRequest"]["Key"])[hash_keys[table]])
                for r in requests
            }
            out.append(Authorization("dynamodb:BatchWriteItem", (_table_arn(table),), frozenset(keys)))
        return out
    if op == "TransactWriteItems":  # IAM authorizes each action of a transaction as its own request
        out = []
        for item in p["TransactItems"]:
            ((kind, spec),) = item.items()
            action = {
                "Put": "PutItem",
                "Update": "UpdateItem",
                "Delete": "DeleteItem",
                "ConditionCheck": "ConditionCheckItem",
            }[kind]
            out.append(item_auth(action, spec["TableName"], spec.get("Item") or spec["Key"]))
        return out
    raise AssertionError(f"no IAM mapping for dynamodb {op} ({call.site}): add one")


def authorizations(call: Call, hash_keys: dict, secret_arns: dict) -> list[Authorization]:
    """The IAM requests AWS evaluates for `call`. `hash_keys`: table -> partition key attribute;
    `secret_arns`: secret name -> its ARN (Secrets Manager authorizes the ARN, suffix included)."""
    p, op = call.params, call.operation
    if call.service == "dynamodb":
        return _dynamodb(call, hash_keys)
    if call.service == "sqs":
        name = p.get("QueueName") or p["QueueUrl"].rstrip("/").rsplit("/", 1)[-1]
        return [Authorization(f"sqs:{op}", (f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{name}",))]
    if call.service == "s3":
        obj = (f"arn:{PARTITION}:s3:::{p['Bucket']}/{p['Key']}",)
        if op == "HeadObject":  # authorized as GetObject; without ListBucket a missing key answers 403, not 404
            return [
                Authorization("s3:GetObject", obj),
                Authorization("s3:ListBucket", (f"arn:{PARTITION}:s3:::{p['Bucket']}",)),
            ]
        return [Authorization(f"s3:{op}", obj)]
    if call.service == "secretsmanager":
        arn = secret_arns.get(p["SecretId"], p["SecretId"])
        return [Authorization(f"secretsmanager:{op}", (arn,))]
    if call.service == "ce":  # Cost Explorer has no resource-level permissions for GetCostAndUsage
        return [Authorization(f"ce:{op}", ("*",))]
    if call.service == "sesv2" and op == "SendEmail":
        address = parseaddr(p["FromEmailAddress"])[1]
        base = f"arn:{PARTITION}:ses:{REGION}:{ACCOUNT}"
        # SES authorizes the sending identity: the address if it is verified itself, else its domain
        out = [
            Authorization(
                "ses:SendEmail", (f"{base}:identity/{address}", f"{base}:identity/{address.rsplit('@', 1)[1]}")
            )
        ]
        if p.get("ConfigurationSetName"):
            out.append(Authorization("ses:SendEmail", (f"{base}:configuration-set/{p['ConfigurationSetName']}",)))
        return out
    raise AssertionError(f"no IAM mapping for {call.service} {op} ({call.site}): add one")


# --- the calls written in the source ---------------------------------------------------------------

SERVICES = ("dynamodb", "sqs", "s3", "sesv2", "ce", "secretsmanager")
POWERTOOLS_CALLS = {"get_secret": "GetSecretValue"}  # Powertools Parameters: one Secrets Manager call


def source_call_sites(root: Path = ROOT) -> set:
    """{(site, operation)} of every call in app.py and chalicelib/ to a method named like an operation
    of the services the app uses (boto3 clients and the DynamoDB resource share the names), plus
    Powertools' `get_secret`. `site` is "path:Qualified.function", as `Recorder` records it."""
    import ast

    import botocore.session
    from botocore import xform_name

    session = botocore.session.get_session()
    operations = {
        xform_name(op): op for service in SERVICES for op in session.get_service_model(service).operation_names
    }
    operations.update(POWERTOOLS_CALLS)
    sites = set()
    for path in [root / "app.py", *sorted((root / "chalicelib").rglob("*.py"))]:
        rel = path.relative_to(root).as_posix()

        def visit(node, scope, rel=rel):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    inner = scope + [child.name]
                    if not isinstance(child, ast.ClassDef):
                        inner = scope + [child.name, "<locals>"]
                    visit(child, inner)
                    continue
                if (
                    isinstance(child, ast.Call)
                    and isinstance(child.func, ast.Attribute)
                    and child.func.attr in operations
                ):
                    qualname = ".".join(scope[:-1] if scope and scope[-1] == "<locals>" else scope) or "<module>"
                    sites.add((f"{rel}:{qualname}", operations[child.func.attr]))
                visit(child, scope)

        visit(ast.parse(path.read_text()), [])
    return sites
