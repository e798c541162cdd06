"""Plans, bookings and what each branch holds (the rules are head_office/booking_rules.py,
the desk that applies them head_office/bookings.py). Rows come back as dicts by column."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import psycopg
from psycopg.rows import dict_row

from head_office.booking_rules import Plan


def save_plans(conn: psycopg.Connection, plans: Iterable[Plan]) -> int:
    count = 0
    with conn.transaction():
        for plan in plans:
            conn.execute(
                """INSERT INTO booking_plans VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT (branch, service) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
                       weekdays = excluded.weekdays, opens = excluded.opens, closes = excluded.closes,
                       slot_minutes = excluded.slot_minutes, per_slot = excluded.per_slot, counters = excluded.counters,
                       service_minutes = excluded.service_minutes""",
                (plan.branch, plan.service, plan.name_zh, plan.name_en, "".join(str(d) for d in sorted(plan.weekdays)),
                 plan.opens, plan.closes, plan.slot_minutes, plan.per_slot, plan.counters, plan.service_minutes),
            )
            count += 1
    return count


def plans(conn: psycopg.Connection, branch: str | None = None) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(
            "SELECT * FROM booking_plans WHERE %(b)s::text IS NULL OR branch = %(b)s ORDER BY branch, service", {"b": branch}
        ).fetchall()


def plan(conn: psycopg.Connection, branch: str, service: str, lock: bool = False) -> dict | None:
    """`lock`: held until the transaction ends, so bookings of one plan are made one at a time."""
    query = "SELECT * FROM booking_plans WHERE branch = %s AND service = %s" + (" FOR UPDATE" if lock else "")
    with conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(query, (branch, service)).fetchone()


def taken_by_slot(conn: psycopg.Connection, branch: str, service: str, day: date) -> dict[datetime, int]:
    """How many live (not cancelled) bookings each slot of the day holds."""
    return dict(conn.execute(
        """SELECT slot_start, count(*) FROM bookings WHERE branch = %s AND service = %s AND business_day = %s AND state <> 'cancelled'
           GROUP BY slot_start""",
        (branch, service, day),
    ).fetchall())


def taken_at(conn: psycopg.Connection, branch: str, service: str, slot_start: datetime) -> int:
    (taken,) = conn.execute(
        "SELECT count(*) FROM bookings WHERE branch = %s AND service = %s AND slot_start = %s AND state <> 'cancelled'",
        (branch, service, slot_start),
    ).fetchone() or (0,)
    return int(taken)


def no_shows_since(conn: psycopg.Connection, phone_key: str, since: datetime) -> list[datetime]:
    return [at for (at,) in conn.execute(
        "SELECT slot_start FROM bookings WHERE phone_key = %s AND state = 'no_show' AND slot_start >= %s", (phone_key, since),
    ).fetchall()]


def has_booking_that_day(conn: psycopg.Connection, phone_key: str, branch: str, day: date) -> bool:
    return conn.execute(
        "SELECT 1 FROM bookings WHERE phone_key = %s AND branch = %s AND business_day = %s AND state = 'booked'", (phone_key, branch, day)
    ).fetchone() is not None


def insert(
    conn: psycopg.Connection, branch: str, code: str, slot_start: datetime, day: date, service: str, slot_minutes: int, tier: str,
    rm: str | None, customer_name: str, phone_key: str, phone_masked: str | None, now: datetime,
) -> bool:
    """False when the code is already used at that branch and slot (the caller draws another)."""
    return bool(conn.execute(
        """INSERT INTO bookings (branch, code, slot_start, business_day, service, slot_minutes, tier, rm, customer_name,
                                 phone_key, phone_masked, state, made_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'booked', %s) ON CONFLICT DO NOTHING""",
        (branch, code, slot_start, day, service, slot_minutes, tier, rm, customer_name, phone_key, phone_masked, now),
    ).rowcount)


def find(conn: psycopg.Connection, branch: str, code: str, slot_start: datetime) -> dict | None:
    with conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute("SELECT * FROM bookings WHERE branch = %s AND code = %s AND slot_start = %s", (branch, code, slot_start)).fetchone()


def cancel(conn: psycopg.Connection, branch: str, code: str, slot_start: datetime) -> None:
    """A booked booking becomes cancelled, with a new version for the branch to fetch."""
    conn.execute(
        """UPDATE bookings SET state = 'cancelled', version = nextval('booking_version')
           WHERE branch = %s AND code = %s AND slot_start = %s AND state = 'booked'""",
        (branch, code, slot_start),
    )


def behind(conn: psycopg.Connection) -> list[tuple[str, int]]:
    """(branch, version) of every branch holding less than its bookings' newest version."""
    return [(branch, version) for branch, version in conn.execute(
        """SELECT b.branch, max(b.version) FROM bookings b LEFT JOIN booking_sync s USING (branch)
           GROUP BY b.branch, s.held_version HAVING max(b.version) > coalesce(s.held_version, 0) ORDER BY b.branch"""
    ).fetchall()]


def from_day(conn: psycopg.Connection, branch: str, first: date) -> tuple[int, list[dict]]:
    """The branch's newest booking version, and its bookings of `first` and later."""
    with conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute("SELECT * FROM bookings WHERE branch = %s AND business_day >= %s ORDER BY slot_start, code", (branch, first)).fetchall()
    (version,) = conn.execute("SELECT coalesce(max(version), 0) FROM bookings WHERE branch = %s", (branch,)).fetchone() or (0,)
    return int(version), rows


def held(conn: psycopg.Connection, branch: str, version: int, now: datetime) -> None:
    """The branch said it holds `version` (never moves back)."""
    conn.execute(
        """INSERT INTO booking_sync (branch, held_version, answered_at) VALUES (%s, %s, %s)
           ON CONFLICT (branch) DO UPDATE SET held_version = GREATEST(booking_sync.held_version, excluded.held_version),
               answered_at = excluded.answered_at""",
        (branch, version, now),
    )
