"""Create the DynamoDB tables from infra/tables.json, the one place they are defined."""

from __future__ import annotations

import json
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "tables.json"
_CREATE_KEYS = ("TableName", "AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes")


def table_definitions() -> list[dict]:
    resources = json.loads(TEMPLATE.read_text())["Resources"]
    return [r["Properties"] for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"]


def create_tables(dynamodb_client) -> list[str]:
    """Create every table that does not exist yet; returns the names created."""
    existing = set(dynamodb_client.list_tables()["TableNames"])
    created = []
    for props in table_definitions():
        if props["TableName"] in existing:
            continue
        dynamodb_client.create_table(**{k: props[k] for k in _CREATE_KEYS if k in props})
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb_client.update_time_to_live(TableName=props["TableName"], TimeToLiveSpecification=ttl)
        created.append(props["TableName"])
    return created
