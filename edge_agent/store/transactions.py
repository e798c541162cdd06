"""Remembered answers: a repeated `transaction` gets its first answer and changes nothing.

The answer is written in the same SQLite transaction as the change it reports, so a
retry after a crash finds either both or neither. Kept two days (see retention.py).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class StoredAnswer:
    op: str
    answer: dict  # {"status": "ok", "data": ...} or {"status": "error", "code", "error"}


def find_answer(conn: sqlite3.Connection, transaction: str) -> StoredAnswer | None:
    row = conn.execute("SELECT op, response FROM transactions WHERE transaction_id = ?", (transaction,)).fetchone()
    return None if row is None else StoredAnswer(row["op"], json.loads(row["response"]))


def save_answer(conn: sqlite3.Connection, transaction: str, op: str, answer: dict, now: datetime) -> None:
    conn.execute(
        "INSERT INTO transactions (transaction_id, op, response, created_at) VALUES (?, ?, ?, ?)",
        (transaction, op, json.dumps(answer, ensure_ascii=False), now.isoformat()),
    )


def update_answer_data(conn: sqlite3.Connection, transaction: str, changes: dict) -> None:
    """Add what was learned after the answer was first stored (a ticket's print outcome)."""
    stored = find_answer(conn, transaction)
    if stored is None or not stored.answer.get("data"):
        return
    stored.answer["data"].update(changes)
    conn.execute(
        "UPDATE transactions SET response = ? WHERE transaction_id = ?",
        (json.dumps(stored.answer, ensure_ascii=False), transaction),
    )
