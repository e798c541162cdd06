"""VIP alerts and the lobby manager's answers to them."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from lobby.contract import Tier


@dataclass(frozen=True)
class StoredAlert:
    alert_id: str
    ticket_id: str
    raised_at: datetime
    acked_at: str | None
    acked_by: str | None
    outcome: str | None


def raise_alert(conn: sqlite3.Connection, alert_id: str, ticket_id: str, tier: Tier, now: datetime) -> None:
    conn.execute(
        "INSERT INTO alerts (alert_id, ticket_id, tier, raised_at) VALUES (?, ?, ?, ?)",
        (alert_id, ticket_id, tier.value, now.isoformat()),
    )


def find_alert(conn: sqlite3.Connection, alert_id: str) -> StoredAlert | None:
    row = conn.execute("SELECT * FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone()
    if row is None:
        return None
    return StoredAlert(
        row["alert_id"], row["ticket_id"], datetime.fromisoformat(row["raised_at"]), row["acked_at"], row["acked_by"], row["outcome"]
    )


def alert_for_ticket(conn: sqlite3.Connection, ticket_id: str) -> str | None:
    row = conn.execute("SELECT alert_id FROM alerts WHERE ticket_id = ?", (ticket_id,)).fetchone()
    return None if row is None else row["alert_id"]


def acknowledge_alert(conn: sqlite3.Connection, alert_id: str, by: str, outcome: str, now: datetime) -> None:
    conn.execute(
        "UPDATE alerts SET acked_at = ?, acked_by = ?, outcome = ? WHERE alert_id = ?", (now.isoformat(), by, outcome, alert_id)
    )
