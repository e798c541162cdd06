"""The cross-branch daily figures, computed in PostgreSQL from one day's events (the report
that shows them is head_office/daily_report.py)."""

from __future__ import annotations

from datetime import date, datetime

import psycopg

Figures = dict[str, tuple]  # branch -> that query's columns after the branch

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


def day_figures(conn: psycopg.Connection, start: datetime, end: datetime, day: date) -> tuple[Figures, Figures, Figures]:
    """Per branch: waits and VIP alerts, referrals, bookings, of the events from `start` to `end`."""
    bounds = {"start": start, "end": end}
    waits = {row[0]: tuple(row[1:]) for row in conn.execute(_WAITS, bounds)}
    referrals = {row[0]: tuple(row[1:]) for row in conn.execute(_REFERRALS, bounds)}
    bookings = {row[0]: tuple(row[1:]) for row in conn.execute(_BOOKINGS, bounds | {"day": day})}
    return waits, referrals, bookings
