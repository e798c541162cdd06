"""Lobby promotions in the store."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime


def save(conn: sqlite3.Connection, promotion_id: str, title: str, text: str, image: str | None, tiers: list[str],
         starts_on: date, ends_on: date, source: str, by: str, now: datetime, file_version: str | None = None) -> None:
    conn.execute(
        "INSERT INTO promotions (promotion_id, title, text, image, tiers, starts_on, ends_on, source, published_by, published_at, "
        "file_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (promotion_id) DO UPDATE SET title = excluded.title, "
        "text = excluded.text, image = excluded.image, tiers = excluded.tiers, starts_on = excluded.starts_on, "
        "ends_on = excluded.ends_on, published_by = excluded.published_by, published_at = excluded.published_at, "
        "file_version = excluded.file_version, withdrawn_at = NULL, withdrawn_by = NULL",
        (promotion_id, title, text, image, json.dumps(tiers), starts_on.isoformat(), ends_on.isoformat(), source, by, now.isoformat(),
         file_version),
    )


def withdraw(conn: sqlite3.Connection, promotion_id: str, by: str, now: datetime) -> bool:
    cursor = conn.execute(
        "UPDATE promotions SET withdrawn_at = ?, withdrawn_by = ? WHERE promotion_id = ? AND withdrawn_at IS NULL",
        (now.isoformat(), by, promotion_id),
    )
    return cursor.rowcount > 0


def current(conn: sqlite3.Connection, today: date) -> list[sqlite3.Row]:
    """Not withdrawn and not over: showing today, or waiting for their first day."""
    return conn.execute(
        "SELECT * FROM promotions WHERE withdrawn_at IS NULL AND ends_on >= ? ORDER BY starts_on, published_at", (today.isoformat(),)
    ).fetchall()


def from_files(conn: sqlite3.Connection) -> dict[str, str]:
    """Live file promotions: id -> the file version they were stored from."""
    rows = conn.execute("SELECT promotion_id, file_version FROM promotions WHERE source = 'file' AND withdrawn_at IS NULL")
    return {r["promotion_id"]: r["file_version"] for r in rows}


def tiers_of(row: sqlite3.Row) -> list[str]:
    return list(json.loads(row["tiers"]))
