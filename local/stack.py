"""The local stack: moto's server, the emulators and `chalice local`, seeded with the demo organisation.

`python -m local.stack` (what `make serve` runs) starts everything on 127.0.0.1, prints the URLs
and stops all it started on Ctrl-C or SIGTERM. moto keeps its state in memory: each start begins
afresh. moto's server and `chalice local` run as child processes (local/moto_server.py says why
moto's is not `moto_server` itself); both die with the stack even if it is killed.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKENS_FILE = ROOT / ".local" / "tokens.json"
ENV_FILE = ROOT / ".local" / "stack.env"
OUTBOX_DIR = ROOT / ".local" / "outbox"
ALERT_SENDER_ADDRESS = "ai-finops@example.com"
ALERT_SENDER = f"AI FinOps <{ALERT_SENDER_ADDRESS}>"
RUNS_QUEUE = "finops-runs"
REPORTS_BUCKET = "finops-reports"  # the monthly close keeps the board report's HTML page here (moto's S3)

# What boto3 needs to reach moto's server; nothing here is a real credential.
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1"}
STOP_TIMEOUT = 5.0  # seconds a child gets to exit on SIGTERM before SIGKILL


class LocalStack:
    """Start with `with LocalStack() as stack:`; `stack.api_url`, `stack.tokens`, `stack.env`."""

    def __init__(
        self,
        api_port: int | None = None,
        moto_port: int | None = None,
        quiet: bool = True,
        workbook: Path | str | None = None,
        stock_moto: bool = False,
    ):
        from local.ports import free_port

        self.api_port = api_port or free_port()
        self.moto_port = moto_port or free_port()
        self.quiet = quiet
        self.env: dict = {}
        self.tokens: dict = {}
        self._moto = None
        self._chalice = None
        self.vendors: dict = {}  # name -> emulator handle
        self.sheets = None  # the Sheets API emulator's handle
        self.workbook = Path(workbook) if workbook else ROOT / "demo-out" / "finops.xlsx"
        self._saved_env: dict = {}
        self._serving, self._served_before = False, None  # this stack's backend served, and the one before
        self._saved_sigterm = None
        self.stock_moto = stock_moto  # moto without local/moto_server.py's fixes: only to compare
        self._pipeline_stop = threading.Event()
        self._pipeline_threads: list = []

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    def __enter__(self) -> "LocalStack":
        self._sigterm_interrupts()
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _sigterm_interrupts(self) -> None:
        """In the main thread, SIGTERM raises KeyboardInterrupt like Ctrl-C, so `with` stops everything."""
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            self._saved_sigterm = signal.signal(signal.SIGTERM, _interrupt)

    @property
    def pids(self) -> dict:
        """{name: pid} of the child processes running (for measuring them)."""
        return {
            name: proc.pid
            for name, proc in (("moto", self._moto), ("chalice", self._chalice))
            if proc is not None and proc.poll() is None
        }

    def start(self) -> None:
        from local.ports import check_free

        self._check_api_port()
        check_free(self.moto_port, "moto's server")
        self._moto = self._spawn(
            [sys.executable, "-m", "local.moto_server", "--port", str(self.moto_port), "--parent-pid", str(os.getpid())]
            + (["--stock"] if self.stock_moto else []),
            env=os.environ,
        )
        self._wait_for(self._moto, self.moto_url + "/moto-api/", self.moto_port, "moto's server", timeout=30)
        from sheets_emulator.server import start_emulator

        from local.vendor_emulators import start_anthropic_emulator, start_openai_emulator

        self.vendors = {"openai": start_openai_emulator(), "anthropic": start_anthropic_emulator()}
        self.workbook.parent.mkdir(parents=True, exist_ok=True)
        self.sheets = start_emulator(self.workbook)
        self.env = {
            **FAKE_AWS,
            "AWS_ENDPOINT_URL": self.moto_url,
            "POWERTOOLS_METRICS_NAMESPACE": "AIFinOps",
            # The vendor SDKs' own variables: the connectors honour them, so only endpoints differ.
            "OPENAI_BASE_URL": self.vendors["openai"].url,
            "ANTHROPIC_BASE_URL": self.vendors["anthropic"].url,
            "VENDOR_HTTP_BACKOFF_FACTOR": "0.05",
            "SHEETS_ENDPOINT_URL": self.sheets.url,
            "SHEET_ID": self.sheets.default_spreadsheet_id,
            # Email goes to moto's SES v2 (the sender verified there) and to .local/outbox/*.eml.
            "ALERT_SENDER": ALERT_SENDER,
            "OUTBOX_EML_DIR": str(OUTBOX_DIR),
            "RUNS_QUEUE": RUNS_QUEUE,
            "REPORTS_BUCKET": REPORTS_BUCKET,
            "INDEX_SETTLE_SECONDS": "0",  # moto's indexes are synchronous: a day read raw is all there
        }
        self._use_env(self.env)
        self._seed()
        self._check_api_port()  # still free after the seeding
        self._chalice = self._spawn(
            [
                sys.executable,
                "-m",
                "local.with_parent",
                str(os.getpid()),
                str(Path(sys.executable).with_name("chalice")),
                "local",
                "--no-autoreload",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.api_port),
            ],
            env={**os.environ, **self.env},
        )
        self._wait_for(self._chalice, self.api_url + "/v1/health", self.api_port, "the API (chalice local)", timeout=60)

    def _check_api_port(self) -> None:
        from local.ports import check_free

        check_free(
            self.api_port,
            "the API (chalice local)",
            hint=f"stop what listens there, or use another port: PORT={self.api_port + 1} make serve",
        )

    def _spawn(self, argv: list, env) -> subprocess.Popen:
        # A session of its own: a terminal's Ctrl-C reaches the stack alone, which then stops its
        # children itself (and waits for them); local/with_parent.py covers the stack being killed.
        quiet = subprocess.DEVNULL if self.quiet else None
        return subprocess.Popen(argv, cwd=ROOT, env=dict(env), stdout=quiet, stderr=quiet, start_new_session=True)

    @staticmethod
    def _wait_for(process: subprocess.Popen, url: str, port: int, what: str, timeout: float) -> None:
        from local.moto_server import EXIT_PORT_IN_USE
        from local.ports import PortInUse, wait_until_up

        try:
            wait_until_up(url, timeout=timeout, process=process)
            time.sleep(0.05)
        except RuntimeError:
            if process.returncode == EXIT_PORT_IN_USE:
                raise PortInUse(port, what) from None
            raise
        if process.poll() is not None:  # it exited, and something else answered on its port
            raise PortInUse(port, what)

    def _use_env(self, env: dict) -> None:
        from chalicelib import bootstrap

        for key, value in env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        # This process (the seeding, the CLI, the schedules' threads) talks to this stack from now on.
        self._served_before = bootstrap.install(bootstrap.Backend.from_env())
        self._serving = True
        parameters = sys.modules.get("aws_lambda_powertools.utilities.parameters")
        if parameters is not None:  # Powertools' secrets, read from an earlier stack's moto
            parameters.clear_caches()

    def _seed(self) -> None:
        from chalicelib import runtime, stores
        from local import demo_billing
        from local.demo_org import demo_organisation
        from local.fake_service_account import service_account_info
        from local.tables import create_tables

        create_tables(runtime.client("dynamodb"))
        secrets = runtime.client("secretsmanager")
        secrets.create_secret(Name="finops/openai-admin-key", SecretString=demo_billing.OPENAI_ADMIN_KEY)
        secrets.create_secret(Name="finops/anthropic-admin-key", SecretString=demo_billing.ANTHROPIC_ADMIN_KEY)
        # A throwaway service account whose token_uri is the emulator: google-auth's real token
        # exchange runs, against 127.0.0.1. Generated now, never written to the repo.
        secrets.create_secret(
            Name="finops/google-service-account", SecretString=json.dumps(service_account_info(self.sheets.url))
        )
        runtime.client("sesv2").create_email_identity(EmailIdentity=ALERT_SENDER_ADDRESS)
        runtime.client("sqs").create_queue(QueueName=RUNS_QUEUE)  # POST /v1/runs -> the pipeline
        runtime.client("s3").create_bucket(Bucket=REPORTS_BUCKET)  # the monthly close's board reports
        OUTBOX_DIR.mkdir(parents=True, exist_ok=True)
        org = demo_organisation()
        stores.stores().organisation.save(org)
        now = datetime.now(timezone.utc)
        token_store = stores.stores().tokens
        teams = sorted({u.team for u in org.use_cases})
        self.tokens = {
            "admin": token_store.create("admin", "", now, "local stack")[0],
            "sheet": token_store.create("sheet", "", now, "local stack")[0],
            "teams": {team: token_store.create("team", team, now, "local stack")[0] for team in teams},
        }
        TOKENS_FILE.parent.mkdir(exist_ok=True)
        TOKENS_FILE.write_text(json.dumps(self.tokens, indent=2) + "\n")
        TOKENS_FILE.chmod(0o600)
        # `set -a; . .local/stack.env; set +a` points the CLI in another shell at this stack.
        ENV_FILE.write_text("".join(f"{k}={shlex.quote(v)}\n" for k, v in sorted(self.env.items())))

    def start_pipeline(self, schedules: bool = True) -> list:
        """The schedules on the real clock (unless `schedules` is False) and the runs-queue consumer, as
        threads of this process: they call the same handler functions Lambda would (local/scheduler.py)."""
        import app as app_module
        from chalicelib import runtime
        from local.scheduler import LocalScheduler, RunsQueuePoller

        def log(at, name, result):
            print(f"{at:%Y-%m-%d %H:%M} {name} run: {result}", flush=True)

        poller = RunsQueuePoller(app_module, runtime.client("sqs"), RUNS_QUEUE)
        threads = [threading.Thread(target=poller.forever, args=(self._pipeline_stop,), name="runs-queue", daemon=True)]
        if schedules:
            threads.append(
                threading.Thread(
                    target=LocalScheduler(app_module).forever,
                    args=(self._pipeline_stop, log),
                    name="schedules",
                    daemon=True,
                )
            )
        for t in threads:
            t.start()
        self._pipeline_threads = threads
        return threads

    def stop(self) -> None:
        self._pipeline_stop.set()
        for t in self._pipeline_threads:
            t.join(timeout=STOP_TIMEOUT)
        self._pipeline_threads = []
        children = [p for p in (self._chalice, self._moto) if p is not None]
        for process in children:  # both at once: each exits on SIGTERM within moments
            if process.poll() is None:
                process.terminate()
        for process in children:
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._chalice = self._moto = None
        for handle in self.vendors.values():
            handle.stop()
        self.vendors = {}
        if self.sheets is not None:
            self.sheets.stop()
            self.sheets = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        if self._serving:
            from chalicelib import bootstrap

            bootstrap.install(self._served_before)  # nothing this process holds points at the stopped stack
            self._serving, self._served_before = False, None
        if self._saved_sigterm is not None:
            signal.signal(signal.SIGTERM, self._saved_sigterm)
            self._saved_sigterm = None

    def describe(self) -> str:
        return "\n".join(
            [
                f"API (chalice local)   {self.api_url}/v1/health",
                f"AWS (moto server)     {self.moto_url}  (AWS_ENDPOINT_URL)",
                f"OpenAI billing        {self.env.get('OPENAI_BASE_URL')}  (OPENAI_BASE_URL)",
                f"Anthropic billing     {self.env.get('ANTHROPIC_BASE_URL')}  (ANTHROPIC_BASE_URL)",
                f"Google Sheets API     {self.env.get('SHEETS_ENDPOINT_URL')}  (SHEETS_ENDPOINT_URL; "
                f"spreadsheet {self.env.get('SHEET_ID')} kept in {self.workbook})",
                f"Tokens                {TOKENS_FILE.relative_to(ROOT)}",
                f"Schedules             hourly :05, daily 02:35, weekly Mon 05:35, monthly 1st 03:35 UTC; "
                f"POST /v1/runs -> queue {RUNS_QUEUE}",
                f"Emails                {OUTBOX_DIR.relative_to(ROOT)}/*.eml (and moto's SES v2)",
            ]
        )


_STOP_ASKED = threading.Event()


def _interrupt(signum, _frame):
    # The handler runs in the main thread between any two bytecodes, also inside a finalizer (a
    # closing connection pool's), where Python swallows the exception: the event still says so.
    _STOP_ASKED.set()
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list | None = None) -> int:
    import argparse

    from local.ports import PortInUse

    parser = argparse.ArgumentParser(description="The local stack until Ctrl-C or SIGTERM (the API on $PORT, 8000).")
    parser.add_argument("--workbook", default=None, help="the Sheets emulator's xlsx (default demo-out/finops.xlsx)")
    parser.add_argument("--stock-moto", action="store_true", help="moto without local/moto_server.py's fixes")
    args = parser.parse_args(argv)
    port = int(os.environ.get("PORT", "8000"))
    # Ctrl-C stops the stack even when started where SIGINT is ignored (`make serve &` in a script).
    signal.signal(signal.SIGINT, _interrupt)
    try:
        with LocalStack(api_port=port, quiet=False, workbook=args.workbook, stock_moto=args.stock_moto) as stack:
            stack.start_pipeline()
            print(stack.describe(), flush=True)
            print("State lives in memory: stopping the stack forgets it. Ctrl-C to stop.", flush=True)
            while not _STOP_ASKED.wait(1):
                pass
    except PortInUse as exc:
        print(f"local stack not started: {exc}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        pass
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
