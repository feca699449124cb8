"""AWS Cost Explorer connector against moto (results injected, as moto documents)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_api._internal.models import moto_api_backend

from chalicelib.connectors import aws_cost_explorer
from chalicelib.connectors.errors import SourceUnavailable
from local import demo_billing
from tests.connectors.window import DEC_1, NOV_1


@pytest.fixture
def ce(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("ce", region_name="us-east-1")


def inject(*pages):
    for page in pages:
        moto_api_backend.set_ce_cost_usage(result=page, account_id=DEFAULT_ACCOUNT_ID)


def group(keys, unblended, net=None):
    metrics = {"UnblendedCost": {"Amount": unblended, "Unit": "USD"}}
    if net is not None:
        metrics["NetUnblendedCost"] = {"Amount": net, "Unit": "USD"}
    return {"Keys": keys, "Metrics": metrics}


def by_time(day, groups, estimated=False):
    return {
        "TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()},
        "Total": {},
        "Groups": groups,
        "Estimated": estimated,
    }


def test_demo_month_over_three_pages_matches_exactly(ce):
    pages = demo_billing.inject_aws_costs_into_moto(NOV_1, DEC_1, days_per_page=12)
    assert len(pages) == 3
    facts = aws_cost_explorer.pull(ce, NOV_1, DEC_1).facts
    assert len(facts) == 30
    expected = {NOV_1 + timedelta(days=i): demo_billing.aws_daily_cost(NOV_1 + timedelta(days=i)) for i in range(30)}
    assert {f.day: f.billed_cost for f in facts} == expected
    assert sum(f.effective_cost for f in facts) == sum(expected.values())
    for f in facts:
        assert (f.source, f.category, f.provider, f.currency) == ("aws", "self_hosted", "AWS", "USD")
        assert (f.team, f.use_case) == ("operations", "contract-review")
        assert f.vendor_key == demo_billing.VENDOR_KEY_AWS_CONTRACT_REVIEW
        assert f.service == "tagged cost-center=ai-inference"
    assert D("200") < sum(expected.values()) / 30 < D("220")
    assert {f.provenance.rsplit(" ", 1)[-1] for f in facts} == {"1", "2", "3"}


def test_request_shape():
    params = aws_cost_explorer.request_params(NOV_1, DEC_1, next_page_token="tok")
    assert params["TimePeriod"] == {"Start": "2026-11-01", "End": "2026-12-01"}
    assert params["Granularity"] == "DAILY"
    assert params["Metrics"] == ["UnblendedCost", "NetUnblendedCost"]
    assert params["GroupBy"] == [{"Type": "TAG", "Key": "team"}, {"Type": "TAG", "Key": "use-case"}]
    assert params["Filter"] == {"Tags": {"Key": "cost-center", "Values": ["ai-inference"], "MatchOptions": ["EQUALS"]}}
    assert params["NextPageToken"] == "tok"


def test_empty_tags_are_unallocated_and_net_cost_is_effective(ce):
    day = date(2026, 11, 5)
    inject(
        {
            "ResultsByTime": [
                by_time(
                    day,
                    [
                        group(["team$support", "use-case$ticket-escalation"], "10.0000000001", "9.5"),
                        group(["team$", "use-case$"], "3.25"),
                        group(["team$claims", "use-case$"], "1.10", "1.00"),
                        group(["team$claims", "use-case$"], "0.90", "0.80"),  # same key again: summed
                    ],
                    estimated=True,
                )
            ]
        }
    )
    facts = {f.vendor_key: f for f in aws_cost_explorer.pull(ce, day, day + timedelta(days=1)).facts}
    tagged = facts["aws:tag:team=support,use-case=ticket-escalation"]
    assert (tagged.billed_cost, tagged.effective_cost) == (D("10.0000000001"), D("9.5"))
    assert (tagged.team, tagged.use_case) == ("support", "ticket-escalation")
    assert tagged.provenance.endswith("(estimated)")
    untagged = facts["aws:tag:team=,use-case="]
    assert (untagged.team, untagged.use_case) == ("unallocated", "unallocated")
    assert untagged.effective_cost == untagged.billed_cost == D("3.25")
    half = facts["aws:tag:team=claims,use-case="]
    assert (half.team, half.use_case, half.billed_cost, half.effective_cost) == (
        "claims",
        "unallocated",
        D("2.00"),
        D("1.80"),
    )


def test_days_outside_the_window_are_dropped(ce):
    inject(
        {
            "ResultsByTime": [
                by_time(NOV_1 + timedelta(days=i), [group(["team$a", "use-case$b"], "1")]) for i in range(3)
            ]
        }
    )
    facts = aws_cost_explorer.pull(ce, NOV_1 + timedelta(days=1), NOV_1 + timedelta(days=2)).facts
    assert [f.day for f in facts] == [NOV_1 + timedelta(days=1)]


def test_nothing_injected_gives_no_facts(ce):
    assert aws_cost_explorer.pull(ce, NOV_1, DEC_1).facts == []


def test_client_errors_become_source_unavailable():
    from botocore.exceptions import ClientError

    class Broken:
        def get_cost_and_usage(self, **_):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetCostAndUsage")

    with pytest.raises(SourceUnavailable) as caught:
        aws_cost_explorer.pull(Broken(), NOV_1, DEC_1)
    assert caught.value.source == "aws" and "AccessDenied" in caught.value.reason


def test_repeated_page_token_is_refused():
    class Looping:
        def get_cost_and_usage(self, **_):
            return {"ResultsByTime": [], "NextPageToken": "same"}

    with pytest.raises(SourceUnavailable, match="loops"):
        aws_cost_explorer.pull(Looping(), NOV_1, DEC_1)


@pytest.mark.parametrize(
    "response",
    [
        {"ResultsByTime": {}},
        {"ResultsByTime": [{"TimePeriod": {}}]},
        {"ResultsByTime": [by_time(NOV_1, [{"Keys": ["team$a"], "Metrics": {}}])]},
        {"ResultsByTime": [by_time(NOV_1, [group(["team$a"], "x")])]},
    ],
)
def test_unexpected_shapes(response):
    with pytest.raises(SourceUnavailable):
        aws_cost_explorer.parse_response(response)


def test_injection_over_a_moto_server(monkeypatch):
    """What the local stack does: moto as a server, results posted to its moto-api."""
    from moto.server import ThreadedMotoServer

    from local.ports import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        url = f"http://127.0.0.1:{port}"
        start, end = date(2026, 10, 1), date(2026, 10, 8)
        demo_billing.inject_aws_costs_into_moto(start, end, endpoint_url=url, days_per_page=3)
        client = boto3.client(
            "ce", region_name="us-east-1", endpoint_url=url, aws_access_key_id="local", aws_secret_access_key="local"
        )
        facts = aws_cost_explorer.pull(client, start, end).facts
        assert sum(f.billed_cost for f in facts) == sum(
            demo_billing.aws_daily_cost(start + timedelta(days=i)) for i in range(7)
        )
        assert len(facts) == 7
    finally:
        server.stop()


# --- answered days: a ResultsByTime entry answers its day, even with no groups ----------------
def test_an_empty_answer_answers_no_day(ce):
    pulled = aws_cost_explorer.pull(ce, NOV_1, DEC_1)  # moto with nothing queued
    assert (pulled.facts, pulled.answered) == ([], frozenset())


def test_a_day_with_no_groups_is_answered_with_no_facts(ce):
    inject(
        {
            "ResultsByTime": [
                by_time(NOV_1, [group(["team$a", "use-case$b"], "2.5")]),
                by_time(NOV_1 + timedelta(days=1), []),
                by_time(NOV_1 + timedelta(days=5), [group(["team$a", "use-case$b"], "1")]),
            ]
        }
    )
    pulled = aws_cost_explorer.pull(ce, NOV_1, NOV_1 + timedelta(days=3))
    assert pulled.answered == {NOV_1, NOV_1 + timedelta(days=1)}  # day 6 is outside the window
    assert [f.day for f in pulled.facts] == [NOV_1]
