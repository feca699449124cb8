"""A critical breach pauses an agent until finance clears it: the pause is latched.

The latch remembers the day the critical episode began. It holds while the colour improves, so
an agent does not resume by itself when a week rolls over; finance clears it by entering a
"Critical cleared on" date on or after that day. The clearance covers that episode only: a
critical that comes back after the colour left critical is a new episode and pauses again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional


@dataclass(frozen=True)
class CriticalLatch:
    since: Optional[date]  # start of the episode to remember for the next run; None: no episode
    paused: bool
    reason: str


def critical_latch(
    previous_since: Optional[date], critical_now: bool, cleared_on: Optional[date], today: date
) -> CriticalLatch:
    if previous_since is not None and previous_since > today:
        # A later run latched it: a run judging an earlier moment (a back-dated sync) does not apply
        # a pause from its future, and keeps it for the runs after that day.
        if critical_now:
            return critical_latch(None, True, cleared_on, today)
        return CriticalLatch(
            previous_since,
            False,
            f"not paused as of {today.isoformat()}: the critical pause "
            f"latched on {previous_since.isoformat()} is after this run's date",
        )
    since = previous_since or (today if critical_now else None)
    if since is None:
        return CriticalLatch(None, False, "")
    if cleared_on is not None and cleared_on >= since:
        # Cleared: the episode ends once the colour leaves critical; while it stays, it runs.
        reason = f"not paused: finance cleared the critical of {since.isoformat()} on {cleared_on.isoformat()}"
        return CriticalLatch(since if critical_now else None, False, reason if critical_now else "")
    if critical_now:
        return CriticalLatch(since, True, f"paused since {since.isoformat()} until finance clears it in the sheet")
    return CriticalLatch(
        since,
        True,
        f"paused: the critical breach of {since.isoformat()} is not cleared in the "
        "sheet (enter a Critical cleared on date)",
    )
