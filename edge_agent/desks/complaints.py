"""投诉处理 on the lobby manager's tablet: a complaint opened from a low rating's service
alert or from a customer who walks up, and its steps (acknowledged, resolved, escalated),
each with who, when and a note. Runs inside the branch's transactions (BranchWork.perform).

The contact a customer gives is kept only with their consent, shown whole only in the
manager's own answers (the complaint view) and masked in events; retention erases it.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

from edge_agent.desks.work import BranchWork
from edge_agent.queue.engine import QueueError
from edge_agent.rules.complaints import advance, overdue, resolve_by
from edge_agent.store import complaints as stored
from edge_agent.store import outbox, ratings
from edge_agent.store import staff as roster
from edge_agent.store import tickets as rows
from lobby.contract import (
    ComplaintAnswer,
    ComplaintEvent,
    ComplaintListAnswer,
    ComplaintState,
    ComplaintStep,
    ComplaintView,
    ErrorCode,
    ServiceAlertAckAnswer,
)
from lobby.phones import mask_phone


class ComplaintDesk:
    def __init__(self, branch: BranchWork, answer_service_alert: Callable[..., ServiceAlertAckAnswer]):
        self.branch = branch
        # RatingDesk.answer_alert: opening a complaint from a service alert answers the alert.
        self._answer_service_alert = answer_service_alert

    @property
    def _settings(self):
        return self.branch.config.complaints

    def _today(self, now: datetime) -> date:
        return now.astimezone(self.branch.config.branch.zone).date()

    def _opens_on(self, day: date) -> bool:
        return self.branch.config.branch.hours_on(day.weekday()) is not None

    def view(self, conn: sqlite3.Connection, row: sqlite3.Row, now: datetime, contact_visible: bool = False) -> ComplaintView:
        names = roster.names(conn)
        opened_at = datetime.fromisoformat(row["opened_at"])
        deadline = datetime.fromisoformat(row["resolve_by"])
        ack_target = timedelta(minutes=self._settings.ack_target_min)
        steps = stored.steps(conn, row["complaint_id"])
        acked = next((datetime.fromisoformat(s["at"]) for s in steps if s["state"] == ComplaintState.ACKNOWLEDGED), None)
        return ComplaintView(
            complaint_id=row["complaint_id"], state=row["state"], category=row["category"], said=row["said"],
            ticket=rows.label_of(conn, row["ticket_id"]) if row["ticket_id"] else None, service_alert_id=row["service_alert_id"],
            opened_at=opened_at, opened_by=row["opened_by"], opened_by_name=names.get(row["opened_by"], row["opened_by"]),
            ack_by=opened_at + ack_target, resolve_by=deadline,
            overdue=overdue(ComplaintState(row["state"]), opened_at, acked, deadline, ack_target, now),
            steps=[ComplaintStep(state=s["state"], at=datetime.fromisoformat(s["at"]), by=s["by"], by_name=names.get(s["by"], s["by"]),
                                 note=s["note"]) for s in steps],
            contact_masked=mask_phone(row["contact"]), contact=row["contact"] if contact_visible else None,
        )

    def _announce(self, conn: sqlite3.Connection, complaint_id: str, now: datetime) -> ComplaintView:
        row = stored.find(conn, complaint_id)
        assert row is not None
        outbox.enqueue(conn, ComplaintEvent(complaint=self.view(conn, row, now), at=now), now)
        return self.view(conn, row, now, contact_visible=True)

    def open(self, session: str, category: str, said: str, ticket: str | None, service_alert_id: str | None, contact: str | None,
             consent: bool, transaction: str | None = None) -> ComplaintAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> ComplaintAnswer:
            actor = self.branch.actor(conn, now, session, "complaint_open")
            assert actor is not None
            known = [c.code for c in self._settings.categories]
            if category not in known:
                raise QueueError(ErrorCode.UNKNOWN_CATEGORY, f"'{category}' is not a complaint category; the categories are: {', '.join(known)}.")
            if contact and not consent:
                raise QueueError(ErrorCode.CONSENT_REQUIRED, "A contact is kept only when the customer agrees: tick the consent box, or leave it out.")
            ticket_id = None
            if ticket is not None:
                found = rows.find_by_label(conn, self._today(now), ticket)
                if found is None:
                    raise QueueError(ErrorCode.UNKNOWN_TICKET, f"There is no ticket {ticket} today.")
                ticket_id = found.id
            if service_alert_id is not None:
                alert = ratings.find_service_alert(conn, service_alert_id)
                if alert is None:
                    raise QueueError(ErrorCode.UNKNOWN_SERVICE_ALERT, f"There is no service alert {service_alert_id}.")
                ticket_id = ticket_id or alert["ticket_id"]
                if alert["acked_at"] is None:  # one tap: the alert is answered by the complaint
                    self._answer_service_alert(conn, now, service_alert_id, actor.staff_id, "", "complaint")
            complaint_id = uuid.uuid4().hex
            stored.insert(conn, {
                "complaint_id": complaint_id, "business_day": self._today(now).isoformat(), "opened_at": now.isoformat(),
                "opened_by": actor.staff_id, "category": category, "said": said, "ticket_id": ticket_id,
                "service_alert_id": service_alert_id, "contact": contact, "state": ComplaintState.OPEN.value,
                "resolve_by": resolve_by(now.astimezone(self.branch.config.branch.zone), self._settings.resolve_target_days, self._opens_on).isoformat(),
            })
            stored.add_step(conn, complaint_id, now, actor.staff_id, ComplaintState.OPEN.value, said)
            return ComplaintAnswer(complaint=self._announce(conn, complaint_id, now))

        return self.branch.perform("complaint_open", transaction, action)

    def update(self, session: str, complaint_id: str, to: str, note: str, transaction: str | None = None) -> ComplaintAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> ComplaintAnswer:
            actor = self.branch.actor(conn, now, session, "complaint_update")
            assert actor is not None
            row = stored.find(conn, complaint_id)
            if row is None:
                raise QueueError(ErrorCode.UNKNOWN_COMPLAINT, f"There is no complaint {complaint_id}.")
            advance(ComplaintState(row["state"]), ComplaintState(to))
            stored.add_step(conn, complaint_id, now, actor.staff_id, to, note)
            return ComplaintAnswer(complaint=self._announce(conn, complaint_id, now))

        return self.branch.perform("complaint_update", transaction, action)

    def listing(self, session: str) -> ComplaintListAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> ComplaintListAnswer:
            self.branch.actor(conn, now, session, "complaint_list")
            return ComplaintListAnswer(complaints=[self.view(conn, r, now, contact_visible=True) for r in stored.for_tablet(conn, self._today(now))])

        return self.branch.perform("complaint_list", None, action)
