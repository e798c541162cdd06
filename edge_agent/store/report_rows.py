"""What the branch head's report reads from the store: tickets and alerts of a period."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from edge_agent.reports.appointment_figures import AppointmentRow
from edge_agent.reports.figures import AlertRow, TicketRow
from edge_agent.reports.promise_figures import PromiseRow
from edge_agent.reports.rating_figures import ComplaintRow, PromptRow
from edge_agent.reports.referral_figures import ReferralRow
from edge_agent.rules.complaints import overdue
from edge_agent.store import complaints, referrals, staff
from edge_agent.store.db import Store
from lobby.contract import ComplaintState


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


def load_voice(store: Store, first: date, last: date, zone: ZoneInfo, ack_target: timedelta, now: datetime,
               ) -> tuple[list[PromptRow], list[ComplaintRow], int]:
    """The period's rating prompts, complaints (overdue as of `now`) and refused votes."""
    conn = store.conn
    names = staff.names(conn)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    # The period's prompts by their ticket's business day, as the rest of the report counts.
    prompts = [
        PromptRow(_at(r["opened_at"]).astimezone(zone), f"{names.get(r['staff_id'], r['staff_id'])} ({r['staff_id']})" if r["staff_id"] else "",
                  r["counter"], r["service"], r["score"], _maybe(r["voted_at"]), r["closed_at"] is not None)
        for r in conn.execute(
            "SELECT p.* FROM rating_prompts p JOIN tickets t ON t.id = p.ticket_id WHERE t.business_day BETWEEN ? AND ? ORDER BY p.opened_at",
            (first.isoformat(), last.isoformat()),
        )
    ]
    refused = sum(1 for r in conn.execute("SELECT at FROM rating_refusals") if start <= _at(r["at"]) < end)
    rows = []
    for c in complaints.between(conn, first, last):
        steps = complaints.steps(conn, c["complaint_id"])
        acked = next((_at(s["at"]) for s in steps if s["state"] == ComplaintState.ACKNOWLEDGED), None)
        resolved = next((_at(s["at"]) for s in steps if s["state"] == ComplaintState.RESOLVED), None)
        late = overdue(ComplaintState(c["state"]), _at(c["opened_at"]), acked, _at(c["resolve_by"]), ack_target, now)
        rows.append(ComplaintRow(c["category"], _at(c["opened_at"]), acked, resolved, c["state"], tuple(late)))
    return prompts, rows, refused


def load_promises(store: Store, first: date, last: date) -> list[PromiseRow]:
    """The period's tickets that were told a wait and then called."""
    return [
        PromiseRow(r["service"], r["predictor"], r["eta_s"], r["eta_low_s"], r["eta_high_s"], r["waited_s"])
        for r in store.conn.execute(
            "SELECT json_extract(situation, '$.service') AS service, predictor, eta_s, eta_low_s, eta_high_s, waited_s "
            "FROM wait_situations WHERE business_day BETWEEN ? AND ? AND eta_s IS NOT NULL AND waited_s IS NOT NULL",
            (first.isoformat(), last.isoformat()),
        )
    ]


def load_appointments(store: Store, first: date, last: date) -> list[AppointmentRow]:
    """The period's bookings, with when each was checked in and its ticket first called."""
    rows = store.conn.execute(
        """SELECT a.service, a.slot_start, a.state, a.changed_at,
                  (SELECT MIN(e.at) FROM ticket_events e WHERE e.ticket_id = a.ticket_id AND e.kind = 'called') AS first_called_at
           FROM appointments a WHERE a.business_day BETWEEN ? AND ?""",
        (first.isoformat(), last.isoformat()),
    ).fetchall()
    return [
        AppointmentRow(r["service"], _at(r["slot_start"]), r["state"],
                       _maybe(r["changed_at"]) if r["state"] != "booked" else None, _maybe(r["first_called_at"]))
        for r in rows
    ]
