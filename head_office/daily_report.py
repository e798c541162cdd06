"""The daily cross-branch report: per branch, how the day went for its customers.

Computed in PostgreSQL from the events of one day (in head office's report time zone):
tickets; first calls and how many came within the service's target wait (the target the
branch's queue state carries); mean and p90 wait to the first call; VIP alerts raised,
answered and the median time to answer; referrals made and what came of them (each
referral's latest state that day); the day's bookings (预约): checked in early or on time,
late, no-shows, cancelled, and the mean minutes from the slot to the appointment ticket's
first call.
"""

from __future__ import annotations

import csv
import io
from dataclasses import astuple, dataclass, fields
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg

from head_office.db import reports


@dataclass(frozen=True)
class BranchDay:
    branch: str
    name: str
    region: str
    tickets: int
    called: int
    within_target: int
    mean_wait_s: float | None
    p90_wait_s: float | None
    vip_alerts: int
    vip_answered: int
    vip_answer_median_s: float | None
    referrals: int
    converted: int
    follow_up: int
    declined: int
    bookings: int = 0  # not cancelled
    booked_checked_in: int = 0  # early or on time
    booked_early: int = 0
    booked_late: int = 0  # came after the window: a walk-in ticket
    booked_no_show: int = 0
    booked_cancelled: int = 0
    called_after_slot_s: float | None = None  # mean, from the slot to the first call

    @property
    def within_target_share(self) -> float | None:
        return self.within_target / self.called if self.called else None


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone)


def daily_report(
    conn: psycopg.Connection, day: date, zone: ZoneInfo, registry: dict[str, tuple[str, str]], region: str | None
) -> list[BranchDay]:
    """Every branch that had a ticket, an alert or a referral that day; `region`: only that one."""
    start, end = day_bounds(day, zone)
    waits, referrals, bookings = reports.day_figures(conn, start, end, day)
    rows = []
    for branch in sorted(set(waits) | set(referrals) | set(bookings)):
        name, branch_region = registry.get(branch, (branch, "—"))
        if region is not None and branch_region != region:
            continue
        w = waits.get(branch, (0, 0, 0, None, None, 0, 0, None))
        r = referrals.get(branch, (0, 0, 0, 0))
        b = bookings.get(branch, (0, 0, 0, 0, 0, 0, None))
        rows.append(BranchDay(
            branch, name, branch_region, w[0], w[1], w[2], _float(w[3]), _float(w[4]), w[5], w[6], _float(w[7]), r[0], r[1], r[2], r[3],
            bookings=b[0], booked_checked_in=b[1], booked_early=b[2], booked_late=b[3], booked_no_show=b[4], booked_cancelled=b[5],
            called_after_slot_s=_float(b[6]),
        ))
    return sorted(rows, key=lambda b: (b.region, b.name))


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def as_csv(rows: list[BranchDay]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f.name for f in fields(BranchDay)] + ["within_target_share"])
    for row in rows:
        share = row.within_target_share
        writer.writerow([("" if v is None else round(v, 1) if isinstance(v, float) else v) for v in astuple(row)]
                        + ["" if share is None else round(share, 3)])
    return out.getvalue()
