"""What a process talks to, built once from its environment and handed to the code that needs it.

A `Backend` holds the AWS clients (made on first use), the stores on them, and what a warm Lambda
keeps between requests: finance's configuration as last read (ORG_CACHE_SECONDS), who each bearer
token is (access.TOKEN_CACHE_SECONDS), the Google Sheets clients. `dependencies()` gives the pipeline
its `Deps`: stores, billing sources, the sheet, email.

    backend = Backend.from_env()        # clients and stores, nothing made until first used
    backend.stores.work_items           # chalicelib.stores.Stores (DynamoDB)
    backend.organisation()              # the API's read of finance's configuration
    backend.caller(authorization)       # the API's caller behind a bearer token, or None
    backend.open_sheet()                # a SheetSession on SHEET_ID (its gspread client kept)
    backend.dependencies()              # pipeline.Deps

`backend()` is this process's: the one installed (`install`, `serving`), else one built from the
environment on first use and kept for the life of the process (a warm Lambda). A test or the local
stack that needs a fresh world (a new Lambda: no token, sheet client or configuration remembered)
builds a `Backend` and serves it; nothing is ever reset.

Production and the local stack differ only by environment (endpoints, table names, SHEET_ID,
ALERT_SENDER, OUTBOX_EML_DIR), which `dependencies()` reads at each run; tests build `pipeline.Deps`
with whatever fakes they need (chalicelib/storage/in_memory.py for the stores).
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional

from chalicelib.access import TOKEN_CACHE_SECONDS, Caller, Callers
from chalicelib.runtime import AwsClients, TableNames

if TYPE_CHECKING:
    from chalicelib.domain.organisation import Organisation
    from chalicelib.services.pipeline import Deps
    from chalicelib.sheet.session import SheetClients, SheetSession
    from chalicelib.stores import Stores

ORG_CACHE_SECONDS = 30  # a sheet edit reaches the API within this long after a sync


class Backend:
    def __init__(
        self,
        clients: AwsClients,
        tables: TableNames,
        stores: Optional[Stores] = None,
        organisation_seconds: float = ORG_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        token_seconds: float = TOKEN_CACHE_SECONDS,
    ):
        self.clients = clients
        self.tables = tables
        self._stores = stores
        self.organisation_seconds = organisation_seconds
        self._clock = clock
        self._organisation: Optional[tuple[float, Organisation]] = None  # (read at, the configuration)
        self.callers = Callers(token_seconds, clock)  # who each bearer token is, kept `token_seconds`
        self._sheet_clients: Optional[SheetClients] = None  # built on the first open_sheet
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> Backend:
        return cls(AwsClients(), TableNames.from_env())

    @property
    def stores(self) -> Stores:
        """The stores (on DynamoDB unless given), built on first use."""
        with self._lock:
            if self._stores is None:
                from chalicelib.stores import dynamodb_stores

                self._stores = dynamodb_stores(self.clients.dynamodb, self.tables)
            return self._stores

    def organisation(self) -> Organisation:
        """Finance's configuration, re-read at most every `organisation_seconds` (per warm Lambda)."""
        read = self._organisation
        now = self._clock()
        if read is not None and now - read[0] < self.organisation_seconds:
            return read[1]
        org = self.stores.organisation.load()
        self._organisation = (now, org)
        return org

    def caller(self, authorization: Optional[str]) -> Optional[Caller]:
        """The caller behind an Authorization header, or None; each token's answer kept `token_seconds`
        (per warm Lambda: a revoked token stops working within that long)."""
        return self.callers.resolve(authorization, lambda token: self.stores.tokens.lookup(token))

    def open_sheet(self, spreadsheet_id: Optional[str] = None, info: Optional[dict] = None) -> SheetSession:
        """A session on the spreadsheet (SHEET_ID unless given) as the service account (its secret's unless
        given), on this backend's gspread client for that key and endpoint (made on first use)."""
        from chalicelib.sheet.session import SheetClients, SheetSession

        with self._lock:
            if self._sheet_clients is None:
                self._sheet_clients = SheetClients()
            clients = self._sheet_clients
        return SheetSession.open(spreadsheet_id, info, clients)

    def storage_reachable(self) -> bool:
        """The health check: one small read of the configuration table."""
        from chalicelib.runtime import storage_reachable

        return storage_reachable(self.tables.config, self.clients.dynamodb)

    def dependencies(self) -> Deps:
        """The pipeline's dependencies, from the environment as it is now."""
        from chalicelib.billing import vendor_sources
        from chalicelib.services.pipeline import Deps
        from chalicelib.usage_pull import usage_sources

        s = self.stores
        outbox, mailer = self._email()
        return Deps(
            stores=s,
            pool=s.pool,
            runs=s.runs,
            alerts=s.alerts,
            snapshots=s.snapshots,
            outbox=outbox,
            mailer=mailer,
            sources=lambda org: vendor_sources(org, s.work_items),
            open_sheet=self.open_sheet,
            sheet_url=sheet_url(),
            count_requests=lambda: self.clients.dynamodb_requests,
            usage_sources=usage_sources,
        )

    def _email(self) -> tuple[Any, Any]:
        """(outbox, mailer), or (None, None) when no sender is configured (ALERT_SENDER)."""
        sender = os.environ.get("ALERT_SENDER", "").strip()
        if not sender:
            return None, None
        from chalicelib.email.mailer import SesMailer
        from chalicelib.storage.outbox_store import OutboxStore

        return (
            OutboxStore(self.clients.dynamodb, self.tables.config),
            SesMailer(
                self.clients.client("sesv2"),
                sender,
                os.environ.get("SES_CONFIGURATION_SET") or None,
                os.environ.get("OUTBOX_EML_DIR") or None,
            ),
        )


def sheet_url() -> str:
    sheet = os.environ.get("SHEET_ID", "").strip()
    return f"https://docs.google.com/spreadsheets/d/{sheet}/edit" if sheet else ""


# --- this process's backend ------------------------------------------------------------------------

_served: Optional[Backend] = None
_serving = threading.Lock()


def backend() -> Backend:
    """This process's backend: the one served, else one built from the environment now and kept."""
    global _served
    with _serving:
        if _served is None:
            _served = Backend.from_env()
        return _served


def install(new: Optional[Backend]) -> Optional[Backend]:
    """Serve `new` from now on (None: the next use builds one from the environment, as a new
    process would); returns the one served until now."""
    global _served
    with _serving:
        before, _served = _served, new
        return before


@contextmanager
def serving(new: Backend) -> Iterator[Backend]:
    """Serve `new` for the block, then the one served before."""
    before = install(new)
    try:
        yield new
    finally:
        install(before)


def dependencies() -> Deps:
    """The pipeline's dependencies on this process's backend (what the schedules and the CLI run)."""
    return backend().dependencies()
