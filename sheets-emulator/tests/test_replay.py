"""Replay every recorded Google Sheets/Drive exchange against the emulator and
compare the answers: the proof that the emulator answers like Google.

The recordings (vcrpy JSON from gspread's own test suite) are in
/work/shared/reference/sheets-api-recordings/. Each file holds one or more
recordings; each recording starts by creating a spreadsheet through Drive.
Requests are sent as recorded (method, path and query, body), with the
recorded spreadsheet id and sheetIds replaced by the ones the emulator handed
out; answers are compared whole, status and JSON body, after mapping the ids
back. What is not compared is listed in VOLATILE_KEYS — nothing else.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from sheets_emulator import start_emulator

RECORDINGS_DIR = Path(os.environ.get("SHEETS_RECORDINGS_DIR", "/work/shared/reference/sheets-api-recordings"))
RECORDING_FILES = sorted(RECORDINGS_DIR.glob("*.json"))

# Keys whose values differ on every run (their presence is still compared).
VOLATILE_KEYS = {
    "createdTime",  # Drive file timestamps
    "modifiedTime",
}
# Ids: the recorded spreadsheet id and sheetIds are mapped to the emulator's
# (learned from the Drive create and addSheet replies), in requests and answers.

_HOST_RE = re.compile(r"^https://[^/]+")


def _recordings(path: Path) -> list[list[dict]]:
    interactions = json.loads(path.read_text())["interactions"]
    groups: list[list[dict]] = []
    for it in interactions:
        req = it["request"]
        if req["method"] == "POST" and re.search(r"/drive/v3/files(\?|$)", req["uri"]):
            groups.append([])
        if not groups:
            groups.append([])
        groups[-1].append(it)
    return groups


CASES = [
    pytest.param(path, i, id=f"{path.stem}#{i}") for path in RECORDING_FILES for i, _ in enumerate(_recordings(path))
]


class IdMap:
    def __init__(self) -> None:
        self.spreadsheets: dict[str, str] = {}  # recorded -> ours
        self.sheets: dict[int, int] = {0: 0}

    def to_ours(self, text: str) -> str:
        for rec, ours in self.spreadsheets.items():
            text = text.replace(rec, ours)
        return text

    def request_body(self, body: Any) -> Any:
        if isinstance(body, dict):
            return {
                k: (self.sheets.get(v, v) if k == "sheetId" and isinstance(v, int) else self.request_body(v))
                for k, v in body.items()
            }
        if isinstance(body, list):
            return [self.request_body(v) for v in body]
        if isinstance(body, str):
            return self.to_ours(body)
        return body

    def answer(self, obj: Any) -> Any:
        """Our answer with our ids turned back into the recorded ones."""
        back_sheets = {v: k for k, v in self.sheets.items()}
        back_books = {v: k for k, v in self.spreadsheets.items()}

        def walk(o: Any) -> Any:
            if isinstance(o, dict):
                return {
                    k: (back_sheets.get(v, v) if k == "sheetId" and isinstance(v, int) else walk(v))
                    for k, v in o.items()
                }
            if isinstance(o, list):
                return [walk(v) for v in o]
            if isinstance(o, str):
                for ours, rec in back_books.items():
                    o = o.replace(ours, rec)
                return o
            return o

        return walk(obj)


def normalize(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: ("<volatile>" if k in VOLATILE_KEYS else normalize(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [normalize(v) for v in obj]
    return obj


def _learn_ids(ids: IdMap, recorded: Any, ours: Any) -> None:
    """Pair up ids Google and the emulator handed out in the same answer."""
    if not isinstance(recorded, dict) or not isinstance(ours, dict):
        return
    if recorded.get("kind") == "drive#file" and "id" in recorded and "id" in ours:
        ids.spreadsheets[recorded["id"]] = ours["id"]
    for rec_reply, our_reply in zip(recorded.get("replies") or [], ours.get("replies") or [], strict=False):
        for kind in ("addSheet", "duplicateSheet"):
            rec_props = (rec_reply.get(kind) or {}).get("properties") or {}
            our_props = (our_reply.get(kind) or {}).get("properties") or {}
            if "sheetId" in rec_props and "sheetId" in our_props:
                ids.sheets[rec_props["sheetId"]] = our_props["sheetId"]


@pytest.fixture
def emulator(tmp_path):
    emu = start_emulator(data_dir=tmp_path, port=0)
    yield emu
    emu.stop()


def test_recordings_are_present():
    assert RECORDING_FILES, f"no recordings in {RECORDINGS_DIR}"


@pytest.mark.parametrize("path,index", CASES)
def test_replay_recording(emulator, path: Path, index: int):
    interactions = _recordings(path)[index]
    ids = IdMap()
    session = requests.Session()
    session.headers["Authorization"] = "Bearer replay-token"
    for step, it in enumerate(interactions):
        req, resp = it["request"], it["response"]
        url = emulator.url + ids.to_ours(_HOST_RE.sub("", req["uri"]))
        body = req.get("body")
        data = None
        if body:
            body_json = json.loads(body)
            data = json.dumps(ids.request_body(body_json)).encode()
        answer = session.request(
            req["method"], url, data=data, headers={"Content-Type": "application/json"} if data else {}
        )
        where = f"{path.name} recording {index} step {step}: {req['method']} {req['uri']}"
        assert answer.status_code == resp["status"]["code"], f"{where}\n{answer.text}"
        recorded_text = (resp.get("body") or {}).get("string") or ""
        if not recorded_text:
            assert answer.content == b"", where
            continue
        recorded = json.loads(recorded_text)
        ours = answer.json()
        _learn_ids(ids, recorded, ours)
        assert normalize(ids.answer(ours)) == normalize(recorded), where
