"""Where the running code finds its AWS resources: names from the environment, clients made once.

Endpoints are never chosen here: boto3 reads AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>)
itself, so the same code talks to AWS in production and to moto's server locally.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class TableNames:
    config: str
    work_items: str
    unit_counts: str
    cost_facts: str

    @classmethod
    def from_env(cls) -> "TableNames":
        return cls(
            config=os.environ.get("CONFIG_TABLE", "finops-config"),
            work_items=os.environ.get("WORK_ITEMS_TABLE", "finops-work-items"),
            unit_counts=os.environ.get("UNIT_COUNTS_TABLE", "finops-unit-counts"),
            cost_facts=os.environ.get("COST_FACTS_TABLE", "finops-cost-facts"),
        )


# botocore's standard retry mode handles throttling and 5xx with back-off, within a budget that
# fits the Lambda: by default 3 attempts in all (`total_max_attempts`: botocore's `max_attempts`
# counts retries), 2 s to connect and 5 s to read, so even a store that accepts connections and
# never answers gets a 503 within about 3 × 7 s + back-off, inside API Gateway's 29 s. The
# scheduled runs may allow more (AWS_MAX_ATTEMPTS).
def _aws_config():
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": int(os.environ.get("AWS_MAX_ATTEMPTS", "3"))},
        connect_timeout=float(os.environ.get("AWS_CONNECT_TIMEOUT", "2")),
        read_timeout=float(os.environ.get("AWS_READ_TIMEOUT", "5")),
    )


# What "storage is unavailable" looks like once botocore's retries are spent: the request never
# reached DynamoDB, or DynamoDB said to come back later. Anything else is a bug (a 500).
_UNAVAILABLE_CODES = {
    "ServiceUnavailable",
    "InternalServerError",
    "InternalFailure",
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "TransactionInProgressException",
    "503",
    "500",
}


def storage_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (raised by a boto3 call, after its retries) means the store is unreachable or
    overloaded: the client should retry later (503), nothing is wrong with its request."""
    from botocore import exceptions as bx

    if isinstance(exc, (bx.ConnectionError, bx.HTTPClientError)):  # refused, DNS, timeouts, dropped
        return True
    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.get("Code", "") in _UNAVAILABLE_CODES or status >= 500
    return False


def storage_reachable(table: str) -> bool:
    """One small read (a key that never exists) within the retry budget: the health check."""
    try:
        dynamodb().Table(table).get_item(Key={"pk": "HEALTH", "sk": "-"})
        return True
    except Exception:  # noqa: BLE001 - unreachable, throttled, or no such table: not healthy either way
        return False


@lru_cache(maxsize=None)
def dynamodb():
    import boto3

    return boto3.resource("dynamodb", config=_aws_config())


@lru_cache(maxsize=None)
def client(service: str):
    import boto3

    return boto3.client(service, config=_aws_config())


def reset() -> None:
    """Forget cached clients and secrets (the local stack and tests change endpoints between runs)."""
    import sys

    dynamodb.cache_clear()
    client.cache_clear()
    if "aws_lambda_powertools.utilities.parameters" in sys.modules:
        # Powertools keeps one provider (and its boto3 client) per process, and cached values.
        sys.modules["aws_lambda_powertools.utilities.parameters"].clear_caches()
