"""The staff roster and sign-ins in the store. Session secrets are kept only as SHA-256."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from edge_agent.rules.sign_in import PinRecord
from edge_agent.rules.staff_roster import StaffMember
from lobby.contract import StaffRole


@dataclass(frozen=True)
class Person:
    staff_id: str
    name: str
    role: StaffRole
    pin_hash: str
    pin: PinRecord


@dataclass(frozen=True)
class Session:
    ref: str
    staff_id: str
    name: str
    role: StaffRole
    page: str
    counter: str | None
    signed_in_at: datetime
    last_seen_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def has_roster(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM staff WHERE active = 1 LIMIT 1").fetchone() is not None


def replace_roster(conn: sqlite3.Connection, members: list[StaffMember], now: datetime) -> list[str]:
    """Add or update everyone in `members`; whoever else was active has left (returned)."""
    keep = {m.staff_id for m in members}
    left = [r["staff_id"] for r in conn.execute("SELECT staff_id FROM staff WHERE active = 1 ORDER BY staff_id") if r["staff_id"] not in keep]
    conn.executemany(
        "INSERT INTO staff (staff_id, name, role, pin_hash, active, imported_at) VALUES (?, ?, ?, ?, 1, ?) "
        "ON CONFLICT (staff_id) DO UPDATE SET name = excluded.name, role = excluded.role, pin_hash = excluded.pin_hash, "
        "active = 1, pin_failures = 0, locked_until = NULL, imported_at = excluded.imported_at",
        [(m.staff_id, m.name, m.role.value, m.pin_hash, now.isoformat()) for m in members],
    )
    for staff_id in left:
        conn.execute("UPDATE staff SET active = 0 WHERE staff_id = ?", (staff_id,))
        end_sessions(conn, "staff_id = ?", (staff_id,), now, "left_roster")
    return left


def find_person(conn: sqlite3.Connection, staff_id: str) -> Person | None:
    row = conn.execute("SELECT * FROM staff WHERE staff_id = ? AND active = 1", (staff_id,)).fetchone()
    if row is None:
        return None
    locked = datetime.fromisoformat(row["locked_until"]) if row["locked_until"] else None
    return Person(row["staff_id"], row["name"], StaffRole(row["role"]), row["pin_hash"], PinRecord(row["pin_failures"], locked))


def names(conn: sqlite3.Connection) -> dict[str, str]:
    return {r["staff_id"]: r["name"] for r in conn.execute("SELECT staff_id, name FROM staff")}


def active_rms(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    rows = conn.execute("SELECT staff_id, name FROM staff WHERE active = 1 AND role IN ('rm', 'head') ORDER BY staff_id")
    return [(r["staff_id"], r["name"]) for r in rows]


def save_pin_record(conn: sqlite3.Connection, staff_id: str, record: PinRecord) -> None:
    locked = record.locked_until.isoformat() if record.locked_until else None
    conn.execute("UPDATE staff SET pin_failures = ?, locked_until = ? WHERE staff_id = ?", (record.failures, locked, staff_id))


def start_session(conn: sqlite3.Connection, ref: str, token: str, staff_id: str, page: str, counter: str | None, now: datetime) -> None:
    conn.execute(
        "INSERT INTO staff_sessions (ref, token_hash, staff_id, page, counter, signed_in_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (ref, token_hash(token), staff_id, page, counter, now.isoformat(), now.isoformat()),
    )


def end_sessions(conn: sqlite3.Connection, where: str, params: tuple, now: datetime, reason: str) -> int:
    """End the live sessions matching `where` (an SQL condition on staff_sessions)."""
    cursor = conn.execute(
        f"UPDATE staff_sessions SET ended_at = ?, end_reason = ? WHERE ended_at IS NULL AND ({where})",
        (now.isoformat(), reason, *params),
    )
    return cursor.rowcount


_SESSION_SELECT = (
    "SELECT s.*, p.name, p.role FROM staff_sessions s JOIN staff p ON p.staff_id = s.staff_id "
)


def _session(row: sqlite3.Row) -> Session:
    return Session(
        row["ref"], row["staff_id"], row["name"], StaffRole(row["role"]), row["page"], row["counter"],
        datetime.fromisoformat(row["signed_in_at"]), datetime.fromisoformat(row["last_seen_at"]),
    )


def find_session(conn: sqlite3.Connection, token: str) -> tuple[Session, str | None] | None:
    """The session and why it ended (None while it is live), or None for an unknown token."""
    row = conn.execute(_SESSION_SELECT + "WHERE s.token_hash = ?", (token_hash(token),)).fetchone()
    return None if row is None else (_session(row), row["end_reason"])


def touch(conn: sqlite3.Connection, ref: str, now: datetime) -> None:
    conn.execute("UPDATE staff_sessions SET last_seen_at = ? WHERE ref = ?", (now.isoformat(), ref))


def live_sessions(conn: sqlite3.Connection) -> list[Session]:
    rows = conn.execute(_SESSION_SELECT + "WHERE s.ended_at IS NULL ORDER BY s.page, s.counter, s.signed_in_at")
    return [_session(r) for r in rows]
