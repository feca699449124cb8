"""``python -m local.vendor_emulators --openai-port N --anthropic-port M``: serve both
billing emulators until Ctrl-C (port 0 or omitted: a free port, printed)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from local import demo_billing
from local.vendor_emulators import start_anthropic_emulator, start_openai_emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.vendor_emulators", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--openai-port", type=int, default=0)
    parser.add_argument("--anthropic-port", type=int, default=0)
    parser.add_argument("--openai-key", default=demo_billing.OPENAI_ADMIN_KEY)
    parser.add_argument("--anthropic-key", default=demo_billing.ANTHROPIC_ADMIN_KEY)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    openai = start_openai_emulator(args.openai_port, host=args.host, api_key=args.openai_key, quiet=not args.verbose)
    anthropic = start_anthropic_emulator(
        args.anthropic_port, host=args.host, api_key=args.anthropic_key, quiet=not args.verbose
    )
    print(f"OPENAI_BASE_URL={openai.url}", flush=True)
    print(f"OPENAI_ADMIN_KEY={openai.api_key}", flush=True)
    print(f"ANTHROPIC_BASE_URL={anthropic.url}", flush=True)
    print(f"ANTHROPIC_ADMIN_KEY={anthropic.api_key}", flush=True)
    print(f"faults: POST {openai.root}/_emulator/faults, POST {anthropic.root}/_emulator/faults", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        openai.stop()
        anthropic.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
