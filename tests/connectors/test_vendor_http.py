"""The shared HTTP plumbing: retries, Retry-After, timeouts, deadline, error mapping."""

from __future__ import annotations

import time
from decimal import Decimal as D

import pytest
from werkzeug.wrappers import Response

from chalicelib.connectors.errors import SourceUnavailable
from chalicelib.connectors.vendor_http import HttpConfig, get_json, make_retry, make_session


@pytest.fixture
def server():
    """A tiny scripted server: each request takes the next scripted response."""
    import threading

    from werkzeug.serving import make_server

    script: list = []
    seen: list = []

    def app(environ, start_response):
        seen.append(time.monotonic())
        status, body, headers = script.pop(0) if script else (200, '{"ok": 0.1}', {})
        return Response(body, status=status, headers=headers, content_type="application/json")(environ, start_response)

    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}/x", script, seen
    srv.shutdown()
    srv.server_close()


CFG = HttpConfig(
    retries=2, backoff_factor=0.001, backoff_max=0.005, retry_after_max=0.05, connect_timeout=1, read_timeout=1
)


def fetch(url, config=CFG):
    with make_session(config) as session:
        return get_json(session, url, source="test", config=config)


def test_numbers_with_a_fraction_come_back_as_decimal(server):
    url, script, _ = server
    script.append((200, '{"a": 0.1, "b": 0.2, "n": 3}', {}))
    body = fetch(url)
    assert body["a"] + body["b"] == D("0.3") and body["n"] == 3


def test_retry_after_is_honoured_and_capped(server):
    url, script, seen = server
    script.append((429, '{"error": {"message": "slow down"}}', {"Retry-After": "30"}))
    started = time.monotonic()
    assert fetch(url) == {"ok": D("0.1")}
    elapsed = time.monotonic() - started
    assert len(seen) == 2
    assert 0.05 <= seen[1] - seen[0] and elapsed < 1  # waited, but only the 0.05 s cap, not 30 s


def test_status_retries_are_bounded(server):
    url, script, seen = server
    script.extend([(503, "down", {})] * 5)
    with pytest.raises(SourceUnavailable, match="HTTP 503 after 2 retries"):
        fetch(url)
    assert len(seen) == 3


@pytest.mark.parametrize("status", [400, 404, 422])
def test_client_errors_are_not_retried(server, status):
    url, script, seen = server
    script.append((status, '{"error": {"message": "no such thing"}}', {}))
    with pytest.raises(SourceUnavailable, match=f"HTTP {status}: no such thing"):
        fetch(url)
    assert len(seen) == 1


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "<html>oops</html>", ""])
def test_non_object_bodies_are_refused(server, body):
    url, script, _ = server
    script.append((200, body, {}))
    with pytest.raises(SourceUnavailable):
        fetch(url)


def test_retry_configuration():
    retry = make_retry(HttpConfig(retries=5, backoff_factor=0.25, backoff_max=3, retry_after_max=7))
    assert retry.total == 5 and retry.backoff_factor == 0.25 and retry.backoff_max == 3
    assert 429 in retry.status_forcelist and 500 in retry.status_forcelist and 404 not in retry.status_forcelist
    assert retry.respect_retry_after_header and retry.retry_after_cap == 7
    assert retry.is_retry("GET", 503) and not retry.is_retry("POST", 503)


def test_deadline_stops_a_long_pull():
    from chalicelib.connectors.vendor_http import Deadline

    deadline = Deadline("openai", 0)
    time.sleep(0.002)
    with pytest.raises(SourceUnavailable, match="deadline"):
        deadline.check()


def test_config_from_environment():
    assert HttpConfig.from_env({}) == HttpConfig()
    config = HttpConfig.from_env(
        {
            "VENDOR_HTTP_RETRIES": "1",
            "VENDOR_HTTP_BACKOFF_FACTOR": "0.01",
            "VENDOR_HTTP_READ_TIMEOUT": "3",
            "VENDOR_HTTP_DEADLINE": "50",
        }
    )
    assert (config.retries, config.backoff_factor, config.read_timeout, config.deadline) == (1, 0.01, 3, 50)
    for bad in ({"VENDOR_HTTP_RETRIES": "many"}, {"VENDOR_HTTP_DEADLINE": "-1"}):
        with pytest.raises(ValueError):
            HttpConfig.from_env(bad)
