"""OpenAI organization Costs and Usage API emulator: ``GET /v1/organization/costs`` and
``GET /v1/organization/usage/completions``.

Costs honour start_time/end_time (Unix seconds), bucket_width=1d, group_by (project_id,
line_item, api_key_id; repeated or comma-separated), project_ids, limit (1..180,
default 7 buckets per page) and page (the previous page's next_page). Bearer admin key
required (401 otherwise). Amounts are dollars written as JSON numbers, exactly.

Usage (completions) pages the same way (limit 1..31 for daily buckets), groups by project_id,
user_id, api_key_id, model, batch and service_tier, filters by project_ids and models, and is
derived from the same day's cost rows (local/vendor_emulators/usage.py): the tokens the costs
bill, restatements, omitted and emptied days included.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
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

GROUP_FIELDS = ("project_id", "line_item", "api_key_id")
# GET /v1/organization/usage/completions: its group_by fields, in the order results list them.
USAGE_GROUP_FIELDS = ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier")
DAY = 86400


class OpenAICostsApp(EmulatorApp):
    vendor = "openai"

    def __init__(self, api_key: str = demo_billing.OPENAI_ADMIN_KEY, results_for_day: Optional[RowsForDay] = None):
        super().__init__(api_key, results_for_day or demo_billing.openai_cost_results)

    routes = {"/v1/organization/costs": "costs", "/v1/organization/usage/completions": "usage_completions"}

    def error(self, status: int, message: str, kind: str = "invalid_request_error") -> Response:
        return json_response({"error": {"message": message, "type": kind, "param": None, "code": None}}, status)

    def auth_error(self, request: Request) -> Optional[Response]:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header[7:].strip() != self.api_key:
            return json_response(
                {
                    "error": {
                        "message": "Incorrect API key provided. This endpoint needs an admin key.",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": "invalid_api_key",
                    }
                },
                401,
            )
        return None

    def _day_results(self, day: date, group_by: set[str], project_ids: list[str]) -> list[dict[str, Any]]:
        grouped: dict[tuple, dict[str, Any]] = {}
        for row in self.results_for_day(day):
            project = row.get("project_id")
            if project_ids and project not in project_ids:
                continue
            factor = self.faults.factor(day, project or "none")
            value = Decimal(row["amount"]["value"]) * factor
            if factor != 1:
                value = value.quantize(Decimal("0.000001"))
            key = tuple(row.get(f) if f in group_by else None for f in GROUP_FIELDS)
            if key not in grouped:
                grouped[key] = {
                    "object": "organization.costs.result",
                    "amount": {"value": Decimal(0), "currency": row["amount"].get("currency", "usd")},
                    **{f: v for f, v in zip(GROUP_FIELDS, key, strict=False)},
                    "quantity": None,
                    "quantity_unit": None,
                }
                if "line_item" in group_by:
                    grouped[key]["quantity"] = 0
                    grouped[key]["quantity_unit"] = row.get("quantity_unit")
            result = grouped[key]
            result["amount"]["value"] += value
            if result["quantity"] is not None:
                result["quantity"] += int(row.get("quantity") or 0)
        return list(grouped.values())

    def on_costs(self, request: Request) -> Response:
        project_ids = request.args.getlist("project_ids") + request.args.getlist("project_ids[]")
        return self._page(
            request,
            max_limit=180,
            group_fields=GROUP_FIELDS,
            day_results=lambda day, group_by: self._day_results(day, group_by, project_ids),
        )

    def on_usage_completions(self, request: Request) -> Response:
        args = request.args
        project_ids = args.getlist("project_ids") + args.getlist("project_ids[]")
        models = args.getlist("models") + args.getlist("models[]")
        return self._page(
            request,
            max_limit=31,
            group_fields=USAGE_GROUP_FIELDS,
            day_results=lambda day, group_by: self._usage_results(day, group_by, project_ids, models),
        )

    def _usage_results(self, day: date, group_by: set[str], project_ids: list[str], models: list[str]) -> list:
        """The day's completions usage, derived from its cost rows (local/vendor_emulators/usage.py)."""
        rows = usage.openai_usage(self.results_for_day(day), lambda project: self.faults.factor(day, project or "none"))
        grouped = usage.counts_by_group(
            rows,
            USAGE_GROUP_FIELDS,
            group_by,
            keep=lambda row: (
                (not project_ids or row["project_id"] in project_ids) and (not models or row["model"] in models)
            ),
        )
        out = []
        for key, c in grouped.items():
            cached, written = c["cached"], c["write_5m"] + c["write_1h"]
            total = c["input"] + cached + written
            out.append(
                {
                    "object": "organization.usage.completions.result",
                    "input_tokens": total,
                    "input_cached_tokens": cached,
                    "input_cache_write_tokens": written,
                    "input_uncached_tokens": c["input"],
                    "output_tokens": c["output"],
                    "input_text_tokens": total,
                    "output_text_tokens": c["output"],
                    "input_cached_text_tokens": cached,
                    "input_audio_tokens": 0,
                    "input_cached_audio_tokens": 0,
                    "output_audio_tokens": 0,
                    "input_image_tokens": 0,
                    "input_cached_image_tokens": 0,
                    "output_image_tokens": 0,
                    "num_model_requests": c["requests"],
                    **{f: v for f, v in zip(USAGE_GROUP_FIELDS, key, strict=False)},
                }
            )
        return out

    def _page(self, request: Request, *, max_limit: int, group_fields, day_results) -> Response:
        """One page of daily buckets, as the Costs and Usage APIs page them; `day_results(day, group_by)`."""
        args = request.args
        try:
            start_time = int(args["start_time"])
        except (KeyError, ValueError):
            return self.error(400, "start_time (Unix seconds) is required")
        try:
            end_time = int(args["end_time"]) if args.get("end_time") else None
        except ValueError:
            return self.error(400, "end_time must be Unix seconds")
        try:
            limit, group_by = bucket_query(args, max_limit=max_limit, group_fields=group_fields, group_param="group_by")
        except BadQuery as exc:
            return self.error(400, str(exc))
        if end_time is None:
            end_time = int(
                datetime.combine(utc_today() + timedelta(days=1), datetime.min.time(), timezone.utc).timestamp()
            )
        if end_time <= start_time:
            return self.error(400, "end_time must be after start_time")

        def bucket_at(i: int) -> tuple[date, dict]:
            b_start = start_time + i * DAY
            day = datetime.fromtimestamp(b_start, tz=timezone.utc).date()
            return day, {"object": "bucket", "start_time": b_start, "end_time": min(b_start + DAY, end_time)}

        return self.bucket_page(
            args,
            limit=limit,
            n_buckets=-(-(end_time - start_time) // DAY),
            bucket_at=bucket_at,
            day_results=day_results,
            group_by=group_by,
            page_head={"object": "page"},
        )


def start_openai_emulator(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    api_key: str = demo_billing.OPENAI_ADMIN_KEY,
    results_for_day: Optional[RowsForDay] = None,
    quiet: bool = True,
) -> EmulatorHandle:
    """Serve the OpenAI Costs API in a thread; ``handle.url`` is an OPENAI_BASE_URL (…/v1)."""
    app = OpenAICostsApp(api_key=api_key, results_for_day=results_for_day)
    return serve_in_thread(app, host=host, port=port, base_path="/v1", quiet=quiet)
