"""Writing what the branches said into PostgreSQL: each event once, the newest state per branch.

`write_batch` keeps many records in one transaction (one commit, one fsync, a handful of
statements whatever the batch's size): that is what lets two ingesters keep up with a large
bank's morning. `write` keeps one; the ingester falls back to it to find the one record of a
batch that PostgreSQL refuses.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from head_office.db.schema import ensure_month
from head_office.routing import EventRecord, StateRecord

_NEW_EVENTS = """
WITH new AS (
    INSERT INTO event_ids (event_id) SELECT unnest(%(ids)s::text[]) ON CONFLICT DO NOTHING RETURNING event_id
)
INSERT INTO events (event_id, at, branch, topic, seq, payload, received_by)
SELECT e.event_id, e.at, e.branch, e.topic, e.seq, e.payload::jsonb, %(by)s
FROM unnest(%(ids)s::text[], %(ats)s::timestamptz[], %(branches)s::text[], %(topics)s::text[], %(seqs)s::bigint[], %(payloads)s::text[])
     AS e(event_id, at, branch, topic, seq, payload)
JOIN new USING (event_id)
"""

# One row per (branch, kind, key) in a batch (write_batch keeps the newest): ON CONFLICT may
# not touch a row twice in one statement.
_STATES = """
INSERT INTO branch_state (branch, kind, key, payload, at)
SELECT s.branch, s.kind, s.key, s.payload::jsonb, s.at
FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[]) AS s(branch, kind, key, payload, at)
ON CONFLICT (branch, kind, key) DO UPDATE SET payload = excluded.payload, at = excluded.at
WHERE branch_state.at <= excluded.at
"""


# A branch's word on a booking (events/appointment): checked in, late or no-show. Replayed
# events change nothing twice, and an older word never overwrites a newer one.
_BOOKINGS_SEEN = """
UPDATE bookings b SET state = e.payload->>'state', ticket = e.payload->>'ticket', changed_at = (e.payload->>'at')::timestamptz
FROM (SELECT s.branch, s.payload::jsonb AS payload FROM unnest(%s::text[], %s::text[]) AS s(branch, payload)) AS e
WHERE b.branch = e.branch AND b.code = e.payload->>'code' AND b.slot_start = (e.payload->>'slot_start')::timestamptz
  AND (b.changed_at IS NULL OR b.changed_at <= (e.payload->>'at')::timestamptz)
"""
APPOINTMENT_TOPIC = "events/appointment"


class Writer:
    """Remembers the months whose partition exists, so it is looked for once per month."""

    def __init__(self, written_by: str):
        self.written_by = written_by
        self._months: set[tuple[int, int]] = set()

    def write(self, conn: psycopg.Connection, record: EventRecord | StateRecord) -> bool:
        """True when the record was new (an event not seen before, or a newer state)."""
        return self.write_batch(conn, [record]) == 1

    def write_batch(self, conn: psycopg.Connection, records: list[EventRecord | StateRecord]) -> int:
        """Everything in one transaction; returns how many records were new (or newer)."""
        events: dict[str, EventRecord] = {}
        states: dict[tuple[str, str, str], StateRecord] = {}
        for record in records:
            if isinstance(record, EventRecord):
                events.setdefault(record.event_id, record)  # a redelivery inside the batch counts once
            else:
                known = states.get((record.branch, record.kind, record.key))
                if known is None or known.at <= record.at:
                    states[(record.branch, record.kind, record.key)] = record
        months = {(e.at.year, e.at.month): e.at for e in events.values()}
        with conn.transaction():
            for month, at in months.items():
                if month not in self._months:
                    ensure_month(conn, at)
            new = self._events(conn, list(events.values())) if events else 0
            seen = [e for e in events.values() if e.topic == APPOINTMENT_TOPIC]
            if seen:
                conn.execute(_BOOKINGS_SEEN, ([e.branch for e in seen], [e.text for e in seen]))
            if states:
                rows = list(states.values())
                new += conn.execute(_STATES, (
                    [r.branch for r in rows], [r.kind for r in rows], [r.key for r in rows], [r.text for r in rows], [r.at for r in rows],
                )).rowcount
        self._months |= set(months)  # only once the partitions are committed
        return new

    def _events(self, conn: psycopg.Connection, events: list[EventRecord]) -> int:
        cursor = conn.execute(_NEW_EVENTS, {
            "ids": [e.event_id for e in events], "ats": [e.at for e in events], "branches": [e.branch for e in events],
            "topics": [e.topic for e in events], "seqs": [e.seq for e in events], "payloads": [e.text for e in events],
            "by": self.written_by,
        })
        return cursor.rowcount


def ticket_events(conn: psycopg.Connection, branch: str, ticket_id: str, since: datetime) -> list[tuple[str, dict]]:
    """(topic, payload) of one ticket's events, in the branch's order."""
    return conn.execute(
        """SELECT topic, payload FROM events WHERE branch = %s AND payload->>'ticket_id' = %s AND at >= %s
           ORDER BY seq NULLS LAST, at""",
        (branch, ticket_id, since),
    ).fetchall()
