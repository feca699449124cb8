"""A throwaway Google service-account key for the local stack.

The key is generated at run time (never written to the repository): a fresh
RSA key, with ``token_uri`` pointing at the local Sheets emulator so that
google-auth's JWT-bearer token exchange runs against it exactly as it would
against Google.

    python -m local.fake_service_account --endpoint http://127.0.0.1:8765 > /tmp/sa.json
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

PROJECT_ID = "local-finops"
CLIENT_EMAIL = f"finops-sync@{PROJECT_ID}.iam.gserviceaccount.com"


def service_account_info(
    endpoint: str, *, client_email: str = CLIENT_EMAIL, project_id: str = PROJECT_ID, fresh_key: bool = False
) -> dict[str, Any]:
    """A service-account JSON dict whose ``token_uri`` is ``<endpoint>/token``: the Sheets emulator's
    (sheets_emulator.client), in the local stack's name.

    ``fresh_key=True`` generates a new RSA key instead of reusing this
    process's one.
    """
    from sheets_emulator.client import service_account_info as emulator_account

    return emulator_account(endpoint, client_email=client_email, project_id=project_id, fresh_key=fresh_key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:8765", help="the local Sheets emulator's URL")
    args = parser.parse_args(argv)
    json.dump(service_account_info(args.endpoint), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
