"""When a ticket's business day is over (pure: no clock, no store).

A ticket waits until its branch closes, plus a grace for the customers still inside, and
never past the day change. One issued after that moment (a branch that hands out tickets
outside its hours) waits until the day change. After it, the ticket is closed as expired:
never called, never counted ahead of tomorrow's customers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Hours = Callable[[int], tuple[time, time] | None]  # weekday (0 = Monday) -> opening, closing


def day_end(day: date, issued_at: datetime, hours: Hours, grace: timedelta, tz: ZoneInfo) -> datetime:
    """The moment a ticket of business day `day`, issued at `issued_at`, expires."""
    midnight = datetime.combine(day + timedelta(days=1), time(0), tz)
    opening = hours(day.weekday())
    if opening is None:
        return midnight
    closing = datetime.combine(day, opening[1], tz) + grace
    return min(closing, midnight) if issued_at < closing else midnight
