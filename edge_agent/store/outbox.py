"""The outbox: events wait here, on disk, until the broker has acknowledged them.

Rows are added inside the same transaction as the queue change that caused them (see
`Branch`), read in `seq` order by the publisher, and deleted one by one as PUBACKs arrive.
paho keeps its own queue in memory only, so this table is what makes "no event lost"
survive a crash. It is bounded: when the broker stays away for days the oldest events
go first, and every drop is recorded so `agent/state` and the log can say so.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from edge_agent.store.db import Store
from lobby.contract import EVENT_TOPICS, Event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxEntry:
    seq: int
    event_id: str
    topic: str  # relative to the branch root
    payload: str


def enqueue(conn: sqlite3.Connection, event: Event, now: datetime) -> None:
    """Add an event inside the caller's open transaction."""
    conn.execute(
        "INSERT INTO outbox (event_id, topic, payload, created_at) VALUES (?, ?, ?, ?)",
        (event.event_id, EVENT_TOPICS[type(event)], event.model_dump_json(), now.isoformat()),
    )


def pending(store: Store, after_seq: int = 0, limit: int = 100) -> list[OutboxEntry]:
    rows = store.conn.execute(
        "SELECT seq, event_id, topic, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit)
    ).fetchall()
    return [OutboxEntry(r["seq"], r["event_id"], r["topic"], r["payload"]) for r in rows]


def count(store: Store) -> int:
    return store.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]


def delete_delivered(store: Store, seqs: list[int]) -> None:
    """The broker acknowledged these events: they leave the outbox for the event log."""
    with store.write() as conn:
        rows = [(seq,) for seq in seqs]
        conn.executemany(
            "INSERT OR IGNORE INTO event_log (seq, event_id, topic, payload, created_at) "
            "SELECT seq, event_id, topic, payload, created_at FROM outbox WHERE seq = ?", rows,
        )
        conn.executemany("DELETE FROM outbox WHERE seq = ?", rows)


def with_seq(payload: str, seq: int) -> str:
    """The event as it goes out: its stored JSON with its running number."""
    return json.dumps({**json.loads(payload), "seq": seq}, ensure_ascii=False)


def events_after(store: Store, after_seq: int, limit: int) -> list[OutboxEntry]:
    """Delivered (event log) and waiting (outbox) events after `after_seq`, in order."""
    rows = store.conn.execute(
        "SELECT seq, event_id, topic, payload FROM event_log WHERE seq > ? "
        "UNION ALL SELECT seq, event_id, topic, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
        (after_seq, after_seq, limit),
    ).fetchall()
    return [OutboxEntry(r["seq"], r["event_id"], r["topic"], r["payload"]) for r in rows]


def oldest_kept_seq(store: Store) -> int | None:
    row = store.conn.execute(
        "SELECT MIN(seq) FROM (SELECT MIN(seq) AS seq FROM event_log UNION ALL SELECT MIN(seq) FROM outbox)"
    ).fetchone()
    return row[0]


def newest_seq(store: Store) -> int:
    """The number of the last event ever written (0 before the first)."""
    row = store.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    return row[0] if row else 0


def forget_events(store: Store, before: datetime) -> int:
    """The event log keeps `[mqtt] replay_hours`; older events are gone for good."""
    with store.write() as conn:
        return conn.execute("DELETE FROM event_log WHERE created_at < ?", (before.isoformat(),)).rowcount


def last_seq(store: Store) -> int:
    """The newest event's number, 0 when the outbox is empty."""
    return store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()[0]


def enforce_bounds(store: Store, max_events: int, max_age: timedelta, now: datetime) -> int:
    """Drop what is too old or too many; record and return how many went."""
    cutoff = (now - max_age).isoformat()
    with store.write() as conn:
        too_old = conn.execute("DELETE FROM outbox WHERE created_at < ?", (cutoff,)).rowcount
        excess = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] - max_events
        too_many = 0
        if excess > 0:
            too_many = conn.execute(
                "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)", (excess,)
            ).rowcount
        dropped = too_old + too_many
        if dropped:
            detail = {"too_old": too_old, "too_many": too_many, "max_events": max_events, "max_age_hours": max_age.total_seconds() / 3600}
            conn.execute(
                "INSERT INTO agent_log (at, kind, detail) VALUES (?, 'outbox_dropped', ?)", (now.isoformat(), json.dumps(detail))
            )
    if dropped:
        log.warning(
            "outbox full: dropped %d undelivered event(s) (%d older than %.0f h, %d beyond the limit of %d). "
            "The broker has been unreachable too long; check it and the network.",
            dropped, too_old, max_age.total_seconds() / 3600, too_many, max_events,
        )
    return dropped


def total_dropped(store: Store) -> int:
    total = 0
    for (detail,) in store.conn.execute("SELECT detail FROM agent_log WHERE kind = 'outbox_dropped'"):
        data = json.loads(detail)
        total += data["too_old"] + data["too_many"]
    return total
