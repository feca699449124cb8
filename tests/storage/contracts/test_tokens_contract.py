"""The API tokens' contract (storage/interfaces.py Tokens), in memory and on DynamoDB (moto)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


class TokensContract:
    @pytest.fixture
    def tokens(self):
        raise NotImplementedError

    def test_a_token_is_shown_once_and_resolves_to_its_grant(self, tokens):
        token, grant = tokens.create("team", "claims", NOW, "claims bot")
        assert token.startswith("fo_") and grant.token_id not in token
        assert tokens.lookup(token) == grant
        assert (grant.scope, grant.team, grant.label, grant.revoked) == ("team", "claims", "claims bot", False)
        assert tokens.lookup(token + "x") is None and tokens.lookup("") is None

    def test_a_revoked_token_stops_resolving_and_stays_listed(self, tokens):
        token, grant = tokens.create("admin", "", NOW)
        other, _ = tokens.create("sheet", "", NOW + timedelta(seconds=1))
        assert tokens.revoke(grant.token_id) == 1
        assert tokens.revoke(grant.token_id) == 0  # nothing active with that id any more
        assert tokens.lookup(token) is None and tokens.lookup(other) is not None
        assert [(g.scope, g.revoked) for g in tokens.list()] == [("admin", True), ("sheet", False)]

    def test_tokens_are_listed_oldest_first(self, tokens):
        for n, scope in enumerate(("sheet", "admin", "sheet")):
            tokens.create(scope, "", NOW - timedelta(minutes=n))
        listed = [g.created_at for g in tokens.list()]
        assert listed == sorted(listed) and len(listed) == 3

    @pytest.mark.parametrize("scope, team", [("root", ""), ("team", ""), ("admin", "claims")])
    def test_a_wrong_scope_or_team_is_refused(self, tokens, scope, team):
        with pytest.raises(ValueError):
            tokens.create(scope, team, NOW)
        assert tokens.list() == []


class TestInMemoryTokens(TokensContract):
    @pytest.fixture
    def tokens(self):
        from chalicelib.storage.in_memory import InMemoryTokens

        return InMemoryTokens()


class TestDynamoDBTokens(TokensContract):
    @pytest.fixture
    def tokens(self, aws):
        return aws.stores.tokens
