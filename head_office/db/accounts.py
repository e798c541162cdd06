"""Head office's users and their sessions (the rules are head_office/accounts.py)."""

from __future__ import annotations

from datetime import datetime

import psycopg


def save_user(conn: psycopg.Connection, name: str, password_hash: str, role: str, region: str | None) -> None:
    """Add or replace a user; a changed password signs every session of theirs out."""
    conn.execute(
        """INSERT INTO users (name, password_hash, role, region) VALUES (%s, %s, %s, %s)
           ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role, region = excluded.region,
                                            failed_sign_ins = 0, locked_until = NULL""",
        (name, password_hash, role, region),
    )
    conn.execute("DELETE FROM sessions WHERE user_name = %s", (name,))


def password_of(conn: psycopg.Connection, name: str) -> tuple[str, datetime | None] | None:
    """(password hash, locked until) of a user; None when there is no such name."""
    row = conn.execute("SELECT password_hash, locked_until FROM users WHERE name = %s", (name,)).fetchone()
    return (row[0], row[1]) if row else None


def count_failure(conn: psycopg.Connection, name: str, limit: int, lock_until: datetime) -> None:
    """One more wrong password: the one that reaches `limit` locks the name, and the count
    starts afresh for after."""
    conn.execute(
        """UPDATE users SET failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= %(limit)s THEN 0 ELSE failed_sign_ins + 1 END,
                            locked_until = CASE WHEN failed_sign_ins + 1 >= %(limit)s THEN %(until)s END
           WHERE name = %(name)s""",
        {"limit": limit, "until": lock_until, "name": name},
    )


def open_session(conn: psycopg.Connection, token_hash: str, name: str, expires_at: datetime, now: datetime) -> None:
    """A signed-in session (its failures forgiven); expired sessions are swept on the way."""
    conn.execute("UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE name = %s", (name,))
    conn.execute("DELETE FROM sessions WHERE expires_at <= %s", (now,))
    conn.execute("INSERT INTO sessions (token_hash, user_name, expires_at) VALUES (%s, %s, %s)", (token_hash, name, expires_at))


def session_user(conn: psycopg.Connection, token_hash: str, now: datetime) -> tuple[str, str, str | None] | None:
    """(name, role, region) of a live session's user."""
    row = conn.execute(
        """SELECT u.name, u.role, u.region FROM sessions s JOIN users u ON u.name = s.user_name
           WHERE s.token_hash = %s AND s.expires_at > %s""",
        (token_hash, now),
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


def end_session(conn: psycopg.Connection, token_hash: str) -> None:
    conn.execute("DELETE FROM sessions WHERE token_hash = %s", (token_hash,))
