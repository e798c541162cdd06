"""转介 and 跟进: referrals from the counter and the lobby, the RM's acceptance and outcome,
and prospects (潜在客户) marked by staff. Runs inside Branch's transactions.

Who may do what is checked twice: the broker's ACL keeps each role's page to its own
requests, and here each request must carry a sign-in of the right kind (desks/staff.py).
A phone number leaves the agent only in the RM's own `referral_list`; events and stored
answers carry it masked.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import date, datetime

from edge_agent.desks.work import BranchWork
from edge_agent.queue.engine import QueueError
from edge_agent.queue.model import Ticket
from edge_agent.rules.referrals import OutcomeForm, advance, check_outcome
from edge_agent.store import outbox
from edge_agent.store import referrals as stored
from edge_agent.store import staff as roster
from edge_agent.store import tickets as rows
from edge_agent.store.alerts import find_alert
from edge_agent.store.directory import find_customer
from edge_agent.store.staff import Session
from lobby.contract import ErrorCode, ProspectAnswer, ReferralAnswer, ReferralEvent, ReferralListAnswer, ReferralState, ReferralView, Tier
from lobby.phones import mask_phone


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def view(row: sqlite3.Row, names: dict[str, str], phone_visible: bool = False) -> ReferralView:
    return ReferralView(
        referral_id=row["referral_id"], state=row["state"], source=row["source"], created_at=datetime.fromisoformat(row["created_at"]),
        ticket=row["ticket_id"].split("-", 1)[1] if row["ticket_id"] else None, alert_id=row["alert_id"],
        customer_name=row["customer_name"], tier=Tier(row["tier"]), triggers=stored.triggers_of(row), note=row["note"],
        referrer=row["referrer"], referrer_name=names.get(row["referrer"], row["referrer"]), destination=row["destination"],
        to_rm=row["to_rm"], to_rm_name=names.get(row["to_rm"]) if row["to_rm"] else None,
        accepted_by=row["accepted_by"], accepted_by_name=names.get(row["accepted_by"]) if row["accepted_by"] else None,
        accepted_at=_dt(row["accepted_at"]), outcome_at=_dt(row["outcome_at"]), product=row["product"],
        follow_up_on=date.fromisoformat(row["follow_up_on"]) if row["follow_up_on"] else None, channel=row["channel"],
        meets_criteria=None if row["meets_criteria"] is None else bool(row["meets_criteria"]), outcome_note=row["outcome_note"],
        phone_masked=mask_phone(row["phone"]), phone=row["phone"] if phone_visible else None,
    )


class ReferralDesk:
    def __init__(self, branch: BranchWork):
        self.branch = branch

    def _today(self, now: datetime) -> date:
        return now.astimezone(self.branch.config.branch.zone).date()

    def _announce(self, conn: sqlite3.Connection, referral_id: str, now: datetime) -> ReferralView:
        """The referral as it now stands, told to the RM pages, the manager tablets and head office."""
        row = stored.find(conn, referral_id)
        assert row is not None
        shown = view(row, roster.names(conn))
        outbox.enqueue(conn, ReferralEvent(referral=shown, at=now), now)
        return shown

    # ---- 转介: making a referral -------------------------------------------------------------

    def refer(
        self, session: str, ticket: str | None, alert_id: str | None, to_rm: str | None, destination: str,
        triggers: list[str], note: str, customer_name: str, transaction: str | None = None,
    ) -> ReferralAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> ReferralAnswer:
            actor = self.branch.actor(conn, now, session, "refer")
            assert actor is not None
            if (ticket is None) == (alert_id is None):
                raise QueueError(ErrorCode.INVALID, "Refer either a ticket (the customer at the counter) or a VIP alert, not both or neither.")
            unknown = [code for code in triggers if self.branch.config.referrals.trigger(code) is None]
            if unknown:
                known = ", ".join(t.code for t in self.branch.config.referrals.triggers)
                raise QueueError(ErrorCode.UNKNOWN_TRIGGER, f"Unknown trigger(s) {', '.join(unknown)}; the triggers are: {known}.")
            if ticket is not None and not triggers and not note:
                raise QueueError(ErrorCode.INVALID, "Say why: tick at least one sign from the list, or write a note.")
            if to_rm is not None and to_rm not in dict(roster.active_rms(conn)):
                raise QueueError(ErrorCode.UNKNOWN_RM, f"There is no relationship manager '{to_rm}' on the roster; leave it empty for the RM pool.")
            referred = self._referred_ticket(conn, now, ticket) if ticket is not None else self._alert_ticket(conn, now, alert_id, actor)
            if stored.for_ticket(conn, referred.id) is not None:
                raise QueueError(ErrorCode.ALREADY_REFERRED, f"{referred.label} has already been referred today.")
            customer = find_customer(self.branch.store, referred.customer_token) if referred.customer_token else None
            referral_id = uuid.uuid4().hex
            stored.insert(conn, {
                "referral_id": referral_id, "business_day": self._today(now).isoformat(), "created_at": now.isoformat(),
                "source": "counter" if ticket is not None else "vip_alert", "ticket_id": referred.id, "alert_id": alert_id,
                "customer_token": referred.customer_token, "customer_name": customer_name or (customer.display_name if customer else ""),
                "tier": referred.tier.value, "triggers": triggers, "note": note, "referrer": actor.staff_id, "destination": destination,
                "to_rm": to_rm, "state": ReferralState.OPEN.value,
            })
            rows.record_event(conn, referred.id, "referred", now, referred.counter, {"by": actor.staff_id, "referral": referral_id})
            return ReferralAnswer(referral=self._announce(conn, referral_id, now))

        return self.branch.perform("refer", transaction, action)

    def for_appointment(
        self, conn: sqlite3.Connection, now: datetime, ticket_id: str, tier: Tier, rm: str, customer_name: str, note: str
    ) -> None:
        """A customer who booked with an RM checked in: the RM's workbench gets them as a referral
        (to the RM pool when that RM is not on this branch's roster)."""
        to_rm = rm if rm in dict(roster.active_rms(conn)) else None
        referral_id = uuid.uuid4().hex
        stored.insert(conn, {
            "referral_id": referral_id, "business_day": self._today(now).isoformat(), "created_at": now.isoformat(),
            "source": "appointment", "ticket_id": ticket_id, "alert_id": None, "customer_token": None,
            "customer_name": customer_name, "tier": tier.value, "triggers": [], "note": note, "referrer": "appointment",
            "destination": "rm", "to_rm": to_rm, "state": ReferralState.OPEN.value,
        })
        rows.record_event(conn, ticket_id, "referred", now, None, {"by": "appointment", "referral": referral_id})
        self._announce(conn, referral_id, now)

    def _referred_ticket(self, conn: sqlite3.Connection, now: datetime, label: str) -> Ticket:
        found = rows.find_by_label(conn, self._today(now), label)
        if found is None:
            raise QueueError(ErrorCode.UNKNOWN_TICKET, f"There is no ticket {label} today.")
        if not found.is_open:
            raise QueueError(ErrorCode.TICKET_FINISHED, f"{label} is finished ({found.state.value}): refer the customer while they are still here.")
        return found

    def _alert_ticket(self, conn: sqlite3.Connection, now: datetime, alert_id: str | None, actor: Session) -> Ticket:
        assert alert_id is not None
        alert = find_alert(conn, alert_id)
        if alert is None:
            raise QueueError(ErrorCode.UNKNOWN_ALERT, f"There is no alert {alert_id}; it may belong to another branch.")
        if stored.for_alert(conn, alert_id) is not None:
            raise QueueError(ErrorCode.ALREADY_REFERRED, "This VIP has already been referred.")
        if alert.acked_at is None:  # "referred to RM" is the alert's answer
            self.branch.answer_alert(conn, now, alert_id, actor.staff_id, "referred")
        found = rows.find(conn, alert.ticket_id)
        assert found is not None, "an alert's ticket is written with it"
        return found

    # ---- the RM: accepting and recording the outcome ----------------------------------------

    def _rm_referral(self, conn: sqlite3.Connection, now: datetime, op: str, session: str, referral_id: str) -> tuple[Session, sqlite3.Row]:
        actor = self.branch.actor(conn, now, session, op)
        assert actor is not None
        row = stored.find(conn, referral_id)
        if row is None:
            raise QueueError(ErrorCode.UNKNOWN_REFERRAL, f"There is no referral {referral_id}.")
        return actor, row

    def accept(self, session: str, referral_id: str, transaction: str | None = None) -> ReferralAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> ReferralAnswer:
            actor, row = self._rm_referral(conn, now, "referral_accept", session, referral_id)
            names = roster.names(conn)
            if row["to_rm"] and row["to_rm"] != actor.staff_id:
                raise QueueError(ErrorCode.NOT_YOUR_REFERRAL, f"This referral is addressed to {names.get(row['to_rm'], row['to_rm'])}.")
            if row["state"] != ReferralState.OPEN:
                who = names.get(row["accepted_by"], row["accepted_by"])
                raise QueueError(ErrorCode.REFERRAL_TAKEN, f"{who} already accepted this referral at {row['accepted_at'][11:16]}.")
            advance(ReferralState(row["state"]), ReferralState.ACCEPTED)
            stored.update(conn, referral_id, state=ReferralState.ACCEPTED.value, accepted_by=actor.staff_id, accepted_at=now.isoformat())
            return ReferralAnswer(referral=self._announce(conn, referral_id, now))

        return self.branch.perform("referral_accept", transaction, action)

    def record_outcome(self, session: str, referral_id: str, form: OutcomeForm, meets_criteria: bool | None, note: str,
                       transaction: str | None = None) -> ReferralAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> ReferralAnswer:
            actor, row = self._rm_referral(conn, now, "referral_outcome", session, referral_id)
            state = ReferralState(row["state"])
            if state is not ReferralState.OPEN and row["accepted_by"] != actor.staff_id:
                who = roster.names(conn).get(row["accepted_by"], row["accepted_by"])
                raise QueueError(ErrorCode.NOT_YOUR_REFERRAL, f"{who} accepted this referral; only they record what came of it.")
            advance(state, form.outcome)
            check_outcome(form, self._today(now))
            fields: dict[str, object] = {"state": form.outcome.value, "outcome_at": now.isoformat(), "outcome_note": note}
            if meets_criteria is not None:
                fields["meets_criteria"] = int(meets_criteria)
            if form.product:
                fields["product"] = form.product
            if form.outcome is ReferralState.FOLLOW_UP:
                fields |= {"follow_up_on": form.follow_up_on.isoformat() if form.follow_up_on else None, "channel": form.channel}
                if form.phone:
                    fields["phone"] = form.phone
            stored.update(conn, referral_id, **fields)
            return ReferralAnswer(referral=self._announce(conn, referral_id, now))

        return self.branch.perform("referral_outcome", transaction, action)

    def listing(self, session: str) -> ReferralListAnswer:
        """Read-only, but it is a person's activity: it keeps their sign-in alive."""

        def action(conn: sqlite3.Connection, now: datetime) -> ReferralListAnswer:
            actor = self.branch.actor(conn, now, session, "referral_list")
            assert actor is not None
            names = roster.names(conn)
            today = stored.of_day(conn, self._today(now))
            if actor.page == "manager":
                return ReferralListAnswer(referrals=[view(r, names) for r in today], follow_ups=[])
            mine = [r for r in today if r["to_rm"] in (None, actor.staff_id) or r["accepted_by"] == actor.staff_id]
            follow_ups = stored.open_follow_ups(conn, self._today(now), rm=actor.staff_id)
            return ReferralListAnswer(
                referrals=[view(r, names, phone_visible=r["accepted_by"] == actor.staff_id) for r in mine],
                follow_ups=[view(r, names, phone_visible=True) for r in follow_ups],
            )

        return self.branch.perform("referral_list", None, action)

    # ---- 潜在客户: prospects ---------------------------------------------------------------------

    def mark_prospect(self, session: str, ticket: str, reason: str, customer_name: str, transaction: str | None = None) -> ProspectAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> ProspectAnswer:
            actor, carded = self._carded(conn, now, "prospect_mark", session, ticket)
            assert carded.customer_token is not None
            customer = find_customer(self.branch.store, carded.customer_token)
            if customer is not None and customer.tier is Tier.VIP:
                raise QueueError(ErrorCode.ALREADY_VIP, f"The customer of {ticket} is already a VIP customer.")
            name = customer_name or (customer.display_name if customer else "")
            stored.mark_prospect(conn, carded.customer_token, name, reason, actor.staff_id, now)
            rows.record_event(conn, carded.id, "prospect_marked", now, carded.counter, {"by": actor.staff_id, "reason": reason})
            return ProspectAnswer(ticket=ticket, tier=Tier.PROSPECT, prospect=True, by=actor.staff_id)

        return self.branch.perform("prospect_mark", transaction, action)

    def unmark_prospect(self, session: str, ticket: str, transaction: str | None = None) -> ProspectAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> ProspectAnswer:
            actor, carded = self._carded(conn, now, "prospect_unmark", session, ticket)
            assert carded.customer_token is not None
            if not stored.unmark_prospect(conn, carded.customer_token):
                raise QueueError(ErrorCode.NOT_A_PROSPECT, f"The customer of {ticket} is not marked as a prospect.")
            rows.record_event(conn, carded.id, "prospect_unmarked", now, carded.counter, {"by": actor.staff_id})
            customer = find_customer(self.branch.store, carded.customer_token)
            return ProspectAnswer(ticket=ticket, tier=customer.tier if customer else Tier.MASS, prospect=False, by=actor.staff_id)

        return self.branch.perform("prospect_unmark", transaction, action)

    def _carded(self, conn: sqlite3.Connection, now: datetime, op: str, session: str, label: str) -> tuple[Session, Ticket]:
        """The person acting, and today's ticket `label` of a customer who swiped a card."""
        actor = self.branch.actor(conn, now, session, op)
        assert actor is not None
        found = rows.find_by_label(conn, self._today(now), label)
        if found is None:
            raise QueueError(ErrorCode.UNKNOWN_TICKET, f"There is no ticket {label} today.")
        if found.customer_token is None:
            raise QueueError(ErrorCode.NO_CARD, f"The customer of {label} did not swipe a card: there is nothing to recognise next time.")
        return actor, found
