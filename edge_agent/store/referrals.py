"""Referrals, prospects and their rows in the store."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime


def insert(conn: sqlite3.Connection, row: dict) -> None:
    row = dict(row, triggers=json.dumps(row["triggers"]))
    columns = ", ".join(row)
    conn.execute(f"INSERT INTO referrals ({columns}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))


def find(conn: sqlite3.Connection, referral_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM referrals WHERE referral_id = ?", (referral_id,)).fetchone()


def for_ticket(conn: sqlite3.Connection, ticket_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM referrals WHERE ticket_id = ?", (ticket_id,)).fetchone()


def for_alert(conn: sqlite3.Connection, alert_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM referrals WHERE alert_id = ?", (alert_id,)).fetchone()


def update(conn: sqlite3.Connection, referral_id: str, **fields: object) -> None:
    assignments = ", ".join(f"{name} = ?" for name in fields)
    conn.execute(f"UPDATE referrals SET {assignments} WHERE referral_id = ?", (*fields.values(), referral_id))


def of_day(conn: sqlite3.Connection, day: date) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM referrals WHERE business_day = ? ORDER BY created_at", (day.isoformat(),)).fetchall()


def between(conn: sqlite3.Connection, first: date, last: date) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM referrals WHERE business_day BETWEEN ? AND ? ORDER BY created_at", (first.isoformat(), last.isoformat())
    ).fetchall()


def open_follow_ups(conn: sqlite3.Connection, recorded_by: date, rm: str | None = None) -> list[sqlite3.Row]:
    """Follow-ups still open whose outcome was recorded on or before `recorded_by`."""
    query = "SELECT * FROM referrals WHERE state = 'follow_up' AND substr(outcome_at, 1, 10) <= ?"
    params: list[object] = [recorded_by.isoformat()]
    if rm is not None:
        query += " AND accepted_by = ?"
        params.append(rm)
    return conn.execute(query + " ORDER BY accepted_by, follow_up_on, created_at", params).fetchall()


def triggers_of(row: sqlite3.Row) -> list[str]:
    return list(json.loads(row["triggers"]))


def mark_prospect(conn: sqlite3.Connection, token: str, customer_name: str, reason: str, by: str, now: datetime) -> None:
    conn.execute(
        "INSERT INTO prospects (token, customer_name, reason, marked_by, marked_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (token) DO UPDATE SET customer_name = excluded.customer_name, reason = excluded.reason, "
        "marked_by = excluded.marked_by, marked_at = excluded.marked_at",
        (token, customer_name, reason, by, now.isoformat()),
    )


def unmark_prospect(conn: sqlite3.Connection, token: str) -> bool:
    return conn.execute("DELETE FROM prospects WHERE token = ?", (token,)).rowcount > 0


def find_prospect(conn: sqlite3.Connection, token: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM prospects WHERE token = ?", (token,)).fetchone()
