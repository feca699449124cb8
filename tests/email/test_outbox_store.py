"""The outbox: a key is claimed once; pending items keep what is needed to send them again."""

from __future__ import annotations

from datetime import timedelta

import boto3

from chalicelib.email.templates import render

from .conftest import NOW, SHEET_URL, notice


def test_a_key_is_claimed_once_and_keeps_the_rendered_email(outbox):
    n = notice("red")
    rendered = render(n, SHEET_URL)
    assert outbox.claim(n, NOW, rendered) is True
    assert outbox.claim(n, NOW + timedelta(hours=1), rendered) is False
    [item] = outbox.pending()
    assert (item.key, item.kind, item.recipients) == (n.key, "red", n.recipients)
    assert (item.subject, item.html, item.text) == rendered
    assert (item.status, item.attempts, item.claimed_at) == ("pending", 0, "2026-11-16T07:00:00Z")
    assert (item.use_case, item.team) == ("claims-processing", "claims")


def test_sent_leaves_pending_and_is_never_claimed_again(outbox):
    n = notice("critical")
    outbox.claim(n, NOW, render(n, ""))
    outbox.mark_sent(n.key, NOW, "msg-1")
    assert outbox.pending() == []
    item = outbox.get(n.key)
    assert (item.status, item.message_id, item.attempts, item.sent_at) == ("sent", "msg-1", 1, "2026-11-16T07:00:00Z")
    assert outbox.claim(n, NOW + timedelta(days=7), render(n, "")) is False


def test_a_failure_is_counted_and_stays_pending(outbox):
    n = notice("red")
    outbox.claim(n, NOW, render(n, ""))
    assert outbox.mark_failed(n.key, NOW, "Throttling: Maximum sending rate exceeded.") == 1
    assert outbox.mark_failed(n.key, NOW + timedelta(hours=1), "MessageRejected") == 2
    [item] = outbox.pending()
    assert (item.status, item.attempts, item.last_error, item.last_attempt_at) == (
        "pending",
        2,
        "MessageRejected",
        "2026-11-16T08:00:00Z",
    )


def test_abandoned_is_kept_not_pending_and_not_claimable(outbox):
    n = notice("budget")
    outbox.claim(n, NOW, render(n, ""))
    outbox.abandon(n.key, NOW, "72 failed attempts")
    assert outbox.pending() == [] and outbox.get(n.key).status == "abandoned"
    assert outbox.claim(n, NOW, render(n, "")) is False


def test_pending_reads_only_the_pending_partition_oldest_first(outbox):
    for day in range(1, 4):
        n = notice("red", key=f"slo:uc-{day}:2026-11-0{day}:red")
        outbox.claim(n, NOW - timedelta(days=day), render(n, ""))
    outbox.mark_sent("slo:uc-2:2026-11-02:red", NOW, "m")
    assert [i.key for i in outbox.pending()] == ["slo:uc-3:2026-11-03:red", "slo:uc-1:2026-11-01:red"]
    markers = boto3.client("dynamodb").query(
        TableName="finops-config",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "OUTBOX-PENDING"}},
    )["Items"]
    assert len(markers) == 2


def test_a_thousand_row_digest_fits_one_item(outbox):
    rows = tuple(
        (f"use-case-{i:04d}", ("green", "yellow", "red")[i % 3], f"${i}.1234", "$1.0000", "was green last week")
        for i in range(1000)
    )
    n = notice(
        "digest", key="digest:2026-W46", table_header=("Use case", "Colour", "CPU", "Target", "Change"), table_rows=rows
    )
    rendered = render(n, SHEET_URL)
    assert len(rendered[1].encode()) > 400_000  # more than DynamoDB takes uncompressed
    assert outbox.claim(n, NOW, rendered)
    assert outbox.pending()[0].html == rendered[1]
