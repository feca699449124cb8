"""Request log and fault injection (for tests and benchmarks)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Optional

from .errors import ApiError


@dataclass
class Fault:
    status: int = 500
    count: Optional[int] = None  # answer this many matching requests, then expire
    fail_after: int = 0  # let this many matching requests through first
    match: Optional[str] = None  # substring of the path
    methods: Optional[list[str]] = None
    delay_ms: int = 0  # latency to add (with status 0: delay only)
    message: Optional[str] = None
    after_commit: bool = False  # apply the request, then answer with the error
    seen: int = 0
    fired: int = 0

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, []) and not (k == "after_commit" and not v)}

    def matches(self, method: str, path: str) -> bool:
        if self.match and self.match not in path:
            return False
        if self.methods and method.upper() not in [m.upper() for m in self.methods]:
            return False
        return True

    @property
    def expired(self) -> bool:
        return self.count is not None and self.fired >= self.count


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules: list[Fault] = []

    def add(self, spec: dict) -> Fault:
        known = {"status", "count", "fail_after", "match", "methods", "delay_ms", "message", "after_commit"}
        unknown = set(spec) - known
        if unknown:
            raise ApiError(400, f"unknown fault fields: {sorted(unknown)}")
        if "status" not in spec and spec.get("delay_ms"):
            spec = dict(spec, status=0)  # latency only
        fault = Fault(**spec)
        if fault.count is None and not fault.fail_after and fault.status and not fault.delay_ms:
            fault.count = 1
        with self.lock:
            self.rules.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def check(self, method: str, path: str) -> tuple[int, Optional[Fault]]:
        """(delay_ms, fault to answer with or None) for one API request."""
        delay = 0
        hit = None
        with self.lock:
            for fault in self.rules:
                if fault.expired or not fault.matches(method, path):
                    continue
                fault.seen += 1
                if fault.seen <= fault.fail_after:
                    continue
                delay = max(delay, fault.delay_ms)
                if fault.status and hit is None:
                    hit = fault
                    fault.fired += 1
                elif not fault.status:
                    fault.fired += 1
            self.rules = [f for f in self.rules if not f.expired]
        return delay, hit

    def to_json(self) -> list[dict]:
        with self.lock:
            return [f.to_json() for f in self.rules]


class RequestLog:
    def __init__(self, maxlen: int = 100_000):
        self.lock = threading.Lock()
        self.entries: deque = deque(maxlen=maxlen)
        self.seq = 0

    def add(self, **entry) -> None:
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.entries.append(entry)

    def snapshot(self) -> list[dict]:
        with self.lock:
            return [dict(e) for e in self.entries]

    def reset(self) -> None:
        with self.lock:
            self.entries.clear()
