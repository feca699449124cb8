"""The packaged template as a deployed stack would see it, and IAM's decision on a request.

`Stack(template, ...)` resolves CloudFormation intrinsics (Ref, Fn::GetAtt, Fn::Sub, Fn::Select,
Fn::Split, Fn::Join) the way CloudFormation would for a stack named STACK in ACCOUNT/REGION, so the
roles' policies and the Lambdas' environment become plain strings and ARNs.

`decide(statements, authorization)` is IAM's evaluation of one request against one identity policy:
an explicit Deny wins, else an Allow whose action, resource and condition match, else an implicit deny.
Conditions: the `ForAnyValue:` / `ForAllValues:` `StringEquals` / `StringLike` operators on
`dynamodb:LeadingKeys`, the only ones the policies use (anything else fails the test: extend it).
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from tests.infra.aws_calls import ACCOUNT, PARTITION, REGION, Authorization

STACK = "finops-test"
SECRET_SUFFIX = "-AbCdEf"  # Secrets Manager appends six random characters to a secret's ARN
FUNCTIONS = {
    "APIHandler": "api_handler",
    "Hourly": "hourly",
    "Daily": "daily",
    "Weekly": "weekly",
    "Monthly": "monthly",
    "RequestedRuns": "requested_runs",
}


class Stack:
    def __init__(self, template: dict, parameters: dict):
        self.template = template
        self.resources = template["Resources"]
        self.parameters = {name: spec.get("Default") for name, spec in template.get("Parameters", {}).items()}
        self.parameters.update(parameters)
        missing = [k for k, v in self.parameters.items() if v is None]
        assert not missing, f"give the test stack a value for {missing}"

    # --- intrinsics ------------------------------------------------------------------------------

    def resolve(self, value):
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                return self.get_att(*(arg.split(".", 1) if isinstance(arg, str) else arg))
            if key == "Fn::Sub":
                text, names = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
                return re.sub(r"\$\{([^}!]+)\}", lambda m: str(self._sub(m.group(1), names)), text)
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key == "Fn::Split":
                return self.resolve(arg[1]).split(arg[0])
            if key == "Fn::Join":
                return arg[0].join(self.resolve(arg[1]))
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, name: str, names: dict):
        if name in names:
            return names[name]
        if "." in name and not name.startswith("AWS::"):
            return self.get_att(*name.split(".", 1))
        return self.ref(name)

    def ref(self, name: str):
        pseudo = {
            "AWS::StackName": STACK,
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        resource = self.resources[name]
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::DynamoDB::Table":
            return props["TableName"]
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{props['QueueName']}"
        if kind == "AWS::S3::Bucket":
            return self.resolve(props["BucketName"])
        if kind == "AWS::SecretsManager::Secret":
            return f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{props['Name']}{SECRET_SUFFIX}"
        if kind == "AWS::SES::ConfigurationSet":
            return self.resolve(props["Name"])
        if kind == "AWS::Logs::LogGroup":
            return self.resolve(props["LogGroupName"])
        if kind == "AWS::SNS::Topic":
            return f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT}:{STACK}-{name}"
        if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            return f"{STACK}-{name}-0123456789AB"
        if kind in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi"):
            return "abcdef1234"
        if kind == "AWS::IAM::Role":
            return f"{STACK}-{name}-0123456789AB"
        raise AssertionError(f"Ref {name} ({kind}): teach the test stack what it resolves to")

    def get_att(self, name: str, attribute: str):
        resource = self.resources[name]
        kind = resource["Type"]
        ref = self.ref(name)
        if attribute == "Arn":
            service, path = {
                "AWS::DynamoDB::Table": ("dynamodb", f"table/{ref}"),
                "AWS::SQS::Queue": ("sqs", ref.rsplit("/", 1)[-1]),
                "AWS::Logs::LogGroup": ("logs", f"log-group:{ref}:*"),
                "AWS::IAM::Role": ("iam", f"role/{ref}"),
            }.get(kind, (None, None))
            if kind == "AWS::S3::Bucket":
                return f"arn:{PARTITION}:s3:::{ref}"
            if service == "iam":
                return f"arn:{PARTITION}:iam::{ACCOUNT}:{path}"
            if service:
                return f"arn:{PARTITION}:{service}:{REGION}:{ACCOUNT}:{path}"
        if kind == "AWS::SQS::Queue" and attribute == "QueueName":
            return ref.rsplit("/", 1)[-1]
        raise AssertionError(f"GetAtt {name}.{attribute} ({kind}): teach the test stack what it resolves to")

    # --- what the stack gives each Lambda ----------------------------------------------------------

    def functions(self) -> dict:
        """Chalice's function name -> its resource (resolved)."""
        return {
            FUNCTIONS[k]: self.resolve(r) for k, r in self.resources.items() if r["Type"] == "AWS::Serverless::Function"
        }

    def environment(self, function: str) -> dict:
        return self.functions()[function]["Properties"]["Environment"]["Variables"]

    def statements(self, function: str) -> list[dict]:
        """The identity policy of the function's role, resolved."""
        role = self.functions()[function]["Properties"]["Role"]
        role_id = next(
            k for k, r in self.resources.items() if r["Type"] == "AWS::IAM::Role" and self.get_att(k, "Arn") == role
        )
        policies = self.resolve(self.resources[role_id]["Properties"].get("Policies", []))
        assert not self.resources[role_id]["Properties"].get("ManagedPolicyArns"), "no managed policies"
        return [s for p in policies for s in p["PolicyDocument"]["Statement"]]

    def role_logical_id(self, function: str) -> str:
        return self.resources[next(k for k, v in FUNCTIONS.items() if v == function)]["Properties"]["Role"][
            "Fn::GetAtt"
        ][0]


# --- IAM's decision ------------------------------------------------------------------------------


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _condition_holds(condition: dict, auth: Authorization) -> bool:
    for operator, keys in condition.items():
        for key, patterns in keys.items():
            if key != "dynamodb:LeadingKeys":
                raise AssertionError(f"condition key {key}: the test's evaluator knows dynamodb:LeadingKeys only")
            patterns = _list(patterns)
            if operator.endswith("StringEquals"):
                match = lambda value, patterns=patterns: value in patterns  # noqa: E731
            elif operator.endswith("StringLike"):
                match = lambda value, patterns=patterns: any(fnmatchcase(value, p) for p in patterns)  # noqa: E731
            else:
                raise AssertionError(f"condition operator {operator}: not known to the test's evaluator")
            if operator.startswith("ForAllValues:"):
                ok = all(match(v) for v in auth.leading_keys)
            elif operator.startswith("ForAnyValue:"):
                ok = any(match(v) for v in auth.leading_keys)
            else:
                raise AssertionError(f"condition operator {operator}: a multivalued key needs ForAnyValue/ForAllValues")
            if not ok:
                return False
    return True


def statement_matches(statement: dict, action: str, resource: str, auth: Authorization) -> bool:
    if not any(fnmatchcase(action.lower(), a.lower()) for a in _list(statement["Action"])):
        return False
    if not any(fnmatchcase(resource, r) for r in _list(statement["Resource"])):
        return False
    return _condition_holds(statement.get("Condition", {}), auth)


def decide(statements: list[dict], auth: Authorization) -> str:
    """ "allow", "deny" (an explicit Deny) or "implicit" (nothing allows it), for the best of the
    request's alternative resources."""
    outcomes = []
    for resource in auth.resources:
        if any(s["Effect"] == "Deny" and statement_matches(s, auth.action, resource, auth) for s in statements):
            outcomes.append("deny")
        elif any(s["Effect"] == "Allow" and statement_matches(s, auth.action, resource, auth) for s in statements):
            outcomes.append("allow")
        else:
            outcomes.append("implicit")
    return "allow" if "allow" in outcomes else ("deny" if "deny" in outcomes else "implicit")
