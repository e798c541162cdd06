"""The branch: the queue engine made durable. Where a ticket is born, changed and told about.

Each operation runs in one SQLite transaction that holds the write lock from its start:
1. a repeated `transaction` id returns the first answer and changes nothing;
2. if another process committed since we last looked, the engine is rebuilt from the store;
3. the engine applies the operation (or refuses it with a QueueError);
4. the changed ticket and counter, the lifecycle event, the outbox events and the answer
   are written, and committed together.
Nobody is told anything before step 4 commits: the outbox is published afterwards.

One file because it is the transaction every ticket and counter operation shares; other kinds of request are desks.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from edge_agent import events
from edge_agent.desks.appointments import AppointmentDesk
from edge_agent.desks.complaints import ComplaintDesk
from edge_agent.desks.promotions import PromotionDesk
from edge_agent.desks.ratings import RatingDesk
from edge_agent.desks.referrals import ReferralDesk
from edge_agent.desks.staff import StaffDesk
from edge_agent.desks.waits import WaitDesk
from edge_agent.desks.work import Clock
from edge_agent.queue.day_end import day_end
from edge_agent.queue.engine import QueueEngine, QueueError
from edge_agent.queue.model import CounterSpec, ServiceSpec, Ticket, WorkProfile
from edge_agent.store import alerts, outbox, transactions, waits
from edge_agent.store import tickets as rows
from edge_agent.store.db import Store
from edge_agent.store.directory import Customer, TierThresholds, find_customer
from edge_agent.store.staff import Session
from lobby.config import BranchConfig
from lobby.contract import (
    OPERATIONS,
    AlertAckAnswer,
    Answer,
    CalledAnswer,
    CardholderAnswer,
    CardIdentity,
    CounterAnswer,
    ErrorCode,
    Event,
    ProfileKind,
    QueueState,
    ReplayAnswer,
    ReplayedEvent,
    TicketAnswer,
    TicketState,
    TicketSummary,
    Tier,
    TransferAnswer,
)
from lobby.ticket_link import TicketClaim, load_or_create_signer

log = logging.getLogger(__name__)

A = TypeVar("A", bound=Answer)


def tier_thresholds(config: BranchConfig) -> TierThresholds:
    order = [Tier.VIP, Tier.POTENTIAL, Tier.PROSPECT, Tier.MASS]
    rules = tuple((tier, config.tiers[tier].min_assets, config.tiers[tier].min_loans) for tier in order if tier in config.tiers)
    names: dict[str, Tier] = {}
    for tier, rule in config.tiers.items():
        for name in (tier.value, rule.name_zh, rule.name_en):
            names[name.lower()] = tier
    return TierThresholds(rules, names)


def queue_setup(config: BranchConfig) -> tuple[list[ServiceSpec], list[CounterSpec], list[WorkProfile]]:
    """The queue's services, counters and work profiles as the branch configuration sets them."""
    services = [
        ServiceSpec(s.id, s.prefix, s.target_wait_min * 60, s.default_service_min * 60, name=s.name_en) for s in config.services
    ]
    counters = [CounterSpec(c.id, tuple(c.services), c.profile, name=c.name_en) for c in config.counters]
    profiles = [
        WorkProfile(
            id=pid, kind=ProfileKind(p.kind), priority_tiers=frozenset(p.priority_tiers), ratio=p.ratio,
            tier_rates=dict(p.tier_rates), cap_past_target_s=p.cap_past_target_min * 60,
        )
        for pid, p in config.profiles.items()
    ]
    return services, counters, profiles


def build_engine(config: BranchConfig, store: Store) -> QueueEngine:
    """The engine as the store says it stands: open tickets, counters, today's numbers."""
    services, counters, profiles = queue_setup(config)
    conn = store.conn
    engine = QueueEngine.restore(
        services, counters, profiles, config.branch.zone,
        tickets=rows.load_open_tickets(conn),
        counter_states=rows.load_counter_states(conn),
        last_numbers=rows.load_last_numbers(conn),
    )
    configured = {s.id for s in config.services}
    for service, seconds in rows.recent_service_times(conn):
        if service in configured:
            engine.observe(service, seconds)
    if engine.business_day is not None:
        for service, called_at, waited_s in rows.calls_of_day(conn, engine.business_day):
            if service in configured:
                engine.remember_call(service, called_at, waited_s)
    return engine


class Branch:
    def __init__(self, config: BranchConfig, store: Store, clock: Clock | None = None):
        self.config = config
        self.store = store
        self.clock = clock or (lambda: datetime.now(config.branch.zone))
        self.engine = build_engine(config, store)
        self._seen_version = store.data_version()
        self._stale = False
        self._clock_warned: set[tuple[date, date]] = set()
        self.staff = StaffDesk(self)
        self.referrals = ReferralDesk(self)
        self.promotions = PromotionDesk(self)
        self.ratings = RatingDesk(self)
        self.complaints = ComplaintDesk(self, self.ratings.answer_alert)
        self.appointments = AppointmentDesk(self)
        self.waits = WaitDesk(config, store)
        public_url = config.head_office.public_url
        self.links = load_or_create_signer(config.head_office.link_key_file, public_url) if public_url else None

    @classmethod
    def open(cls, config: BranchConfig, clock: Clock | None = None) -> Branch:
        return cls(config, Store(config.store.path), clock)

    def close(self) -> None:
        self.waits.stop()
        self.store.close()

    # ---- the transaction every operation goes through ----------------------------------

    def perform(self, op: str, transaction: str | None, action: Callable[[sqlite3.Connection, datetime], A]) -> A:
        now = self.clock()
        refusal: QueueError | None = None
        try:
            with self.store.write() as conn:
                if transaction is not None:
                    first = transactions.find_answer(conn, transaction)
                    if first is not None:
                        return _replay(op, transaction, first)
                self._sync()
                self._expire_ended_days(conn, now)
                try:
                    data = action(conn, now)
                    answer: dict[str, Any] = {"status": "ok", "data": data.model_dump(mode="json")}
                except QueueError as exc:  # the engine refused and changed nothing
                    refusal = exc
                    answer = {"status": "error", "code": exc.code.value, "error": exc.message, "data": exc.detail}
                if transaction is not None:
                    transactions.save_answer(conn, transaction, op, answer, now)
        except BaseException:
            # The engine may be ahead of what was committed: rebuild it before the next use.
            self._stale = True
            raise
        if refusal is not None:
            raise refusal
        return data

    # ---- the end of a business day ------------------------------------------------------

    def _ends(self, ticket: Ticket) -> datetime:
        branch = self.config.branch
        return day_end(ticket.business_day, ticket.issued_at, branch.hours_on, timedelta(minutes=branch.close_grace_min), branch.zone)

    def _expire_ended_days(self, conn: sqlite3.Connection, now: datetime) -> list[Ticket]:
        """Inside the caller's transaction: tickets whose business day is over are closed with
        their own event, before anything else is done (tomorrow's A001 never waits behind them)."""
        expired = self.engine.expire(now, self._ends)
        for ticket in expired:
            rows.save_ticket(conn, ticket)
            rows.record_event(conn, ticket.id, "expired", now, ticket.counter, {})
            outbox.enqueue(conn, events.expired(ticket, now), now)
            if ticket.counter is not None:
                rows.save_counter(conn, self.engine.counter(ticket.counter))
        if expired:
            log.info("closed %d ticket(s) left open when their business day ended: %s", len(expired),
                     ", ".join(t.label for t in expired[:20]))
        return expired

    def close_ended_days(self) -> int:
        """The agent's housekeeping: expire what is due even when nobody asks for anything."""
        try:
            with self.store.write() as conn:
                self._sync()
                expired = self._expire_ended_days(conn, self.clock())
        except BaseException:
            self._stale = True
            raise
        return len(expired)

    def _check_open(self, now: datetime) -> None:
        branch = self.config.branch
        local = now.astimezone(branch.zone)
        hours = branch.hours_on(local.weekday())
        if branch.tickets_outside_hours or (hours is not None and hours[0] <= local.time() < hours[1]):
            return
        when = f"today's hours are {hours[0]:%H:%M}-{hours[1]:%H:%M}" if hours else "it is closed all day today"
        raise QueueError(ErrorCode.BRANCH_CLOSED, f"The branch is closed now ({when}): no tickets are issued.")

    def _check_clock(self, now: datetime) -> None:
        """The business day never moves back (engine.issue); a clock or time zone that was
        ahead for a while leaves it in the future, which a technician must hear about."""
        today = now.astimezone(self.config.branch.zone).date()
        day = self.engine.business_day
        if day is not None and day > today and (day, today) not in self._clock_warned:
            self._clock_warned.add((day, today))
            log.error(
                "the clock says %s but tickets were already numbered for %s: the clock or [branch] timezone was "
                "wrong at some point. Numbering carries on from %s's numbers so none repeats; check the time "
                "(timedatectl) and the time zone, and expect today's numbers to continue yesterday's", today, day, day,
            )

    def _sync(self) -> None:
        version = self.store.data_version()
        if self._stale or version != self._seen_version:
            self.engine = build_engine(self.config, self.store)
            self._seen_version = version
            self._stale = False

    # ---- customers ---------------------------------------------------------------------

    def issue_ticket(
        self,
        service: str,
        tier: Tier | str = Tier.MASS,
        card: CardIdentity | None = None,
        lang: str = "zh",
        kiosk: str | None = None,
        transaction: str | None = None,
    ) -> TicketAnswer:
        """`tier` is for a technician's test tickets; with a card, the directory decides."""

        def action(conn: sqlite3.Connection, now: datetime) -> TicketAnswer:
            customer: Customer | None = find_customer(self.store, card.token) if card else None
            ticket_tier = customer.tier if customer else (Tier.MASS if card else Tier(tier))
            self._check_offered(service, ticket_tier)
            return self.issue_in(conn, now, service, ticket_tier, card=card, customer=customer, kiosk=kiosk, lang=lang)

        return self.perform("ticket", transaction, action)

    def issue_in(
        self, conn: sqlite3.Connection, now: datetime, service: str, tier: Tier, *, card: CardIdentity | None = None,
        customer: Customer | None = None, kiosk: str | None = None, lang: str = "zh", appointment_at: datetime | None = None,
    ) -> TicketAnswer:
        """A new ticket inside the caller's transaction: a tap, a swipe or a booking's check-in."""
        self._check_open(now)
        self._check_clock(now)
        ticket = self.engine.issue(service, tier, now, customer_token=card.token if card else None, appointment_at=appointment_at)
        situation = self.engine.ticket_situation(ticket.id, now)
        ahead = situation.ahead
        [estimate] = self.waits.predict([situation])
        rows.save_ticket(conn, ticket)
        waits.save_situation(conn, ticket.id, ticket.business_day, situation, self.waits.name, estimate)
        rows.set_ticket_details(conn, ticket.id, card.masked_pan if card else None, kiosk, lang)
        rows.save_last_number(conn, ticket.business_day, ticket.original_service, ticket.number)
        rows.record_event(conn, ticket.id, "issued", now, None, {"ahead": ahead, "kiosk": kiosk})
        arrival = events.arrival(ticket, ahead, estimate, kiosk, card)
        outbox.enqueue(conn, arrival, now)
        alert = None
        if customer and customer.tier in self.config.alert_tiers and card:
            alert = events.vip_alert(ticket, customer, card)
            outbox.enqueue(conn, alert, now)
            alerts.raise_alert(conn, alert.event_id, ticket.id, customer.tier, now)
        answer = events.ticket_answer(ticket, ahead, estimate, customer, alert, self.config)
        if self.links is not None:
            claim = TicketClaim(self.config.branch.id, ticket.id, ticket.service, self._ends(ticket))
            answer = answer.model_copy(update={"link": self.links.link(claim)})
        return answer

    def identify_card(self, card: CardIdentity) -> CardholderAnswer:
        """The kiosk's greeting after a swipe: read-only, so it is not kept as a transaction."""
        return events.cardholder_answer(find_customer(self.store, card.token), card, self.config)

    def _check_offered(self, service_id: str, tier: Tier) -> None:
        service = next((s for s in self.config.services if s.id == service_id), None)
        if service is not None and service.tiers and tier not in service.tiers:
            raise QueueError(
                ErrorCode.SERVICE_NOT_OFFERED,
                f"{service.name_en} ({service.name_zh}) is offered to {', '.join(t.value for t in service.tiers)} customers only; "
                "please choose another service or ask the lobby manager.",
            )

    # ---- tellers -----------------------------------------------------------------------

    def _teller(self, conn: sqlite3.Connection, now: datetime, op: str, session: str | None, counter: str | None) -> str | None:
        """Who acts at this counter (None: the branch has no roster). Checked before the
        engine changes anything, so a refusal leaves it as the store has it."""
        actor = self.actor(conn, now, session, op, counter)
        return actor.staff_id if actor else None

    def call_next(self, counter: str, transaction: str | None = None, session: str | None = None) -> CalledAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> CalledAnswer:
            by = self._teller(conn, now, "call_next", session, counter)
            called = self.engine.call_next(counter, now)
            self.ratings.counter_moves_on(conn, now, counter)
            return self._called(conn, called, counter, now, recall=False, by=by)

        return self.perform("call_next", transaction, action)

    def recall(self, counter: str, ticket: str | None = None, transaction: str | None = None, session: str | None = None) -> CalledAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> CalledAnswer:
            by = self._teller(conn, now, "recall", session, counter)
            called = self.engine.recall(counter, now, expect_label=ticket)
            return self._called(conn, called, counter, now, recall=True, by=by)

        return self.perform("recall", transaction, action)

    def _called(self, conn: sqlite3.Connection, ticket: Ticket, counter: str, now: datetime, recall: bool, by: str | None) -> CalledAnswer:
        rows.save_ticket(conn, ticket)
        rows.save_counter(conn, self.engine.counter(counter))
        detail = _by(by) if recall else {**_by(by), "rule": ticket.call_rule}  # why this ticket, now
        rows.record_event(conn, ticket.id, "recalled" if recall else "called", now, counter, detail)
        if not recall:
            waits.record_first_call(conn, ticket.id, ticket.issued_at, now)
        event = events.called(ticket, now, recall, by)
        outbox.enqueue(conn, event, now)
        return events.called_answer(ticket, now, event)

    def complete(self, counter: str, ticket: str | None = None, transaction: str | None = None, session: str | None = None) -> TicketSummary:
        def action(conn: sqlite3.Connection, now: datetime) -> TicketSummary:
            by = self._teller(conn, now, "complete", session, counter)
            done = self.engine.complete(counter, now, expect_label=ticket)
            summary = self._finished(conn, done, counter, now, events.served(done, now), "served", by)
            self.ratings.open_prompt(conn, now, done, counter, by)
            return summary

        return self.perform("complete", transaction, action)

    def no_show(self, counter: str, ticket: str | None = None, transaction: str | None = None, session: str | None = None) -> TicketSummary:
        def action(conn: sqlite3.Connection, now: datetime) -> TicketSummary:
            by = self._teller(conn, now, "no_show", session, counter)
            missed = self.engine.no_show(counter, now, expect_label=ticket)
            return self._finished(conn, missed, counter, now, events.no_show(missed, now), "no_show", by)

        return self.perform("no_show", transaction, action)

    def _finished(
        self, conn: sqlite3.Connection, ticket: Ticket, counter: str, now: datetime, event: Event, kind: str, by: str | None
    ) -> TicketSummary:
        rows.save_ticket(conn, ticket)
        rows.save_counter(conn, self.engine.counter(counter))
        rows.record_event(conn, ticket.id, kind, now, counter, _by(by))
        outbox.enqueue(conn, event, now)
        return events.ticket_summary(ticket, now)

    def transfer(
        self, ticket: str, to_service: str, counter: str | None = None, transaction: str | None = None, session: str | None = None
    ) -> TransferAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> TransferAnswer:
            by = self._teller(conn, now, "transfer", session, counter)
            before = self._called_ticket(ticket)
            at_counter = counter or before.counter
            assert at_counter is not None  # a called ticket is at a counter
            moved = self.engine.transfer(at_counter, to_service, now, expect_label=ticket)
            rows.save_ticket(conn, moved)
            rows.save_counter(conn, self.engine.counter(at_counter))
            rows.record_event(conn, moved.id, "transferred", now, at_counter, {"from": before.service, "to": to_service} | _by(by))
            outbox.enqueue(conn, events.transferred(moved, before.service, at_counter, now), now)
            return events.transfer_answer(moved, now, self.engine.people_ahead(moved.id, now))

        return self.perform("transfer", transaction, action)

    def _called_ticket(self, label: str) -> Ticket:
        for ticket in self.engine.open_tickets():
            if ticket.label == label and ticket.state is TicketState.CALLED:
                return ticket
        raise QueueError(ErrorCode.NOT_CALLED, f"{label} is not being served at any counter: only a called ticket can be transferred.")

    def counter_open(self, counter: str, transaction: str | None = None, session: str | None = None) -> CounterAnswer:
        return self._counter_switch("counter_open", counter, transaction, session)

    def counter_close(self, counter: str, transaction: str | None = None, session: str | None = None) -> CounterAnswer:
        return self._counter_switch("counter_close", counter, transaction, session)

    def _counter_switch(self, op: str, counter: str, transaction: str | None, session: str | None) -> CounterAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> CounterAnswer:
            self._teller(conn, now, op, session, counter)
            state = (self.engine.open_counter if op == "counter_open" else self.engine.close_counter)(counter, now)
            rows.save_counter(conn, state)
            return CounterAnswer(counter=state.id, open=state.open, since=now)

        return self.perform(op, transaction, action)

    # ---- lobby manager -----------------------------------------------------------------

    def acknowledge_alert(
        self, alert_id: str, by: str | None, outcome: str, transaction: str | None = None, session: str | None = None
    ) -> AlertAckAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> AlertAckAnswer:
            actor = self.actor(conn, now, session, "alert_ack")
            who = actor.staff_id if actor else by
            if who is None:
                raise QueueError(ErrorCode.SIGN_IN_REQUIRED, "Say who answered the alert ('by'), or sign in with a staff id and PIN.")
            return self.answer_alert(conn, now, alert_id, who, outcome)

        return self.perform("alert_ack", transaction, action)

    def actor(self, conn: sqlite3.Connection, now: datetime, token: str | None, op: str, counter: str | None = None) -> Session | None:
        return self.staff.actor(conn, now, token, op, counter)

    def answer_alert(self, conn: sqlite3.Connection, now: datetime, alert_id: str, by: str, outcome: str) -> AlertAckAnswer:
        """Inside the caller's transaction: record the answer and tell every manager tablet."""
        alert = alerts.find_alert(conn, alert_id)
        if alert is None:
            raise QueueError(ErrorCode.UNKNOWN_ALERT, f"There is no alert {alert_id}; it may belong to another branch.")
        if alert.acked_at:
            raise QueueError(
                ErrorCode.ALERT_ALREADY_ACKNOWLEDGED,
                f"This alert was already answered by {alert.acked_by} ({alert.outcome}) at {alert.acked_at}.",
            )
        alerts.acknowledge_alert(conn, alert_id, by, outcome, now)
        after_s = round((now - alert.raised_at).total_seconds())
        # Answers are private to the tablet that asked; its colleagues learn it from this event.
        label = rows.label_of(conn, alert.ticket_id)
        outbox.enqueue(conn, events.alert_answered(alert_id, alert.ticket_id, label, outcome, by, now, after_s), now)
        return AlertAckAnswer(alert_id=alert_id, outcome=outcome, by=by, after_s=after_s)

    # ---- printing and state ------------------------------------------------------------

    def record_print_outcome(self, ticket_id: str, printed: bool, transaction: str | None = None) -> None:
        """Remember whether the ticket came out of the printer, also in the stored answer."""
        with self.store.write() as conn:
            rows.set_printed(conn, ticket_id, printed)
            if transaction is not None:
                transactions.update_answer_data(conn, transaction, {"printed": printed})

    def replay(self, after_seq: int, limit: int) -> ReplayAnswer:
        """Events after `after_seq` as they were published (read-only: not kept as a transaction)."""
        entries = outbox.events_after(self.store, after_seq, limit + 1)
        events_out = [ReplayedEvent(topic=e.topic, payload=json.loads(outbox.with_seq(e.payload, e.seq))) for e in entries[:limit]]
        return ReplayAnswer(
            events=events_out, more=len(entries) > limit, oldest_seq=outbox.oldest_kept_seq(self.store),
            last_seq=outbox.newest_seq(self.store),
        )

    def queue_state(self) -> QueueState:
        with self.store.write():
            self._sync()
        return events.queue_state(self.engine.snapshot(self.clock(), self.waits.predict), self.config)

    def last_closed_day(self) -> date:
        """The latest business day that has ended (closing time plus the grace has passed, by
        the same rule that expires its tickets); a day the branch does not open counts as ended."""
        branch = self.config.branch
        local = self.clock().astimezone(branch.zone)
        today = local.date()
        start = datetime.combine(today, time(0), branch.zone)
        ends = day_end(today, start, branch.hours_on, timedelta(minutes=branch.close_grace_min), branch.zone)
        ended = branch.hours_on(today.weekday()) is None or local >= ends
        return today if ended else today - timedelta(days=1)


def _replay(op: str, transaction: str, first: transactions.StoredAnswer) -> Any:
    if first.op != op:
        raise QueueError(
            ErrorCode.TRANSACTION_REUSED,
            f"transaction '{transaction}' was already used for {first.op}; use a fresh transaction id for each new request.",
        )
    if first.answer["status"] == "error":
        raise QueueError(first.answer["code"], first.answer["error"], first.answer.get("data"))
    return OPERATIONS[op].answer.model_validate(first.answer["data"] | {"replayed": True})


def _by(staff_id: str | None) -> dict:
    """A ticket event's detail: who acted, once the branch knows its staff."""
    return {"by": staff_id} if staff_id else {}
