"""Children of the local stack die with it, even when it is killed with SIGKILL.

`python -m local.with_parent PID PROGRAM ARGS...` execs PROGRAM (what the stack runs `chalice local`
through); `die_with_parent(PID)` does the same for a Python child (moto's server). On Linux the
kernel sends the child SIGTERM when the thread that started it exits (prctl PR_SET_PDEATHSIG, kept
across exec); elsewhere a thread polls the parent's pid.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1


def _kernel_signals_parent_death() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(parent_pid: int, poll: bool = True) -> None:
    """SIGTERM this process when `parent_pid` is no longer its parent."""
    kernel = _kernel_signals_parent_death()
    if os.getppid() != parent_pid:  # gone before we could ask
        os.kill(os.getpid(), signal.SIGTERM)
    if kernel or not poll:
        return

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list) -> None:
    parent_pid, program = int(argv[0]), argv[1:]
    die_with_parent(parent_pid, poll=False)  # nothing of ours survives the exec but the kernel's flag
    os.execv(program[0], program)


if __name__ == "__main__":
    main(sys.argv[1:])
