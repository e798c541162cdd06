"""The branch registry and each branch's latest published states."""

from __future__ import annotations

from datetime import datetime

import psycopg


def registry(conn: psycopg.Connection, branch: str | None = None) -> dict[str, tuple[str, str]]:
    """id -> (name, region), of every branch or of one."""
    rows = conn.execute("SELECT id, name, region FROM branches" + (" WHERE id = %s" if branch else ""), (branch,) if branch else ())
    return {bid: (name, region) for bid, name, region in rows}


def states(conn: psycopg.Connection, branch: str | None = None) -> list[tuple[str, str, str, str, datetime]]:
    """(branch, kind, key, payload, at) of every branch's latest states, or of one branch's. The
    payload comes as JSON text: the contract's models read it in one pass, where psycopg would
    first build it as Python dicts."""
    if branch is None:
        return conn.execute("SELECT branch, kind, key, payload::text, at FROM branch_state").fetchall()
    return conn.execute("SELECT branch, kind, key, payload::text, at FROM branch_state WHERE branch = %s", (branch,)).fetchall()


def save(conn: psycopg.Connection, rows: list[tuple[str, str, str]]) -> None:
    """(id, name, region): added, or renamed and moved, in one transaction."""
    with conn.transaction():
        for bid, name, region in rows:
            conn.execute(
                """INSERT INTO branches (id, name, region) VALUES (%s, %s, %s)
                   ON CONFLICT (id) DO UPDATE SET name = excluded.name, region = excluded.region""",
                (bid, name, region),
            )
