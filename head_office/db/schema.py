"""Head office's tables, created and migrated in order under an advisory lock (several
ingesters may start at once).

- `event_ids`: every `event_id` ever written; a QoS 1 redelivery or a bridge's resend
  conflicts here and is dropped, in the same transaction as the event.
- `events`: every event a branch published, once, partitioned by month of `at` (the event's
  own time) so old months can be detached and archived whole.
- `branch_state`: the latest retained state per branch (agent, queue, each device, the bridge).
- `branches`: the registry (name, region) that `head-office branches import` keeps.
- `users` and `sessions`: who may sign in to the network view; passwords as scrypt hashes,
  sessions by the SHA-256 of their cookie (a stolen table opens nothing).
"""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
from psycopg import sql

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE events (
            event_id TEXT NOT NULL,
            at TIMESTAMPTZ NOT NULL,             -- the event's own time (issued_at, at, raised_at ...)
            branch TEXT NOT NULL,
            topic TEXT NOT NULL,                 -- under the branch root, e.g. events/arrival
            seq BIGINT,                          -- the branch's monotonic event number
            payload JSONB NOT NULL,
            received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            received_by TEXT NOT NULL            -- the ingester that wrote it
        ) PARTITION BY RANGE (at)""",
        "CREATE TABLE event_ids (event_id TEXT PRIMARY KEY)",
        "CREATE INDEX events_branch_at ON events (branch, at)",
        """CREATE TABLE branch_state (
            branch TEXT NOT NULL,
            kind TEXT NOT NULL,                  -- agent | queue | device
            key TEXT NOT NULL,                   -- the device id; '' for agent and queue
            payload JSONB NOT NULL,
            at TIMESTAMPTZ NOT NULL,             -- when the branch said it
            PRIMARY KEY (branch, kind, key)
        )""",
    ],
    [
        "CREATE TABLE branches (id TEXT PRIMARY KEY, name TEXT NOT NULL, region TEXT NOT NULL)",
        """CREATE TABLE users (
            name TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('head_office', 'regional', 'technician')),
            region TEXT,                         -- a regional manager's (and optionally a technician's) region
            CHECK (role <> 'regional' OR region IS NOT NULL)
        )""",
        """CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
            expires_at TIMESTAMPTZ NOT NULL
        )""",
        # The phone page looks up one ticket's events within its branch.
        "CREATE INDEX events_ticket ON events (branch, (payload->>'ticket_id'))",
    ],
    [
        # Wrong passwords in a row, and until when the name is locked after too many.
        "ALTER TABLE users ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0, ADD COLUMN locked_until TIMESTAMPTZ",
    ],
    [
        # 预约: what each branch offers for booking, the bookings, and what each branch holds.
        """CREATE TABLE booking_plans (
            branch TEXT NOT NULL,
            service TEXT NOT NULL,
            name_zh TEXT NOT NULL,
            name_en TEXT NOT NULL,
            weekdays TEXT NOT NULL,              -- ISO weekday digits, e.g. 12345
            opens TIME NOT NULL,
            closes TIME NOT NULL,
            slot_minutes INTEGER NOT NULL,
            per_slot INTEGER NOT NULL,
            counters INTEGER NOT NULL,
            service_minutes REAL NOT NULL,
            PRIMARY KEY (branch, service)
        )""",
        # Every change a customer makes takes the next number: a branch is up to date when
        # it holds its bookings' highest.
        "CREATE SEQUENCE booking_version",
        """CREATE TABLE bookings (
            branch TEXT NOT NULL,
            code TEXT NOT NULL,
            slot_start TIMESTAMPTZ NOT NULL,
            business_day DATE NOT NULL,          -- the slot's date where head office is
            service TEXT NOT NULL,
            slot_minutes INTEGER NOT NULL,
            tier TEXT NOT NULL DEFAULT 'mass',
            rm TEXT,
            customer_name TEXT NOT NULL DEFAULT '',
            phone_key TEXT NOT NULL,             -- keyed hash of the phone number (no-shows are counted by it)
            phone_masked TEXT NOT NULL,
            state TEXT NOT NULL,                 -- lobby.appointments.BookingState
            made_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            changed_at TIMESTAMPTZ,              -- the branch's time of its latest word on it
            ticket TEXT,
            version BIGINT NOT NULL DEFAULT nextval('booking_version'),
            PRIMARY KEY (branch, business_day, code)
        )""",
        "CREATE INDEX bookings_slot ON bookings (branch, service, slot_start)",
        "CREATE INDEX bookings_phone ON bookings (phone_key, slot_start)",
        "CREATE INDEX bookings_version ON bookings (branch, version)",
        """CREATE TABLE booking_sync (
            branch TEXT PRIMARY KEY,
            held_version BIGINT NOT NULL,        -- what the branch answered it holds
            answered_at TIMESTAMPTZ NOT NULL
        )""",
    ],
]


def migrate(conn: psycopg.Connection) -> int:
    """Bring the schema up to date; returns the version. Safe to call from every process."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('lobby-head-office-schema'))")
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        version = row[0] if row else 0
        if row is None:
            conn.execute("INSERT INTO schema_version VALUES (0)")
        for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in statements:
                conn.execute(statement)  # our own constants, not user input
            conn.execute("UPDATE schema_version SET version = %s", (number,))
        return len(MIGRATIONS)


def ensure_month(conn: psycopg.Connection, at: datetime) -> None:
    """The month's partition of `events`, made once by whichever ingester needs it first."""
    utc = at.astimezone(UTC)
    first = datetime(utc.year, utc.month, 1, tzinfo=UTC)
    following = datetime(utc.year + utc.month // 12, utc.month % 12 + 1, 1, tzinfo=UTC)
    name = f"events_{utc.year:04d}{utc.month:02d}"
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))
    exists = conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()
    if exists and exists[0] is None:
        conn.execute(
            sql.SQL("CREATE TABLE {} PARTITION OF events FOR VALUES FROM ({}) TO ({})").format(
                sql.Identifier(name), sql.Literal(first), sql.Literal(following)
            )
        )


def ping(conn: psycopg.Connection) -> None:
    """The database answers (the load balancer's health check)."""
    conn.execute("SELECT 1")
