"""Free loopback ports and readiness checks for the local stack."""
from __future__ import annotations

import socket
import time

import requests

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_until_up(url: str, timeout: float = 30.0, process=None) -> None:
    """Poll `url` until it answers (any status), the process dies, or `timeout` passes."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with code {process.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException as exc:
            last_error = exc
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not come up in {timeout:.0f} s: {last_error}")
