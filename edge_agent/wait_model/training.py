"""Training the learned wait predictor at the daily close, in a process of its own.

    python -m edge_agent.wait_model.training --store branch.db --model wait-model.pkl \
        --through 2026-12-04 --days 60 --min-days 5 --min-tickets 500

The agent starts it at a lower priority after a business day has ended (edge_agent/desks/waits.py), so
a training never holds up a ticket; it reads the store read-only and replaces the model
file atomically. Exit status: 0 trained, 3 not enough history yet, 1 failed; the last line
printed says what happened in words.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from edge_agent.store import waits

NOT_ENOUGH_HISTORY = 3


def train_from_store(store: Path, model: Path, through: date, days: int, min_days: int, min_tickets: int) -> str:
    """Train on the `days` business days up to `through`; returns the sentence to log.
    Raises NotEnoughHistory."""
    from edge_agent.wait_model import learned  # scikit-learn loads only where it is used

    started = time.perf_counter()
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        history = waits.samples(conn, through - timedelta(days=days - 1), through + timedelta(days=1))
    finally:
        conn.close()
    predictor = learned.train(history, through, min_days=min_days, min_tickets=min_tickets)
    assert predictor.info is not None
    predictor.info = replace(predictor.info, train_seconds=round(time.perf_counter() - started, 1))
    learned.save(predictor, model)
    return predictor.info.describe()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the learned wait predictor on the store's history.")
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--through", type=date.fromisoformat, required=True, help="the last business day to learn from")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--min-days", type=int, default=5)
    parser.add_argument("--min-tickets", type=int, default=500)
    parser.add_argument("--nice", type=int, default=0, help="lower this process's priority first")
    args = parser.parse_args(argv)
    if args.nice:
        os.nice(args.nice)
    from edge_agent.wait_model.learned import NotEnoughHistory

    try:
        print(train_from_store(args.store, args.model, args.through, args.days, args.min_days, args.min_tickets))
    except NotEnoughHistory as short:
        print(f"not enough history to learn the wait yet: {short}")
        return NOT_ENOUGH_HISTORY
    except (OSError, sqlite3.Error) as problem:
        print(f"the wait model could not be trained: {problem}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
