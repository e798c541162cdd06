"""A branch day in fast-forward, driving the real engine: for the benches and the tests.

Customers arrive as a Poisson process whose rate changes through the day, take a ticket,
and are called by counters that stay busy for a lognormal service time; some counters
close in rotation over lunch. Everything is seeded, so a run can be repeated exactly.

One file because the day's loop and its counters share one clock and one random stream.
"""

from __future__ import annotations

import heapq
import math
import random
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from edge_agent.queue.engine import QueueEngine, QueueError
from edge_agent.queue.model import CounterSpec, ServiceSpec, WorkProfile
from edge_agent.queue.situation import WaitSituation
from lobby.contract import CallRule, ProfileKind, Tier

MINUTE = 60.0
HOUR = 3600.0
FIRST_DAY = date(2026, 11, 23)  # a Monday


@dataclass(frozen=True)
class Arrival:
    at_s: float  # seconds after opening
    service: str
    tier: Tier
    # A booked customer's slot (seconds after opening): checked in on time, the ticket keeps it.
    slot_s: float | None = None


@dataclass(frozen=True)
class RatePeriod:
    start_s: float
    end_s: float
    per_hour: float


@dataclass(frozen=True)
class Break:
    counter: str
    start_s: float
    end_s: float


@dataclass
class Visit:
    """One customer's day, with what the branch knew when they took their ticket."""

    ticket_id: str
    service: str
    tier: Tier
    issued_s: float
    situation: WaitSituation  # people ahead, today's estimate, ...: every predictor reads this
    called_s: float | None = None
    slot_s: float | None = None  # the booking's slot, for an appointment ticket
    rule: CallRule | None = None  # why its first call picked it

    @property
    def day(self) -> date:
        """The business day, from the ticket id (20261123-A001)."""
        return date(int(self.ticket_id[:4]), int(self.ticket_id[4:6]), int(self.ticket_id[6:8]))

    @property
    def waited_s(self) -> float:
        assert self.called_s is not None, "every customer is called before the day ends"
        return self.called_s - self.issued_s


# A weekday at the example branch (config/branch.example.toml), 09:00-17:00.
DAY_RATES = (
    RatePeriod(0.0 * HOUR, 1.5 * HOUR, 50),  # morning peak
    RatePeriod(1.5 * HOUR, 3.0 * HOUR, 36),
    RatePeriod(3.0 * HOUR, 4.5 * HOUR, 44),  # office workers on their lunch break
    RatePeriod(4.5 * HOUR, 7.0 * HOUR, 32),
    RatePeriod(7.0 * HOUR, 8.0 * HOUR, 20),
)
# Tellers take lunch in turns; counter 4 is the only one for enquiries, so for 45 minutes
# nobody can give an enquiry ticket an estimate.
LUNCH_ROTATION = (
    Break("2", 3.0 * HOUR, 3.75 * HOUR),
    Break("4", 3.0 * HOUR, 3.75 * HOUR),
    Break("1", 3.75 * HOUR, 4.5 * HOUR),
    Break("3", 3.75 * HOUR, 4.5 * HOUR),
)
SERVICE_MIX = {"cash": 0.38, "noncash": 0.30, "corporate": 0.10, "wealth": 0.08, "enquiry": 0.14}
TIER_MIX = {Tier.VIP: 0.12, Tier.POTENTIAL: 0.18, Tier.PROSPECT: 0.03, Tier.MASS: 0.67}
# Real service times drift from what the branch configured: the estimate has to learn.
TRUE_MEAN_FACTOR = {"cash": 1.25, "noncash": 0.9, "corporate": 1.0, "wealth": 1.0, "enquiry": 1.4}
SERVICE_SIGMA = 0.55  # lognormal shape: most services are short, a few take very long


@dataclass(frozen=True)
class DayProfile:
    """Who comes when, for what, how long they really take, and the tellers' breaks."""

    rates: tuple[RatePeriod, ...] = DAY_RATES
    service_mix: Mapping[str, float] = field(default_factory=lambda: dict(SERVICE_MIX))
    service_time_factor: Mapping[str, float] = field(default_factory=lambda: dict(TRUE_MEAN_FACTOR))
    service_time_sigma: float = SERVICE_SIGMA
    breaks: tuple[Break, ...] = LUNCH_ROTATION

    @classmethod
    def load(cls, path: Path) -> DayProfile:
        """From a TOML file like bench/scenarios/weekday.toml (hours after opening)."""
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(
            rates=tuple(RatePeriod(a * HOUR, b * HOUR, rate) for a, b, rate in raw["rates"]),
            service_mix=raw["service_mix"],
            service_time_factor=raw.get("service_time_factor", {}),
            service_time_sigma=raw.get("service_time_sigma", SERVICE_SIGMA),
            breaks=tuple(Break(b["counter"], b["from_h"] * HOUR, b["to_h"] * HOUR) for b in raw.get("breaks", [])),
        )


def example_services() -> list[ServiceSpec]:
    return [
        ServiceSpec("cash", "A", 15 * MINUTE, 4 * MINUTE, "Cash"),
        ServiceSpec("noncash", "B", 15 * MINUTE, 7 * MINUTE, "Accounts & cards"),
        ServiceSpec("corporate", "C", 20 * MINUTE, 10 * MINUTE, "Business banking"),
        ServiceSpec("wealth", "V", 5 * MINUTE, 12 * MINUTE, "Wealth & Premier"),
        ServiceSpec("enquiry", "E", 10 * MINUTE, 3 * MINUTE, "Enquiries"),
    ]


def vip_mix(share: float) -> dict[Tier, float]:
    """TIER_MIX with VIPs at `share`, the other tiers scaled to fill the rest."""
    others = {t: w for t, w in TIER_MIX.items() if t is not Tier.VIP}
    scale = (1 - share) / sum(others.values())
    return {Tier.VIP: share, **{t: w * scale for t, w in others.items()}}


def example_profiles(cap_s: float | None = 10 * MINUTE) -> list[WorkProfile]:
    return [
        WorkProfile("fifo", ProfileKind.FIFO, cap_past_target_s=cap_s),
        WorkProfile("vip-ratio", ProfileKind.RATIO, ratio=(2, 1), cap_past_target_s=cap_s),
        WorkProfile(
            "weighted",
            ProfileKind.ACCUMULATING,
            tier_rates={Tier.VIP: 3.0, Tier.POTENTIAL: 1.5, Tier.PROSPECT: 1.5, Tier.MASS: 1.0},
            cap_past_target_s=cap_s,
        ),
    ]


def example_counters(profile: str | None = None) -> list[CounterSpec]:
    """The example branch's six counters; `profile` puts all of them on one profile."""
    layout = [
        ("1", ("cash",), "vip-ratio"),
        ("2", ("cash",), "vip-ratio"),
        ("3", ("cash", "noncash"), "weighted"),
        ("4", ("noncash", "enquiry"), "weighted"),
        ("5", ("corporate",), "fifo"),
        ("6", ("wealth", "noncash"), "vip-ratio"),
    ]
    return [CounterSpec(cid, services, profile or default) for cid, services, default in layout]


def poisson_arrivals(
    rng: random.Random,
    periods: Sequence[RatePeriod] = DAY_RATES,
    service_mix: Mapping[str, float] = SERVICE_MIX,
    tier_mix: Mapping[Tier, float] = TIER_MIX,
) -> list[Arrival]:
    arrivals = []
    for period in periods:
        t = period.start_s + rng.expovariate(period.per_hour / HOUR)
        while t < period.end_s:
            tier = rng.choices(list(tier_mix), weights=list(tier_mix.values()))[0]
            service = rng.choices(list(service_mix), weights=list(service_mix.values()))[0]
            if service == "wealth" and tier is Tier.MASS and "noncash" in service_mix:
                service = "noncash"  # the wealth queue is offered to premier tiers only
            arrivals.append(Arrival(t, service, tier))
            t += rng.expovariate(period.per_hour / HOUR)
    return arrivals


def lognormal_service(
    rng: random.Random,
    services: Sequence[ServiceSpec],
    factor: Mapping[str, float] = TRUE_MEAN_FACTOR,
    sigma: float = SERVICE_SIGMA,
) -> Callable[[str], float]:
    means = {s.id: s.default_service_time_s * factor.get(s.id, 1.0) for s in services}

    def draw(service: str) -> float:
        mu = math.log(means[service]) - sigma**2 / 2  # so the mean is means[service]
        return rng.lognormvariate(mu, sigma)

    return draw


def run_day(
    engine: QueueEngine,
    opening: datetime,
    arrivals: Sequence[Arrival],
    service_time: Callable[[str], float],
    breaks: Sequence[Break] = (),
    on_issue: Callable[[DaySim, str], None] | None = None,
) -> list[Visit]:
    """Open every counter at `opening`, serve everyone who came, close them all again.
    `on_issue(sim, ticket_id)` is called after each ticket is issued (bench/wait_floor.py
    replays the rest of the day from there)."""
    sim = DaySim(engine, opening, service_time)
    for counter in engine.counter_specs:
        engine.open_counter(counter, opening)
    for arrival in arrivals:
        sim.schedule(arrival.at_s, "arrive", arrival)
    for pause in breaks:
        sim.schedule(pause.start_s, "break", pause.counter)
        sim.schedule(pause.end_s, "back", pause.counter)
    while sim.events:
        issued = sim.step()
        if issued is not None and on_issue is not None:
            on_issue(sim, issued)
    for counter in engine.counter_specs:
        if engine.counter(counter).open:
            engine.close_counter(counter, sim.at(sim.t))
    return list(sim.visits.values())


class DaySim:
    """The day's events in time order, played through the engine one at a time."""

    def __init__(self, engine: QueueEngine, opening: datetime, service_time: Callable[[str], float], record: bool = True):
        self.engine = engine
        self.opening = opening
        self.service_time = service_time
        self.record = record  # False: skip what only the benches read (a replay needs only the calls)
        self.visits: dict[str, Visit] = {}
        # Drawn when the customer arrives, so that whatever order a profile calls people in,
        # each customer needs the same time at the counter: profiles compare like for like.
        self.durations: dict[str, float] = {}
        self.called_s: dict[str, float] = {}
        # (time, order, kind, what): `what` is the Arrival for "arrive", else a counter id.
        self.events: list[tuple[float, int, str, Arrival | str]] = []
        self.seq = 0
        self.t = 0.0
        self.on_break: set[str] = set()

    def at(self, t: float) -> datetime:
        return self.opening + timedelta(seconds=t)

    def schedule(self, t: float, kind: str, what: Arrival | str) -> None:
        heapq.heappush(self.events, (t, self.seq, kind, what))
        self.seq += 1

    def try_call(self, counter: str, t: float) -> None:
        engine = self.engine
        state = engine.counter(counter)
        if not state.open or state.serving:
            return
        if counter in self.on_break:  # the teller finished the last customer before the break
            engine.close_counter(counter, self.at(t))
            return
        try:
            ticket = engine.call_next(counter, self.at(t))
        except QueueError as error:
            if error.code != "queue_empty":
                raise
            return
        self.called_s[ticket.id] = t
        if ticket.id in self.visits:
            self.visits[ticket.id].called_s = t
            self.visits[ticket.id].rule = ticket.call_rule
        self.schedule(t + self.durations[ticket.id], "done", counter)

    def step(self) -> str | None:
        """Play the next event; returns the id of the ticket it issued, if any."""
        engine, specs = self.engine, self.engine.counter_specs
        self.t, _, kind, what = heapq.heappop(self.events)
        t = self.t
        if isinstance(what, Arrival):
            slot = self.at(what.slot_s) if what.slot_s is not None else None
            ticket = engine.issue(what.service, what.tier, self.at(t), appointment_at=slot)
            self.durations[ticket.id] = self.service_time(ticket.service)
            if self.record:
                situation = engine.ticket_situation(ticket.id, self.at(t))
                self.visits[ticket.id] = Visit(ticket.id, ticket.service, ticket.tier, t, situation, slot_s=what.slot_s)
            for counter in specs:
                if ticket.service in specs[counter].services:
                    self.try_call(counter, t)
            return ticket.id
        if kind == "done":
            engine.complete(what, self.at(t))
            self.try_call(what, t)
        elif kind == "break":
            self.on_break.add(what)
            self.try_call(what, t)
        else:
            self.on_break.discard(what)
            if not engine.counter(what).open:
                engine.open_counter(what, self.at(t))
            self.try_call(what, t)
        return None


SLOT_S = 15 * MINUTE
LATE_WINDOW_S = 10 * MINUTE  # as [appointments] late_min in the example branch


def book_some(arrivals: Sequence[Arrival], rng: random.Random, share: float) -> list[Arrival]:
    """The same customers, `share` of them with a booking (15-minute slots).

    Most booked customers come a little early (0-10 min before a slot of their choosing),
    one in six a little late (0-15 min after it): past the 10-minute window they are walk-ins,
    as at the kiosk. Their arrival time is unchanged, so the walk-ins' day is the same day.
    """
    booked = []
    for arrival in arrivals:
        if rng.random() >= share:
            booked.append(arrival)
            continue
        if rng.random() < 1 / 6:
            slot = math.floor((arrival.at_s - rng.uniform(0, 15 * MINUTE)) / SLOT_S) * SLOT_S
        else:
            slot = math.ceil((arrival.at_s + rng.uniform(0, 10 * MINUTE)) / SLOT_S) * SLOT_S
        slot = max(0.0, slot)
        on_time = arrival.at_s <= slot + LATE_WINDOW_S
        booked.append(Arrival(arrival.at_s, arrival.service, arrival.tier, slot if on_time else None))
    return booked


def run_days(
    engine: QueueEngine, seed: int, days: int, tier_mix: Mapping[Tier, float] = TIER_MIX, profile: DayProfile | None = None,
    first: date = FIRST_DAY, booked_share: float = 0.0,
) -> list[Visit]:
    """`days` weekdays in a row from `first` at 09:00 local time (weekends skipped), the
    engine learning as it goes. `booked_share`: customers with a booking (`book_some`).

    Arrivals, service times and bookings come from separate seeded streams, so two engines
    with different profiles (or booking shares) see exactly the same customers walk in.
    """
    profile = profile or DayProfile()
    arrivals_rng, service_rng = random.Random(f"{seed}:arrivals"), random.Random(f"{seed}:service")
    bookings_rng = random.Random(f"{seed}:bookings")
    services = list(engine.service_specs.values())
    draw = lognormal_service(service_rng, services, profile.service_time_factor, profile.service_time_sigma)
    visits = []
    for day in weekdays(days, first):
        opening = datetime.combine(day, time(9, 0), tzinfo=engine.tz)
        arrivals = poisson_arrivals(arrivals_rng, profile.rates, profile.service_mix, tier_mix)
        if booked_share:
            arrivals = book_some(arrivals, bookings_rng, booked_share)
        visits += run_day(engine, opening, arrivals, draw, profile.breaks)
    return visits


def weekdays(count: int, first: date = FIRST_DAY) -> list[date]:
    """The first `count` weekdays from `first`."""
    days: list[date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days
