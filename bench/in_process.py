"""The environment of a bench that runs moto and the Sheets emulator in its own process: fake AWS credentials in
us-east-1, no AWS endpoint (moto answers in-process), short Sheets back-off waits."""

from __future__ import annotations

import os


def in_process_env(**more: str) -> None:
    """Set that environment, and `more` variables."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        SHEETS_BACKOFF_CAP_SECONDS="0.05",
        **more,
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
