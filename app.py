"""HTTP routes and schedules: each parses, calls one service function, shapes the answer."""
from datetime import datetime, timezone

from chalice import AuthResponse, Chalice, ForbiddenError, Response, UnauthorizedError

from chalicelib import __version__, access, stores
from chalicelib.observability import logger, metrics

app = Chalice(app_name="ai-finops")
app.api.binary_types = []  # every body is text (JSON or CSV)


@app.authorizer(ttl_seconds=60)
def token_authorizer(auth_request):
    # An unknown token is let through with no scope so the route answers 401 itself: the
    # same answer from API Gateway, `chalice local` and the test client.
    caller = access.resolve(auth_request.token, stores.stores().tokens.lookup)
    context = {"scope": caller.scope, "team": caller.team, "token_id": caller.token_id} if caller else {"scope": ""}
    return AuthResponse(routes=["*"], principal_id=caller.token_id if caller else "anonymous", context=context)


def _caller(*scopes: str) -> access.Caller:
    context = (app.current_request.context or {}).get("authorizer") or {}
    if not context.get("scope"):
        raise UnauthorizedError("missing or invalid bearer token")
    if context["scope"] not in scopes:
        raise ForbiddenError(f"this route needs a {' or '.join(scopes)} token")
    return access.Caller(context.get("token_id", ""), context["scope"], context.get("team", ""))


def _error(status: int, message: str) -> Response:
    return Response(body={"error": {"status": status, "message": message}}, status_code=status)


@app.middleware("http")
def correlate_and_flush(event, get_response):
    logger.set_correlation_id((event.context or {}).get("requestId"))
    try:
        return get_response(event)
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()


@app.route("/v1/health", methods=["GET"])
def health():
    return {"status": "ok", "version": __version__}


@app.route("/v1/work-items", methods=["POST"], authorizer=token_authorizer)
def post_work_items():
    from chalicelib.domain.work_items import BadBatch
    from chalicelib.work_item_intake import post_work_items as intake

    caller = _caller("team")
    try:
        answer = intake(caller, app.current_request.raw_body, stores.organisation(),
                        stores.stores().work_items, datetime.now(timezone.utc))
    except BadBatch as exc:
        return _error(exc.status, str(exc))
    for outcome in ("accepted", "replaced", "rejected"):
        metrics.add_metric(name=f"WorkItems{outcome.title()}", unit="Count", value=answer[outcome])
    logger.info("work items posted", extra={"team": caller.team, **{k: answer[k] for k in
                                                                    ("accepted", "replaced", "rejected")}})
    return answer


@app.route("/v1/use-cases", methods=["GET"], authorizer=token_authorizer)
def list_use_cases():
    from chalicelib.guardrail import visible_use_cases

    caller = _caller("team", "sheet", "admin")
    return {"use_cases": visible_use_cases(caller, stores.organisation(), stores.stores().guardrails)}


@app.route("/v1/use-cases/{use_case_id}/guardrail", methods=["GET"], authorizer=token_authorizer)
def guardrail(use_case_id):
    from chalicelib.guardrail import UnknownUseCase, guardrail_for

    caller = _caller("team", "sheet", "admin")
    try:
        return guardrail_for(caller, use_case_id, stores.organisation(), stores.stores().guardrails)
    except UnknownUseCase:
        return _error(404, f"unknown use case: {use_case_id}")


@app.route("/v1/cost-imports", methods=["POST"], authorizer=token_authorizer,
           content_types=["text/csv", "application/csv", "text/plain"])
def cost_imports():
    from chalicelib.billing import FEED_PATTERN, import_cost_file
    from chalicelib.guardrail import money

    _caller("admin")
    feed = (app.current_request.query_params or {}).get("feed")
    if not feed or not FEED_PATTERN.match(feed):
        return _error(400, "feed: required, 1 to 64 letters, digits, '.', '_', ':' or '-', naming the invoice "
                           "stream this file restates (e.g. ?feed=pinecone-invoices)")
    body = app.current_request.raw_body or b""
    if not body.strip():
        return _error(400, "the body is empty: send a FOCUS or simple CSV file as text/csv")
    result = import_cost_file(body, stores.organisation(), stores.stores().ledger, feed=feed)
    answer = {"format": result.format, "feed": result.feed, "rows_read": result.rows_read,
              "rows_stored": result.rows_stored, "facts_stored": result.facts_stored,
              "total": money(result.total), "errors": result.errors,
              "unmapped_keys": {k: money(v) for k, v in sorted(result.unmapped.items())}}
    if result.errors:
        answer["message"] = f"{len(result.errors)} invalid cell(s): nothing was stored; fix the rows listed"
        return Response(body=answer, status_code=400)
    logger.info("cost file imported", extra={"feed": result.feed, "rows": result.rows_stored})
    return answer


@app.route("/v1/summary", methods=["GET"], authorizer=token_authorizer)
def summary():
    from chalicelib.summary import BadMonth, month_summary, parse_month

    _caller("admin", "sheet")
    try:
        month = parse_month((app.current_request.query_params or {}).get("month"))
    except BadMonth as exc:
        return _error(400, str(exc))
    s = stores.stores()
    return month_summary(month, stores.organisation(), s.ledger, s.work_items, s.freshness)
