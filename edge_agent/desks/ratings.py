"""服务评价 and 服务补救: the rating prompt at each counter, the customer's vote, and the
service alert a low score raises on the lobby manager's tablet. Runs inside the branch's
transactions (BranchWork.perform).

A prompt opens when a teller completes a ticket (`open_prompt`, called by the branch) and
closes when the customer votes, the counter calls its next ticket, or `[ratings] prompt_s`
pass. A vote the rules refuse is recorded as refused, with its code, before it is answered.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from datetime import datetime, timedelta

from edge_agent.desks.work import BranchWork
from edge_agent.queue.engine import QueueError
from edge_agent.queue.model import Ticket
from edge_agent.rules.ratings import check_vote, is_low
from edge_agent.store import outbox
from edge_agent.store import ratings as stored
from edge_agent.store import staff as roster
from edge_agent.store import tickets as rows
from lobby.contract import AlertAnsweredEvent, ErrorCode, RateAnswer, RatingPromptEvent, ServiceAlert, ServiceAlertAckAnswer

log = logging.getLogger(__name__)


class RatingDesk:
    def __init__(self, branch: BranchWork):
        self.branch = branch

    @property
    def _settings(self):
        return self.branch.config.ratings

    def _event(self, conn: sqlite3.Connection, row: sqlite3.Row, state: str, now: datetime) -> RatingPromptEvent:
        staff_id = row["staff_id"]
        return RatingPromptEvent(
            prompt_id=row["prompt_id"], state=state, ticket=rows.label_of(conn, row["ticket_id"]), counter=row["counter"],
            service=row["service"], staff_id=staff_id, staff_name=roster.names(conn).get(staff_id) if staff_id else None,
            scale=self._settings.scale, opened_at=datetime.fromisoformat(row["opened_at"]),
            closes_at=datetime.fromisoformat(row["closes_at"]), close_reason=row["close_reason"], at=now,
        )

    def _close(self, conn: sqlite3.Connection, open_rows: list[sqlite3.Row], now: datetime, reason: str) -> None:
        for row in open_rows:
            stored.close(conn, row["prompt_id"], now, reason)
            closed = stored.find(conn, row["prompt_id"])
            assert closed is not None
            outbox.enqueue(conn, self._event(conn, closed[1], "closed", now), now)

    # ---- called by the branch, inside its transactions ----------------------------------------

    def open_prompt(self, conn: sqlite3.Connection, now: datetime, ticket: Ticket, counter: str, staff_id: str | None) -> None:
        """The teller completed `ticket`: the rating screen at `counter` asks the customer."""
        if not self._settings.enabled:
            return
        self._close(conn, stored.open_at(conn, counter), now, "next_call")
        prompt_id = uuid.uuid4().hex
        stored.insert_prompt(conn, prompt_id, ticket.id, counter, staff_id, ticket.service, now, now + timedelta(seconds=self._settings.prompt_s))
        found = stored.find(conn, prompt_id)
        assert found is not None
        outbox.enqueue(conn, self._event(conn, found[1], "open", now), now)

    def counter_moves_on(self, conn: sqlite3.Connection, now: datetime, counter: str) -> None:
        """The counter called its next ticket: the last customer's prompt closes unanswered."""
        self._close(conn, stored.open_at(conn, counter), now, "next_call")

    def close_timed_out(self) -> int:
        """Housekeeping: prompts whose time is up are closed (skipped)."""
        with self.branch.store.write() as conn:
            now = self.branch.clock()
            due = [row for row in stored.open_at(conn) if datetime.fromisoformat(row["closes_at"]) <= now]
            self._close(conn, due, now, "timeout")
        return len(due)

    # ---- request/rate ---------------------------------------------------------------------------

    def rate(self, counter: str, prompt_id: str, score: int, reasons: list[str], transaction: str | None = None) -> RateAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> RateAnswer:
            found = stored.find(conn, prompt_id)
            try:
                if found is None:
                    raise QueueError(ErrorCode.UNKNOWN_PROMPT, "There is no such rating prompt: the screen may be out of date.")
                prompt, row = found
                known = {reason.code for reason in self._settings.reasons}
                check_vote(prompt, counter, score, reasons, self._settings.scale, known, now)
            except QueueError as refused:
                # Kept with the refusal's answer: the transaction commits before the error is raised on.
                stored.record_refusal(conn, now, counter, prompt_id, refused.code.value)
                log.info("a vote at counter %s was refused (%s)", counter, refused.code.value)
                raise
            stored.record_vote(conn, prompt_id, score, reasons, now)
            voted = stored.find(conn, prompt_id)
            assert voted is not None
            outbox.enqueue(conn, self._event(conn, voted[1], "closed", now), now)
            low = is_low(score, self._settings.low_score)
            label = rows.label_of(conn, row["ticket_id"])
            if low:
                alert_id = uuid.uuid4().hex
                stored.raise_service_alert(conn, alert_id, prompt_id, now)
                staff_id = row["staff_id"]
                outbox.enqueue(conn, ServiceAlert(
                    event_id=alert_id, ticket=label, ticket_id=row["ticket_id"], counter=counter, service=row["service"],
                    staff_id=staff_id, staff_name=roster.names(conn).get(staff_id) if staff_id else None, score=score,
                    scale=self._settings.scale, reasons=reasons, rated_at=now,
                ), now)
            return RateAnswer(prompt_id=prompt_id, ticket=label, score=score, low=low)

        return self.branch.perform("rate", transaction, action)

    # ---- the lobby manager's answer to a low score ------------------------------------------------

    def acknowledge(self, session: str, alert_id: str, note: str, transaction: str | None = None) -> ServiceAlertAckAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> ServiceAlertAckAnswer:
            actor = self.branch.actor(conn, now, session, "service_alert_ack")
            assert actor is not None
            return self.answer_alert(conn, now, alert_id, actor.staff_id, note, "acknowledged")

        return self.branch.perform("service_alert_ack", transaction, action)

    def answer_alert(self, conn: sqlite3.Connection, now: datetime, alert_id: str, by: str, note: str, outcome: str) -> ServiceAlertAckAnswer:
        """Inside the caller's transaction; `outcome` is "acknowledged" or "complaint"."""
        alert = stored.find_service_alert(conn, alert_id)
        if alert is None:
            raise QueueError(ErrorCode.UNKNOWN_SERVICE_ALERT, f"There is no service alert {alert_id}.")
        if alert["acked_at"]:
            who = roster.names(conn).get(alert["acked_by"], alert["acked_by"])
            raise QueueError(ErrorCode.SERVICE_ALERT_ALREADY_ACKNOWLEDGED, f"{who} already answered this alert at {alert['acked_at'][11:16]}.")
        stored.acknowledge_service_alert(conn, alert_id, by, note, now)
        after_s = round((now - datetime.fromisoformat(alert["raised_at"])).total_seconds())
        outbox.enqueue(conn, AlertAnsweredEvent(
            kind="service", alert_id=alert_id, ticket=rows.label_of(conn, alert["ticket_id"]), ticket_id=alert["ticket_id"],
            outcome=outcome, by=by, at=now, after_s=after_s,
        ), now)
        return ServiceAlertAckAnswer(alert_id=alert_id, by=by, after_s=after_s)
