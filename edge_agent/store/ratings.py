"""Rating prompts, votes, refused votes and service alerts in the store."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from edge_agent.rules.ratings import Prompt


def _prompt(row: sqlite3.Row) -> Prompt:
    return Prompt(
        row["prompt_id"], row["counter"], datetime.fromisoformat(row["opened_at"]), datetime.fromisoformat(row["closes_at"]),
        datetime.fromisoformat(row["closed_at"]) if row["closed_at"] else None, row["close_reason"],
    )


def insert_prompt(conn: sqlite3.Connection, prompt_id: str, ticket_id: str, counter: str, staff_id: str | None, service: str,
                  opened_at: datetime, closes_at: datetime) -> None:
    conn.execute(
        "INSERT INTO rating_prompts (prompt_id, ticket_id, counter, staff_id, service, opened_at, closes_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (prompt_id, ticket_id, counter, staff_id, service, opened_at.isoformat(), closes_at.isoformat()),
    )


def find(conn: sqlite3.Connection, prompt_id: str) -> tuple[Prompt, sqlite3.Row] | None:
    row = conn.execute("SELECT * FROM rating_prompts WHERE prompt_id = ?", (prompt_id,)).fetchone()
    return None if row is None else (_prompt(row), row)


def open_at(conn: sqlite3.Connection, counter: str | None = None) -> list[sqlite3.Row]:
    """Prompts not yet closed, at one counter or everywhere."""
    if counter is None:
        return conn.execute("SELECT * FROM rating_prompts WHERE closed_at IS NULL").fetchall()
    return conn.execute("SELECT * FROM rating_prompts WHERE closed_at IS NULL AND counter = ?", (counter,)).fetchall()


def close(conn: sqlite3.Connection, prompt_id: str, at: datetime, reason: str) -> None:
    conn.execute("UPDATE rating_prompts SET closed_at = ?, close_reason = ? WHERE prompt_id = ?", (at.isoformat(), reason, prompt_id))


def record_vote(conn: sqlite3.Connection, prompt_id: str, score: int, reasons: list[str], at: datetime) -> None:
    conn.execute(
        "UPDATE rating_prompts SET score = ?, reasons = ?, voted_at = ?, closed_at = ?, close_reason = 'answered' WHERE prompt_id = ?",
        (score, json.dumps(reasons), at.isoformat(), at.isoformat(), prompt_id),
    )


def record_refusal(conn: sqlite3.Connection, at: datetime, counter: str, prompt_id: str | None, code: str) -> None:
    conn.execute("INSERT INTO rating_refusals (at, counter, prompt_id, code) VALUES (?, ?, ?, ?)", (at.isoformat(), counter, prompt_id, code))


def raise_service_alert(conn: sqlite3.Connection, alert_id: str, prompt_id: str, at: datetime) -> None:
    conn.execute("INSERT INTO service_alerts (alert_id, prompt_id, raised_at) VALUES (?, ?, ?)", (alert_id, prompt_id, at.isoformat()))


def find_service_alert(conn: sqlite3.Connection, alert_id: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT a.*, p.ticket_id, p.counter, p.staff_id, p.score FROM service_alerts a JOIN rating_prompts p ON p.prompt_id = a.prompt_id "
        "WHERE a.alert_id = ?", (alert_id,),
    ).fetchone()


def acknowledge_service_alert(conn: sqlite3.Connection, alert_id: str, by: str, note: str, at: datetime) -> None:
    conn.execute("UPDATE service_alerts SET acked_at = ?, acked_by = ?, note = ? WHERE alert_id = ?", (at.isoformat(), by, note, alert_id))
