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


def _aws_config():
    from botocore.config import Config

    # botocore's standard retry mode handles throttling and 5xx with back-off.
    return Config(retries={"mode": "standard", "max_attempts": 8}, connect_timeout=5, read_timeout=20)


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
