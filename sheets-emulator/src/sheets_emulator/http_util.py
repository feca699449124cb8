"""Small HTTP helpers shared by the routes."""

from __future__ import annotations

import json
from typing import Any, Optional
from urllib.parse import parse_qs

from werkzeug.wrappers import Request, Response

from .errors import ApiError


def json_response(obj: Any, status: int = 200) -> Response:
    return Response(json.dumps(obj, ensure_ascii=False), status=status, content_type="application/json; charset=UTF-8")


def json_body(request: Request) -> dict:
    data = request.get_data(cache=True)
    if not data:
        return {}
    try:
        obj = json.loads(data)
    except ValueError:
        raise ApiError(400, "Invalid JSON payload received. Unexpected token.") from None
    if not isinstance(obj, dict):
        raise ApiError(400, "Invalid JSON payload received. Expected an object.")
    return obj


def query_params(query: str) -> dict[str, list[str]]:
    return parse_qs(query, keep_blank_values=True)


def one(params: dict[str, list[str]], key: str) -> Optional[str]:
    values = params.get(key)
    return values[-1] if values else None


def truthy(value: Optional[str]) -> bool:
    return str(value).lower() == "true"


def require_method(method: str, expected: str) -> None:
    if method != expected:
        raise ApiError(405, f"Method {method} not allowed here")
