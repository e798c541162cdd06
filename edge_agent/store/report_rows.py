"""What the branch head's report reads from the store: tickets and alerts of a period."""

from __future__ import annotations

from datetime import date, datetime

from edge_agent.reports.figures import AlertRow, TicketRow
from edge_agent.reports.referral_figures import ReferralRow
from edge_agent.store import referrals, staff
from edge_agent.store.db import Store


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _maybe(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def load(store: Store, first: date, last: date) -> tuple[list[TicketRow], list[AlertRow]]:
    rows = store.conn.execute(
        """SELECT t.id, t.business_day, t.original_service, t.tier, t.state, t.issued_at, t.called_at, t.finished_at,
                  t.counter, t.transfers,
                  (SELECT MIN(at) FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'called') AS first_called
           FROM tickets t WHERE t.business_day BETWEEN ? AND ? ORDER BY t.issued_at""",
        (first.isoformat(), last.isoformat()),
    ).fetchall()
    tickets = [
        TicketRow(r["id"], date.fromisoformat(r["business_day"]), r["original_service"], r["tier"], r["state"], _at(r["issued_at"]),
                  _maybe(r["first_called"]), _maybe(r["called_at"]), _maybe(r["finished_at"]), r["counter"], r["transfers"])
        for r in rows
    ]
    alerts = [
        AlertRow(_at(r["raised_at"]), _maybe(r["acked_at"]), r["outcome"])
        for r in store.conn.execute(
            "SELECT a.raised_at, a.acked_at, a.outcome FROM alerts a JOIN tickets t ON t.id = a.ticket_id WHERE t.business_day BETWEEN ? AND ?",
            (first.isoformat(), last.isoformat()),
        )
    ]
    return tickets, alerts


def load_referrals(store: Store, first: date, last: date) -> tuple[list[ReferralRow], int]:
    """The period's referrals, and how many follow-ups are still open at its end."""
    conn = store.conn
    names = staff.names(conn)

    def who(staff_id: str | None) -> str | None:
        return None if staff_id is None else f"{names.get(staff_id, staff_id)} ({staff_id})"

    rows = [
        ReferralRow(_at(r["created_at"]), who(r["referrer"]) or "", tuple(referrals.triggers_of(r)), r["state"], who(r["accepted_by"]),
                    _maybe(r["accepted_at"]))
        for r in referrals.between(conn, first, last)
    ]
    return rows, len(referrals.open_follow_ups(conn, last))
