"""The local stack: moto's server, the emulators and `chalice local`, seeded with the demo organisation.

`python -m local.stack` (what `make serve` runs) starts everything on 127.0.0.1, prints the URLs
and stops all it started on Ctrl-C. moto keeps its state in memory: each start begins afresh.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKENS_FILE = ROOT / ".local" / "tokens.json"
ENV_FILE = ROOT / ".local" / "stack.env"

# What boto3 needs to reach moto's server; nothing here is a real credential.
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1"}


class LocalStack:
    """Start with `with LocalStack() as stack:`; `stack.api_url`, `stack.tokens`, `stack.env`."""

    def __init__(self, api_port: int | None = None, moto_port: int | None = None, quiet: bool = True,
                 workbook: Path | str | None = None):
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

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    def __enter__(self) -> "LocalStack":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        from local.ports import wait_until_up

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per AWS call is noise here
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self._moto.start()
        wait_until_up(self.moto_url + "/moto-api/")
        from local.vendor_emulators import start_anthropic_emulator, start_openai_emulator

        from local.sheets_emulator.server import start_emulator

        self.vendors = {"openai": start_openai_emulator(), "anthropic": start_anthropic_emulator()}
        self.workbook.parent.mkdir(parents=True, exist_ok=True)
        self.sheets = start_emulator(self.workbook)
        self.env = {
            **FAKE_AWS, "AWS_ENDPOINT_URL": self.moto_url, "POWERTOOLS_METRICS_NAMESPACE": "AIFinOps",
            # The vendor SDKs' own variables: the connectors honour them, so only endpoints differ.
            "OPENAI_BASE_URL": self.vendors["openai"].url, "ANTHROPIC_BASE_URL": self.vendors["anthropic"].url,
            "VENDOR_HTTP_BACKOFF_FACTOR": "0.05",
            "SHEETS_ENDPOINT_URL": self.sheets.url, "SHEET_ID": self.sheets.default_spreadsheet_id,
        }
        self._use_env(self.env)
        self._seed()
        self._chalice = subprocess.Popen(
            [str(Path(sys.executable).with_name("chalice")), "local", "--no-autoreload",
             "--host", "127.0.0.1", "--port", str(self.api_port)],
            cwd=ROOT, env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL if self.quiet else None, stderr=subprocess.DEVNULL if self.quiet else None,
        )
        wait_until_up(self.api_url + "/v1/health", timeout=60, process=self._chalice)

    def _use_env(self, env: dict) -> None:
        from chalicelib import access, stores

        for key, value in env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        stores.reset()
        access.clear_cache()

    def _seed(self) -> None:
        from chalicelib import runtime, stores
        from local.demo_org import demo_organisation
        from local.tables import create_tables

        from local import demo_billing
        from local.fake_service_account import service_account_info

        create_tables(runtime.client("dynamodb"))
        secrets = runtime.client("secretsmanager")
        secrets.create_secret(Name="finops/openai-admin-key", SecretString=demo_billing.OPENAI_ADMIN_KEY)
        secrets.create_secret(Name="finops/anthropic-admin-key", SecretString=demo_billing.ANTHROPIC_ADMIN_KEY)
        # A throwaway service account whose token_uri is the emulator: google-auth's real token
        # exchange runs, against 127.0.0.1. Generated now, never written to the repo.
        secrets.create_secret(Name="finops/google-service-account",
                              SecretString=json.dumps(service_account_info(self.sheets.url)))
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
        ENV_FILE.write_text("".join(f"{k}={v}\n" for k, v in sorted(self.env.items())))

    def stop(self) -> None:
        if self._chalice is not None:
            self._chalice.terminate()
            try:
                self._chalice.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._chalice.kill()
            self._chalice = None
        for handle in self.vendors.values():
            handle.stop()
        self.vendors = {}
        if self.sheets is not None:
            self.sheets.stop()
            self.sheets = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    def describe(self) -> str:
        return "\n".join([
            f"API (chalice local)   {self.api_url}/v1/health",
            f"AWS (moto server)     {self.moto_url}  (AWS_ENDPOINT_URL)",
            f"OpenAI billing        {self.env.get('OPENAI_BASE_URL')}  (OPENAI_BASE_URL)",
            f"Anthropic billing     {self.env.get('ANTHROPIC_BASE_URL')}  (ANTHROPIC_BASE_URL)",
            f"Google Sheets API     {self.env.get('SHEETS_ENDPOINT_URL')}  (SHEETS_ENDPOINT_URL; "
            f"spreadsheet {self.env.get('SHEET_ID')} kept in {self.workbook})",
            f"Tokens                {TOKENS_FILE.relative_to(ROOT)}",
        ])


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    with LocalStack(api_port=port, quiet=False) as stack:
        print(stack.describe(), flush=True)
        print("State lives in memory: stopping the stack forgets it. Ctrl-C to stop.", flush=True)
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        try:
            stopped.wait()
        except KeyboardInterrupt:
            pass
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
