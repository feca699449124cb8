"""Schemathesis hooks for `make fuzz` (local/api_fuzz.py): every request schemathesis sends and the
answer it got, byte for byte, appended as one JSON line to $API_FUZZ_RECORD.

Loaded by `st run` through SCHEMATHESIS_HOOKS (a file path, so `st` may run from any directory).
The driver reads the lines back to replay the accepted writes and to tell the application's answers
from those of `chalice local`'s development server.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from urllib.parse import urlsplit

import schemathesis

_lock = threading.Lock()


def _b64(data) -> str:
    if data is None:
        return ""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.b64encode(bytes(data)).decode("ascii")


def _write(line: dict) -> None:
    path = os.environ.get("API_FUZZ_RECORD")
    if not path:
        return
    text = json.dumps(line, separators=(",", ":")) + "\n"
    with _lock, open(path, "a", encoding="utf-8") as out:
        out.write(text)


def _request(request) -> dict:
    url = urlsplit(request.url)
    headers = {
        k: v if isinstance(v, str) else v.decode("latin-1")
        for k, v in request.headers.items()
        if k.lower() != "authorization"
    }
    sent = request.headers.get("Authorization")
    if isinstance(sent, bytes):
        sent = sent.decode("latin-1")
    # Which credential was sent, never the credential itself: the scope's token, none, or another
    # (schemathesis' ignored_auth check sends none and made-up ones).
    auth = None if sent is None else "scope" if sent == f"Bearer {os.environ.get('API_FUZZ_TOKEN')}" else "other"
    return {
        "method": request.method,
        "path": url.path,
        "query": url.query,
        "headers": headers,
        "auth": auth,
        "body": _b64(request.body),
    }


def _phase(case) -> str:
    meta = getattr(case, "meta", None)
    phase = getattr(getattr(meta, "phase", None), "name", None)
    return str(getattr(phase, "value", phase) or "")


@schemathesis.hook
def after_call(context, case, response) -> None:
    _write(
        {
            "scope": os.environ.get("API_FUZZ_SCOPE", ""),
            "phase": _phase(case),
            "operation": f"{case.operation.method.upper()} {case.operation.path}",
            "request": _request(response.request),
            "response": {
                "status": response.status_code,
                "headers": {k: ", ".join(v) for k, v in response.headers.items()},
                "body": _b64(response.content),
            },
        }
    )


@schemathesis.hook
def after_network_error(context, case, request) -> None:
    _write(
        {
            "scope": os.environ.get("API_FUZZ_SCOPE", ""),
            "phase": _phase(case),
            "operation": f"{case.operation.method.upper()} {case.operation.path}",
            "request": _request(request),
            "response": None,
        }
    )
