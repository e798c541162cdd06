"""What the queue is made of: services, counters, work profiles, tickets and counter states.

Plain data only. The engine (engine.py) changes tickets and counter states; the store
persists every field of `Ticket` and `CounterState` as they are, so that the engine can be
rebuilt from them after a crash (`QueueEngine.restore`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from lobby.contract import CallRule, ProfileKind, TicketState, Tier

OPEN_STATES = frozenset({TicketState.WAITING, TicketState.CALLED})


@dataclass(frozen=True)
class ServiceSpec:
    """A kind of business the kiosk offers (个人现金, 对公, ...), with its own queue and prefix."""

    id: str
    prefix: str
    target_wait_s: float
    default_service_time_s: float
    name: str = ""  # how tellers call it in messages; the id when empty

    @property
    def title(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class WorkProfile:
    """How a counter chooses the next ticket among the services it serves.

    fifo: by queue time. ratio: `ratio[0]` calls of `priority_tiers`, then `ratio[1]` of
    the others, falling back to the other class when one is empty. accumulating
    (Kleinrock's delay-dependent priority): priority = tier_rates[tier] x seconds waited;
    a tier missing from `tier_rates` accumulates at 1.0. Before any of them, the cap: a
    ticket waiting more than `cap_past_target_s` past its service's target is called
    first (the most overdue first); None means no cap.
    """

    id: str
    kind: ProfileKind
    priority_tiers: frozenset[Tier] = frozenset({Tier.VIP})
    ratio: tuple[int, int] = (2, 1)
    tier_rates: Mapping[Tier, float] = field(default_factory=dict)
    cap_past_target_s: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ProfileKind(self.kind))
        if self.ratio[0] < 1 or self.ratio[1] < 1:
            raise ValueError(f"work profile '{self.id}': both parts of the ratio must be at least 1, got {self.ratio}")
        if any(rate <= 0 for rate in self.tier_rates.values()):
            raise ValueError(f"work profile '{self.id}': tier rates must be positive, got {dict(self.tier_rates)}")
        if self.cap_past_target_s is not None and self.cap_past_target_s < 0:
            raise ValueError(f"work profile '{self.id}': the cap cannot be negative")

    def rate(self, tier: Tier) -> float:
        return self.tier_rates.get(tier, 1.0)


@dataclass(frozen=True)
class CounterSpec:
    """A teller window and the services it serves, in the order the teller sees them."""

    id: str
    services: tuple[str, ...]
    profile: str
    name: str = ""  # "Counter 3" when empty

    @property
    def title(self) -> str:
        return self.name or f"Counter {self.id}"


@dataclass(kw_only=True)
class Ticket:
    """One customer's ticket. Every field is stored; none is derived from the clock."""

    id: str  # unique across days: f"{business_day:%Y%m%d}-{label}"
    label: str  # what the customer holds and hears: "A001"
    service: str  # the queue it waits in now
    number: int
    business_day: date  # local date in the branch's time zone when it was issued
    tier: Tier
    issued_at: datetime
    # Orders the ticket in its queue. Equal to issued_at, and kept across a transfer so the
    # customer returns to the new queue at their original issue time.
    queued_at: datetime
    original_service: str
    state: TicketState = TicketState.WAITING
    counter: str | None = None  # the counter that called it (kept once served or missed)
    called_at: datetime | None = None  # the latest call; reset by a transfer
    recalls: int = 0  # repeats of the latest call
    finished_at: datetime | None = None
    transfers: int = 0
    customer_token: str | None = None  # HMAC token from the card reader; opaque here
    # A checked-in booking's slot: from then on the ticket goes ahead of walk-ins (policy.py).
    appointment_at: datetime | None = None
    call_rule: CallRule | None = None  # why the latest call picked it; reset by a transfer

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


@dataclass(kw_only=True)
class CounterState:
    """What the engine remembers about a counter between calls."""

    id: str
    open: bool = False
    serving: str | None = None  # ticket id called here and not yet finished
    # Position in the ratio profile's cycle of ratio[0] + ratio[1] calls (0 = wants a
    # priority ticket first); unused by the other profiles.
    ratio_cursor: int = 0
    since: datetime | None = None  # when it was last opened or closed


@dataclass
class EngineState:
    """Everything the engine remembers; small on purpose, so copying it is cheap."""

    tickets: dict[str, Ticket] = field(default_factory=dict)  # open tickets (waiting or called) by id
    counters: dict[str, CounterState] = field(default_factory=dict)
    last_numbers: dict[tuple[date, str], int] = field(default_factory=dict)  # (business day, service)
    business_day: date | None = None  # the latest day a ticket was numbered for
    # The latest calls per service, newest last: (called at, seconds waited). What the
    # last-to-enter-service predictor and the learned one read.
    recent_calls: dict[str, tuple[tuple[datetime, float], ...]] = field(default_factory=dict)

    def copy(self) -> EngineState:
        return EngineState(
            {tid: replace(t) for tid, t in self.tickets.items()},
            {cid: replace(c) for cid, c in self.counters.items()},
            dict(self.last_numbers),
            self.business_day,
            dict(self.recent_calls),  # the tuples are immutable: sharing is safe
        )
