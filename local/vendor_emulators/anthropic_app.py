"""Anthropic Admin API cost and usage report emulator: ``GET /v1/organizations/cost_report`` and
``GET /v1/organizations/usage_report/messages``.

The usage report pages like the cost report, groups by its group_by[] fields (account_id,
api_key_id, context_window, inference_geo, model, service_account_id, service_tier, speed,
workspace_id), filters by workspace_ids[] and models[], and is derived from the same day's cost rows
(local/vendor_emulators/usage.py): the tokens the costs bill, restatements included.

The cost report honours starting_at/ending_at (RFC 3339), bucket_width=1d, group_by[] (workspace_id,
description), limit (1..31, default 7 buckets per page) and page. Needs ``x-api-key``
(401 otherwise) and ``anthropic-version`` (400 otherwise). Amounts are decimal strings in
CENTS; a day with no cost has ``results: []``; the default workspace is ``null``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Optional

from werkzeug.wrappers import Request, Response

from local import demo_billing
from local.vendor_emulators import usage
from local.vendor_emulators.base import (
    BadQuery,
    EmulatorApp,
    EmulatorHandle,
    RowsForDay,
    bucket_query,
    json_response,
    serve_in_thread,
    utc_today,
)

GROUP_FIELDS = ("workspace_id", "description")
# Fields that only make sense per description (model, token type...): null when not grouped by it.
DESCRIPTION_FIELDS = ("context_window", "cost_type", "inference_geo", "model", "service_tier", "token_type")
# GET /v1/organizations/usage_report/messages: its group_by[] fields; a result always shows
# USAGE_SHOWN_FIELDS (null unless grouped by) and the others only when grouped by.
USAGE_GROUP_FIELDS = (
    "account_id",
    "api_key_id",
    "context_window",
    "inference_geo",
    "model",
    "service_account_id",
    "service_tier",
    "speed",
    "workspace_id",
)
USAGE_SHOWN_FIELDS = ("workspace_id", "api_key_id", "model", "service_tier", "context_window")


def _parse_rfc3339(text: str) -> datetime:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("timestamp needs an offset")
    return parsed.astimezone(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class AnthropicCostReportApp(EmulatorApp):
    vendor = "anthropic"

    def __init__(self, api_key: str = demo_billing.ANTHROPIC_ADMIN_KEY, results_for_day: Optional[RowsForDay] = None):
        super().__init__(api_key, results_for_day or demo_billing.anthropic_cost_results)

    routes = {
        "/v1/organizations/cost_report": "cost_report",
        "/v1/organizations/usage_report/messages": "usage_messages",
    }

    def error(self, status: int, message: str, kind: str = "invalid_request_error") -> Response:
        return json_response({"type": "error", "error": {"type": kind, "message": message}}, status)

    def bad_shape_body(self) -> Any:
        return {"data": {"unexpected": "object"}, "has_more": False, "next_page": None}

    def auth_error(self, request: Request) -> Optional[Response]:
        if request.headers.get("x-api-key", "") != self.api_key:
            return self.error(401, "invalid x-api-key", "authentication_error")
        if not request.headers.get("anthropic-version"):
            return self.error(400, "anthropic-version: header is required")
        return None

    def _day_results(self, day: date, group_by: set[str]) -> list[dict[str, Any]]:
        grouped: dict[tuple, dict[str, Any]] = {}
        for row in self.results_for_day(day):
            factor = self.faults.factor(day, row.get("workspace_id") or "default")
            cents = Decimal(row["amount"]) * factor
            if factor != 1:
                cents = cents.quantize(Decimal("0.001"))
            key = tuple(row.get(f) if f in group_by else None for f in GROUP_FIELDS)
            if key not in grouped:
                result = {f: (row.get(f) if "description" in group_by else None) for f in DESCRIPTION_FIELDS}
                result.update(amount=Decimal(0), currency=row.get("currency", "USD"))
                result.update(zip(GROUP_FIELDS, key, strict=False))
                grouped[key] = result
            grouped[key]["amount"] += cents
        out = []
        for result in grouped.values():
            result["amount"] = str(result["amount"])  # cents, as a decimal string
            out.append(dict(sorted(result.items())))
        return out

    def on_cost_report(self, request: Request) -> Response:
        return self._page(request, group_fields=GROUP_FIELDS, day_results=self._day_results)

    def on_usage_messages(self, request: Request) -> Response:
        args = request.args
        workspaces = args.getlist("workspace_ids[]") + args.getlist("workspace_ids")
        models = args.getlist("models[]") + args.getlist("models")
        return self._page(
            request,
            group_fields=USAGE_GROUP_FIELDS,
            day_results=lambda day, group_by: self._usage_results(day, group_by, workspaces, models),
        )

    def _usage_results(self, day: date, group_by: set[str], workspaces: list[str], models: list[str]) -> list:
        """The day's messages usage, derived from its cost rows (local/vendor_emulators/usage.py)."""
        rows = usage.anthropic_usage(self.results_for_day(day), lambda workspace: self.faults.factor(day, workspace))
        grouped = usage.counts_by_group(
            rows,
            USAGE_GROUP_FIELDS,
            group_by,
            keep=lambda row: (
                (not workspaces or (row["workspace_id"] or "default") in workspaces)
                and (not models or row["model"] in models)
            ),
        )
        out = []
        for key, c in grouped.items():
            fields = dict(zip(USAGE_GROUP_FIELDS, key, strict=False))
            result = {f: fields[f] for f in USAGE_SHOWN_FIELDS}
            result.update({f: fields[f] for f in group_by if f not in USAGE_SHOWN_FIELDS})
            result.update(
                uncached_input_tokens=c["input"],
                cache_read_input_tokens=c["cached"],
                cache_creation={"ephemeral_5m_input_tokens": c["write_5m"], "ephemeral_1h_input_tokens": c["write_1h"]},
                output_tokens=c["output"],
                server_tool_use={"web_search_requests": 0},
            )
            out.append(result)
        return out

    def _page(self, request: Request, *, group_fields, day_results) -> Response:
        """One page of daily buckets, as the cost and usage reports page them; `day_results(day, group_by)`."""
        args = request.args
        try:
            starting_at = _parse_rfc3339(args["starting_at"])
        except (KeyError, ValueError):
            return self.error(400, "starting_at: an RFC 3339 timestamp is required")
        try:
            ending_at = _parse_rfc3339(args["ending_at"]) if args.get("ending_at") else None
        except ValueError:
            return self.error(400, "ending_at: must be an RFC 3339 timestamp")
        try:
            limit, group_by = bucket_query(args, max_limit=31, group_fields=group_fields, group_param="group_by[]")
        except BadQuery as exc:
            return self.error(400, str(exc))
        first_day = starting_at.date()
        if ending_at is None:
            ending_at = datetime.combine(utc_today() + timedelta(days=1), time(0), timezone.utc)
        if ending_at <= starting_at:
            return self.error(400, "ending_at: must be after starting_at")
        last = ending_at.date() if ending_at.time() == time(0) else ending_at.date() + timedelta(days=1)

        def bucket_at(i: int) -> tuple[date, dict]:
            day = first_day + timedelta(days=i)
            day_start = datetime.combine(day, time(0), timezone.utc)
            return day, {"starting_at": _iso(day_start), "ending_at": _iso(day_start + timedelta(days=1))}

        return self.bucket_page(
            args,
            limit=limit,
            n_buckets=(last - first_day).days,
            bucket_at=bucket_at,
            day_results=day_results,
            group_by=group_by,
        )


def start_anthropic_emulator(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    api_key: str = demo_billing.ANTHROPIC_ADMIN_KEY,
    results_for_day: Optional[RowsForDay] = None,
    quiet: bool = True,
) -> EmulatorHandle:
    """Serve the Anthropic cost report in a thread; ``handle.url`` is an ANTHROPIC_BASE_URL."""
    app = AnthropicCostReportApp(api_key=api_key, results_for_day=results_for_day)
    return serve_in_thread(app, host=host, port=port, base_path="", quiet=quiet)
