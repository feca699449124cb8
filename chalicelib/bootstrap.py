"""Builds the pipeline's dependencies once per process: stores, billing sources, the sheet, email.

Production and the local stack differ only by environment (endpoints, table names, SHEET_ID,
ALERT_SENDER, OUTBOX_EML_DIR); tests build `pipeline.Deps` with whatever fakes they need.
"""

from __future__ import annotations

import os

from chalicelib import runtime, stores
from chalicelib.services.pipeline import Deps


def _request_counter(client) -> list:
    """Counts every DynamoDB request made through `client` (a run records its own share)."""
    counter = getattr(client, "_finops_requests", None)
    if counter is None:
        counter = [0]
        client._finops_requests = counter

        def count(**_):
            counter[0] += 1

        client.meta.events.register("before-send.dynamodb", count)
    return counter


def sheet_url() -> str:
    sheet = os.environ.get("SHEET_ID", "").strip()
    return f"https://docs.google.com/spreadsheets/d/{sheet}/edit" if sheet else ""


def dependencies() -> Deps:
    from chalicelib.billing import vendor_sources
    from chalicelib.sheet.session import SheetSession
    from chalicelib.usage_pull import usage_sources

    s = stores.stores()
    resource = runtime.dynamodb()
    config = runtime.TableNames.from_env().config
    counter = _request_counter(resource.meta.client)
    outbox, mailer = _email(resource, config)
    return Deps(
        stores=s,
        pool=s.pool,
        runs=s.runs,
        alerts=s.alerts,
        snapshots=s.snapshots,
        outbox=outbox,
        mailer=mailer,
        sources=lambda org: vendor_sources(org, s.work_items),
        open_sheet=SheetSession.open,
        sheet_url=sheet_url(),
        count_requests=lambda: counter[0],
        usage_sources=usage_sources,
    )


def _email(resource, config: str) -> tuple:
    """(outbox, mailer), or (None, None) when no sender is configured (ALERT_SENDER)."""
    sender = os.environ.get("ALERT_SENDER", "").strip()
    if not sender:
        return None, None
    from chalicelib.email.mailer import SesMailer
    from chalicelib.storage.outbox_store import OutboxStore

    return (
        OutboxStore(resource, config),
        SesMailer(
            runtime.client("sesv2"),
            sender,
            os.environ.get("SES_CONFIGURATION_SET") or None,
            os.environ.get("OUTBOX_EML_DIR") or None,
        ),
    )
