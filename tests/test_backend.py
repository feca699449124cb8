"""chalicelib.bootstrap.Backend keeps what a warm Lambda keeps (who each token is, the Sheets clients) and a new
Backend, like a new Lambda, starts without: nothing module-level for a test to reset."""

from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.access import TOKEN_CACHE_SECONDS
from chalicelib.bootstrap import Backend
from chalicelib.runtime import AwsClients, TableNames
from chalicelib.storage.in_memory import in_memory_stores
from local.fake_service_account import service_account_info

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


def backend(stores=None, clock=lambda: 0.0) -> Backend:
    return Backend(AwsClients(), TableNames.from_env(), stores=stores or in_memory_stores(), clock=clock)


def test_a_backend_remembers_each_token_for_the_cache_time_and_a_new_one_remembers_none():
    stores = in_memory_stores()
    token, grant = stores.tokens.create("team", "claims", NOW)
    clock = [100.0]
    warm = backend(stores, lambda: clock[0])
    caller = warm.caller(f"Bearer {token}")
    assert caller is not None and (caller.scope, caller.team) == ("team", "claims")
    assert stores.tokens.revoke(grant.token_id) == 1
    clock[0] += TOKEN_CACHE_SECONDS - 1
    assert warm.caller(f"Bearer {token}") == caller  # the warm Lambda's answer, not yet expired
    assert backend(stores).caller(f"Bearer {token}") is None  # a new Lambda asks the store
    clock[0] += 1
    assert warm.caller(f"Bearer {token}") is None  # expired: asked again
    assert warm.caller(None) is None and warm.caller(f"Basic {token}") is None


def test_a_backend_reuses_its_sheets_client_per_key_and_endpoint_and_a_new_one_makes_its_own(monkeypatch):
    monkeypatch.setenv("SHEETS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing is sent: no request is made
    info = service_account_info("http://127.0.0.1:9")
    warm = backend()
    first = warm.open_sheet("sheet-a", info)
    again = warm.open_sheet("sheet-b", info)
    assert again.http is first.http and (first.spreadsheet_id, again.spreadsheet_id) == ("sheet-a", "sheet-b")
    assert again.editor == info["client_email"]
    other_key = service_account_info("http://127.0.0.1:9", client_email="other@local-finops.iam.gserviceaccount.com")
    assert warm.open_sheet("sheet-a", other_key).http is not first.http
    assert backend().open_sheet("sheet-a", info).http is not first.http  # a new Lambda
    monkeypatch.setenv("SHEETS_ENDPOINT_URL", "http://127.0.0.1:10")
    assert warm.open_sheet("sheet-a", info).http is not first.http  # another endpoint
