"""The branch's queue: issuing, calling, recalling, finishing and transferring tickets.

Pure logic: no clock, no store. Every operation takes `now` (timezone-aware) and either
returns what it changed or raises `QueueError` without changing anything. The engine
holds only open tickets (waiting or called), counter states and today's last numbers;
served and missed tickets are returned once and then belong to the store.

One request goes through `Branch.perform` (edge_agent/branch.py): one store transaction
around the engine's change and everything it causes; when that transaction fails, the
branch rebuilds the engine from the store, which is the one authority. At start-up
`QueueEngine.restore(...)` from the stored open tickets, counter states and last numbers,
then `observe()` for recent completed tickets and `remember_call()` for today's latest calls.

One file because the engine's state and every operation on it keep one invariant together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from edge_agent.queue import policy
from edge_agent.queue.estimate import OpenCounter, ServiceTimes, WaitEstimate, capacity, estimate_wait
from edge_agent.queue.model import (
    CounterSpec,
    CounterState,
    EngineState,
    ProfileKind,
    ServiceSpec,
    Ticket,
    TicketState,
    Tier,
    WorkProfile,
)
from edge_agent.queue.predictors import Today
from edge_agent.queue.recovery import recovered_state
from edge_agent.queue.situation import WaitSituation
from edge_agent.queue.snapshot import CounterSnapshot, QueueSnapshot, ServiceSnapshot
from lobby.contract import ErrorCode

NO_PROFILE = WorkProfile("none", ProfileKind.FIFO, priority_tiers=frozenset())  # for a service no counter serves
RECENT_CALLS = 5  # calls remembered per service, for the recent-wait features
LES_MAX_AGE = timedelta(hours=1)  # an older call says little about the queue now


class QueueError(Exception):
    """A request the queue refuses. `code` is stable for programs; `message` is for the teller."""

    def __init__(self, code: ErrorCode, message: str, detail: dict | None = None):
        super().__init__(message)
        self.code = ErrorCode(code)  # a code outside the catalogue fails here, not at the client
        self.message = message
        self.detail = detail  # what a client needs beside the sentence (the answer's `data`)


class QueueEngine:
    def __init__(
        self,
        services: Iterable[ServiceSpec],
        counters: Iterable[CounterSpec],
        profiles: Iterable[WorkProfile],
        tz: ZoneInfo,
    ):
        self._services = {s.id: s for s in services}
        self._counters = {c.id: c for c in counters}
        self._profiles = {p.id: p for p in profiles}
        self._check_setup()
        self.tz = tz
        self.service_times = ServiceTimes({s.id: s.default_service_time_s for s in self._services.values()})
        self._state = EngineState(counters={cid: CounterState(id=cid) for cid in self._counters})

    def _check_setup(self) -> None:
        # The branch configuration checks all this with file and key names; this is the
        # engine's own guard, because ticket ids are only unique if prefixes are.
        prefixes = [s.prefix for s in self._services.values()]
        if len(set(prefixes)) != len(prefixes):
            raise ValueError(f"two services share a ticket prefix: {prefixes}")
        for counter in self._counters.values():
            unknown = [s for s in counter.services if s not in self._services]
            if unknown or counter.profile not in self._profiles:
                raise ValueError(f"{counter.title} refers to unknown services {unknown} or profile '{counter.profile}'")

    # ---- crash recovery and rollback ---------------------------------------------------

    @classmethod
    def restore(
        cls,
        services: Iterable[ServiceSpec],
        counters: Iterable[CounterSpec],
        profiles: Iterable[WorkProfile],
        tz: ZoneInfo,
        *,
        tickets: Iterable[Ticket],
        counter_states: Iterable[CounterState],
        last_numbers: Mapping[tuple[date, str], int],
    ) -> QueueEngine:
        """Rebuild from the store (see recovery.py); raises ValueError naming what does not add up."""
        engine = cls(services, counters, profiles, tz)
        engine._state = recovered_state(engine._services, engine._counters, tickets, counter_states, last_numbers)
        return engine

    # ---- customers ---------------------------------------------------------------------

    def issue(
        self, service_id: str, tier: Tier, now: datetime, customer_token: str | None = None, appointment_at: datetime | None = None
    ) -> Ticket:
        """A new ticket; `appointment_at`: the slot of the booking it was checked in for."""
        self._clock(now)
        service = self._served_service(service_id)
        tier = Tier(tier)
        # The business day never moves backwards: a clock stepped back over midnight must
        # not hand out yesterday's numbers a second time.
        day = max(now.astimezone(self.tz).date(), self._state.business_day or date.min)
        number = self._state.last_numbers.get((day, service.id), 0) + 1
        label = f"{service.prefix}{number:03d}"
        ticket = Ticket(
            id=f"{day:%Y%m%d}-{label}",
            label=label,
            service=service.id,
            number=number,
            business_day=day,
            tier=tier,
            issued_at=now,
            queued_at=now,
            original_service=service.id,
            customer_token=customer_token,
            appointment_at=appointment_at,
        )
        if day != self._state.business_day:
            self._state.last_numbers = {key: n for key, n in self._state.last_numbers.items() if key[0] >= day}
            self._state.business_day = day
        self._state.last_numbers[(day, service.id)] = number
        self._state.tickets[ticket.id] = ticket
        return replace(ticket)

    # ---- tellers -----------------------------------------------------------------------

    def call_next(self, counter_id: str, now: datetime) -> Ticket:
        self._clock(now)
        counter, state = self._counter(counter_id)
        if not state.open:
            raise QueueError(ErrorCode.COUNTER_CLOSED, f"{counter.title} is closed: open it before calling a ticket.")
        if state.serving:
            raise QueueError(
                ErrorCode.COUNTER_BUSY,
                f"{counter.title} is still serving {self._state.tickets[state.serving].label}: "
                "complete it or mark it no-show before calling the next ticket.",
            )
        choice = policy.choose(
            self._waiting(counter.services), self._profiles[counter.profile], self._services, state.ratio_cursor, now
        )
        if choice is None:
            names = ", ".join(self._services[s].title for s in counter.services)
            raise QueueError(ErrorCode.QUEUE_EMPTY, f"Nobody is waiting for {names} at {counter.title}.")
        ticket = choice.ticket
        self.remember_call(ticket.service, now, policy.waited_s(ticket, now))
        ticket.state, ticket.counter, ticket.called_at, ticket.recalls = TicketState.CALLED, counter.id, now, 0
        ticket.call_rule = choice.rule
        state.serving, state.ratio_cursor = ticket.id, choice.ratio_cursor
        return replace(ticket)

    def recall(self, counter_id: str, now: datetime, expect_label: str | None = None) -> Ticket:
        self._clock(now)
        ticket, _ = self._called(
            counter_id, ErrorCode.NOTHING_TO_RECALL, "to recall: call the next ticket first", expect_label
        )
        ticket.recalls += 1
        return replace(ticket)

    def no_show(self, counter_id: str, now: datetime, expect_label: str | None = None) -> Ticket:
        self._clock(now)
        ticket, state = self._called(counter_id, ErrorCode.NOTHING_TO_MARK_NO_SHOW, "to mark as no-show", expect_label)
        return self._finish(ticket, state, TicketState.NO_SHOW, now)

    def complete(self, counter_id: str, now: datetime, expect_label: str | None = None) -> Ticket:
        self._clock(now)
        ticket, state = self._called(
            counter_id, ErrorCode.NOTHING_TO_COMPLETE, "to complete: call the next ticket first", expect_label
        )
        assert ticket.called_at is not None  # a ticket a counter serves was called
        self.service_times.observe(ticket.service, (now - ticket.called_at).total_seconds())
        return self._finish(ticket, state, TicketState.SERVED, now)

    def transfer(self, counter_id: str, to_service: str, now: datetime, expect_label: str | None = None) -> Ticket:
        """Send the customer called here to another service's queue, at their original queue time."""
        self._clock(now)
        ticket, state = self._called(
            counter_id, ErrorCode.NOTHING_TO_TRANSFER, "to transfer: call the customer first", expect_label
        )
        target = self._served_service(to_service)
        if target.id == ticket.service:
            raise QueueError(
                ErrorCode.SAME_SERVICE, f"{ticket.label} is already in {target.title}: choose another service to transfer it to."
            )
        # Back to waiting, keeping queued_at: the new queue takes it at its original issue time.
        ticket.service, ticket.state, ticket.counter, ticket.called_at = target.id, TicketState.WAITING, None, None
        ticket.recalls, ticket.call_rule = 0, None
        ticket.transfers += 1
        state.serving = None
        return replace(ticket)

    def open_counter(self, counter_id: str, now: datetime) -> CounterState:
        self._clock(now)
        counter, state = self._counter(counter_id)
        if state.open:
            raise QueueError(ErrorCode.COUNTER_ALREADY_OPEN, f"{counter.title} is already open.")
        state.open, state.since = True, now
        return replace(state)

    def close_counter(self, counter_id: str, now: datetime) -> CounterState:
        self._clock(now)
        counter, state = self._counter(counter_id)
        if not state.open:
            raise QueueError(ErrorCode.COUNTER_ALREADY_CLOSED, f"{counter.title} is already closed.")
        if state.serving:
            raise QueueError(
                ErrorCode.COUNTER_BUSY,
                f"{counter.title} is still serving {self._state.tickets[state.serving].label}: "
                "complete it, mark it no-show or transfer it before closing the counter.",
            )
        state.open, state.since = False, now
        return replace(state)

    # ---- the end of a business day -------------------------------------------------------

    def expire(self, now: datetime, ends: Callable[[Ticket], datetime]) -> list[Ticket]:
        """Close every open ticket whose business day ended (`ends(ticket) <= now`), oldest
        first; a counter still serving one is freed. Returns the expired tickets."""
        self._clock(now)
        over = [t for t in sorted(self._state.tickets.values(), key=lambda t: (t.queued_at, t.id)) if ends(t) <= now]
        expired = []
        for ticket in over:
            state = self._state.counters[ticket.counter] if ticket.counter else None
            if state is not None and state.serving == ticket.id:
                state.serving = None
            ticket.state, ticket.finished_at = TicketState.EXPIRED, now
            del self._state.tickets[ticket.id]
            expired.append(replace(ticket))
        return expired

    # ---- questions ---------------------------------------------------------------------

    @property
    def service_specs(self) -> Mapping[str, ServiceSpec]:
        return MappingProxyType(self._services)

    @property
    def counter_specs(self) -> Mapping[str, CounterSpec]:
        return MappingProxyType(self._counters)

    def ticket(self, ticket_id: str) -> Ticket:
        return replace(self._ticket(ticket_id))

    def open_tickets(self) -> list[Ticket]:
        """Waiting and called tickets, oldest first."""
        return [replace(t) for t in sorted(self._state.tickets.values(), key=lambda t: (t.queued_at, t.id))]

    def counter(self, counter_id: str) -> CounterState:
        return replace(self._counter(counter_id)[1])

    def last_numbers(self) -> dict[tuple[date, str], int]:
        return dict(self._state.last_numbers)

    @property
    def business_day(self) -> date | None:
        return self._state.business_day

    def people_ahead(self, ticket_id: str, now: datetime) -> int:
        """How many of its service's waiting tickets would be called before this one.

        Uses the call order of the first open counter serving the service (its profile and
        ratio position) as if time stood still at `now` and nobody else arrived; 0 once
        called. Tickets of other services sharing the counters are left to the wait estimate.
        """
        self._clock(now)
        ticket = self._ticket(ticket_id)
        if ticket.state is TicketState.CALLED:
            return 0
        order = self.call_order(ticket.service, now)
        return next(i for i, t in enumerate(order) if t.id == ticket.id)

    def call_order(self, service_id: str, now: datetime) -> list[Ticket]:
        """The service's waiting tickets in the order the first open counter serving it
        would call them if time stood still at `now` (see people_ahead)."""
        self._clock(now)
        service = self._service(service_id)
        counter = self._lead_counter(service.id)
        waiting = self._waiting((service.id,))
        if counter is None:  # nobody will call them; say the order they came in
            return [replace(t) for t in sorted(waiting, key=lambda t: (t.queued_at, t.id))]
        order = policy.call_order(waiting, self._profiles[counter.profile], self._services, self._state.counters[counter.id].ratio_cursor, now)
        return [replace(t) for t in order]

    def situation(self, service_id: str, tier: Tier, ahead: list[Ticket], now: datetime) -> WaitSituation:
        """What the branch knows about the wait of a `tier` ticket of `service_id` with the
        tickets `ahead` of it (in call order), at `now`."""
        situation_for, profile = self._situations_of(service_id, now)
        return situation_for(
            Tier(tier), len(ahead), sum(t.tier in profile.priority_tiers for t in ahead), sum(t.tier is Tier.MASS for t in ahead)
        )

    def _situations_of(self, service_id: str, now: datetime) -> tuple[Callable[[Tier, int, int, int], WaitSituation], WorkProfile]:
        """What every ticket of the service shares, worked out once; the returned function adds
        what is its own (its tier; how many ahead, in the priority tiers, mass). Also the work
        profile that decides who counts as priority."""
        self._clock(now)
        service = self._service(service_id)
        waiting = {sid: 0 for sid in self._services}
        for t in self._state.tickets.values():
            waiting[t.service] += t.state is TicketState.WAITING
        states = self._state.counters
        serving = [c for c in self._counters.values() if service.id in c.services]
        open_serving = [c for c in serving if states[c.id].open]
        shared = {s for c in serving for s in c.services} - {service.id}
        lead = self._lead_counter(service.id)
        profile = self._profiles[lead.profile] if lead else NO_PROFILE
        local = now.astimezone(self.tz)
        calls = [c for c in self._state.recent_calls.get(service.id, ()) if now - c[0] <= LES_MAX_AGE]
        elapsed = [
            max(0.0, (now - called).total_seconds())
            for c in open_serving
            if (busy := states[c.id].serving) and (called := self._state.tickets[busy].called_at)
        ]
        mean_s, sd_s = self.service_times.mean_s(service.id), self.service_times.sd_s(service.id)

        def situation_for(tier: Tier, ahead: int, ahead_priority: int, ahead_mass: int) -> WaitSituation:
            counters, idle = self._capacity(service.id, waiting, ahead)
            today = estimate_wait(ahead, counters, idle, mean_s, sd_s)
            return WaitSituation(
                service=service.id,
                tier=tier.value,
                weekday=local.weekday(),
                minute_of_day=local.hour * 60 + local.minute,
                ahead=ahead,
                ahead_priority=ahead_priority,
                ahead_mass=ahead_mass,
                waiting_service=waiting[service.id],
                waiting_shared=sum(waiting[s] for s in shared),
                counters_open=len(open_serving),
                counters_idle=sum(states[c.id].serving is None for c in open_serving),
                serving_elapsed_s=max(elapsed, default=None),
                capacity=counters,
                mean_service_s=mean_s,
                sd_service_s=sd_s,
                profile=profile.kind.value if open_serving else "",
                tier_priority=tier in profile.priority_tiers or profile.rate(tier) > 1.0,
                today_s=today.expected_s if today else None,
                today_low_s=today.low_s if today else None,
                today_high_s=today.high_s if today else None,
                les_s=calls[-1][1] if calls else None,
                les_age_s=(now - calls[-1][0]).total_seconds() if calls else None,
                recent_wait_s=sum(c[1] for c in calls) / len(calls) if calls else None,
            )

        return situation_for, profile

    def ticket_situation(self, ticket_id: str, now: datetime) -> WaitSituation:
        """The situation of a waiting ticket now: what its (remaining) wait depends on."""
        ticket = self._ticket(ticket_id)
        order = self.call_order(ticket.service, now) if ticket.state is TicketState.WAITING else []
        ahead = next((order[:i] for i, t in enumerate(order) if t.id == ticket.id), [])
        return self.situation(ticket.service, ticket.tier, ahead, now)

    def remember_call(self, service_id: str, at: datetime, waited_s: float) -> None:
        """Record a call (also when replaying today's calls from the store at start-up)."""
        calls = self._state.recent_calls.get(service_id, ())
        self._state.recent_calls[service_id] = (*calls, (at, waited_s))[-RECENT_CALLS:]

    def estimate_wait(self, service_id: str, ahead: int | None = None) -> WaitEstimate | None:
        """Today's estimator: the wait for a ticket with `ahead` people before it (default:
        a newcomer behind everyone waiting); None when no open counter serves the service."""
        service = self._service(service_id)
        waiting = {sid: 0 for sid in self._services}
        for t in self._state.tickets.values():
            waiting[t.service] += t.state is TicketState.WAITING
        ahead = waiting[service.id] if ahead is None else ahead
        counters, idle = self._capacity(service.id, waiting, ahead)
        times = self.service_times
        return estimate_wait(ahead, counters, idle, times.mean_s(service.id), times.sd_s(service.id))

    def _capacity(self, service_id: str, waiting: Mapping[str, int], ahead: int) -> tuple[float, int]:
        work = {sid: n * self.service_times.mean_s(sid) for sid, n in waiting.items()}
        work[service_id] = max(waiting[service_id], ahead + 1) * self.service_times.mean_s(service_id)
        states = self._state.counters
        open_counters = [
            OpenCounter(c.services, idle=states[c.id].serving is None) for c in self._counters.values() if states[c.id].open
        ]
        return capacity(service_id, open_counters, work)

    def observe(self, service_id: str, duration_s: float) -> None:
        """Learn one service time (finished_at - called_at), e.g. replaying the store at start-up."""
        self.service_times.observe(self._service(service_id).id, duration_s)

    def snapshot(self, now: datetime, predict: Callable[[list[WaitSituation]], list[WaitEstimate | None]] | None = None) -> QueueSnapshot:
        """The queue now. `predict` (a wait predictor's) estimates a newcomer's wait per service
        and every waiting ticket's remaining wait; without it, today's estimator does."""
        self._clock(now)
        orders = {sid: self.call_order(sid, now) for sid in self._services}
        situations = []
        for sid, order in orders.items():
            situation_for, profile = self._situations_of(sid, now)
            ahead = [(t.tier, t.tier in profile.priority_tiers, t.tier is Tier.MASS) for t in order]
            # A newcomer, behind everyone; then each waiting ticket behind those before it.
            situations.append(situation_for(Tier.MASS, len(ahead), sum(p for _, p, _ in ahead), sum(m for _, _, m in ahead)))
            priority = mass = 0
            for i, (tier, is_priority, is_mass) in enumerate(ahead):
                situations.append(situation_for(tier, i, priority, mass))
                priority, mass = priority + is_priority, mass + is_mass
        estimates = (predict or Today().predict)(situations)
        services = {}
        at = 0
        for sid, service in self._services.items():
            order = orders[sid]
            waits = [policy.waited_s(t, now) for t in order]
            services[sid] = ServiceSnapshot(
                waiting=len(waits),
                longest_wait_s=max(waits, default=0.0),
                target_wait_s=service.target_wait_s,
                counters_open=sum(
                    self._state.counters[c.id].open and sid in c.services for c in self._counters.values()
                ),
                estimate=estimates[at],
                waiting_estimates=[(t.label, e) for t, e in zip(order, estimates[at + 1 : at + 1 + len(order)], strict=True)],
            )
            at += 1 + len(order)
        counters = {}
        for cid, counter in self._counters.items():
            state = self._state.counters[cid]
            label = self._state.tickets[state.serving].label if state.serving else None
            counters[cid] = CounterSnapshot(state.open, label, state.serving, counter.services)
        return QueueSnapshot(now, self._state.business_day, services, counters)

    # ---- helpers -----------------------------------------------------------------------

    @staticmethod
    def _clock(now: datetime) -> None:
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the queue needs timezone-aware times; got a naive datetime")

    def _service(self, service_id: str) -> ServiceSpec:
        if service_id not in self._services:
            raise QueueError(
                ErrorCode.UNKNOWN_SERVICE, f"There is no service '{service_id}' here. Services: {', '.join(self._services)}."
            )
        return self._services[service_id]

    def _served_service(self, service_id: str) -> ServiceSpec:
        service = self._service(service_id)
        if not any(service.id in c.services for c in self._counters.values()):
            raise QueueError(
                ErrorCode.SERVICE_NOT_SERVED,
                f"No counter serves {service.title}, so its tickets could never be called. "
                "Add it to a counter in the branch configuration.",
            )
        return service

    def _lead_counter(self, service_id: str) -> CounterSpec | None:
        """The first open counter serving the service (the first serving it when none is open):
        whose call order the customer is told. None when no counter serves it at all."""
        serving = [c for c in self._counters.values() if service_id in c.services]
        return next((c for c in serving if self._state.counters[c.id].open), serving[0] if serving else None)

    def _counter(self, counter_id: str) -> tuple[CounterSpec, CounterState]:
        if counter_id not in self._counters:
            raise QueueError(
                ErrorCode.UNKNOWN_COUNTER, f"There is no counter '{counter_id}' here. Counters: {', '.join(self._counters)}."
            )
        return self._counters[counter_id], self._state.counters[counter_id]

    def _ticket(self, ticket_id: str) -> Ticket:
        if ticket_id not in self._state.tickets:
            raise QueueError(
                ErrorCode.UNKNOWN_TICKET, f"Ticket {ticket_id} is not in the queue: it was served, missed or never issued."
            )
        return self._state.tickets[ticket_id]

    def _called(self, counter_id: str, code: ErrorCode, what: str, expect_label: str | None) -> tuple[Ticket, CounterState]:
        counter, state = self._counter(counter_id)
        if not state.serving:
            raise QueueError(code, f"{counter.title} has no called ticket {what}.")
        ticket = self._state.tickets[state.serving]
        if expect_label is not None and expect_label != ticket.label:
            raise QueueError(
                ErrorCode.STALE_TICKET,
                f"{counter.title} is serving {ticket.label}, not {expect_label}: refresh the screen and try again.",
            )
        return ticket, state

    def _finish(self, ticket: Ticket, state: CounterState, outcome: TicketState, now: datetime) -> Ticket:
        ticket.state, ticket.finished_at = outcome, now
        state.serving = None
        del self._state.tickets[ticket.id]
        return replace(ticket)

    def _waiting(self, service_ids: Iterable[str]) -> list[Ticket]:
        wanted = set(service_ids)
        return [t for t in self._state.tickets.values() if t.state is TicketState.WAITING and t.service in wanted]
