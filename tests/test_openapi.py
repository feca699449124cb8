"""The OpenAPI document in the repo describes exactly the routes the app serves."""

from pathlib import Path

import yaml
from openapi_spec_validator import validate

import app as app_module

SPEC = Path(__file__).resolve().parent.parent / "openapi.yaml"


def test_document_is_valid_openapi_3():
    validate(yaml.safe_load(SPEC.read_text()))


def test_document_and_routes_match():
    documented = {
        (path, method.upper()) for path, ops in yaml.safe_load(SPEC.read_text())["paths"].items() for method in ops
    }
    served = {
        (path, method)
        for path, methods in app_module.app.routes.items()
        for method, entry in methods.items()
        if not getattr(entry.view_function, "refuses_method", False)
    }
    assert documented == served


def test_every_other_method_of_a_documented_path_is_refused_by_the_app():
    """So API Gateway forwards them (it would answer an undeclared one 403 itself) and the document's
    405 with Allow holds everywhere (tests/test_api_authz.py calls them)."""
    paths = yaml.safe_load(SPEC.read_text())["paths"]
    for path, methods in app_module.app.routes.items():
        refused = {m for m, entry in methods.items() if getattr(entry.view_function, "refuses_method", False)}
        assert refused == set(app_module.OTHER_METHODS) - {m.upper() for m in paths[path]}, path
