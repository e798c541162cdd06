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


_WAITS = """
SELECT e.branch,
       count(*) FILTER (WHERE e.topic = 'events/arrival'),
       count(*) FILTER (WHERE e.first_call),
       count(*) FILTER (WHERE e.first_call AND e.waited_s <= (q.payload->'services'->(e.payload->>'service')->>'target_wait_s')::int),
       avg(e.waited_s) FILTER (WHERE e.first_call),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY e.waited_s) FILTER (WHERE e.first_call),
       count(*) FILTER (WHERE e.topic = 'alerts/vip'),
       count(*) FILTER (WHERE e.topic = 'alerts/answered' AND coalesce(e.payload->>'kind', 'vip') = 'vip'),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY (e.payload->>'after_s')::int)
           FILTER (WHERE e.topic = 'alerts/answered' AND coalesce(e.payload->>'kind', 'vip') = 'vip')
FROM (SELECT branch, topic, payload,
             topic = 'events/called' AND NOT coalesce((payload->>'recall')::boolean, false) AS first_call,
             (payload->>'waited_s')::int AS waited_s
      FROM events WHERE at >= %(start)s AND at < %(end)s
        AND topic IN ('events/arrival', 'events/called', 'alerts/vip', 'alerts/answered')) e
LEFT JOIN branch_state q ON q.branch = e.branch AND q.kind = 'queue' AND q.key = ''
GROUP BY e.branch
"""

_REFERRALS = """
SELECT branch, count(*), count(*) FILTER (WHERE state = 'converted'),
       count(*) FILTER (WHERE state = 'follow_up'), count(*) FILTER (WHERE state = 'declined')
FROM (SELECT DISTINCT ON (branch, payload->'referral'->>'referral_id') branch, payload->'referral'->>'state' AS state
      FROM events WHERE topic = 'events/referral' AND at >= %(start)s AND at < %(end)s
      ORDER BY branch, payload->'referral'->>'referral_id', seq DESC NULLS LAST, at DESC) latest
GROUP BY branch
"""


# The branch's word on each booking (events/appointment) names the ticket; its first call is
# that ticket's first events/called. Both on the booking's day.
_BOOKINGS = """
SELECT b.branch,
       count(*) FILTER (WHERE b.state <> 'cancelled'),
       count(*) FILTER (WHERE b.state = 'checked_in'),
       count(*) FILTER (WHERE b.state = 'checked_in' AND b.changed_at < b.slot_start),
       count(*) FILTER (WHERE b.state = 'late'),
       count(*) FILTER (WHERE b.state = 'no_show'),
       count(*) FILTER (WHERE b.state = 'cancelled'),
       avg(GREATEST(0, extract(epoch FROM c.first_call - b.slot_start))) FILTER (WHERE b.state = 'checked_in')
FROM bookings b
LEFT JOIN LATERAL (
    SELECT min(called.at) AS first_call
    FROM events a JOIN events called ON called.branch = a.branch AND called.payload->>'ticket_id' = a.payload->>'ticket_id'
         AND called.topic = 'events/called' AND called.at >= %(start)s AND called.at < %(end)s
    WHERE a.branch = b.branch AND a.topic = 'events/appointment' AND a.at >= %(start)s AND a.at < %(end)s
      AND a.payload->>'code' = b.code AND a.payload->>'state' = 'checked_in'
) c ON true
WHERE b.business_day = %(day)s
GROUP BY b.branch
"""


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone)


def daily_report(
    conn: psycopg.Connection, day: date, zone: ZoneInfo, registry: dict[str, tuple[str, str]], region: str | None
) -> list[BranchDay]:
    """Every branch that had a ticket, an alert or a referral that day; `region`: only that one."""
    start, end = day_bounds(day, zone)
    bounds = {"start": start, "end": end}
    waits = {row[0]: row[1:] for row in conn.execute(_WAITS, bounds)}
    referrals = {row[0]: row[1:] for row in conn.execute(_REFERRALS, bounds)}
    bookings = {row[0]: row[1:] for row in conn.execute(_BOOKINGS, bounds | {"day": day})}
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
