"""Finance's configuration is replaced whole: readers never see half of a save."""
from __future__ import annotations

from dataclasses import replace

import boto3
import pytest

from local.demo_org import demo_organisation


def same(a, b):
    from chalicelib.sheet_sync import same_configuration

    return same_configuration(a, b)


def store():
    from chalicelib import stores

    return stores.stores().organisation


def rows_in_table():
    return boto3.client("dynamodb").scan(TableName="finops-config")["Count"]


def test_save_and_load_round_trip_and_replace(aws):
    org = demo_organisation()
    store().save(org)
    assert same(store().load(), org)
    fewer = replace(org, use_cases=org.use_cases[:2], mappings=())
    store().save(fewer)
    assert same(store().load(), fewer)
    # The older generation is gone: the table holds one configuration's rows plus the pointer.
    store().save(fewer)
    assert rows_in_table() == 1 + 1 + len(fewer.teams) + 2 + len(fewer.shared_rules) + len(fewer.benchmarks)


def test_a_save_that_dies_before_the_switch_leaves_the_old_configuration(aws, monkeypatch):
    org = demo_organisation()
    store().save(org)
    client = store()._resource.meta.client
    real_put = client.put_item

    def dies(**kwargs):
        if kwargs.get("Item", {}).get("sk") == "current":
            raise RuntimeError("Lambda timed out")
        return real_put(**kwargs)

    monkeypatch.setattr(client, "put_item", dies)
    with pytest.raises(RuntimeError):
        store().save(replace(org, use_cases=()))
    assert same(store().load(), org)
    monkeypatch.setattr(client, "put_item", real_put)
    smaller = replace(org, use_cases=org.use_cases[:1])
    store().save(smaller)  # the next save starts the abandoned generation clean
    assert same(store().load(), smaller)
    assert not same(store().load(), org)
