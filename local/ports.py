"""Free loopback ports and readiness checks for the local stack."""

from __future__ import annotations

import errno
import socket
import time

import requests

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class PortInUse(RuntimeError):
    """A port the local stack needs is taken: the message names it, what wanted it, and what to do."""

    def __init__(self, port: int, what: str, host: str = HOST, hint: str = ""):
        self.port, self.what, self.host = port, what, host
        message = f"port {port} on {host} is already in use (wanted for {what})"
        super().__init__(message + (f": {hint}" if hint else ""))


def check_free(port: int, what: str, host: str = HOST, hint: str = "") -> None:
    """Raise PortInUse when something listens on `port` (a bind like the servers' own, SO_REUSEADDR
    on, so a socket in TIME_WAIT from the last run does not count as taken)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(port, what, host, hint) from None
            raise


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
