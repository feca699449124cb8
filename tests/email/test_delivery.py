"""Delivery through moto's SES v2: one email per key across reruns, failures retried, .eml copies."""

from __future__ import annotations

from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib.email.mailer import SesMailer, eml_name
from chalicelib.services.delivery import deliver

from .conftest import NOW, SENDER, SHEET_URL, notice, sent_messages


def mailer(client, **kwargs) -> SesMailer:
    return SesMailer(client, f"AI FinOps <{SENDER}>", **kwargs)


class FailingClient:
    """An SES client that raises `error` for the first `times` sends, then passes to `real`."""

    def __init__(self, real, error: Exception, times: int = 10**6):
        self.real, self.error, self.times, self.calls = real, error, times, 0

    def send_email(self, **request):
        self.calls += 1
        if self.calls <= self.times:
            raise self.error
        return self.real.send_email(**request)


def throttled() -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded."},
            "ResponseMetadata": {"HTTPStatusCode": 429},
        },
        "SendEmail",
    )


def test_each_key_is_sent_once_across_reruns(sesv2, outbox):
    notices = [
        notice("red"),
        notice("critical"),
        notice(
            "budget", key="budget:team:claims:2026-11:spent", recipients=("lead@example.com", "finance@example.com")
        ),
    ]
    first = deliver(notices, outbox, mailer(sesv2), SHEET_URL, NOW)
    assert first.sent == [n.key for n in notices] and first.ok and not first.already_sent
    again = deliver(notices, outbox, mailer(sesv2), SHEET_URL, NOW + timedelta(hours=1))
    assert again.sent == [] and again.already_sent == [n.key for n in notices]
    messages = sent_messages()
    assert len(messages) == 3
    by_subject = {m.subject: m for m in messages}
    red = by_subject[notices[0].subject]
    assert red.source == f"AI FinOps <{SENDER}>"
    assert red.destinations["ToAddresses"] == ["owner@example.com", "lead@example.com"]
    assert "48-hour root-cause analysis" in red.body and SHEET_URL in red.body  # moto keeps the HTML part
    assert by_subject[notices[2].subject].destinations["ToAddresses"] == ["lead@example.com", "finance@example.com"]
    assert outbox.get(notices[0].key).message_id == red.id
    assert str(again) == "0 sent, 3 already sent"


def test_the_same_key_twice_in_one_run_is_one_email(sesv2, outbox):
    report = deliver([notice("red"), notice("red")], outbox, mailer(sesv2), SHEET_URL, NOW)
    assert report.sent == [notice("red").key] and len(sent_messages()) == 1


def test_a_failed_send_stays_pending_and_the_next_delivery_sends_it(aws, outbox):
    import boto3

    client = boto3.client("sesv2", region_name="us-east-1")  # the sender is not verified yet
    n = notice("critical")
    first = deliver([n], outbox, mailer(client), SHEET_URL, NOW)
    assert first.sent == [] and first.failed[0][0] == n.key
    assert first.failed[0][1].startswith("MessageRejected") and not first.stopped
    assert [i.key for i in outbox.pending()] == [n.key] and outbox.get(n.key).attempts == 1
    assert sent_messages() == []

    client.create_email_identity(EmailIdentity=SENDER)
    # The next run may or may not ask for the same notice again: either way it is sent once.
    second = deliver([n], outbox, mailer(client), SHEET_URL, NOW + timedelta(hours=1))
    assert second.sent == [n.key] and second.retried == [n.key] and not second.already_sent and second.ok
    third = deliver([], outbox, mailer(client), SHEET_URL, NOW + timedelta(hours=2))
    assert third.sent == [] and outbox.pending() == []
    assert len(sent_messages()) == 1 and outbox.get(n.key).attempts == 2


def test_earlier_pending_emails_are_retried_without_their_notices(sesv2, outbox):
    n = notice("approval", key="approval:claims-processing:2026-11:T3")
    deliver([n], outbox, mailer(FailingClient(sesv2, throttled())), SHEET_URL, NOW)
    report = deliver([], outbox, mailer(sesv2), SHEET_URL, NOW + timedelta(hours=1))
    assert report.retried == [n.key] and len(sent_messages()) == 1
    assert sent_messages()[0].subject == n.subject  # the email claimed then, as it was rendered then


def test_throttling_stops_sending_and_leaves_the_rest_pending(sesv2, outbox):
    notices = [notice("red", key=f"slo:uc-{i}:2026-11-09:red") for i in range(4)]
    stub = FailingClient(sesv2, throttled(), times=1)
    report = deliver(notices, outbox, mailer(stub), SHEET_URL, NOW)
    assert stub.calls == 1  # no hammering: the first throttle stops this delivery
    assert report.failed == [(notices[0].key, "TooManyRequestsException: Maximum sending rate exceeded.")]
    assert report.deferred == [n.key for n in notices[1:]] and report.stopped
    assert len(outbox.pending()) == 4
    later = deliver(notices, outbox, mailer(sesv2), SHEET_URL, NOW + timedelta(hours=1))
    assert sorted(later.sent) == sorted(n.key for n in notices) and later.ok
    assert len(sent_messages()) == 4


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="https://email.us-east-1.amazonaws.com"),
        ClientError(
            {"Error": {"Code": "InternalFailure", "Message": "boom"}, "ResponseMetadata": {"HTTPStatusCode": 500}},
            "SendEmail",
        ),
        ClientError(
            {
                "Error": {"Code": "AccountSuspendedException", "Message": "suspended"},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            "SendEmail",
        ),
    ],
)
def test_an_ses_outage_never_raises(sesv2, outbox, error):
    notices = [notice("red"), notice("critical")]
    report = deliver(notices, outbox, mailer(FailingClient(sesv2, error)), SHEET_URL, NOW)
    assert report.sent == [] and len(report.failed) == 1 and report.deferred == [notices[1].key]
    assert not report.ok and "failed" in str(report)
    assert len(outbox.pending()) == 2


def test_a_rejected_message_does_not_stop_the_others(sesv2, outbox):
    bad = ClientError(
        {
            "Error": {"Code": "BadRequestException", "Message": "Illegal address"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "SendEmail",
    )
    report = deliver(
        [notice("red"), notice("critical")], outbox, mailer(FailingClient(sesv2, bad, times=1)), SHEET_URL, NOW
    )
    assert report.failed == [(notice("red").key, "BadRequestException: Illegal address")]
    assert report.sent == [notice("critical").key] and not report.stopped


def test_a_notice_without_recipients_is_reported_never_sent(sesv2, outbox):
    n = notice("red", recipients=())
    report = deliver([n], outbox, mailer(sesv2), SHEET_URL, NOW)
    assert report.no_recipients == [n.key] and report.sent == [] and report.ok
    assert sent_messages() == [] and outbox.get(n.key) is None  # not claimed: sendable once someone is named
    later = deliver([notice("red")], outbox, mailer(sesv2), SHEET_URL, NOW + timedelta(hours=1))
    assert later.sent == [n.key]


def test_an_email_failing_for_days_is_abandoned(aws, outbox):
    import boto3

    client = boto3.client("sesv2", region_name="us-east-1")  # never verified
    n = notice("reminder", key="reminder:claims-processing:2026-11-01")
    for hour in range(3):
        report = deliver([n], outbox, mailer(client), SHEET_URL, NOW + timedelta(hours=hour), max_attempts=3)
    assert report.abandoned and report.abandoned[0][0] == n.key and "3 failed attempts" in report.abandoned[0][1]
    assert outbox.pending() == [] and outbox.get(n.key).status == "abandoned"


def test_sent_but_not_recorded_is_reported(sesv2, outbox, monkeypatch):
    def broken(*args, **kwargs):
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "TransactWriteItems"
        )

    monkeypatch.setattr(outbox, "mark_sent", broken)
    report = deliver([notice("red")], outbox, mailer(sesv2), SHEET_URL, NOW)
    assert report.sent == [notice("red").key] and "not recorded" in report.failed[0][1]


def test_an_unknown_kind_is_reported_and_the_rest_are_sent(sesv2, outbox):
    report = deliver([notice("yellow"), notice("red")], outbox, mailer(sesv2), SHEET_URL, NOW)
    assert report.failed[0][1].startswith("cannot render") and report.sent == [notice("red").key]


def test_the_mailer_sends_html_and_text_in_utf8(sesv2):
    class Recording:
        def __init__(self):
            self.requests = []

        def send_email(self, **request):
            self.requests.append(request)
            return {"MessageId": "m-1"}

    client = Recording()
    assert mailer(client, configuration_set="alerts").send(["a@example.com"], "Café ✓", "<p>é</p>", "é") == "m-1"
    [request] = client.requests
    simple = request["Content"]["Simple"]
    assert simple["Subject"] == {"Data": "Café ✓", "Charset": "UTF-8"}
    assert simple["Body"] == {
        "Html": {"Data": "<p>é</p>", "Charset": "UTF-8"},
        "Text": {"Data": "é", "Charset": "UTF-8"},
    }
    assert request["ConfigurationSetName"] == "alerts" and request["Destination"] == {"ToAddresses": ["a@example.com"]}


def test_sent_emails_are_also_written_as_eml_files(sesv2, outbox, tmp_path):
    eml_dir = tmp_path / "outbox"
    n = notice("critical", use_case="claims-processing é")
    deliver([n, notice("red", recipients=())], outbox, mailer(sesv2, eml_dir=eml_dir), SHEET_URL, NOW)
    [path] = sorted(eml_dir.glob("*.eml"))
    assert path.name == "slo_claims-processing_2026-11-09_critical.eml" == eml_name(n.key) + ".eml"
    message = BytesParser(policy=policy.default).parse(path.open("rb"))
    assert message["Subject"] == n.subject and message["From"] == f"AI FinOps <{SENDER}>"
    assert message["To"] == "owner@example.com, lead@example.com"
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "claims-processing é" in html and "Critical cleared on" in text and SHEET_URL in text
    assert message["X-SES-Message-ID"] == sent_messages()[0].id
    # A rerun sends nothing and writes nothing.
    deliver([n], outbox, mailer(sesv2, eml_dir=eml_dir), SHEET_URL, NOW + timedelta(hours=1))
    assert len(list(eml_dir.glob("*"))) == 1


def test_a_failed_send_writes_no_eml(aws, outbox, tmp_path):
    import boto3

    deliver(
        [notice("red")],
        outbox,
        mailer(boto3.client("sesv2", region_name="us-east-1"), eml_dir=tmp_path),
        SHEET_URL,
        NOW,
    )
    assert list(tmp_path.iterdir()) == []


def test_from_env_reads_the_sender_configuration_set_and_eml_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("ALERT_SENDER", "Finance bot <bot@example.com>")
    monkeypatch.setenv("SES_CONFIGURATION_SET", "finops")
    monkeypatch.setenv("OUTBOX_EML_DIR", str(tmp_path))
    m = SesMailer.from_env(client=object())
    assert (m.sender, m.configuration_set, m.eml_dir) == ("Finance bot <bot@example.com>", "finops", tmp_path)
    monkeypatch.delenv("OUTBOX_EML_DIR")
    monkeypatch.delenv("SES_CONFIGURATION_SET")
    m = SesMailer.from_env(client=object())
    assert m.eml_dir is None and m.configuration_set is None
    monkeypatch.delenv("ALERT_SENDER")
    with pytest.raises(ValueError, match="ALERT_SENDER"):
        SesMailer.from_env(client=object())


def test_an_email_claimed_earlier_in_the_same_run_is_a_first_send_not_a_retry(sesv2, outbox):
    from chalicelib.email.templates import render

    red = notice("red")
    assert outbox.claim(red, NOW, render(red, SHEET_URL))  # the pipeline claims before it saves its state
    report = deliver([red], outbox, mailer(sesv2), SHEET_URL, NOW)
    assert report.sent == [red.key] and report.retried == [] and report.already_sent == []
    later = notice("critical")
    assert outbox.claim(later, NOW, render(later, SHEET_URL))
    retry = deliver([], outbox, mailer(sesv2), SHEET_URL, NOW + timedelta(hours=1))  # a later run: a retry
    assert retry.sent == [later.key] and retry.retried == [later.key]
