"""The repository holds no secret: no tracked file has a private key, a cloud or vendor key, a token
of this API or a service-account key file; what the local stack makes up at run time (the fake
service account, tokens, .local/) stays out of git."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Shapes of real credentials, long enough that a made-up placeholder ("sk-admin-local-demo") is not one.
PATTERNS = {
    "PEM private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY"),
    "service-account key file": re.compile(r'"private_key"\s*:\s*"-----BEGIN'),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(r"(?i)aws_secret_access_key\W{1,4}[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])"),
    "OpenAI / Anthropic key": re.compile(r"\bsk-(?:proj-|ant-[a-z0-9]+-|admin-|svcacct-)?[A-Za-z0-9_-]{32,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "Google OAuth token": re.compile(r"\bya29\.[0-9A-Za-z_-]{20,}"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "this API's token": re.compile(r"\bfo_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"),
}


def tracked_files() -> list:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_no_tracked_file_holds_a_key_or_token():
    found = []
    for path in tracked_files():
        if not path.is_file():
            continue  # deleted in the working tree
        text = path.read_bytes()
        if b"\0" in text[:8192]:
            continue  # binary (pictures, the demo workbook): no text key in them
        text = text.decode("utf-8", errors="replace")
        for name, pattern in PATTERNS.items():
            for match in pattern.finditer(text):
                found.append((str(path.relative_to(ROOT)), name, match.group()[:24] + "..."))
    assert not found, found


def test_the_patterns_find_real_shaped_keys():
    """So the scan above can fail: each pattern matches a credential of its shape (made up here,
    split so this file does not hold one)."""
    samples = {
        "PEM private key": "-----BEGIN " + "PRIVATE KEY-----",
        "service-account key file": '{"private_key": "-----' + 'BEGIN PRIVATE KEY-----\\n"}',
        "AWS access key id": "AKIA" + "Z" * 16,
        "AWS secret access key": "aws_secret_access_key = " + "a/B+" * 10,
        "OpenAI / Anthropic key": "sk-" + "proj-" + "x1" * 24,
        "Google API key": "AIza" + "b" * 35,
        "Google OAuth token": "ya29." + "c" * 30,
        "GitHub token": "ghp_" + "d" * 36,
        "Slack token": "xoxb-" + "1234567890-abc",
        "this API's token": "fo_" + "e" * 43,
    }
    assert set(samples) == set(PATTERNS)
    for name, sample in samples.items():
        assert PATTERNS[name].search(sample), name
    assert not PATTERNS["OpenAI / Anthropic key"].search("sk-ant-admin01-local-demo")  # the emulators' made-up keys


def test_what_the_local_stack_makes_up_stays_out_of_git():
    """The stack's tokens (.local/tokens.json), its env file and the emails it keeps are ignored; the
    fake service account is generated when the stack starts (local/fake_service_account.py holds no key)."""
    ignored = subprocess.run(
        [
            "git",
            "check-ignore",
            "--no-index",
            ".local/tokens.json",
            ".local/stack.env",
            ".local/outbox/x.eml",
            ".local/fuzz/requests.jsonl",
            "demo-out/finops.xlsx",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert ignored == [
        ".local/tokens.json",
        ".local/stack.env",
        ".local/outbox/x.eml",
        ".local/fuzz/requests.jsonl",
        "demo-out/finops.xlsx",
    ]
    from local.fake_service_account import service_account_info

    source = (ROOT / "local" / "fake_service_account.py").read_text()
    one, two = (
        service_account_info("http://127.0.0.1:1", fresh_key=True),
        service_account_info("http://127.0.0.1:1", fresh_key=True),
    )
    assert one["private_key"] != two["private_key"] and one["private_key_id"] != two["private_key_id"]
    assert one["private_key"].startswith("-----BEGIN " + "PRIVATE KEY-----")
    assert not PATTERNS["PEM private key"].search(source)
