"""How a wait is told to a customer, in whole minutes: the one rounding rule.

The paper ticket, the kiosk's ticket screen and the hall display all say the same
numbers, because they all come from here (the hall display reads `eta_min` from
`queue/state`, which the agent fills with these functions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class WaitMinutes:
    low: int
    high: int  # at least 1 (a range is never "0-0 minutes"), except `now`
    middle: int | None = None  # the median, within [low, high]; None when only a range is known

    @property
    def now(self) -> bool:
        """A counter is free for this ticket: it is called at once."""
        return self.high == 0


def minutes(seconds: float) -> int:
    """Whole minutes as a customer reads them: never "0 minutes" for a real wait."""
    return max(1, round(seconds / 60)) if seconds > 0 else 0


def wait_minutes(eta_range_s: Sequence[int] | None, eta_s: float | None = None) -> WaitMinutes | None:
    """The printed and shown range, and the middle figure when `eta_s` is given; None when
    nobody can say yet (no counter open)."""
    if not eta_range_s:
        return None
    if eta_range_s[1] <= 0:
        return WaitMinutes(0, 0, 0)
    low, high = round(eta_range_s[0] / 60), max(1, round(eta_range_s[1] / 60))
    return WaitMinutes(low, high, None if eta_s is None else min(max(minutes(eta_s), low), high))
