"""`make fuzz`: schemathesis against openapi.yaml on the local stack, once per token scope.

    python -m local.api_fuzz [--seconds 40] [--examples 25] [--seed 14] [--scopes admin,sheet,...]

What it proves, on `chalice local` + moto's server (local/stack.py), and what makes it fail:

1. No 5xx from the application, under any scope (admin, sheet, team A = claims, team B = sales,
   and a revoked token), in any of schemathesis' phases (examples, coverage, fuzzing, stateful).
2. Every answer matches openapi.yaml: schemathesis runs all its checks (status codes, content
   types, headers, schemas, 405 + Allow for undeclared methods, 401 without or with a made-up
   token, ...) with the few exceptions local/schemathesis.toml explains.
3. The stored data after the run is exactly what the accepted requests wrote: the tables as the
   run began, plus the accepted writes (a 200 to POST /v1/work-items or /v1/cost-imports, a 202 to
   POST /v1/runs) replayed in order on a fresh in-process copy (moto, chalice.test.Client), equal
   the tables after the run; and the work items stored are exactly those the answers called
   accepted or replaced, with counters equal to their sums (a model that does not use the app).

Answers that come from `chalice local`'s development server and never from the application are
named, not counted as the application's: TRACE and QUERY (http.server's 501 page: the app never
sees them; API Gateway does not serve them either), a path no route matches (403 "Missing
Authentication Token" in API Gateway's own words, which API Gateway gives in the error shape,
infra/gateway_responses.json), a body sent after a HEAD answer, no answer at all to a non-ASCII
token on such a path or to a Content-Length that is not a number, and a chunked body dropped.

Exit status 0 when all holds; the table and each scope's schemathesis log (.local/fuzz/) say what
did not. Time: about `--seconds` per scope plus ~10 s (the stack, the replay).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
CONFIG = ROOT / "local" / "schemathesis.toml"
HOOKS = ROOT / "local" / "api_fuzz_hooks.py"
OUT = ROOT / ".local" / "fuzz"
SCOPES = ("admin", "sheet", "team-a", "team-b", "revoked")
TEAM_A, TEAM_B = "claims", "sales"
TABLES = ("finops-config", "finops-work-items", "finops-unit-counts", "finops-cost-facts")
ALL_PHASES = "examples,coverage,fuzzing,stateful"
WRITES = {("POST", "/v1/work-items"): 200, ("POST", "/v1/cost-imports"): 200, ("POST", "/v1/runs"): 202}
DEV_SERVER_METHODS = ("TRACE", "QUERY")  # http.server has no do_TRACE / do_QUERY: 501 before the app


@dataclass
class Plan:
    scopes: tuple = SCOPES
    seconds: Optional[int] = 40  # schemathesis' --max-time per scope (None: until its phases end)
    examples: int = 25  # --max-examples per operation
    seed: int = 14
    phases: str = ALL_PHASES
    out: Path = OUT
    echo: bool = True  # progress lines on stdout


@dataclass
class ScopeRun:
    scope: str
    exit_code: int
    seconds: float
    requests: int
    failures: list  # schemathesis' failure headings ("ST101 Server error: 2", ...)
    log: Path


@dataclass
class Outcome:
    runs: list = field(default_factory=list)
    records: list = field(default_factory=list)
    app_5xx: list = field(default_factory=list)  # (scope, method, path, status)
    dev_server: list = field(default_factory=list)  # (method, path, status, what)
    stored: list = field(default_factory=list)  # differences: replay vs the stack's tables
    model: list = field(default_factory=list)  # differences: work items vs the answers
    accepted_writes: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.app_5xx and not self.stored and not self.model and all(r.exit_code == 0 for r in self.runs)


# --- running schemathesis ------------------------------------------------------------------------


def _st() -> str:
    return str(Path(sys.executable).with_name("st"))


def run_scope(url: str, scope: str, token: Optional[str], plan: Plan, record: Path) -> ScopeRun:
    log = plan.out / f"schemathesis-{scope}.log"
    argv = [
        _st(),
        "--no-color",
        "--config-file",
        str(CONFIG),
        "run",
        str(SPEC),
        "--url",
        url,
        "--checks",
        "all",
        "--workers",
        "1",
        "--seed",
        str(plan.seed),
        "--max-examples",
        str(plan.examples),
        "--phases",
        plan.phases,
        "--output-truncate",
        "false",
    ]
    if token:
        argv += ["--header", f"Authorization: Bearer {token}"]
    if plan.seconds:
        argv += ["--max-time", str(plan.seconds)]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HOOKS),
        "API_FUZZ_RECORD": str(record),
        "API_FUZZ_SCOPE": scope,
        "API_FUZZ_TOKEN": token or "",
    }
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(name, None)  # schemathesis talks HTTP to the API only
    before = _count_lines(record)
    started = time.monotonic()
    with log.open("w") as out:
        code = subprocess.run(
            argv, cwd=plan.out, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=(plan.seconds or 600) * 3 + 120
        ).returncode
    return ScopeRun(
        scope,
        code,
        time.monotonic() - started,
        _count_lines(record) - before,
        _failure_lines(log.read_text(errors="replace")),
        log,
    )


def _count_lines(path: Path) -> int:
    return sum(1 for _ in path.open()) if path.exists() else 0


def _failure_lines(text: str) -> list:
    """The lines of schemathesis' summary under "Failures:" (e.g. "ST101 Server error: 2")."""
    lines, inside = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("Failures:"):
            inside = True
            continue
        if inside:
            if not stripped or stripped.endswith(":") and not stripped.startswith("❌"):
                break
            lines.append(stripped.lstrip("❌ ").strip())
    if not lines and "Traceback" in text:
        lines.append("schemathesis itself failed (see its log)")
    return lines


def read_records(path: Path) -> list:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.open() if line.strip()]


def body_bytes(part: Optional[dict]) -> bytes:
    return base64.b64decode(part["body"]) if part and part.get("body") else b""


# --- whose answer is it: the application's or the development server's -----------------------------


def answer_source(method: str, status: int, headers: dict, body: bytes) -> str:
    """'app', or what in `chalice local`'s development server answered instead of the application."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if lowered.get("content-type", "").startswith("text/html") and b"Error response" in body:
        return f"dev server: http.server's own {status} page"
    if status == 403 and body.strip() == b'{"message": "Missing Authentication Token"}':
        return "dev server: no route matches the path (API Gateway's 403 Missing Authentication Token)"
    if status == 403 and body.startswith(b'{"message": "Authorization header requires'):
        return "dev server: no route matches the path, a token sent (API Gateway's SigV4 403)"
    if method == "OPTIONS" and status == 200 and not body and "access-control-allow-methods" in lowered:
        return "dev server: CORS preflight answered without the app"
    return "app"


def probe_dev_server(url: str, token: str) -> list:
    """One request per path and method the development server answers itself; (method, path, status, what)."""
    import requests
    import yaml

    paths = [
        p.replace("{use_case_id}", "claims-processing").replace("{run_id}", "nope")
        for p in yaml.safe_load(SPEC.read_text())["paths"]
    ]
    seen = []
    auth = {"Authorization": f"Bearer {token}"}
    with requests.Session() as session:
        for path in paths:
            for method in DEV_SERVER_METHODS:
                r = session.request(method, url + path, headers=auth)
                seen.append((method, path, r.status_code, answer_source(method, r.status_code, r.headers, r.content)))
        r = session.get(url + "/v1/no-such-route", headers=auth)
        seen.append(
            ("GET", "/v1/no-such-route", r.status_code, answer_source("GET", r.status_code, r.headers, r.content))
        )
    # HEAD: the app answers 405 with Allow, and the development server writes the body after it
    # (a client keeping the connection would read it as the next answer): one connection per HEAD.
    r = requests.head(url + "/v1/health", headers={"Connection": "close"})
    seen.append(
        (
            "HEAD",
            "/v1/health",
            r.status_code,
            "app (405 + Allow); the dev server also writes the body after a HEAD answer",
        )
    )
    # Requests http.server cannot read: it drops the connection or the body before the app runs.
    host, port = url.split("//", 1)[1].split(":")
    for method, path, head, body, what in (
        (
            "GET",
            "/v1/no-such-route",
            "Authorization: Bearer caf\xe9\r\n",
            b"",
            "dev server: no answer to a non-ASCII token on a path no route matches (it fails encoding it)",
        ),
        (
            "POST",
            "/v1/runs",
            "Content-Length: ten\r\n",
            b"{}",
            "dev server: no answer to a Content-Length that is not a number",
        ),
        (
            "POST",
            "/v1/runs",
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
            b'd\r\n{"kind": "x"}\r\n0\r\n\r\n',
            "dev server: a chunked body dropped (the app saw none: 202 for an empty body, not 400 for kind x)",
        ),
    ):
        status = _raw_status(
            host,
            int(port),
            f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{head}Connection: close\r\n\r\n".encode("latin-1") + body,
        )
        seen.append((method, path, status or "no answer", what))
    return seen


def _raw_status(host: str, port: int, request: bytes) -> Optional[int]:
    """The status of the answer to `request` sent as bytes, or None when the connection closes without one."""
    import socket

    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(request)
        first = conn.recv(64)
    parts = first.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[0].startswith(b"HTTP/") and parts[1].isdigit() else None


# --- stored data -----------------------------------------------------------------------------------


def dump_tables(client) -> dict:
    """table -> {key: item} (items in DynamoDB JSON, keyed by their primary key)."""
    keys = {
        t["Table"]["TableName"]: [k["AttributeName"] for k in t["Table"]["KeySchema"]]
        for t in (client.describe_table(TableName=name) for name in TABLES)
    }
    out = {}
    for name in TABLES:
        items = client.get_paginator("scan").paginate(TableName=name, ConsistentRead=True).build_full_result()
        out[name] = {tuple(json.dumps(i[k], sort_keys=True) for k in keys[name]): i for i in items["Items"]}
    return out


def accepted_writes(records: list) -> list:
    """The records whose request the application accepted and that write: in the order sent."""
    out = []
    for r in records:
        req, resp = r["request"], r["response"]
        if resp is None or req.get("auth") != "scope":
            continue
        if WRITES.get((req["method"], req["path"])) == resp["status"]:
            out.append(r)
    return out


def replay(before: dict, writes: list, tokens: dict) -> tuple:
    """The accepted writes sent again, in order, to the app in-process on moto holding `before`.
    Returns (tables after, answer mismatches)."""
    from chalice.test import Client
    from moto import mock_aws

    saved = {
        k: os.environ.get(k)
        for k in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION",
            "AWS_ENDPOINT_URL",
            "ALERT_SENDER",
            "OUTBOX_EML_DIR",
        )
    }
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    for name in ("AWS_ENDPOINT_URL", "ALERT_SENDER", "OUTBOX_EML_DIR"):
        os.environ.pop(name, None)
    mismatches = []
    from chalicelib.observability import logger

    level = logger.log_level
    logger.setLevel("ERROR")  # the replay's own lines (and metrics, printed) stay out of the report
    try:
        with mock_aws(), contextlib.redirect_stdout(io.StringIO()):
            import boto3

            import app as app_module
            from chalicelib import bootstrap
            from local.tables import create_tables

            served = bootstrap.install(bootstrap.Backend.from_env())  # the replay's own world, on this moto
            client = boto3.client("dynamodb")
            create_tables(client)
            boto3.client("sqs").create_queue(QueueName=os.environ.get("RUNS_QUEUE", "finops-runs"))
            for table, items in before.items():
                for item in items.values():
                    client.put_item(TableName=table, Item=item)
            with Client(app_module.app) as api:
                for r in writes:
                    req = r["request"]
                    headers = {**req["headers"], "Authorization": f"Bearer {tokens[r['scope']]}"}
                    path = req["path"] + (f"?{req['query']}" if req["query"] else "")
                    answer = api.http.request(req["method"], path, headers=headers, body=body_bytes(req))
                    if answer.status_code != r["response"]["status"] or not _same_answer(
                        req["path"], json.loads(body_bytes(r["response"])), json.loads(answer.body)
                    ):
                        mismatches.append(
                            f"{req['method']} {path}: answered {r['response']['status']} in the run, "
                            f"{answer.status_code} replayed: {answer.body[:200]!r}"
                        )
                    r["replayed"] = json.loads(answer.body)
            after = dump_tables(client)
            bootstrap.install(served)
    finally:
        logger.setLevel(level)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return after, mismatches


def _same_answer(path: str, first: dict, second: dict) -> bool:
    if path == "/v1/runs":  # a new run id and time: the rest must agree
        return {k: v for k, v in first.items() if k not in ("run_id", "queued_at")} == {
            k: v for k, v in second.items() if k not in ("run_id", "queued_at")
        }
    return first == second


# When, not what: a work item's posted_at, a run's queued_at and expiry, the second a day's revision
# was last bumped (t01..t31 of the "~revs#YYYY-MM" rows, storage/settled_days.py).
WALL_FIELD = re.compile(r"posted_at|queued_at|expires_at|updated_at|t[0-3][0-9]")


def _normalised(tables: dict, run_ids: dict) -> dict:
    """The tables with the wall-clock fields blanked and run ids renamed by the order they were
    answered in (the replay runs later than the run, so these alone may differ)."""

    def fix(value):
        if isinstance(value, dict):
            if set(value) == {"S"} and value["S"] in run_ids:
                return {"S": run_ids[value["S"]]}
            if set(value) == {"S"}:
                text = value["S"]
                for old, new in run_ids.items():
                    text = text.replace(old, new)
                return {"S": text}
            return {k: ("<wall>" if WALL_FIELD.fullmatch(k) else fix(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    out = {}
    for table, items in tables.items():
        out[table] = {}
        for item in items.values():
            item = fix(item)
            key = json.dumps(
                {
                    k: item[k]
                    for k in sorted(item)
                    if k in ("pk", "sk", "use_case", "work_item_id", "day", "source_day", "fact_id")
                },
                sort_keys=True,
            )
            out[table][key] = item
    return out


def compare_stored(after: dict, replayed: dict, writes: list) -> list:
    ours = {
        w["replayed"]["run_id"]: f"run-{i}"
        for i, w in enumerate(x for x in writes if x["request"]["path"] == "/v1/runs")
    }
    theirs = {
        json.loads(body_bytes(w["response"]))["run_id"]: f"run-{i}"
        for i, w in enumerate(x for x in writes if x["request"]["path"] == "/v1/runs")
    }
    a, b = _normalised(after, theirs), _normalised(replayed, ours)
    differences = []
    for table in TABLES:
        for key in sorted(set(a[table]) | set(b[table])):
            if a[table].get(key) != b[table].get(key):
                what = (
                    "only after the run"
                    if key not in b[table]
                    else "only in the replay"
                    if key not in a[table]
                    else "differs"
                )
                differences.append(f"{table} {key}: {what}")
    return differences


def check_work_item_model(after: dict, writes: list) -> list:
    """The work items stored are exactly the accepted and replaced ones (the last of each id),
    and each day's counters are their sums."""
    from chalicelib.domain.work_items import parse_batch

    expected = {}
    for w in writes:
        if w["request"]["path"] != "/v1/work-items":
            continue
        items = parse_batch(body_bytes(w["request"]))
        for result in json.loads(body_bytes(w["response"]))["results"]:
            if result["status"] in ("accepted", "replaced"):
                raw = items[result["index"]]
                at = datetime.fromisoformat(raw["completed_at"].replace("Z", "+00:00")).astimezone(timezone.utc)
                expected[(raw["use_case"], raw["work_item_id"])] = (
                    at.date().isoformat(),
                    raw["status"],
                    Decimal(str(raw.get("human_review_minutes", 0))),
                )
    stored = {}
    for item in after["finops-work-items"].values():
        stored[(item["use_case"]["S"], item["work_item_id"]["S"])] = (
            item["day"]["S"],
            item["status"]["S"],
            Decimal(item.get("human_review_minutes", {"N": "0"})["N"]),
        )
    differences = [
        f"work item {key}: stored {stored.get(key)}, the answers say {expected.get(key)}"
        for key in sorted(set(stored) | set(expected))
        if stored.get(key) != expected.get(key)
    ]
    sums: dict = {}
    for (use_case, _), (day, status, minutes) in expected.items():
        units, success, total = sums.get((use_case, day), (0, 0, Decimal(0)))
        sums[(use_case, day)] = (units + 1, success + (status == "success"), total + minutes)
    counted = {}
    for item in after["finops-unit-counts"].values():
        use_case, day = item["use_case"]["S"], item["day"]["S"]
        if use_case.startswith("~"):
            continue  # legacy batch markers
        row = (
            int(item.get("units", {"N": "0"})["N"]),
            int(item.get("success_units", {"N": "0"})["N"]),
            Decimal(item.get("review_minutes", {"N": "0"})["N"]),
        )
        if row != (0, 0, 0):
            counted[(use_case, day)] = row
    differences += [
        f"counter {key}: {counted.get(key)}, its items sum to {sums.get(key)}"
        for key in sorted(set(counted) | set(sums))
        if counted.get(key) != sums.get(key)
    ]
    return differences


# --- the run ------------------------------------------------------------------------------------------


def fuzz(plan: Plan) -> Outcome:
    import boto3

    from chalicelib import stores
    from local.stack import LocalStack

    plan.out.mkdir(parents=True, exist_ok=True)
    record = plan.out / "requests.jsonl"
    record.unlink(missing_ok=True)
    outcome = Outcome()
    say = print if plan.echo else (lambda *a, **k: None)
    workdir = Path(tempfile.mkdtemp(prefix="api-fuzz-"))
    try:
        with LocalStack(workbook=workdir / "finops.xlsx") as stack:
            now = datetime.now(timezone.utc)
            token_store = stores.stores().tokens
            revoked, grant = token_store.create("team", TEAM_A, now, "api fuzz: revoked")
            token_store.revoke(grant.token_id)
            tokens = {
                "admin": stack.tokens["admin"],
                "sheet": stack.tokens["sheet"],
                "team-a": stack.tokens["teams"][TEAM_A],
                "team-b": stack.tokens["teams"][TEAM_B],
                "revoked": revoked,
            }
            dynamodb = boto3.client("dynamodb")
            before = dump_tables(dynamodb)
            say(
                f"local stack up at {stack.api_url}; schemathesis per scope "
                f"(seed {plan.seed}, {plan.examples} examples, {plan.seconds or 'no'} s limit, phases {plan.phases})",
                flush=True,
            )
            for scope in plan.scopes:
                run = run_scope(stack.api_url, scope, tokens[scope], plan, record)
                outcome.runs.append(run)
                say(
                    f"  {scope:8} {run.requests:6} requests {run.seconds:6.1f} s  "
                    f"{'ok' if run.exit_code == 0 else 'FAILED: ' + '; '.join(run.failures)}",
                    flush=True,
                )
            after = dump_tables(dynamodb)
            outcome.dev_server = probe_dev_server(stack.api_url, tokens["admin"])  # after: a probe may write
        outcome.records = read_records(record)
        for r in outcome.records:
            resp, req = r["response"], r["request"]
            if (
                resp
                and resp["status"] >= 500
                and answer_source(req["method"], resp["status"], resp["headers"], body_bytes(resp)) == "app"
            ):
                outcome.app_5xx.append((r["scope"], req["method"], req["path"], resp["status"]))
        writes = accepted_writes(outcome.records)
        outcome.accepted_writes = Counter(w["request"]["path"] for w in writes)
        replayed, mismatches = replay(before, writes, tokens)
        outcome.stored = mismatches + compare_stored(after, replayed, writes)
        outcome.model = check_work_item_model(after, writes)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return outcome


def report(outcome: Outcome, plan: Plan) -> str:
    lines = ["", "API fuzz (schemathesis on chalice local + moto)", ""]
    lines.append(f"{'scope':10} {'requests':>8} {'seconds':>8}  result")
    for run in outcome.runs:
        result = "ok" if run.exit_code == 0 else "FAILED: " + "; ".join(run.failures or [f"exit {run.exit_code}"])
        lines.append(f"{run.scope:10} {run.requests:8} {run.seconds:8.1f}  {result}")
    statuses = Counter(r["response"]["status"] if r["response"] else "no answer" for r in outcome.records)
    lines += [
        "",
        "answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str)),
        "accepted writes: " + (", ".join(f"{k} {v}" for k, v in sorted(outcome.accepted_writes.items())) or "none"),
    ]
    lines.append(f"5xx from the application: {len(outcome.app_5xx)}")
    for scope, method, path, status in outcome.app_5xx[:20]:
        lines.append(f"  {status} {method} {path} ({scope})")
    lines += ["", "answered by chalice local's development server, not the application:"]
    for what, rows in _grouped(outcome.dev_server).items():
        lines.append(f"  {what}: " + ", ".join(rows))
    verdict = "the same" if not outcome.stored else f"{len(outcome.stored)} difference(s)"
    lines += ["", f"stored data vs the accepted writes replayed: {verdict}"]
    lines += [f"  {d}" for d in outcome.stored[:20]]
    verdict = "exact" if not outcome.model else f"{len(outcome.model)} difference(s)"
    lines.append(f"work items and counters vs the answers: {verdict}")
    lines += [f"  {d}" for d in outcome.model[:20]]
    lines += [
        "",
        f"logs: {plan.out.relative_to(ROOT) if plan.out.is_relative_to(ROOT) else plan.out}/",
        "PASSED" if outcome.ok else "FAILED",
    ]
    return "\n".join(lines)


def _grouped(rows: list) -> dict:
    out: dict = {}
    for method, path, status, what in rows:
        out.setdefault(f"{status} {what}", []).append(f"{method} {path}")
    return {
        k: sorted(set(v))
        if len(set(v)) < 4
        else [f"{len(set(v))} requests ({', '.join(sorted({x.split()[0] for x in v}))})"]
        for k, v in out.items()
    }


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds",
        type=int,
        default=int(os.environ.get("FUZZ_SECONDS", "40")),
        help="schemathesis' time budget per scope (0: until its phases end); default 40",
    )
    parser.add_argument(
        "--examples",
        type=int,
        default=int(os.environ.get("FUZZ_EXAMPLES", "25")),
        help="examples per operation and phase; default 25",
    )
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "14")))
    parser.add_argument("--scopes", default=",".join(SCOPES), help=f"comma-separated, of {', '.join(SCOPES)}")
    parser.add_argument("--phases", default=ALL_PHASES)
    args = parser.parse_args(argv)
    scopes = tuple(s for s in args.scopes.split(",") if s)
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        parser.error(f"unknown scope(s): {', '.join(sorted(unknown))}")
    plan = Plan(scopes=scopes, seconds=args.seconds or None, examples=args.examples, seed=args.seed, phases=args.phases)
    outcome = fuzz(plan)
    print(report(outcome, plan), flush=True)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
