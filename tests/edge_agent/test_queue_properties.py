"""Properties that must hold whatever tellers and customers do.

- numbers never repeat within a day; nobody is lost (every issued ticket is in exactly
  one state, and the engine's open tickets are exactly those the model says are open);
- a refused request changes nothing;
- with a cap, an overdue ticket is called before anybody less overdue, so no flow of
  VIPs can starve anybody;
- VIPs wait less on average under the ratio and accumulating profiles.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from dataclasses import asdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from edge_agent.queue import policy
from edge_agent.queue.engine import QueueEngine, QueueError
from edge_agent.queue.model import CounterSpec, ServiceSpec, Ticket, WorkProfile
from lobby.contract import ProfileKind, TicketState, Tier
from tools.branch_sim import engine_day as simulate

SHANGHAI = ZoneInfo("Asia/Shanghai")
SERVICES = [
    ServiceSpec("cash", "A", 600, 240),
    ServiceSpec("noncash", "B", 900, 420),
    ServiceSpec("wealth", "V", 300, 720),
]
PROFILES = [
    WorkProfile("fifo", ProfileKind.FIFO),
    WorkProfile("ratio", ProfileKind.RATIO, ratio=(2, 1), cap_past_target_s=300),
    WorkProfile("weighted", ProfileKind.ACCUMULATING, tier_rates={Tier.VIP: 4.0, Tier.POTENTIAL: 2.0}, cap_past_target_s=0),
]
COUNTERS = [
    CounterSpec("1", ("cash",), "ratio"),
    CounterSpec("2", ("cash", "noncash"), "weighted"),
    CounterSpec("3", ("wealth", "noncash"), "ratio"),
    CounterSpec("4", ("noncash",), "fifo"),
]
COUNTER_IDS = [c.id for c in COUNTERS]
SERVICE_IDS = [s.id for s in SERVICES]


class Lobby(RuleBasedStateMachine):
    """Random days at a small branch, starting at 23:00 so that some cross midnight."""

    def __init__(self):
        super().__init__()
        self.engine = QueueEngine(SERVICES, COUNTERS, PROFILES, SHANGHAI)
        self.now = datetime(2026, 11, 23, 23, 0, tzinfo=SHANGHAI)
        self.tickets: dict[str, Ticket] = {}  # the latest copy the engine returned of each ticket
        self.labels_by_day: dict = defaultdict(set)

    def _record(self, ticket: Ticket) -> None:
        self.tickets[ticket.id] = ticket

    def _try(self, operation, *args, **kwargs):
        """Run an operation; a refusal must leave everything as it was."""
        before = self._persisted()
        try:
            result = operation(*args, **kwargs)
        except QueueError as refused:
            assert refused.code and refused.message
            assert self._persisted() == before
            return None
        return result

    def _persisted(self) -> tuple:
        return (
            [asdict(t) for t in self.engine.open_tickets()],
            [asdict(self.engine.counter(c)) for c in COUNTER_IDS],
            self.engine.last_numbers(),
        )

    @rule(minutes=st.floats(0, 25))
    def time_passes(self, minutes):
        self.now += timedelta(minutes=minutes)

    @rule(
        service=st.sampled_from([*SERVICE_IDS, *SERVICE_IDS, "loans"]),
        tier=st.sampled_from(list(Tier)),
        slot_in=st.none() | st.floats(-10, 30),  # minutes to the booking's slot, for a checked-in appointment
    )
    def customer_takes_a_ticket(self, service, tier, slot_in):
        slot = None if slot_in is None else self.now + timedelta(minutes=slot_in)
        ticket = self._try(self.engine.issue, service, tier, self.now, appointment_at=slot)
        if ticket is None:
            assert service == "loans"
            return
        assert ticket.id not in self.tickets, "a ticket id was issued twice"
        assert ticket.label not in self.labels_by_day[ticket.business_day], "a number repeated within a day"
        # The local date, and never a day earlier than one already numbered.
        assert ticket.business_day == max([self.now.date(), *self.labels_by_day])
        self.labels_by_day[ticket.business_day].add(ticket.label)
        self._record(ticket)

    def _pick_counter(self, data, wanted) -> str:
        """Mostly a counter where the action makes sense, sometimes any (to be refused)."""
        likely = [c for c in COUNTER_IDS if wanted(self.engine.counter(c))]
        return data.draw(st.sampled_from(likely if likely and data.draw(st.integers(0, 4)) < 4 else COUNTER_IDS))

    @rule(data=st.data())
    def teller_opens(self, data):
        self._try(self.engine.open_counter, self._pick_counter(data, lambda c: not c.open), self.now)

    @initialize()
    def the_branch_opens(self):
        for counter in COUNTER_IDS:
            self.engine.open_counter(counter, self.now)

    # Keep at least one counter open, so most days have calls to check.
    @precondition(lambda self: sum(self.engine.counter(c).open for c in COUNTER_IDS) > 1)
    @rule(data=st.data())
    def teller_closes(self, data):
        self._try(self.engine.close_counter, self._pick_counter(data, lambda c: c.open and not c.serving), self.now)

    @rule(data=st.data())
    def teller_calls_next(self, data):
        waiting = {t.service for t in self.engine.open_tickets() if t.state is TicketState.WAITING}
        counter = self._pick_counter(
            data, lambda c: c.open and not c.serving and waiting & set(self.engine.counter_specs[c.id].services)
        )
        self.teller_calls_next_at(counter)

    def teller_calls_next_at(self, counter: str) -> None:
        spec = self.engine.counter_specs[counter]
        profile = next(p for p in PROFILES if p.id == spec.profile)
        services = {s.id: s for s in SERVICES}
        eligible = [t for t in self.engine.open_tickets() if t.state is TicketState.WAITING and t.service in spec.services]
        late = {t.id: policy.overdue_s(t, profile, services, self.now) for t in eligible}
        late = {tid: s for tid, s in late.items() if s is not None}
        ticket = self._try(self.engine.call_next, counter, self.now)
        if ticket is None:
            return
        # The cap: once anybody is past target + cap, the most overdue is called.
        if late:
            assert late.get(ticket.id) == max(v for v in late.values() if v is not None)
            assert ticket.call_rule == "cap"
        # Then a booking whose slot has come, the earliest slot first.
        due = [t.appointment_at for t in eligible if t.appointment_at is not None and t.appointment_at <= self.now]
        if due and not late:
            assert ticket.call_rule == "appointment" and ticket.appointment_at == min(due)
        self._record(ticket)

    @rule(data=st.data(), action=st.sampled_from(["recall", "no_show", "complete", "complete"]))
    def teller_finishes(self, data, action):
        counter = self._pick_counter(data, lambda c: c.serving)
        if ticket := self._try(getattr(self.engine, action), counter, self.now):
            self._record(ticket)

    @rule(counter=st.sampled_from(COUNTER_IDS), ending=st.sampled_from(["complete", "complete", "no_show", "transfer"]))
    def teller_does_the_obvious(self, counter, ending):
        """What a teller does most of the day, so that long lifecycles happen often."""
        state = self.engine.counter(counter)
        if not state.open:
            self._try(self.engine.open_counter, counter, self.now)
        elif not state.serving:
            self.teller_calls_next_at(counter)
        elif ending == "transfer":
            other = next(s for s in SERVICE_IDS if s != self.engine.ticket(state.serving).service)
            self._record(self.engine.transfer(counter, other, self.now))
        else:
            self._record(getattr(self.engine, ending)(counter, self.now))

    @rule(data=st.data(), service=st.sampled_from(SERVICE_IDS))
    def teller_transfers(self, data, service):
        counter = self._pick_counter(data, lambda c: c.serving)
        if ticket := self._try(self.engine.transfer, counter, service, self.now):
            assert ticket.queued_at == ticket.issued_at
            self._record(ticket)

    @precondition(lambda self: self.tickets)
    @rule(data=st.data())
    def kiosk_asks_people_ahead(self, data):
        open_ids = [t.id for t in self.engine.open_tickets()]
        if open_ids:
            ahead = self.engine.people_ahead(data.draw(st.sampled_from(open_ids)), self.now)
            assert 0 <= ahead < len(open_ids)

    @invariant()
    def nobody_is_lost(self):
        in_engine = {t.id: t for t in self.engine.open_tickets()}
        for ticket_id, last_seen in self.tickets.items():
            if last_seen.state in (TicketState.SERVED, TicketState.NO_SHOW):
                assert ticket_id not in in_engine
            else:
                assert in_engine[ticket_id] == last_seen
        assert set(in_engine) <= set(self.tickets)

    @invariant()
    def counters_and_called_tickets_agree(self):
        serving = {}
        for counter in COUNTER_IDS:
            state = self.engine.counter(counter)
            if state.serving:
                assert state.open
                serving[state.serving] = counter
        called = {t.id: t.counter for t in self.engine.open_tickets() if t.state is TicketState.CALLED}
        assert called == serving

    @invariant()
    def the_snapshot_adds_up(self):
        snap = self.engine.snapshot(self.now)
        waiting = sum(t.state is TicketState.WAITING for t in self.engine.open_tickets())
        assert sum(s.waiting for s in snap.services.values()) == waiting


TestLobby = Lobby.TestCase
TestLobby.settings = settings(
    max_examples=150, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# ---- no starvation ----------------------------------------------------------------------


def _flood(profile: WorkProfile, service_s: float, vip_gap_s: float, mass_at_s: list[float], hours: float):
    """One counter, a VIP every `vip_gap_s` for `hours`, a few mass customers.

    Returns, per mass ticket: (issued_s, called_s, how many who came later were called before it).
    """
    engine = QueueEngine([ServiceSpec("cash", "A", 600, service_s)], [CounterSpec("1", ("cash",), profile.id)], [profile], SHANGHAI)
    start = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
    engine.open_counter("1", start)
    vips = [(i * vip_gap_s, Tier.VIP) for i in range(int(hours * 3600 / vip_gap_s))]
    pending = sorted(vips + [(t, Tier.MASS) for t in mass_at_s], key=lambda a: a[0], reverse=True)
    issued, calls, free_at = {}, [], 0.0
    while True:
        while pending and pending[-1][0] <= free_at:
            at, tier = pending.pop()
            issued[engine.issue("cash", tier, start + timedelta(seconds=at)).id] = (at, tier)
        if not any(t.state is TicketState.WAITING for t in engine.open_tickets()):
            if not pending:
                break
            free_at = pending[-1][0]  # idle until the next customer walks in
            continue
        calls.append((engine.call_next("1", start + timedelta(seconds=free_at)).id, free_at))
        free_at += service_s
        engine.complete("1", start + timedelta(seconds=free_at))
    outcome = {}
    for position, (ticket_id, called_s) in enumerate(calls):
        issued_s, tier = issued[ticket_id]
        if tier is Tier.MASS:
            overtook = sum(issued[other][0] > issued_s for other, _ in calls[:position])
            outcome[ticket_id] = (issued_s, called_s, overtook)
    return outcome


@settings(max_examples=30, deadline=None)
@given(
    service_s=st.integers(60, 600),
    flood=st.floats(1.0, 2.0),  # VIPs alone need 100-200 % of the counter
    cap_s=st.integers(0, 1200),
    mass_at_s=st.lists(st.integers(0, 3600), min_size=1, max_size=4),
)
def test_a_flood_of_vips_cannot_starve_anybody_with_the_cap(service_s, flood, cap_s, mass_at_s):
    # Close to strict priority: a VIP's priority grows 1000 times faster.
    strict = {Tier.VIP: 1000.0, Tier.MASS: 0.001}
    capped = WorkProfile("w", ProfileKind.ACCUMULATING, tier_rates=strict, cap_past_target_s=cap_s)
    outcome = _flood(capped, service_s, service_s / flood, [float(t) for t in mass_at_s], hours=3)
    for _issued_s, _called_s, overtook in outcome.values():
        # Only those who come while it is within target + cap can overtake it, one per call.
        assert overtook <= (600 + cap_s) / service_s + 1


def test_without_the_cap_the_same_flood_starves_them():
    strict = WorkProfile("w", ProfileKind.ACCUMULATING, tier_rates={Tier.VIP: 1000.0, Tier.MASS: 0.001})
    outcome = _flood(strict, 300, 200, [600.0, 1200.0], hours=3)
    flood_ends = 3 * 3600
    assert all(called_s >= flood_ends for _, called_s, _ in outcome.values())
    capped = WorkProfile("w", ProfileKind.ACCUMULATING, tier_rates=strict.tier_rates, cap_past_target_s=600)
    outcome = _flood(capped, 300, 200, [600.0, 1200.0], hours=3)
    assert all(called_s - issued_s <= 600 + 600 + 2 * 300 for issued_s, called_s, _ in outcome.values())


# ---- VIPs wait less ----------------------------------------------------------------------


# One busy queue, two counters: tiers are drawn independently of the service, so VIPs and
# mass customers face the same queue and the comparison is like for like.
ONE_QUEUE = [ServiceSpec("cash", "A", 900, 300)]
BUSY_DAY = (
    simulate.RatePeriod(0, 1.5 * simulate.HOUR, 24),
    simulate.RatePeriod(1.5 * simulate.HOUR, 4 * simulate.HOUR, 16),
    simulate.RatePeriod(4 * simulate.HOUR, 8 * simulate.HOUR, 20),
)


def _mean_waits(profile: str, seed: int) -> dict[Tier, float]:
    rng = random.Random(seed)
    counters = [CounterSpec("1", ("cash",), profile), CounterSpec("2", ("cash",), profile)]
    engine = QueueEngine(ONE_QUEUE, counters, simulate.example_profiles(cap_s=None), SHANGHAI)
    arrivals = simulate.poisson_arrivals(rng, BUSY_DAY, {"cash": 1.0})
    visits = simulate.run_day(
        engine, datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI), arrivals, simulate.lognormal_service(rng, ONE_QUEUE)
    )
    waits = defaultdict(list)
    for visit in visits:
        waits[visit.tier].append(visit.waited_s)
    return {tier: statistics.mean(w) for tier, w in waits.items()}


# Derandomized: these are statistics over a simulated day, so a fixed set of seeds keeps
# the suite deterministic while still covering several different days (200 seeds checked
# by hand: the smallest margin was over a minute).
@settings(max_examples=8, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_vips_wait_less_on_average_under_ratio_and_accumulating(seed):
    fifo = _mean_waits("fifo", seed)
    for profile in ("vip-ratio", "weighted"):
        waits = _mean_waits(profile, seed)
        assert waits[Tier.VIP] < waits[Tier.MASS]
        assert waits[Tier.VIP] < fifo[Tier.VIP]
