"""The spreadsheet as the sync sees it: credentials, the gspread client and its three calls.

Credentials: a Google service account's JSON key, read from Secrets Manager through
Powertools Parameters (secret name from GOOGLE_SERVICE_ACCOUNT_SECRET, default
"finops/google-service-account"); the spreadsheet id from SHEET_ID. Locally the stack
stores a fake service account whose token_uri is the Sheets emulator, and
SHEETS_ENDPOINT_URL points the transport there: the same code path as production.

Every request goes through gspread's HTTP client (chalicelib.sheet.transport bounds its
back-off on 429 and 5xx); a give-up raises gspread's APIError. The requests made are
counted (`requests`) so a sync can report and tests can check its request budget.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Optional

SECRET_ENV = "GOOGLE_SERVICE_ACCOUNT_SECRET"
DEFAULT_SECRET = "finops/google-service-account"
SHEET_ID_ENV = "SHEET_ID"
SECRET_MAX_AGE = 300


class SheetConfigError(RuntimeError):
    """The sheet cannot be reached because of configuration (no SHEET_ID, no secret, bad key)."""


def service_account_info() -> dict:
    from aws_lambda_powertools.utilities import parameters

    name = os.environ.get(SECRET_ENV, DEFAULT_SECRET)
    try:
        raw = parameters.get_secret(name, max_age=SECRET_MAX_AGE)
    except Exception as exc:  # noqa: BLE001 - reported as configuration
        raise SheetConfigError(f"cannot read the Google service account from secret {name!r}: {exc}") from exc
    try:
        info = json.loads(raw) if isinstance(raw, (str, bytes)) else dict(raw)
    except ValueError as exc:
        raise SheetConfigError(f"secret {name!r} is not a service account JSON key") from exc
    if not isinstance(info, dict) or not info.get("client_email") or not info.get("private_key"):
        raise SheetConfigError(f"secret {name!r} is not a service account JSON key (client_email, private_key)")
    return info


def sheet_id() -> str:
    value = os.environ.get(SHEET_ID_ENV, "").strip()
    if not value:
        raise SheetConfigError(f"{SHEET_ID_ENV} is not set: the id of the Google Sheet to sync")
    return value


class SheetClients:
    """gspread clients, one per service account key and endpoint, reused while the Lambda is warm (the
    client keeps its access token). One per backend (chalicelib.bootstrap `Backend.open_sheet`), so a
    new backend, like a new Lambda, starts with none."""

    def __init__(self) -> None:
        self._clients: dict[tuple, Any] = {}

    def client_for(self, info: dict) -> Any:
        from chalicelib.sheet.transport import endpoint_url, open_client

        key = (info.get("client_email"), info.get("private_key_id"), info.get("token_uri"), endpoint_url())
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = open_client(info)
        return client


@dataclass
class SheetSession:
    spreadsheet_id: str
    http: Any  # gspread HTTPClient (chalicelib.sheet.transport.SheetsHTTPClient)
    editor: str  # the service account's email: the only editor of the output tabs
    requests: int = 0
    reads: int = 0
    writes: int = 0
    write_bytes: list = field(default_factory=list)
    seconds: float = 0.0  # wall time spent in Sheets API calls (back-off included)

    @classmethod
    def open(
        cls, spreadsheet_id: Optional[str] = None, info: Optional[dict] = None, clients: Optional[SheetClients] = None
    ) -> SheetSession:
        """A session on the spreadsheet (SHEET_ID unless given) as the service account (the secret's unless
        given), on a client from `clients` (a backend's: reused), else on a client of its own."""
        info = info or service_account_info()
        if clients is not None:
            client = clients.client_for(info)
        else:
            from chalicelib.sheet.transport import open_client

            client = open_client(info)
        return cls(spreadsheet_id or sheet_id(), client.http_client, info["client_email"])

    def _timed(self, call, *args, **kwargs):
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started

    def metadata(self, params: Optional[dict] = None) -> dict:
        self.requests += 1
        self.reads += 1
        return self._timed(self.http.fetch_sheet_metadata, self.spreadsheet_id, params=params)

    def values(self, ranges: list) -> list:
        """values:batchGet, unformatted values and serial dates; one list of rows per range."""
        self.requests += 1
        self.reads += 1
        answer = self._timed(
            self.http.values_batch_get,
            self.spreadsheet_id,
            ranges,
            params={
                "valueRenderOption": "UNFORMATTED_VALUE",
                "dateTimeRenderOption": "SERIAL_NUMBER",
                "majorDimension": "ROWS",
            },
        )
        return [vr.get("values") or [] for vr in answer.get("valueRanges") or []]

    def batch_update(self, requests: list) -> dict:
        """spreadsheets.batchUpdate through gspread's client, the body sent as compact JSON."""
        from gspread.urls import SPREADSHEET_BATCH_UPDATE_URL

        from chalicelib.sheet.writer import encode

        body = encode(requests)
        self.requests += 1
        self.writes += 1
        self.write_bytes.append(len(body))
        response = self._timed(
            self.http.request,
            "post",
            SPREADSHEET_BATCH_UPDATE_URL % self.spreadsheet_id,
            data=body,
            headers={"Content-Type": "application/json; charset=UTF-8"},
        )
        return response.json()
