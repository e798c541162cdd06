"""Complaints and their steps in the store."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime


def insert(conn: sqlite3.Connection, row: dict) -> None:
    columns = ", ".join(row)
    conn.execute(f"INSERT INTO complaints ({columns}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))


def add_step(conn: sqlite3.Connection, complaint_id: str, at: datetime, by: str, state: str, note: str) -> None:
    conn.execute("INSERT INTO complaint_steps (complaint_id, at, by, state, note) VALUES (?, ?, ?, ?, ?)",
                 (complaint_id, at.isoformat(), by, state, note))
    conn.execute("UPDATE complaints SET state = ? WHERE complaint_id = ?", (state, complaint_id))


def find(conn: sqlite3.Connection, complaint_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM complaints WHERE complaint_id = ?", (complaint_id,)).fetchone()


def steps(conn: sqlite3.Connection, complaint_id: str) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM complaint_steps WHERE complaint_id = ? ORDER BY seq", (complaint_id,)).fetchall()


def for_tablet(conn: sqlite3.Connection, today: date) -> list[sqlite3.Row]:
    """Not yet resolved (whatever day they were opened), and today's."""
    return conn.execute(
        "SELECT * FROM complaints WHERE state != 'resolved' OR business_day = ? ORDER BY opened_at DESC", (today.isoformat(),)
    ).fetchall()


def between(conn: sqlite3.Connection, first: date, last: date) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM complaints WHERE business_day BETWEEN ? AND ? ORDER BY opened_at", (first.isoformat(), last.isoformat())
    ).fetchall()
