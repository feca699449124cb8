"""HTTP plumbing shared by the vendor billing clients (OpenAI, Anthropic).

One ``requests.Session`` per pull, with urllib3 ``Retry`` mounted on it:

* retries on connection errors, read timeouts, 429 and 5xx (GET is idempotent);
* exponential back-off ``backoff_factor * 2**(n-1)`` capped at ``backoff_max``;
* honours ``Retry-After`` (seconds or HTTP date), capped at ``retry_after_max``;
* connect/read timeouts on every request, and a ``deadline`` for a whole paginated pull.

Worst case for one request: ``(retries + 1) * (connect + read timeout)`` plus the
sleeps; the deadline bounds the pull across pages. Tests pass a tiny back-off.

Everything that goes wrong ends as ``SourceUnavailable(source, reason)``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping, Optional

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from chalicelib.connectors.errors import SourceUnavailable

RETRY_STATUSES = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class HttpConfig:
    retries: int = 4
    backoff_factor: float = 0.5  # seconds; sleeps 0, 1, 2, 4... (x factor/0.5)
    backoff_max: float = 8.0
    retry_after_max: float = 30.0
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    deadline: float = 300.0  # seconds for one whole pull, all pages
    max_pages: int = 1000  # a vendor that never stops paginating is a broken vendor
    user_agent: str = "ai-finops-connectors/1.0"
    extra_headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "HttpConfig":
        """Defaults, overridden by VENDOR_HTTP_RETRIES, VENDOR_HTTP_BACKOFF_FACTOR,
        VENDOR_HTTP_BACKOFF_MAX, VENDOR_HTTP_RETRY_AFTER_MAX, VENDOR_HTTP_CONNECT_TIMEOUT,
        VENDOR_HTTP_READ_TIMEOUT and VENDOR_HTTP_DEADLINE (seconds) when set, so a
        Lambda's budget or a local demo's patience can be set without code."""
        env = os.environ if environ is None else environ
        fields = {
            "retries": ("VENDOR_HTTP_RETRIES", int),
            "backoff_factor": ("VENDOR_HTTP_BACKOFF_FACTOR", float),
            "backoff_max": ("VENDOR_HTTP_BACKOFF_MAX", float),
            "retry_after_max": ("VENDOR_HTTP_RETRY_AFTER_MAX", float),
            "connect_timeout": ("VENDOR_HTTP_CONNECT_TIMEOUT", float),
            "read_timeout": ("VENDOR_HTTP_READ_TIMEOUT", float),
            "deadline": ("VENDOR_HTTP_DEADLINE", float),
        }
        values = {}
        for name, (var, kind) in fields.items():
            raw = env.get(var)
            if raw not in (None, ""):
                try:
                    value = kind(raw)
                except ValueError:
                    raise ValueError(f"{var}={raw!r} is not a number") from None
                if value < 0:
                    raise ValueError(f"{var} must not be negative")
                values[name] = value
        return cls(**values)


class _BoundedRetry(Retry):
    """Retry whose Retry-After wait is capped (works on every urllib3 2.x)."""

    retry_after_cap: float = 30.0

    def get_retry_after(self, response):
        seconds = super().get_retry_after(response)
        if seconds is None:
            return None
        return min(max(seconds, 0.0), self.retry_after_cap)


def make_retry(config: HttpConfig) -> Retry:
    retry_cls = type("BoundedRetry", (_BoundedRetry,), {"retry_after_cap": config.retry_after_max})
    return retry_cls(
        total=config.retries,
        connect=config.retries,
        read=config.retries,
        status=config.retries,
        other=0,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=config.backoff_factor,
        backoff_max=config.backoff_max,
        respect_retry_after_header=True,
        raise_on_status=False,  # hand back the last response: we report its status
    )


def make_session(config: Optional[HttpConfig] = None) -> requests.Session:
    config = config or HttpConfig()
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=make_retry(config))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"User-Agent": config.user_agent, "Accept": "application/json"})
    session.headers.update(dict(config.extra_headers))
    return session


class Deadline:
    def __init__(self, source: str, seconds: float):
        self.source = source
        self.seconds = seconds
        self.started = time.monotonic()

    def check(self) -> None:
        if time.monotonic() - self.started > self.seconds:
            raise SourceUnavailable(self.source, f"pull exceeded its {self.seconds:g} s deadline")


def _describe_error_body(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        text = (response.text or "").strip()
        return text[:200]
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:200]
        if isinstance(err, str):
            return err[:200]
    return json.dumps(body)[:200]


CREDENTIAL_HEADERS = ("authorization", "x-api-key", "api-key")
REDACTED = "[redacted]"


def _credentials(headers: Mapping[str, str]) -> list:
    """The secrets sent in `headers` (a bearer token alone and with its scheme), longest first."""
    found = set()
    for name, value in headers.items():
        if name.lower() in CREDENTIAL_HEADERS and value:
            value = str(value).strip()
            found.add(value)
            found.add(value.partition(" ")[2].strip())
    return sorted((v for v in found if len(v) >= 8), key=len, reverse=True)


def get_json(
    session: requests.Session,
    url: str,
    *,
    source: str,
    params: Any = None,
    headers: Optional[Mapping[str, str]] = None,
    config: Optional[HttpConfig] = None,
) -> dict:
    """GET ``url`` and return its JSON object, numbers with a fraction as Decimal.

    Retries happen inside the session. Any failure raises SourceUnavailable, whose reason (kept in
    the freshness record, the Sync log and the run record) never holds the key sent: a vendor may
    quote a refused key back in its error, in full."""
    try:
        return _get_json(session, url, source, params, headers, config or HttpConfig())
    except SourceUnavailable as exc:
        reason = exc.reason
        for secret in _credentials({**session.headers, **dict(headers or {})}):
            reason = reason.replace(secret, REDACTED)
        if reason == exc.reason:
            raise
        raise SourceUnavailable(source, reason) from None  # not chained: the original holds the key


def _get_json(
    session: requests.Session,
    url: str,
    source: str,
    params: Any,
    headers: Optional[Mapping[str, str]],
    config: HttpConfig,
) -> dict:
    try:
        response = session.get(url, params=params, headers=dict(headers or {}), timeout=config.timeout)
    except requests.exceptions.RetryError as exc:
        raise SourceUnavailable(source, f"still failing after {config.retries} retries: {exc}") from exc
    except requests.exceptions.Timeout as exc:
        raise SourceUnavailable(source, f"timed out after {config.retries} retries: {exc}") from exc
    except requests.exceptions.ConnectionError as exc:
        raise SourceUnavailable(source, f"cannot connect after {config.retries} retries: {exc}") from exc
    except requests.exceptions.RequestException as exc:
        raise SourceUnavailable(source, f"request failed: {exc}") from exc

    status = response.status_code
    if status in (401, 403):
        raise SourceUnavailable(source, f"HTTP {status}: admin key refused ({_describe_error_body(response)})")
    if status in RETRY_STATUSES:
        raise SourceUnavailable(
            source, f"HTTP {status} after {config.retries} retries ({_describe_error_body(response)})"
        )
    if status >= 400:
        raise SourceUnavailable(source, f"HTTP {status}: {_describe_error_body(response)}")
    if status != 200:
        raise SourceUnavailable(source, f"unexpected HTTP {status}")
    try:
        payload = response.json(parse_float=Decimal)
    except ValueError as exc:
        snippet = (response.text or "")[:80]
        raise SourceUnavailable(source, f"response is not valid JSON ({exc}; starts {snippet!r})") from exc
    if not isinstance(payload, dict):
        raise SourceUnavailable(source, f"response is a JSON {type(payload).__name__}, expected an object")
    return payload


def pull_pages(
    source: str,
    url: str,
    *,
    params: list,
    headers: dict,
    parse_page,
    config: HttpConfig,
    session: Optional[requests.Session] = None,
    merge=None,
):
    """Follow a vendor's `page` cursor until the last page: ``Pulled`` (facts of every page,
    merged, and the days the pages had a bucket for).

    `parse_page(payload, page_no) -> (facts, next_cursor or None, days answered)`. Guards against a
    cursor that repeats, more than `config.max_pages` pages, and the pull's deadline. Any page
    failing fails the whole pull (SourceUnavailable): nothing of a half-read answer is returned.
    `merge` sums the pages' rows (default `merge_facts`: cost facts; the usage connectors pass theirs).
    """
    from chalicelib.connectors.common import follow_pages, merge_facts

    own_session = session is None
    session = session or make_session(config)
    deadline = Deadline(source, config.deadline)

    def read_page(cursor: Optional[str], page_no: int):
        deadline.check()
        page_params = params + ([("page", cursor)] if cursor else [])
        payload = get_json(session, url, source=source, params=page_params, headers=headers, config=config)
        return parse_page(payload, page_no)

    try:
        return follow_pages(source, read_page, max_pages=config.max_pages, merge=merge or merge_facts)
    finally:
        if own_session:
            session.close()
