"""The local stack under load: memory of each process after 10,000 posted work-item batches.

Starts the stack as `make serve` does (`python -m local.stack`, the API on a free port), posts
10,000 batches of 1-5 work items (a tenth of them reposts) from 4 clients, one team token each,
and prints the resident memory (RSS, from /proc) of every process before and after, with the peak
sampled while posting; then stops it with SIGINT (Ctrl-C) and times that.

Goals (issue 9): every process together under 1 GB after 10,000 batches; no 5xx answer; the
stack and all its children gone within a few seconds of SIGINT.

`--batches N`, `--clients N`; `--stock-moto` runs the same load against moto as `moto_server`
serves it (no lock, no fixes: see local/moto_server.py) to compare. Exit code 1 if a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.goals import figure  # noqa: E402

GOAL_MB = 1024
STOP_GOAL_S = 5.0
TEAMS = {
    "claims": "claims-processing",
    "sales": "lead-scoring",
    "support": "ticket-escalation",
    "operations": "contract-review",
}


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def children(pid: int) -> list:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def name_of(pid: int) -> str:
    cmdline = Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    if "local.moto_server" in cmdline:
        return "moto server"
    if "local" in cmdline and any(part.endswith("chalice") for part in cmdline):
        return "chalice local"
    return " ".join(cmdline[:3])


def start_stack(workbook: Path, stock_moto: bool, log) -> tuple:
    from local.ports import free_port

    port = free_port()
    started = time.time()
    argv = [sys.executable, "-m", "local.stack", "--workbook", str(workbook)] + (["--stock-moto"] if stock_moto else [])
    stack = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, "PORT": str(port)}, stdout=log, stderr=log)
    import requests

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if stack.poll() is not None:
            raise RuntimeError(f"the stack exited with {stack.returncode}")
        try:
            requests.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).raise_for_status()
            break
        except requests.RequestException:
            time.sleep(0.2)
    else:
        raise TimeoutError("the stack did not come up")
    tokens_file = ROOT / ".local" / "tokens.json"
    assert tokens_file.stat().st_mtime >= started - 1, "tokens.json was not written by this stack"
    return stack, f"http://127.0.0.1:{port}", json.loads(tokens_file.read_text())


def memory(stack_pid: int) -> dict:
    pids = {"stack (emulators)": stack_pid}
    pids.update({name_of(p): p for p in children(stack_pid)})
    return {name: rss_mb(pid) for name, pid in pids.items()}


def post_batches(api_url: str, tokens: dict, batches: int, clients: int, stack_pid: int) -> dict:
    import requests

    base = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=20)
    teams = list(TEAMS)
    outcome = {"posts": 0, "items": 0, "status": {}, "peak": {}, "errors": []}
    lock = threading.Lock()

    def client(c: int) -> None:
        rng = random.Random(c)
        team = teams[c % len(teams)]
        session = requests.Session()
        headers = {"Authorization": "Bearer " + tokens["teams"][team]}
        posted = 0
        for _ in range(c, batches, clients):
            n = rng.randint(1, 5)
            items, earlier = {}, posted
            for _ in range(n):
                # A tenth of the items are reposts of earlier ones (replaced, not counted twice).
                ident = f"c{c}-{rng.randrange(earlier)}" if earlier and rng.random() < 0.1 else f"c{c}-{posted}"
                posted += 1
                items[ident] = {
                    "work_item_id": ident,
                    "use_case": TEAMS[team],
                    "status": "success",
                    "completed_at": (base + timedelta(minutes=rng.randrange(20 * 1440))).isoformat(),
                }
            response = session.post(
                api_url + "/v1/work-items", json={"items": list(items.values())}, headers=headers, timeout=120
            )
            with lock:
                outcome["posts"] += 1
                outcome["items"] += len(items)
                outcome["status"][response.status_code] = outcome["status"].get(response.status_code, 0) + 1
                if response.status_code >= 500 and len(outcome["errors"]) < 3:
                    outcome["errors"].append(response.text[:300])

    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            for name, mb in memory(stack_pid).items():
                outcome["peak"][name] = max(outcome["peak"].get(name, 0.0), mb)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcome["seconds"] = time.perf_counter() - started
    done.set()
    sampler.join()
    return outcome


def stop_with_sigint(stack: subprocess.Popen) -> tuple:
    kids = children(stack.pid)
    started = time.perf_counter()
    stack.send_signal(signal.SIGINT)
    try:
        code = stack.wait(timeout=30)
    except subprocess.TimeoutExpired:
        stack.kill()
        code = "killed"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(k) for k in kids):
        time.sleep(0.05)
    return time.perf_counter() - started, code, [k for k in kids if _alive(k)]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--stock-moto", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "stack.log", "w+") as log:
        stack, api_url, tokens = start_stack(Path(tmp) / "bench.xlsx", args.stock_moto, log)
        try:
            before = memory(stack.pid)
            outcome = post_batches(api_url, tokens, args.batches, args.clients, stack.pid)
            after = memory(stack.pid)
        finally:
            seconds, code, left = stop_with_sigint(stack)
        moto_500s = sum(1 for line in open(log.name) if "RuntimeError" in line)

    label = "stock moto_server" if args.stock_moto else "moto with local/moto_server.py"
    print(
        f"{outcome['posts']:,} batches, {outcome['items']:,} work items, {args.clients} clients ({label}): "
        f"{outcome['seconds']:.0f} s, {outcome['posts'] / outcome['seconds']:.0f} batches/s; "
        f"answers {dict(sorted(outcome['status'].items()))}; moto RuntimeErrors logged: {moto_500s}"
    )
    print(f"  {'process':<20} {'before':>8} {'after':>8} {'peak':>8}  (RSS, MB)")
    for name in before:
        print(f"  {name:<20} {before[name]:>8.0f} {after.get(name, 0):>8.0f} {outcome['peak'].get(name, 0):>8.0f}")
    total_after = sum(after.values())
    total_peak = sum(outcome["peak"].values())
    print(f"  {'all':<20} {sum(before.values()):>8.0f} {total_after:>8.0f} {total_peak:>8.0f}   goal < {GOAL_MB}")
    print(
        f"SIGINT: stack exited ({code}) in {seconds:.2f} s, children left: {left or 'none'} "
        f"(goal < {STOP_GOAL_S:.0f} s)"
    )
    for error in outcome["errors"]:
        print("  5xx:", error)
    fives = sum(n for status, n in outcome["status"].items() if status >= 500)
    ok = fives == 0 and total_peak < GOAL_MB and seconds < STOP_GOAL_S and not left and code == 0

    def judged(met: bool) -> bool | None:  # the stock server is a comparison: its figures have no pass mark
        return None if args.stock_moto else met

    what = f"{outcome['posts']:,} work-item batches, {args.clients} clients" + (
        ", stock moto_server" if args.stock_moto else ""
    )
    figure(
        f"local stack memory, all processes, {what}",
        f"peak {total_peak:.0f} MB (before {sum(before.values()):.0f}, after {total_after:.0f}); "
        f"{outcome['posts'] / outcome['seconds']:.0f} batches/s",
        f"< {GOAL_MB} MB",
        judged(total_peak < GOAL_MB),
    )
    figure(f"local stack 5xx answers, {what}", f"{fives}", "none", judged(fives == 0))
    figure(
        "local stack stopped by SIGINT, all its children gone" + (" (stock moto_server)" if args.stock_moto else ""),
        f"{seconds:.2f} s, exit {code}, children left: {len(left)}",
        f"< {STOP_GOAL_S:.0f} s, exit 0, none left",
        judged(seconds < STOP_GOAL_S and not left and code == 0),
    )
    return 0 if ok or args.stock_moto else 1


if __name__ == "__main__":
    sys.exit(main())
