"""HTTP routes and schedules: each parses, calls one service function, shapes the answer."""

import functools
import os
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Optional

from chalice import Chalice, Response
from chalice.app import ChaliceUnhandledError

from chalicelib import __version__, access, bootstrap, runtime
from chalicelib.observability import logger, metrics

app = Chalice(app_name="ai-finops")
RETRY_AFTER_SECONDS = 5  # told to clients when storage is unavailable (503)
STORAGE_UNAVAILABLE = (
    "storage is unavailable right now; a refused request changed nothing a retry would not repair: retry it later"
)
app.api.binary_types = []  # every body is text (JSON or CSV)


class ApiError(ChaliceUnhandledError):
    """Raised by a route, answered by `errors_and_correlation` through `_error`."""

    def __init__(self, status: int, message: str, headers: Optional[dict] = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def route(path: str, **options):
    """`app.route`, with storage outages (DynamoDB unreachable or throttling once botocore's retries
    are spent) answered 503 with Retry-After: Chalice turns any other exception of a view into its
    own 500 before the middleware sees it."""

    def register(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except ChaliceUnhandledError:
                raise
            except Exception as exc:
                if runtime.storage_unavailable(exc):
                    logger.warning("storage unavailable", extra={"error": type(exc).__name__})
                    raise ApiError(503, STORAGE_UNAVAILABLE, {"Retry-After": str(RETRY_AFTER_SECONDS)}) from exc
                raise

        return app.route(path, **options)(guarded)

    return register


def _error(status: int, message: str, /, **beside) -> Response:
    """The one error shape, `{"error": {"status", "message"}}` (`beside`: more fields, e.g. an import's bad rows)."""
    return Response(
        body={"error": {"status": status, "message": message}, **beside},
        status_code=status,
        headers={"Content-Type": "application/json"},
    )


def _caller(*scopes: str) -> access.Caller:
    """The caller behind the Authorization header. The route resolves it (no API Gateway authorizer), so a
    missing, unknown or revoked token is the same 401, and a scope the route does not serve the same 403,
    from API Gateway, `chalice local` and the test client. Lookups are cached 60 s per warm Lambda."""
    caller = bootstrap.backend().caller(app.current_request.headers.get("authorization"))
    if caller is None:
        raise ApiError(401, "missing or invalid bearer token")
    if caller.scope not in scopes:
        wanted = " or ".join(scopes)
        raise ApiError(403, f"this route needs {'an' if wanted[0] in 'aeiou' else 'a'} {wanted} token")
    return caller


def _month_param() -> str:
    """The `month` query parameter as YYYY-MM, or a 400 naming it."""
    from chalicelib.summary import BadMonth, parse_month

    try:
        return parse_month((app.current_request.query_params or {}).get("month"))
    except BadMonth as exc:
        raise ApiError(400, str(exc)) from exc


def _shaped(response: Response) -> Response:
    """Any error answer in the one shape: Chalice's own (`{"Code", "Message"}`: 405, 415, 500, ...) rewritten."""
    status = response.status_code
    if status < 400:
        return response
    body = response.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict) and {"status", "message"} <= set(body["error"]):
        return response
    if isinstance(body, (str, bytes)) and body and response.headers.get("Content-Type", "").startswith("text/"):
        return response  # Chalice's debug mode: a stack trace, kept for the developer
    body = body if isinstance(body, dict) else {}
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "error"
    message = body.get("Message") or body.get("message") or phrase
    beside = {k: v for k, v in body.items() if k not in ("Code", "Message", "error")}
    shaped = _error(status, str(message), **beside)
    shaped.headers.update({k: v for k, v in response.headers.items() if k.lower() != "content-type"})  # e.g. Allow
    return shaped


@app.middleware("http")
def errors_and_correlation(event, get_response):
    logger.set_correlation_id((event.context or {}).get("requestId"))
    try:
        try:
            response = get_response(event)
        except ApiError as exc:
            response = _error(exc.status, exc.message)
            response.headers.update(exc.headers)
        except Exception:  # noqa: BLE001 - a route's ChaliceUnhandledError: still a 500 in the one shape
            logger.exception("unhandled error")
            response = _error(500, "An internal server error occurred.")
        return _shaped(response)
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()


@route("/v1/health", methods=["GET"])
def health():
    if bootstrap.backend().storage_reachable():
        return {"status": "ok", "version": __version__, "storage": "ok"}
    response = _error(503, STORAGE_UNAVAILABLE, status="degraded", version=__version__, storage="unavailable")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@route("/v1/work-items", methods=["POST"])
def post_work_items():
    from chalicelib.domain.work_items import BadBatch
    from chalicelib.work_item_intake import post_work_items as intake

    caller = _caller("team")
    backend = bootstrap.backend()
    try:
        answer = intake(
            caller,
            app.current_request.raw_body,
            backend.organisation(),
            backend.stores.work_items,
            datetime.now(timezone.utc),
        )
    except BadBatch as exc:
        return _error(exc.status, str(exc))
    for outcome in ("accepted", "replaced", "rejected"):
        metrics.add_metric(name=f"WorkItems{outcome.title()}", unit="Count", value=answer[outcome])
    logger.info(
        "work items posted", extra={"team": caller.team, **{k: answer[k] for k in ("accepted", "replaced", "rejected")}}
    )
    return answer


@route("/v1/use-cases", methods=["GET"])
def list_use_cases():
    from chalicelib.guardrail import visible_use_cases

    caller = _caller("team", "sheet", "admin")
    backend = bootstrap.backend()
    return {"use_cases": visible_use_cases(caller, backend.organisation(), backend.stores.guardrails)}


@route("/v1/use-cases/{use_case_id}/guardrail", methods=["GET"])
def guardrail(use_case_id):
    from chalicelib.guardrail import UnknownUseCase, guardrail_for

    caller = _caller("team", "sheet", "admin")
    backend = bootstrap.backend()
    try:
        return guardrail_for(caller, use_case_id, backend.organisation(), backend.stores.guardrails)
    except UnknownUseCase:
        return _error(404, f"unknown use case: {use_case_id}")


@route("/v1/cost-imports", methods=["POST"], content_types=["text/csv", "application/csv", "text/plain"])
def cost_imports():
    from chalicelib.billing import FEED_PATTERN, MAX_ERRORS_LISTED, MAX_IMPORT_BYTES, import_cost_file
    from chalicelib.domain.money import api_amount

    _caller("admin")
    feed = (app.current_request.query_params or {}).get("feed")
    if not feed or not FEED_PATTERN.fullmatch(feed):
        return _error(
            400,
            "feed: required, 1 to 64 letters, digits, '.', '_', ':' or '-', naming the invoice "
            "stream this file restates (e.g. ?feed=pinecone-invoices)",
        )
    body = app.current_request.raw_body or b""
    if len(body) > MAX_IMPORT_BYTES:
        return _error(
            413,
            f"the file is {len(body):,} bytes; at most {MAX_IMPORT_BYTES:,} are accepted "
            "(split it by month and import each part to the same feed: a part restates only its own days)",
        )
    if not body.strip():
        return _error(400, "the body is empty: send a FOCUS or simple CSV file as text/csv")
    backend = bootstrap.backend()
    result = import_cost_file(body, backend.organisation(), backend.stores.ledger, feed=feed)
    answer = {
        "format": result.format,
        "feed": result.feed,
        "rows_read": result.rows_read,
        "rows_stored": result.rows_stored,
        "facts_stored": result.facts_stored,
        "total": api_amount(result.total),
        "errors": result.errors[:MAX_ERRORS_LISTED],
        "error_count": len(result.errors),
        "unmapped_keys": {k: api_amount(v) for k, v in sorted(result.unmapped.items())},
    }
    if result.errors:
        listed = "" if len(result.errors) <= MAX_ERRORS_LISTED else f" (the first {MAX_ERRORS_LISTED} are listed)"
        answer["message"] = f"{len(result.errors)} invalid cell(s): nothing was stored; fix the rows listed{listed}"
        return _error(400, answer["message"], **answer)
    answer["facts_removed"] = result.facts_removed
    answer["restated"] = [r.line for r in result.restatements]
    if answer["restated"]:  # named once in the next sync's Sync log, like a pull's restatements
        backend.stores.freshness.record_restatements(
            f"import {feed}", datetime.now(timezone.utc).isoformat(), answer["restated"]
        )
    logger.info("cost file imported", extra={"feed": result.feed, "rows": result.rows_stored})
    return answer


@route("/v1/summary", methods=["GET"])
def summary():
    from chalicelib.summary import month_summary

    _caller("admin", "sheet")
    month = _month_param()
    backend = bootstrap.backend()
    s = backend.stores
    return month_summary(month, backend.organisation(), s.ledger, s.work_items, s.freshness)


# --- the pipeline: runs on request, alerts, and the schedules -----------------------------------


@route("/v1/runs", methods=["POST"])
def request_run():
    from chalicelib.run_requests import BadRunRequest, queue_run

    caller = _caller("admin", "sheet")
    try:
        record = queue_run(app.current_request.raw_body, caller, datetime.now(timezone.utc))
    except BadRunRequest as exc:
        return _error(400, str(exc))
    return Response(
        body={"run_id": record.run_id, "kind": record.kind, "status": record.status, "queued_at": record.queued_at},
        status_code=202,
    )


@route("/v1/runs/{run_id}", methods=["GET"])
def get_run(run_id):
    from chalicelib.run_requests import run_answer

    _caller("admin", "sheet")
    answer = run_answer(run_id)
    return answer if answer is not None else _error(404, f"unknown run: {run_id}")


@route("/v1/alerts", methods=["GET"])
def list_alerts():
    from chalicelib.run_requests import BadRunRequest, open_alerts

    caller = _caller("team", "sheet", "admin")
    try:
        return open_alerts(
            caller, (app.current_request.query_params or {}).get("state", "open"), bootstrap.backend().organisation()
        )
    except BadRunRequest as exc:
        return _error(400, str(exc))


def _scheduled(kind: str, event) -> dict:
    """One pipeline run at the event's time (EventBridge's, or a simulated clock's locally)."""
    from chalicelib.bootstrap import dependencies
    from chalicelib.run_requests import event_time
    from chalicelib.services import pipeline

    record = pipeline.run(kind, dependencies(), event_time(getattr(event, "time", None))).record
    logger.info("scheduled run", extra={"run_id": record.run_id, "kind": kind, "status": record.status})
    return {"run_id": record.run_id, "status": record.status}


@app.schedule("cron(5 * * * ? *)", name="hourly")
def hourly(event):
    return _scheduled("hourly", event)


@app.schedule("cron(35 2 * * ? *)", name="daily")
def daily(event):
    return _scheduled("daily", event)


@app.schedule("cron(35 5 ? * MON *)", name="weekly")
def weekly(event):
    return _scheduled("weekly", event)


@app.schedule("cron(35 3 1 * ? *)", name="monthly")
def monthly(event):
    return _scheduled("monthly", event)


@app.on_sqs_message(queue=os.environ.get("RUNS_QUEUE", "finops-runs"), batch_size=1, name="requested_runs")
def requested_runs(event):
    """Runs queued by POST /v1/runs: the API Lambda never waits for a run."""
    from chalicelib.bootstrap import dependencies
    from chalicelib.run_requests import run_message
    from chalicelib.services import pipeline

    for message in event:
        kind, run_id, now = run_message(message.body)
        pipeline.run(kind, dependencies(), now, run_id=run_id)


# --- exports: the allocated ledger as FOCUS, cost per unit as a plain CSV ----------------------------


def _csv_export(kind: str, month: str, text: str, narrower: str = "") -> Response:
    """A CSV answer, or 413 when it would not fit a Lambda response (6 MB): the CLI writes any size."""
    from chalicelib.exports import LAMBDA_RESPONSE_LIMIT, fits_response

    fits, size = fits_response(text)
    if not fits:
        return _error(
            413,
            f"the {kind} export of {month} is {size:,} bytes as a Lambda response; at most "
            f"{LAMBDA_RESPONSE_LIMIT:,} fit: {narrower}run `python -m chalicelib.cli export {kind} "
            f"--month {month} --output FILE` instead (no size limit)",
        )
    return Response(
        body=text,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{kind}-{month}.csv"',
        },
    )


@route("/v1/exports/focus", methods=["GET"])
def export_focus():
    from chalicelib.exports import month_focus_csv

    _caller("admin", "sheet")
    month = _month_param()
    team = (app.current_request.query_params or {}).get("team") or None
    backend = bootstrap.backend()
    s = backend.stores
    return _csv_export(
        "focus",
        month,
        month_focus_csv(month, backend.organisation(), s.ledger, s.work_items, team),
        "" if team else "ask for one team at a time (?team=...; 'unallocated' for the rest) or ",
    )


@route("/v1/exports/unit-costs", methods=["GET"])
def export_unit_costs():
    from chalicelib.exports import month_unit_costs_csv

    _caller("admin", "sheet")
    month = _month_param()
    backend = bootstrap.backend()
    s = backend.stores
    today = datetime.now(timezone.utc).date()
    return _csv_export(
        "unit-costs", month, month_unit_costs_csv(month, backend.organisation(), s.ledger, s.work_items, today)
    )


# --- any other method of a path: 405 with Allow, from the application ----------------------------------
# Declared here, after every route, so every environment answers alike: without these API Gateway
# would answer an undeclared method itself (403 "Missing Authentication Token"), and `chalice local`
# would answer OPTIONS itself (200, no body). TRACE and QUERY cannot be declared: API Gateway does not
# take them, and `chalice local`'s development server answers them 501 before the application.
OTHER_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def _not_allowed(path: str, served: list):
    allow = ", ".join(served)

    def method_not_allowed(**_path_parameters):
        method = app.current_request.method
        raise ApiError(405, f"Unsupported method: {method} ({path} serves {allow})", {"Allow": allow})

    method_not_allowed.refuses_method = True  # tests/test_openapi.py: not an operation of the document
    return method_not_allowed


for _path, _views in list(app.routes.items()):
    _served = [m for m in OTHER_METHODS if m in _views]
    _others = [m for m in OTHER_METHODS if m not in _views]
    if _others:  # any body, any content type: the method is what is refused
        app.route(
            _path,
            methods=_others,
            content_types=["*/*"],
            name="not_allowed" + _path.replace("/", "_").replace("{", "").replace("}", "").replace("-", "_"),
        )(_not_allowed(_path, _served))
