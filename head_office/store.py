"""Writing what the branches said into PostgreSQL: each event once, the newest state per branch."""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg.types.json import Jsonb

from head_office.routing import EventRecord, StateRecord
from head_office.schema import ensure_month


class Writer:
    """Inside one transaction per record; remembers the months whose partition exists."""

    def __init__(self, written_by: str):
        self.written_by = written_by
        self._months: set[tuple[int, int]] = set()

    def write(self, conn: psycopg.Connection, record: EventRecord | StateRecord) -> bool:
        """True when the record was new (an event not seen before, or a newer state)."""
        with conn.transaction():
            new = self._event(conn, record) if isinstance(record, EventRecord) else self._state(conn, record)
        if isinstance(record, EventRecord):
            self._months.add((record.at.year, record.at.month))  # only once the partition is committed
        return new

    def _event(self, conn: psycopg.Connection, record: EventRecord) -> bool:
        new = conn.execute(
            "INSERT INTO event_ids (event_id) VALUES (%s) ON CONFLICT DO NOTHING RETURNING event_id", (record.event_id,)
        ).fetchone()
        if new is None:
            return False  # a redelivery: already kept
        self._month(conn, record.at)
        conn.execute(
            "INSERT INTO events (event_id, at, branch, topic, seq, payload, received_by) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (record.event_id, record.at, record.branch, record.topic, record.seq, Jsonb(record.payload), self.written_by),
        )
        return True

    def _month(self, conn: psycopg.Connection, at: datetime) -> None:
        if (at.year, at.month) not in self._months:
            ensure_month(conn, at)

    @staticmethod
    def _state(conn: psycopg.Connection, record: StateRecord) -> bool:
        changed = conn.execute(
            """INSERT INTO branch_state (branch, kind, key, payload, at) VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (branch, kind, key) DO UPDATE SET payload = excluded.payload, at = excluded.at
               WHERE branch_state.at <= excluded.at
               RETURNING branch""",
            (record.branch, record.kind, record.key, Jsonb(record.payload), record.at),
        ).fetchone()
        return changed is not None
