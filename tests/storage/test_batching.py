"""Batch writes and reads send again what DynamoDB leaves unprocessed, and give up after MAX_ROUNDS."""

from __future__ import annotations

import pytest

from chalicelib.storage import batching


class Throttled:
    """A resource that leaves a call's whole request unprocessed for its first `rounds` calls."""

    def __init__(self, rounds: int):
        self.rounds = rounds
        self.calls: list[dict] = []

    def _answer(self, request_items: dict, left_over: str, answered: str) -> dict:
        self.calls.append(request_items)
        [(table, request)] = request_items.items()
        if len(self.calls) <= self.rounds:
            return {left_over: {table: request}}
        if answered == "Responses":
            return {"Responses": {table: list(request["Keys"])}}
        return {}

    def batch_write_item(self, RequestItems: dict) -> dict:  # noqa: N803 - boto3's name
        return self._answer(RequestItems, "UnprocessedItems", "")

    def batch_get_item(self, RequestItems: dict) -> dict:  # noqa: N803 - boto3's name
        return self._answer(RequestItems, "UnprocessedKeys", "Responses")


@pytest.fixture(autouse=True)
def no_back_off(monkeypatch):
    monkeypatch.setattr(batching, "_back_off", lambda round_: None)


def test_unprocessed_writes_are_sent_again_and_counted():
    resource = Throttled(rounds=2)
    requests = [{"PutRequest": {"Item": {"pk": str(n)}}} for n in range(30)]
    assert batching.batch_write(resource, "t", requests) == 4  # 25 + 5 per call; the first sent three times
    assert [len(c["t"]) for c in resource.calls] == [25, 25, 25, 5]


def test_unprocessed_keys_are_read_again_and_every_item_is_returned_once():
    resource = Throttled(rounds=1)
    keys = [{"pk": str(n)} for n in range(3)]
    found, calls = batching.batch_get(resource, "t", keys, consistent=True)
    assert (found, calls) == (keys, 2)
    assert all(c["t"]["ConsistentRead"] for c in resource.calls)


@pytest.mark.parametrize("call", ["write", "get"])
def test_still_unprocessed_after_max_rounds_is_an_error(call):
    resource = Throttled(rounds=batching.MAX_ROUNDS)
    with pytest.raises(batching.UnprocessedAfterRetries, match="still unprocessed after"):
        if call == "write":
            batching.batch_write(resource, "t", [{"PutRequest": {"Item": {"pk": "1"}}}])
        else:
            batching.batch_get(resource, "t", [{"pk": "1"}])
    assert len(resource.calls) == batching.MAX_ROUNDS
