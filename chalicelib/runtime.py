"""Where the running code finds its AWS resources: names from the environment, clients made once.

Endpoints are never chosen here: boto3 reads AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>)
itself, so the same code talks to AWS in production and to moto's server locally.

`AwsClients` makes each client once, on first use; chalicelib.bootstrap builds one per process
(`dynamodb()` and `client()` answer with that one's).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Optional


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
def _aws_config() -> Any:
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


def storage_reachable(table: str, resource: Optional[Any] = None) -> bool:
    """One small read (a key that never exists) within the retry budget: the health check."""
    try:
        (resource or dynamodb()).Table(table).get_item(Key={"pk": "HEALTH", "sk": "-"})
        return True
    except Exception:  # noqa: BLE001 - unreachable, throttled, or no such table: not healthy either way
        return False


class AwsClients:
    """boto3's clients and DynamoDB resource, each made once, on first use, with the retry budget above
    (the environment is read then: endpoints, credentials, AWS_MAX_ATTEMPTS). Counts the DynamoDB
    requests made through it (a run records its own share)."""

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._dynamodb_requests = 0

    @cached_property
    def dynamodb(self) -> Any:
        import boto3

        with self._lock:
            resource = boto3.resource("dynamodb", config=_aws_config())
            resource.meta.client.meta.events.register("before-send.dynamodb", self._count)
            return resource

    def _count(self, **_: Any) -> None:
        self._dynamodb_requests += 1

    @property
    def dynamodb_requests(self) -> int:
        """DynamoDB requests sent so far through this resource (botocore's retries included)."""
        return self._dynamodb_requests

    def client(self, service: str) -> Any:
        with self._lock:
            made = self._clients.get(service)
            if made is None:
                import boto3

                made = self._clients[service] = boto3.client(service, config=_aws_config())
            return made


def dynamodb() -> Any:
    """This process's DynamoDB resource (chalicelib.bootstrap)."""
    from chalicelib import bootstrap

    return bootstrap.backend().clients.dynamodb


def client(service: str) -> Any:
    """This process's boto3 client for `service` (chalicelib.bootstrap)."""
    from chalicelib import bootstrap

    return bootstrap.backend().clients.client(service)
