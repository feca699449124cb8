"""The email outbox's contract (storage/interfaces.py Outbox), in memory and on DynamoDB (moto): one
email per key, pending until sent or abandoned, and a conditional write that loses raises as DynamoDB's."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from chalicelib.domain.notices import Notice

NOW = datetime(2026, 11, 16, 7, 0, tzinfo=timezone.utc)
RENDERED = ("RED: Claims processing", "<p>62 % over</p>", "62 % over")


def notice(key="slo:claims:2026-11-09:red", **kw) -> Notice:
    values = dict(
        key=key,
        kind="red",
        recipients=("owner@example.com", "lead@example.com"),
        subject="RED",
        headline="62 % over",
        use_case="claims",
        team="claims",
    )
    values.update(kw)
    return Notice(**values)


def code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


class OutboxContract:
    @pytest.fixture
    def outbox(self):
        raise NotImplementedError

    def test_a_key_is_claimed_once_whatever_becomes_of_it(self, outbox):
        assert outbox.claim(notice(), NOW, RENDERED) is True
        assert outbox.claim(notice(subject="again"), NOW + timedelta(hours=1), RENDERED) is False
        item = outbox.get(notice().key)
        assert (item.status, item.attempts, item.claimed_at) == ("pending", 0, "2026-11-16T07:00:00Z")
        assert (item.subject, item.html, item.text) == RENDERED
        assert (item.recipients, item.kind, item.use_case, item.team) == (
            ("owner@example.com", "lead@example.com"),
            "red",
            "claims",
            "claims",
        )
        outbox.mark_sent(notice().key, NOW, "ses-1")
        assert outbox.claim(notice(), NOW, RENDERED) is False
        assert outbox.get("never") is None

    def test_claimed_names_every_key_ever_claimed_whatever_became_of_it(self, outbox):
        sent, pending, abandoned = (notice(key=f"budget:team:t{n}:2026-10:spent") for n in range(3))
        for n in (sent, pending, abandoned):
            outbox.claim(n, NOW, RENDERED)
        outbox.mark_sent(sent.key, NOW, "ses-1")
        outbox.abandon(abandoned.key, NOW, "gave up")
        asked = [sent.key, pending.key, abandoned.key, "budget:team:never:2026-10:spent"]
        assert outbox.claimed(asked) == {sent.key, pending.key, abandoned.key}
        assert outbox.claimed([]) == set()
        assert outbox.claimed(f"k{n}" for n in range(150)) == set()  # more keys than one request takes

    def test_pending_emails_oldest_claim_first_until_sent_or_abandoned(self, outbox):
        for n, key in enumerate(("c", "a", "b", "d")):
            outbox.claim(notice(key, team="", use_case=""), NOW + timedelta(minutes=n % 2), None)
        assert [i.key for i in outbox.pending()] == ["b", "c", "a", "d"]  # by claim time, then key
        outbox.mark_sent("c", NOW, "ses-1")
        outbox.abandon("b", NOW, "no recipients")
        assert [i.key for i in outbox.pending()] == ["a", "d"]
        sent, abandoned = outbox.get("c"), outbox.get("b")
        assert (sent.status, sent.attempts, sent.message_id, sent.sent_at) == (
            "sent",
            1,
            "ses-1",
            "2026-11-16T07:00:00Z",
        )
        assert (abandoned.status, abandoned.last_error) == ("abandoned", "no recipients")
        assert outbox.get("a").subject == "RED" and outbox.get("a").html == ""  # claimed unrendered

    def test_a_failed_send_is_counted_and_stays_pending(self, outbox):
        outbox.claim(notice(), NOW, RENDERED)
        assert outbox.mark_failed(notice().key, NOW, "Throttling: slow down") == 1
        assert outbox.mark_failed(notice().key, NOW + timedelta(hours=1), "") == 2
        item = outbox.get(notice().key)
        assert (item.status, item.attempts, item.last_error, item.last_attempt_at) == (
            "pending",
            2,
            "unknown error",
            "2026-11-16T08:00:00Z",
        )
        assert [i.key for i in outbox.pending()] == [notice().key]

    def test_an_email_no_longer_pending_cannot_fail_nor_be_abandoned(self, outbox):
        outbox.claim(notice(), NOW, RENDERED)
        outbox.mark_sent(notice().key, NOW, "ses-1")
        with pytest.raises(ClientError) as failed:
            outbox.mark_failed(notice().key, NOW, "late")
        assert code(failed) == "ConditionalCheckFailedException"
        with pytest.raises(ClientError) as abandoned:
            outbox.abandon(notice().key, NOW, "late")
        assert code(abandoned) == "TransactionCanceledException"
        with pytest.raises(ClientError) as unknown:
            outbox.mark_sent("never-claimed", NOW, "ses-2")
        assert code(unknown) == "TransactionCanceledException"
        assert outbox.get(notice().key).status == "sent" and outbox.get("never-claimed") is None


class TestInMemoryOutbox(OutboxContract):
    @pytest.fixture
    def outbox(self):
        from chalicelib.storage.in_memory import InMemoryOutbox

        return InMemoryOutbox()


class TestDynamoDBOutbox(OutboxContract):
    @pytest.fixture
    def outbox(self, aws):
        from chalicelib.storage.outbox_store import OutboxStore

        return OutboxStore(aws.clients.dynamodb, aws.tables.config)
