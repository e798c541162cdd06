"""What each ticket was told about its wait, and what happened: the learned predictor's history."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import date, datetime

from edge_agent.queue.estimate import WaitEstimate
from edge_agent.queue.situation import WaitSituation
from edge_agent.wait_model.samples import Sample

log = logging.getLogger(__name__)


def save_situation(
    conn: sqlite3.Connection, ticket_id: str, day: date, situation: WaitSituation, predictor: str, told: WaitEstimate | None
) -> None:
    conn.execute(
        "INSERT INTO wait_situations (ticket_id, business_day, situation, predictor, eta_s, eta_low_s, eta_high_s) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            ticket_id, day.isoformat(), json.dumps(situation.as_dict()), predictor,
            told.expected_s if told else None, told.low_s if told else None, told.high_s if told else None,
        ),
    )


def record_first_call(conn: sqlite3.Connection, ticket_id: str, issued_at: datetime, called_at: datetime) -> None:
    """The wait ends at the first call; a recall or a call after a transfer does not move it."""
    conn.execute(
        "UPDATE wait_situations SET waited_s = ? WHERE ticket_id = ? AND waited_s IS NULL",
        (max(0.0, (called_at - issued_at).total_seconds()), ticket_id),
    )


def history_size(conn: sqlite3.Connection, since: date, before: date) -> tuple[int, int]:
    """(business days, tickets) with a finished wait in [since, before): whether training can start.
    Counts every called ticket; the training itself leaves out those a free counter took."""
    row = conn.execute(
        "SELECT COUNT(DISTINCT business_day) AS days, COUNT(*) AS tickets FROM wait_situations "
        "WHERE business_day >= ? AND business_day < ? AND waited_s IS NOT NULL",
        (since.isoformat(), before.isoformat()),
    ).fetchone()
    return row["days"], row["tickets"]


def samples(conn: sqlite3.Connection, since: date, before: date) -> list[Sample]:
    """Finished waits of business days in [since, before), oldest first. A row stored in an
    older situation format is skipped (the count is logged): it cannot be learned from."""
    rows = conn.execute(
        "SELECT business_day, situation, waited_s FROM wait_situations "
        "WHERE business_day >= ? AND business_day < ? AND waited_s IS NOT NULL ORDER BY business_day, ticket_id",
        (since.isoformat(), before.isoformat()),
    ).fetchall()
    found, skipped = [], 0
    for row in rows:
        try:
            situation = WaitSituation.from_dict(json.loads(row["situation"]))
        except (KeyError, TypeError, ValueError):
            skipped += 1
            continue
        found.append(Sample(situation, row["waited_s"], date.fromisoformat(row["business_day"])))
    if skipped:
        log.info("%d stored waits are in an older format and were left out of the training", skipped)
    return found
