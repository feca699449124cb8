"""A real gspread client talking to the emulator (``pip install sheets-emulator[gspread]``).

Nothing in gspread is patched: every request gspread and google-auth make to
``https://*.googleapis.com`` is sent to the emulator instead by a transport
adapter, and the service account's ``token_uri`` is the emulator's ``/token``,
so google-auth's JWT-bearer token exchange runs against it as against Google::

    from sheets_emulator import start_emulator
    from sheets_emulator.client import gspread_client

    with start_emulator(None, port=0, persist=False) as emu:
        gc = gspread_client(emu.url)
        ws = gc.open_by_key(emu.default_spreadsheet_id).sheet1
        ws.update([["hello"]], "A1")

An application that builds its own gspread client needs only
:func:`service_account_info` (a throwaway key whose ``token_uri`` is the
emulator) and a way to send its requests to the emulator's URL.
"""

from __future__ import annotations

import functools
import secrets
from typing import Any, Optional

import gspread
import requests
from google.auth.transport.requests import AuthorizedSession
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2.service_account import Credentials

__all__ = ["EmulatorAdapter", "emulator_session", "gspread_client", "service_account_info"]

PROJECT_ID = "sheets-emulator"
CLIENT_EMAIL = f"emulated@{PROJECT_ID}.iam.gserviceaccount.com"


@functools.lru_cache(maxsize=None)
def _private_key_pem() -> str:
    """One RSA key per process (generating one takes ~50 ms); never written anywhere."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")


def service_account_info(
    url: str, *, client_email: str = CLIENT_EMAIL, project_id: str = PROJECT_ID, fresh_key: bool = False
) -> dict[str, Any]:
    """A service-account key (the JSON Google hands out, as a dict) whose ``token_uri`` is ``<url>/token``.

    ``fresh_key=True`` generates a new RSA key instead of reusing this process's one.
    """
    url = url.rstrip("/")
    return {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": secrets.token_hex(20),
        "private_key": _private_key_pem.__wrapped__() if fresh_key else _private_key_pem(),
        "client_email": client_email,
        "client_id": str(secrets.randbelow(10**20)).zfill(21),
        "auth_uri": f"{url}/o/oauth2/auth",
        "token_uri": f"{url}/token",
        "auth_provider_x509_cert_url": f"{url}/oauth2/v1/certs",
        "client_x509_cert_url": f"{url}/robot/v1/metadata/x509/{client_email}",
        "universe_domain": "googleapis.com",
    }


class EmulatorAdapter(requests.adapters.HTTPAdapter):
    """Sends every ``https://googleapis.com`` / ``https://*.googleapis.com`` request to ``endpoint``."""

    __attrs__ = requests.adapters.HTTPAdapter.__attrs__ + ["endpoint"]  # survive pickling and deepcopy

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        super().__init__()

    def send(self, request, *args: Any, **kwargs: Any):  # type: ignore[override]
        url = request.url or ""
        if url.startswith("https://"):
            host, _, path = url[len("https://") :].partition("/")
            if host == "googleapis.com" or host.endswith(".googleapis.com"):
                request.url = f"{self.endpoint}/{path}"
        return super().send(request, *args, **kwargs)


def emulator_session(url: str, credentials: Credentials) -> AuthorizedSession:
    """google-auth's session for ``credentials``, its API calls and its own (token, IAM) calls sent to ``url``."""
    auth_http = requests.Session()
    auth_http.mount("https://", EmulatorAdapter(url))
    session = AuthorizedSession(credentials, auth_request=AuthRequest(auth_http))
    session.mount("https://", EmulatorAdapter(url))
    return session


def gspread_client(
    url: str, info: Optional[dict[str, Any]] = None, *, http_client: Any = gspread.HTTPClient
) -> gspread.Client:
    """A ``gspread.Client`` whose requests go to the emulator at ``url``.

    ``info``: a service-account key (default: :func:`service_account_info` for ``url``).
    ``http_client``: gspread's HTTP client class, e.g. ``gspread.BackOffHTTPClient``.
    """
    info = info or service_account_info(url)
    credentials = Credentials.from_service_account_info(info, scopes=gspread.auth.DEFAULT_SCOPES)
    client = gspread.Client(credentials, session=emulator_session(url, credentials), http_client=http_client)
    client.http_client.auth = credentials  # gspread sets it only when it builds the session itself
    return client
