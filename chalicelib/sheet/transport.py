"""How the app reaches the Sheets API: gspread's own back-off client, pointed
at ``SHEETS_ENDPOINT_URL`` when it is set (the local emulator) and bounded to a
total back-off budget that fits in a Lambda.

Environment:

- ``SHEETS_ENDPOINT_URL``: e.g. ``http://127.0.0.1:8765``. Unset in production:
  URLs stay ``https://sheets.googleapis.com`` / ``https://www.googleapis.com``.
- ``SHEETS_MAX_BACKOFF_SECONDS`` (default 60): total seconds this client may
  sleep between retries of one request; past it the APIError is raised.
- ``SHEETS_BACKOFF_CAP_SECONDS`` (default 32): longest single wait (gspread's
  ``_MAX_BACKOFF``). Waits are ``min(2**n, cap)``; a fraction such as ``0.01``
  makes tests fast.
- ``SHEETS_MAX_RETRIES`` (default 8): retries of one request at most.
- ``SHEETS_HTTP_TIMEOUT_SECONDS`` (default 30): read timeout per HTTP request.

Which statuses are retried is gspread's decision (408, 429, 5xx and Drive's
403 ``usageLimits``); this class only bounds how long and how often.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Mapping, Optional

import gspread
import requests
from google.auth.transport.requests import AuthorizedSession
from google.auth.transport.requests import Request as AuthRequest
from gspread.http_client import BackOffHTTPClient, HTTPClient
from requests import Response

GOOGLE_PREFIXES = ("https://sheets.googleapis.com", "https://www.googleapis.com")

DEFAULT_MAX_BACKOFF_SECONDS = 60.0
DEFAULT_BACKOFF_CAP_SECONDS = 32.0
DEFAULT_MAX_RETRIES = 8
DEFAULT_TIMEOUT_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 10.0


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def endpoint_url() -> Optional[str]:
    """The configured endpoint without a trailing slash, or None (Google)."""
    url = os.environ.get("SHEETS_ENDPOINT_URL", "").strip()
    return url.rstrip("/") or None


def rewrite_url(url: str, endpoint: Optional[str]) -> str:
    """Point a Google API URL at ``endpoint`` (unchanged when endpoint is None)."""
    if not endpoint:
        return url
    for prefix in GOOGLE_PREFIXES:
        if url.startswith(prefix):
            return endpoint + url[len(prefix) :]
    return url


class _EndpointAdapter(requests.adapters.HTTPAdapter):
    """Sends every ``https://*.googleapis.com`` request to the endpoint instead.

    Mounted on google-auth's own session when an endpoint is configured, so the
    calls google-auth makes by itself (the service account's regional access
    boundary lookup on iamcredentials.googleapis.com) stay local too.
    """

    __attrs__ = requests.adapters.HTTPAdapter.__attrs__ + ["endpoint"]  # survive deepcopy

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        super().__init__(max_retries=3)

    def send(self, request, *args: Any, **kwargs: Any):
        url = request.url or ""
        if url.startswith("https://"):
            host, _, path = url[len("https://") :].partition("/")
            if host == "googleapis.com" or host.endswith(".googleapis.com"):
                request.url = f"{self.endpoint}/{path}"
        return super().send(request, *args, **kwargs)


class SheetsHTTPClient(BackOffHTTPClient):
    """gspread's BackOffHTTPClient with an endpoint override and a wait budget.

    The retry loop is gspread's own (it sleeps ``min(2**n, _MAX_BACKOFF)`` and
    calls ``self.request`` again); this subclass only rewrites the URL and, once
    the next wait would exceed the budget or the retry limit, makes that
    attempt the last one so gspread raises its APIError.
    """

    max_backoff_seconds: float = DEFAULT_MAX_BACKOFF_SECONDS
    max_retries: int = DEFAULT_MAX_RETRIES

    def __init__(self, auth: Any, session: Any = None) -> None:
        super().__init__(auth, session)
        self.endpoint = endpoint_url()
        if self.endpoint and session is None:
            auth_session = requests.Session()
            auth_session.mount("https://", _EndpointAdapter(self.endpoint))
            self.session = AuthorizedSession(self.auth, auth_request=AuthRequest(auth_session))
        self.max_backoff_seconds = _env_float("SHEETS_MAX_BACKOFF_SECONDS", type(self).max_backoff_seconds)
        self._MAX_BACKOFF = _env_float(
            "SHEETS_BACKOFF_CAP_SECONDS",  # type: ignore[assignment]
            DEFAULT_BACKOFF_CAP_SECONDS,
        )
        self.max_retries = int(_env_float("SHEETS_MAX_RETRIES", type(self).max_retries))
        self.timeout = (CONNECT_TIMEOUT_SECONDS, _env_float("SHEETS_HTTP_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))
        self._state = threading.local()
        self.total_backoff_seconds = 0.0  # slept by the last request (for logs/tests)
        self.retries = 0

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> Response:
        endpoint = rewrite_url(endpoint, self.endpoint)
        state = self._state
        outermost = not getattr(state, "active", False)
        if outermost:
            state.active, state.waited, state.attempts = True, 0.0, 0
            self._NR_BACKOFF = 0
        else:
            # gspread slept min(2**n, cap) before calling us again
            state.waited += min(2**self._NR_BACKOFF, self._MAX_BACKOFF)
        state.attempts += 1
        try:
            next_wait = min(2 ** (self._NR_BACKOFF + 1), self._MAX_BACKOFF)
            last_try = state.waited + next_wait > self.max_backoff_seconds or state.attempts > self.max_retries
            if last_try:
                return HTTPClient.request(self, method, endpoint, *args, **kwargs)
            return super().request(method, endpoint, *args, **kwargs)
        finally:
            if outermost:
                self.total_backoff_seconds = state.waited
                self.retries = state.attempts - 1
                state.active = False
                self._NR_BACKOFF = 0


def open_client(service_account_info: Mapping[str, Any]) -> gspread.Client:
    """A gspread client for a service account (its JSON key as a dict).

    Locally the key's ``token_uri`` points at the emulator, so google-auth's
    JWT-bearer token exchange runs against it like against Google.
    """
    return gspread.service_account_from_dict(dict(service_account_info), http_client=SheetsHTTPClient)
