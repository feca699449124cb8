"""API Gateway's own errors (infra/gateway_responses.json) come in the app's one error shape, and the
template `chalice package --merge-template` gets (infra/merge_template.py) holds them and the tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

INFRA = Path(__file__).resolve().parent.parent / "infra"
sys.path.insert(0, str(INFRA))
import merge_template  # noqa: E402

RESPONSES = json.loads((INFRA / "gateway_responses.json").read_text())["Resources"]["RestAPI"]["Properties"][
    "DefinitionBody"
]["x-amazon-apigateway-gateway-responses"]


def render(template: str, message: str) -> dict:
    # API Gateway substitutes $context.error.messageString with the message as a quoted JSON string
    return json.loads(template.replace("$context.error.messageString", json.dumps(message)))


@pytest.mark.parametrize("kind", sorted(RESPONSES))
def test_each_gateway_response_has_the_shape_and_its_own_status(kind):
    response = RESPONSES[kind]
    body = render(response["responseTemplates"]["application/json"], 'Missing "Authentication" Token')
    assert body == {"error": {"status": int(response["statusCode"]), "message": 'Missing "Authentication" Token'}}


def test_the_errors_the_gateway_answers_itself_are_covered():
    assert {
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "MISSING_AUTHENTICATION_TOKEN",
        "THROTTLED",
        "REQUEST_TOO_LARGE",
        "INTEGRATION_TIMEOUT",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
    } <= set(RESPONSES)
    assert {k: RESPONSES[k]["statusCode"] for k in ("UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX")} == {
        "UNAUTHORIZED": "401",
        "ACCESS_DENIED": "403",
        "DEFAULT_4XX": "400",
        "DEFAULT_5XX": "500",
    }


def test_merged_into_chalices_template_beside_the_routes_and_tables():
    from chalice.deploy.swagger import SwaggerGenerator
    from chalice.package import TemplateDeepMerger

    import app as app_module

    merged = merge_template.merged_template()
    tables = json.loads((INFRA / "tables.json").read_text())["Resources"]
    assert {k: merged["Resources"][k] for k in tables} == tables
    # what `chalice package` generates for the API, then merges the file into
    generated = {
        "Resources": {
            "RestAPI": {
                "Type": "AWS::Serverless::Api",
                "Properties": {
                    "EndpointConfiguration": "EDGE",
                    "StageName": "api",
                    "DefinitionBody": SwaggerGenerator(
                        "us-east-1", {"api_handler_arn": "arn:aws:lambda:us-east-1:1:function:api"}
                    ).generate_swagger(app_module.app),
                },
            }
        }
    }
    result = TemplateDeepMerger().merge(merged, generated)
    body = result["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    assert "/v1/work-items" in body["paths"] and body["x-amazon-apigateway-gateway-responses"] == RESPONSES
    assert result["Resources"]["RestAPI"]["Properties"]["StageName"] == "api"
    assert not any("securityDefinitions" in str(k) for k in body)  # routes resolve tokens themselves


def test_cli_writes_the_merge_template(tmp_path):
    out = tmp_path / "merge.json"
    subprocess.run([sys.executable, str(INFRA / "merge_template.py"), str(out)], check=True)
    assert json.loads(out.read_text()) == merge_template.merged_template()
