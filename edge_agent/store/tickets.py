"""Tickets and counter states in SQLite: every field of the engine's dataclasses, as it is.

The engine is rebuilt from these rows at start-up and whenever another process (a
technician's CLI) has committed, so what is written here is the whole truth.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime

from edge_agent.queue.model import CounterState, Ticket
from lobby.contract import CallRule, TicketState, Tier

_TICKET_COLUMNS = (
    "id", "business_day", "label", "number", "service", "original_service", "tier", "state", "issued_at",
    "queued_at", "counter", "called_at", "recalls", "transfers", "finished_at", "customer_token", "appointment_at", "call_rule",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _at(value: str) -> datetime:
    """A time the schema makes NOT NULL."""
    return datetime.fromisoformat(value)


def save_ticket(conn: sqlite3.Connection, ticket: Ticket) -> None:
    values = (
        ticket.id, ticket.business_day.isoformat(), ticket.label, ticket.number, ticket.service,
        ticket.original_service, ticket.tier.value, ticket.state.value, _iso(ticket.issued_at), _iso(ticket.queued_at),
        ticket.counter, _iso(ticket.called_at), ticket.recalls, ticket.transfers, _iso(ticket.finished_at),
        ticket.customer_token, _iso(ticket.appointment_at), ticket.call_rule,
    )
    updates = ", ".join(f"{c}=excluded.{c}" for c in _TICKET_COLUMNS[1:] if c != "customer_token")
    conn.execute(
        f"INSERT INTO tickets ({', '.join(_TICKET_COLUMNS)}) VALUES ({', '.join('?' * len(_TICKET_COLUMNS))}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}",
        values,
    )


def set_ticket_details(conn: sqlite3.Connection, ticket_id: str, masked_pan: str | None, kiosk: str | None, lang: str | None) -> None:
    conn.execute("UPDATE tickets SET masked_pan = ?, kiosk = ?, lang = ? WHERE id = ?", (masked_pan, kiosk, lang, ticket_id))


def row_to_ticket(row: sqlite3.Row) -> Ticket:
    return Ticket(
        id=row["id"],
        label=row["label"],
        service=row["service"],
        number=row["number"],
        business_day=date.fromisoformat(row["business_day"]),
        tier=Tier(row["tier"]),
        issued_at=_at(row["issued_at"]),
        queued_at=_at(row["queued_at"]),
        original_service=row["original_service"],
        state=TicketState(row["state"]),
        counter=row["counter"],
        called_at=_dt(row["called_at"]),
        recalls=row["recalls"],
        finished_at=_dt(row["finished_at"]),
        transfers=row["transfers"],
        customer_token=row["customer_token"],
        appointment_at=_dt(row["appointment_at"]),
        call_rule=CallRule(row["call_rule"]) if row["call_rule"] else None,
    )


def find(conn: sqlite3.Connection, ticket_id: str) -> Ticket | None:
    row = conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    return row_to_ticket(row) if row is not None else None


def label_of(conn: sqlite3.Connection, ticket_id: str) -> str:
    """The number the customer holds (A001) for a ticket id; the id itself if it is gone."""
    row = conn.execute("SELECT label FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    return ticket_id if row is None else row["label"]


def load_open_tickets(conn: sqlite3.Connection) -> list[Ticket]:
    rows = conn.execute("SELECT * FROM tickets WHERE state IN ('waiting', 'called')").fetchall()
    return [row_to_ticket(row) for row in rows]


def set_printed(conn: sqlite3.Connection, ticket_id: str, printed: bool) -> None:
    conn.execute("UPDATE tickets SET printed = ? WHERE id = ?", (int(printed), ticket_id))


def save_counter(conn: sqlite3.Connection, state: CounterState) -> None:
    conn.execute(
        "INSERT INTO counters (id, open, serving, policy_state, updated_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET open=excluded.open, serving=excluded.serving, "
        "policy_state=excluded.policy_state, updated_at=excluded.updated_at",
        (state.id, int(state.open), state.serving, json.dumps({"ratio_cursor": state.ratio_cursor}), _iso(state.since)),
    )


def load_counter_states(conn: sqlite3.Connection) -> list[CounterState]:
    states = []
    for row in conn.execute("SELECT * FROM counters"):
        policy = json.loads(row["policy_state"])
        states.append(
            CounterState(
                id=row["id"], open=bool(row["open"]), serving=row["serving"],
                ratio_cursor=policy.get("ratio_cursor", 0), since=_dt(row["updated_at"]),
            )
        )
    return states


def save_last_number(conn: sqlite3.Connection, business_day: date, service: str, number: int) -> None:
    conn.execute(
        "INSERT INTO day_numbers (business_day, service, last_number) VALUES (?, ?, ?) "
        "ON CONFLICT (business_day, service) DO UPDATE SET last_number = MAX(last_number, excluded.last_number)",
        (business_day.isoformat(), service, number),
    )


def load_last_numbers(conn: sqlite3.Connection) -> dict[tuple[date, str], int]:
    """The latest business day's numbers: earlier days can never be issued again."""
    rows = conn.execute(
        "SELECT business_day, service, last_number FROM day_numbers WHERE business_day = (SELECT MAX(business_day) FROM day_numbers)"
    ).fetchall()
    return {(date.fromisoformat(r["business_day"]), r["service"]): r["last_number"] for r in rows}


def recent_service_times(conn: sqlite3.Connection, per_service: int = 50) -> list[tuple[str, float]]:
    """(service, seconds) of recently served tickets, oldest first, to relearn service times."""
    rows = conn.execute(
        """SELECT service, called_at, finished_at FROM (
               SELECT service, called_at, finished_at,
                      ROW_NUMBER() OVER (PARTITION BY service ORDER BY finished_at DESC) AS recent
               FROM tickets WHERE state = 'served' AND called_at IS NOT NULL AND finished_at IS NOT NULL)
           WHERE recent <= ? ORDER BY finished_at""",
        (per_service,),
    ).fetchall()
    return [(r["service"], (_at(r["finished_at"]) - _at(r["called_at"])).total_seconds()) for r in rows]


def calls_of_day(conn: sqlite3.Connection, day: date) -> list[tuple[str, datetime, float]]:
    """(service, called at, seconds waited) of the day's called tickets, oldest call first."""
    rows = conn.execute(
        "SELECT service, queued_at, called_at FROM tickets WHERE business_day = ? AND called_at IS NOT NULL ORDER BY called_at",
        (day.isoformat(),),
    ).fetchall()
    return [
        (r["service"], _at(r["called_at"]), max(0.0, (_at(r["called_at"]) - _at(r["queued_at"])).total_seconds())) for r in rows
    ]


def record_event(conn: sqlite3.Connection, ticket_id: str, kind: str, at: datetime, counter: str | None, detail: dict) -> None:
    conn.execute(
        "INSERT INTO ticket_events (ticket_id, kind, at, counter, detail) VALUES (?, ?, ?, ?, ?)",
        (ticket_id, kind, at.isoformat(), counter, json.dumps(detail, ensure_ascii=False)),
    )


def find_by_label(conn: sqlite3.Connection, business_day: date, label: str) -> Ticket | None:
    row = conn.execute("SELECT * FROM tickets WHERE business_day = ? AND label = ?", (business_day.isoformat(), label)).fetchone()
    return None if row is None else row_to_ticket(row)
