"""The MQTT contract, version 1: every payload that crosses the bus, as pydantic models.

Topics live under `lobby/v1/<branch>/`. This module is the single source for what the
payloads look like; docs/mqtt.md is written from it and the tests check both agree.
Requests are validated strictly (unknown fields refused) so a client's typo is an error
it can read, not a silently ignored field.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lobby.tiers import Tier

CONTRACT_VERSION = "v1"

Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]
Transaction = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
TicketLabel = Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,2}\d{3,4}$")]


def topic_root(branch_id: str) -> str:
    return f"lobby/{CONTRACT_VERSION}/{branch_id}/"


def new_event_id() -> str:
    return uuid.uuid4().hex


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# ---- requests: client -> agent on request/<op> -------------------------------------


class CardIdentity(Strict):
    """What a card reader lets out of the kiosk: never the card number itself."""

    token: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    masked_pan: Annotated[str, StringConstraints(pattern=r"^\d{6}\*{2,9}\d{4}$")]


class TicketRequest(Strict):
    transaction: Transaction
    service: Ident
    card: CardIdentity | None = None
    lang: Literal["zh", "en"] = "zh"
    kiosk: Ident = "kiosk"


class IdentifyRequest(Strict):
    """A swipe at the kiosk: who is this, and which services are they offered? Changes nothing."""

    transaction: Transaction
    card: CardIdentity


class CounterRequest(Strict):
    """call_next, recall, no_show, complete, counter_open, counter_close."""

    transaction: Transaction
    counter: Ident
    # Optional guard: the ticket the teller's screen shows. A stale screen gets an error
    # instead of acting on somebody else.
    ticket: TicketLabel | None = None


class TransferRequest(Strict):
    transaction: Transaction
    ticket: TicketLabel
    to_service: Ident
    counter: Ident | None = None


class AlertAckRequest(Strict):
    transaction: Transaction
    alert_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    by: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    outcome: Literal["greeted", "referred", "declined"]


REQUEST_MODELS: dict[str, type[Strict]] = {
    "ticket": TicketRequest,
    "identify": IdentifyRequest,
    "call_next": CounterRequest,
    "recall": CounterRequest,
    "no_show": CounterRequest,
    "complete": CounterRequest,
    "transfer": TransferRequest,
    "counter_open": CounterRequest,
    "counter_close": CounterRequest,
    "alert_ack": AlertAckRequest,
}


class Response(BaseModel):
    transaction: str | None
    status: Literal["ok", "error"]
    data: dict | None = None
    error: str | None = None
    # Stable machine code beside the sentence, so clients can branch without parsing text.
    code: str | None = None


# ---- events: agent -> everyone ------------------------------------------------------


class Event(BaseModel):
    event_id: str = Field(default_factory=new_event_id)


class ArrivalCustomer(BaseModel):
    identified: bool
    masked_pan: str | None = None


class ArrivalEvent(Event):
    ticket: str
    ticket_id: str
    service: str
    tier: Tier
    issued_at: datetime
    ahead: int
    # None when no counter serving the service is open: nobody can say yet.
    eta_s: int | None
    eta_range_s: tuple[int, int] | None
    kiosk: str | None
    customer: ArrivalCustomer


class AlertCustomer(BaseModel):
    display_name: str
    rm: str
    masked_pan: str


class VipAlert(Event):
    ticket: str
    ticket_id: str
    service: str
    tier: Tier
    customer: AlertCustomer
    issued_at: datetime


class CalledEvent(Event):
    ticket: str
    ticket_id: str
    counter: str
    service: str
    tier: Tier
    at: datetime
    waited_s: int
    recall: bool = False
    announce: bool = True


class ServedEvent(Event):
    ticket: str
    ticket_id: str
    counter: str
    service: str
    at: datetime
    service_time_s: int


class NoShowEvent(Event):
    ticket: str
    ticket_id: str
    counter: str
    service: str
    at: datetime


class TransferredEvent(Event):
    ticket: str
    ticket_id: str
    counter: str | None
    from_service: str
    to_service: str
    at: datetime


EVENT_TOPICS: dict[type[Event], str] = {
    ArrivalEvent: "events/arrival",
    VipAlert: "alerts/vip",
    CalledEvent: "events/called",
    ServedEvent: "events/served",
    NoShowEvent: "events/no_show",
    TransferredEvent: "events/transferred",
}


# ---- retained state -----------------------------------------------------------------


class AgentState(BaseModel):
    state: Literal["online", "offline"]
    version: str
    since: datetime
    outbox_pending: int = 0
    outbox_dropped: int = 0


class ServiceQueueState(BaseModel):
    waiting: int
    longest_wait_s: int
    eta_s: int | None
    eta_range_s: tuple[int, int] | None
    target_wait_s: int
    counters_open: int


class CounterQueueState(BaseModel):
    open: bool
    serving: str | None
    services: list[str]


class QueueState(BaseModel):
    at: datetime
    services: dict[str, ServiceQueueState]
    counters: dict[str, CounterQueueState]
