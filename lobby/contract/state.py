"""Retained state: what a client reads on connecting (`agent/state`, `queue/state`,
`devices/<id>/state`, `staff/state`, `promotions`)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from lobby.contract.vocabularies import Availability, DeviceLink, DeviceStatus, StoreHealth, Tier

# A client that has heard no agent/state for this many heartbeats treats the agent as
# offline: a broker restarted after the agent died restores its retained "online", and no
# last will follows, so only the silence tells.
STALE_AFTER_HEARTBEATS = 3


class AgentState(BaseModel):
    state: Availability
    version: str
    since: datetime
    outbox_pending: int = 0
    outbox_dropped: int = 0
    # While online, agent/state is published again every heartbeat_s seconds.
    heartbeat_at: datetime | None = None
    heartbeat_s: float | None = None
    # "ok", or why nothing can be recorded: the box's disk is full or read-only. The agent
    # is up and answers (refusing tickets with store_full / store_read_only) until it is fixed.
    store: StoreHealth = StoreHealth.OK
    store_detail: str | None = None
    # Which wait predictor answers the kiosk, e.g. "learned-hgb trained 2026-12-04 on 40 days ..."
    # or "queue_length (no wait model yet: ...)".
    wait_predictor: str | None = None
    # The public key (Ed25519, base64url) head office checks this branch's ticket links with.
    ticket_link_key: str | None = None
    # The branch's name as its tickets print it, for head office until its registry names it.
    branch_name: str | None = None

    def stale_after_s(self) -> float | None:
        """Seconds of silence after which this state no longer holds (None: it does not expire)."""
        return STALE_AFTER_HEARTBEATS * self.heartbeat_s if self.state == "online" and self.heartbeat_s else None


class WaitingEta(BaseModel):
    """A waiting ticket's remaining wait, re-estimated as the queue moves."""

    ticket: str  # the label the customer holds, e.g. "A012"
    eta_s: int | None
    eta_range_s: tuple[int, int] | None
    eta_min: int | None = None  # eta_s in the minutes a customer is told (0: a counter is free now)


class ServiceQueueState(BaseModel):
    # The service's name as the ticket prints it, for pages that have no branch config (head office).
    name_zh: str = ""
    name_en: str = ""
    waiting: int
    longest_wait_s: int
    # For a customer taking a ticket now (outside the priority tiers).
    eta_s: int | None
    eta_range_s: tuple[int, int] | None
    # eta_s in the minutes a customer is told (lobby.waits.minutes), for pages that show it.
    eta_min: int | None = None
    target_wait_s: int
    counters_open: int
    # Every waiting ticket in the order the counters would call it now.
    waiting_etas: list[WaitingEta] = Field(default_factory=list)


class CounterQueueState(BaseModel):
    open: bool
    serving: str | None
    services: list[str]


class DeviceState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: str
    status: DeviceStatus
    detail: str = ""
    since: datetime | None = None
    # The serial link's own state (connecting, ready, ...), for technicians.
    connection: DeviceLink | None = None


class QueueState(BaseModel):
    at: datetime
    services: dict[str, ServiceQueueState]
    counters: dict[str, CounterQueueState]


class SignedInStaff(BaseModel):
    ref: str
    staff_id: str
    name: str
    role: str
    page: str
    counter: str | None
    since: datetime


class RosterEntry(BaseModel):
    staff_id: str
    name: str


class StaffState(BaseModel):
    """`staff/state` (retained): who is signed in where, and the RMs a referral may name."""

    at: datetime
    # False: the branch has no roster yet, and pages act unsigned, as before sign-in existed.
    roster: bool
    signed_in: list[SignedInStaff]
    rms: list[RosterEntry]


class Promotion(BaseModel):
    promotion_id: str
    title: str
    text: str
    # A data: URI (PNG or JPEG), so a screen needs nothing but the broker to show it.
    image: str | None
    tiers: list[Tier]
    starts_on: date
    ends_on: date


class PromotionsState(BaseModel):
    """`promotions` (retained): what the hall display and the kiosk show today."""

    at: datetime
    promotions: list[Promotion]
