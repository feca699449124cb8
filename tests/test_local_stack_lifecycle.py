"""The local stack's life cycle: it refuses a taken port, stops on Ctrl-C and SIGTERM with every
child, and moto's server (local/moto_server.py) keeps DynamoDB's semantics with its fixes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from local.ports import HOST, PortInUse, check_free, free_port, wait_until_up
from local.stack import ROOT, LocalStack


@pytest.fixture
def taken_port():
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen()
        yield listener.getsockname()[1]


def _run(argv: list, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


def test_check_free_names_the_port_and_what_wanted_it(taken_port):
    with pytest.raises(PortInUse, match=rf"port {taken_port} on 127\.0\.0\.1 is already in use \(wanted for the API"):
        check_free(taken_port, "the API")
    check_free(free_port(), "the API")  # a free one passes


def test_serve_refuses_a_taken_api_port(taken_port, tmp_path):
    started = time.monotonic()
    done = _run(["-m", "local.stack", "--workbook", str(tmp_path / "x.xlsx")], PORT=str(taken_port))
    assert done.returncode == 2
    assert f"port {taken_port} on 127.0.0.1 is already in use" in done.stderr
    assert f"PORT={taken_port + 1} make serve" in done.stderr
    assert "Ctrl-C to stop" not in done.stdout and "API (chalice local)" not in done.stdout
    assert time.monotonic() - started < 10


def test_stack_refuses_a_taken_moto_port_before_starting_anything(taken_port, tmp_path):
    stack = LocalStack(moto_port=taken_port, workbook=tmp_path / "x.xlsx")
    with pytest.raises(PortInUse, match=f"port {taken_port} .* moto's server"):
        with stack:
            pass
    assert stack.pids == {} and stack.vendors == {} and stack.sheets is None


def test_moto_server_refuses_a_taken_port(taken_port):
    done = _run(["-m", "local.moto_server", "--port", str(taken_port)])
    assert done.returncode == 2 and f"port {taken_port} on 127.0.0.1 is already in use" in done.stderr


def _children(pid: int) -> list:
    return [int(p) for task in Path(f"/proc/{pid}/task").iterdir() for p in (task / "children").read_text().split()]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.e2e  # the whole local stack started, then signalled: make check
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads child processes from /proc")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_the_stack_and_every_child_within_seconds(signum, tmp_path):
    port = free_port()
    stack = subprocess.Popen(
        [sys.executable, "-m", "local.stack", "--workbook", str(tmp_path / "x.xlsx")],
        cwd=ROOT,
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/v1/health", timeout=60, process=stack)
        kids = _children(stack.pid)
        assert len(kids) == 2  # moto's server and chalice local
        started = time.monotonic()
        stack.send_signal(signum)
        assert stack.wait(timeout=10) == 0
        while any(_alive(k) for k in kids) and time.monotonic() - started < 10:
            time.sleep(0.05)
        assert time.monotonic() - started < 5 and not [k for k in kids if _alive(k)]
        assert stack.stdout.read().rstrip().endswith("stopped")
    finally:
        if stack.poll() is None:
            stack.kill()


# --- moto's server with local/moto_server.py's fixes ---------------------------------------------
@pytest.fixture(scope="module")
def moto_url():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "local.moto_server", "--port", str(port), "--parent-pid", str(os.getpid())],
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/moto-api/", process=server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def dynamodb(moto_url):
    import boto3

    client = boto3.client(
        "dynamodb",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    requests.post(moto_url + "/moto-api/reset", timeout=10)
    client.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    return client


def _items(client) -> dict:
    return {(i["pk"]["S"], i["sk"]["S"]): i for i in client.scan(TableName="t")["Items"]}


def _add(pk: str, n: int) -> dict:
    return {
        "Update": {
            "TableName": "t",
            "Key": {"pk": {"S": pk}, "sk": {"S": "-"}},
            "UpdateExpression": "ADD n :n",
            "ExpressionAttributeValues": {":n": {"N": str(n)}},
        }
    }


def _put_new(pk: str) -> dict:
    return {
        "Put": {
            "TableName": "t",
            "Item": {"pk": {"S": pk}, "sk": {"S": "-"}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


@pytest.mark.e2e  # moto's server started in a process: make check
def test_a_failed_transaction_changes_nothing(dynamodb):
    dynamodb.transact_write_items(TransactItems=[_put_new("marker-1"), _add("counter", 5), _put_new("other")])
    before = _items(dynamodb)
    # An update, a new item and a delete run before the last condition fails: all are rolled back.
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as failed:
        dynamodb.transact_write_items(
            TransactItems=[
                _add("counter", 7),
                _put_new("marker-2"),
                {"Delete": {"TableName": "t", "Key": {"pk": {"S": "other"}, "sk": {"S": "-"}}}},
                _put_new("marker-1"),
            ]
        )
    codes = [r["Code"] for r in failed.value.response["CancellationReasons"]]
    assert codes == ["None", "None", "None", "ConditionalCheckFailed"]
    assert _items(dynamodb) == before and before[("counter", "-")]["n"] == {"N": "5"}
    # A request moto refuses outright (two actions on one item) changes nothing either.
    with pytest.raises(dynamodb.exceptions.ClientError):
        dynamodb.transact_write_items(TransactItems=[_add("counter", 1), _add("counter", 1)])
    assert _items(dynamodb) == before
    dynamodb.transact_write_items(TransactItems=[_put_new("marker-2"), _add("counter", 7)])
    after = _items(dynamodb)
    assert after[("counter", "-")]["n"] == {"N": "12"} and set(after) == set(before) | {("marker-2", "-")}


@pytest.mark.e2e  # moto's server started in a process: make check
def test_concurrent_writes_get_no_500_and_lose_no_increment(dynamodb):
    """moto's stock server, threaded, raced here: a transaction copying the table while another
    request wrote to it raised "dictionary changed size during iteration" (a 500)."""
    from concurrent.futures import ThreadPoolExecutor

    import boto3
    from botocore.config import Config

    for start in range(0, 1500, 25):  # a table big enough for its copy to take a while
        dynamodb.batch_write_item(
            RequestItems={
                "t": [
                    {"PutRequest": {"Item": {"pk": {"S": f"old-{n}"}, "sk": {"S": "-"}}}}
                    for n in range(start, start + 25)
                ]
            }
        )

    def post(n: int) -> None:
        client = boto3.client(
            "dynamodb",
            endpoint_url=dynamodb.meta.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"total_max_attempts": 1}),
        )  # a 500 fails the test
        for k in range(5):
            client.batch_write_item(
                RequestItems={
                    "t": [
                        {"PutRequest": {"Item": {"pk": {"S": f"item-{n}-{k}-{i}"}, "sk": {"S": "-"}}}} for i in range(5)
                    ]
                }
            )
            client.transact_write_items(TransactItems=[_put_new(f"marker-{n}-{k}"), _add("counter", 1)])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(post, range(8)))
    assert _items(dynamodb)[("counter", "-")]["n"] == {"N": "40"}


@pytest.mark.e2e  # moto's server started in a process: make check
def test_data_json_still_lists_live_objects(dynamodb, moto_url):
    dynamodb.put_item(TableName="t", Item={"pk": {"S": "visible"}, "sk": {"S": "-"}})
    for _ in range(20):  # every query copies the items it returns: the copies are not kept
        dynamodb.query(
            TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "visible"}}
        )
    data = requests.get(moto_url + "/moto-api/data.json", timeout=10).json()["dynamodb"]
    assert [t["name"] for t in data["Table"]] == ["t"]
    assert len(data["Item"]) == 1  # the stored item; not 21
