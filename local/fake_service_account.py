"""A throwaway Google service-account key for the local stack.

The key is generated at run time (never written to the repository): a fresh
RSA key, with ``token_uri`` pointing at the local Sheets emulator so that
google-auth's JWT-bearer token exchange runs against it exactly as it would
against Google.

    python -m local.fake_service_account --endpoint http://127.0.0.1:8765 > /tmp/sa.json
"""

from __future__ import annotations

import argparse
import functools
import json
import secrets
import sys
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT_ID = "local-finops"
CLIENT_EMAIL = f"finops-sync@{PROJECT_ID}.iam.gserviceaccount.com"


@functools.lru_cache(maxsize=None)
def _private_key_pem(slot: int = 0) -> str:
    """One RSA key per process and slot (generating one takes ~50 ms)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")


def service_account_info(
    endpoint: str, *, client_email: str = CLIENT_EMAIL, project_id: str = PROJECT_ID, fresh_key: bool = False
) -> dict[str, Any]:
    """A service-account JSON dict whose ``token_uri`` is ``<endpoint>/token``.

    ``fresh_key=True`` generates a new RSA key instead of reusing this
    process's one.
    """
    endpoint = endpoint.rstrip("/")
    pem = _private_key_pem.__wrapped__() if fresh_key else _private_key_pem()
    return {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": client_email,
        "client_id": str(secrets.randbelow(10**20)).zfill(21),
        "auth_uri": f"{endpoint}/o/oauth2/auth",
        "token_uri": f"{endpoint}/token",
        "auth_provider_x509_cert_url": f"{endpoint}/oauth2/v1/certs",
        "client_x509_cert_url": f"{endpoint}/robot/v1/metadata/x509/{client_email}",
        "universe_domain": "googleapis.com",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:8765", help="the local Sheets emulator's URL")
    args = parser.parse_args(argv)
    json.dump(service_account_info(args.endpoint), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
