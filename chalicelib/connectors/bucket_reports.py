"""OpenAI's and Anthropic's daily bucketed reports (costs and usage), asked for and read one way.

Both vendors answer an admin-API report as pages of daily buckets, ``{"data": [{<day>, "results":
[...]}], "has_more", "next_page"}``, asked for with ``bucket_width=1d``, the groups, ``limit`` and
``page``. What differs is the vendor (`Vendor`): OpenAI dates a bucket by ``start_time`` (Unix
seconds), takes the window as ``start_time``/``end_time`` and the groups as ``group_by``; Anthropic
dates it by ``starting_at`` (RFC 3339), takes ``starting_at``/``ending_at`` and ``group_by[]``, and
answers an error as ``{"type": "error", "error": ...}``. A `BucketReport` adds the report's path,
groups and how one result becomes a fact, and gives its connector ``parse_page`` and ``pull``.

A bucket for a day answers that day, even with ``results: []``; a day with no bucket is not
answered (``connectors.common.Pulled``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Optional, cast

import requests

from chalicelib.connectors.common import (
    Pulled,
    check_window,
    in_window,
    parse_timestamp,
    utc_day_of_unix,
)
from chalicelib.connectors.errors import SourceUnavailable
from chalicelib.connectors.vendor_http import HttpConfig, pull_pages

Shape = Callable[[bool, str], None]  # raises the connector's own error when the condition is false
DEFAULT_LIMIT = 31  # buckets a page


def bucket_page(payload: Any, shape: Shape) -> tuple[list[Any], Optional[str]]:
    """The buckets (`data`) of one page of OpenAI's or Anthropic's bucketed reports (costs and usage
    alike) and the next page's cursor, None at the end. `shape(condition, what)` raises the
    connector's own error when the page is not as documented."""
    shape(isinstance(payload, dict), "page is not an object")
    data = payload.get("data")
    shape(isinstance(data, list), "'data' is not a list")
    has_more = payload.get("has_more", False)
    shape(isinstance(has_more, bool), "'has_more' is not a boolean")
    next_page = payload.get("next_page")
    shape(next_page is None or isinstance(next_page, str), "'next_page' is not a string")
    if has_more:
        shape(bool(next_page), "'has_more' is true but 'next_page' is empty")
    return data, (next_page if has_more else None)


def unix_bucket_day(bucket: dict[str, Any], where: str, shape: Shape) -> date:
    """The UTC day of an OpenAI bucket (``start_time``, Unix seconds)."""
    start_time = bucket.get("start_time")
    shape(isinstance(start_time, int) and not isinstance(start_time, bool), f"{where}.start_time is not Unix seconds")
    return utc_day_of_unix(cast(int, start_time))


def rfc3339_bucket_day(bucket: dict[str, Any], where: str, shape: Shape) -> date:
    """The UTC day of an Anthropic bucket (``starting_at``, RFC 3339)."""
    starting_at = bucket.get("starting_at")
    shape(isinstance(starting_at, str), f"{where}.starting_at is not a string")
    try:
        day: Optional[date] = parse_timestamp(cast(str, starting_at)).date()
    except ValueError:
        day = None
    shape(day is not None, f"{where}.starting_at {starting_at!r}")
    return cast(date, day)  # shape raised when None


@dataclass(frozen=True)
class Vendor:
    """How one vendor's admin API is asked for a bucketed report and dates its buckets."""

    source: str
    base_url_variable: str  # the environment variable that overrides the default base URL
    default_base_url: str
    window: tuple[str, str]  # the query names of [start, end)
    moment: Callable[[date], Any]  # a day as the window's query value
    group_by: str  # the query name of a group
    headers: Callable[[str], dict[str, str]]  # the admin key's headers
    bucket_day: Callable[[dict[str, Any], str, Shape], date]
    error_answer: bool = False  # answers an error as {"type": "error"} with HTTP 200

    def base_url(self) -> str:
        """The base URL from the environment, else the vendor's own."""
        return (os.environ.get(self.base_url_variable) or self.default_base_url).rstrip("/")


@dataclass(frozen=True)
class BucketReport:
    """One report of a `Vendor`: its path, groups and the fact one result gives."""

    vendor: Vendor
    path: str
    groups: tuple[str, ...]
    shape: Shape
    read_result: Callable[[dict[str, Any], str, date, int], Any]  # (result, where, day, page number) -> a fact
    max_limit: int = DEFAULT_LIMIT
    merge: Optional[Callable[[list[Any]], list[Any]]] = (
        None  # sums the pages' facts; default: cost facts (`merge_facts`)
    )

    def parse_page(
        self, payload: Any, *, page_no: int = 1, start: Optional[date] = None, end: Optional[date] = None
    ) -> tuple[list[Any], Optional[str], set[date]]:
        """Facts of one page (parsed with parse_float=Decimal; not merged here), the next page's cursor
        (None at the end) and the days in [start, end) the page has a bucket for. A page not as
        documented raises the connector's error (SourceUnavailable)."""
        if self.vendor.error_answer:
            self.shape(isinstance(payload, dict), "page is not an object")
            if payload.get("type") == "error":
                raise SourceUnavailable(self.vendor.source, f"error response: {payload.get('error')}")
        data, next_cursor = bucket_page(payload, self.shape)
        facts: list[Any] = []
        answered: set[date] = set()
        for b, bucket in enumerate(data):
            self.shape(isinstance(bucket, dict), f"data[{b}] is not an object")
            day = self.vendor.bucket_day(bucket, f"data[{b}]", self.shape)
            results = bucket.get("results")
            self.shape(isinstance(results, list), f"data[{b}].results is not a list")
            if not in_window(day, start, end):
                continue
            answered.add(day)  # a bucket for the day answers it, even with no results
            for r, result in enumerate(results):
                where = f"data[{b}].results[{r}]"
                self.shape(isinstance(result, dict), f"{where} is not an object")
                facts.append(self.read_result(result, where, day, page_no))
        return facts, next_cursor, answered

    def pull(
        self,
        admin_key: str,
        start: date,
        end: date,
        *,
        base_url: Optional[str] = None,
        limit: int = DEFAULT_LIMIT,
        config: Optional[HttpConfig] = None,
        session: Optional[requests.Session] = None,
    ) -> Pulled:
        """Every row of the report in [start, end) (UTC days), summed per day and group, and the days
        the vendor answered with a bucket. ``config`` defaults to ``HttpConfig.from_env()``. Raises
        SourceUnavailable on any failure (after retries)."""
        check_window(start, end)
        vendor = self.vendor
        if not admin_key:
            raise SourceUnavailable(vendor.source, "no admin key configured")
        if not 1 <= limit <= self.max_limit:
            raise ValueError(f"limit must be 1..{self.max_limit}")
        params = [
            (vendor.window[0], vendor.moment(start)),
            (vendor.window[1], vendor.moment(end)),
            ("bucket_width", "1d"),
            *((vendor.group_by, group) for group in self.groups),
            ("limit", limit),
        ]
        pulled: Pulled = pull_pages(
            vendor.source,
            (base_url.rstrip("/") if base_url else vendor.base_url()) + self.path,
            params=params,
            headers=vendor.headers(admin_key),
            config=config or HttpConfig.from_env(),
            session=session,
            merge=self.merge,
            parse_page=lambda payload, page_no: self.parse_page(payload, page_no=page_no, start=start, end=end),
        )
        return pulled
