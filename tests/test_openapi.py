"""The OpenAPI document in the repo describes exactly the routes the app serves."""
from pathlib import Path

import yaml
from openapi_spec_validator import validate

import app as app_module

SPEC = Path(__file__).resolve().parent.parent / "openapi.yaml"


def test_document_is_valid_openapi_3():
    validate(yaml.safe_load(SPEC.read_text()))


def test_document_and_routes_match():
    documented = {(path, method.upper()) for path, ops in yaml.safe_load(SPEC.read_text())["paths"].items()
                  for method in ops}
    served = {(path, method) for path, methods in app_module.app.routes.items() for method in methods}
    assert documented == served
