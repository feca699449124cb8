"""`python -m chalicelib.cli tokens ...`: create shows a secret once, list never does, revoke works."""

from __future__ import annotations

import json

from chalicelib import bootstrap
from chalicelib.cli import main
from tests.conftest import bearer


def test_create_list_revoke(api, capsys):
    assert main(["tokens", "create", "--team", "claims", "--label", "claims bot"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("fo_") and len(token) > 40

    body = json.dumps(
        {
            "items": [
                {
                    "work_item_id": "c1",
                    "use_case": "claims-processing",
                    "completed_at": "2026-11-01T10:00:00Z",
                    "status": "success",
                }
            ]
        }
    )
    assert api.http.post("/v1/work-items", headers=bearer(token), body=body).status_code == 200

    assert main(["tokens", "list"]) == 0
    listing = capsys.readouterr().out
    assert "claims bot" in listing and token not in listing and token[3:20] not in listing
    token_id = next(line.split()[0] for line in listing.splitlines() if "claims bot" in line)

    assert main(["tokens", "revoke", token_id]) == 0
    with bootstrap.serving(bootstrap.Backend.from_env()):  # a Lambda started after the revoke (a warm one
        # forgets within TOKEN_CACHE_SECONDS: tests/test_api_errors.py)
        assert api.http.post("/v1/work-items", headers=bearer(token), body=body).status_code == 401


def test_tokens_are_stored_only_as_hashes(aws, capsys):
    import boto3

    main(["tokens", "create", "--scope", "admin"])
    token = capsys.readouterr().out.strip()
    stored = json.dumps(boto3.client("dynamodb").scan(TableName="finops-config")["Items"])
    assert token not in stored and token[3:] not in stored


def test_create_needs_a_team_or_a_scope(aws, capsys):
    assert main(["tokens", "create"]) == 2
    assert "--team" in capsys.readouterr().err


def test_revoking_an_unknown_id_fails(aws):
    assert main(["tokens", "revoke", "abcdef123456"]) == 1


def test_create_refuses_a_team_not_in_the_configuration(demo_org, capsys):
    from chalicelib import stores

    assert main(["tokens", "create", "--team", "clams", "--label", "typo"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no token printed
    assert "unknown team 'clams'" in captured.err
    assert all(team.team_id in captured.err for team in demo_org.teams)  # names the known ones
    assert stores.stores().tokens.list() == []  # nothing stored


def test_create_with_no_configuration_says_there_are_no_teams_yet(aws, capsys):
    assert main(["tokens", "create", "--team", "claims"]) == 2
    assert "none yet" in capsys.readouterr().err
