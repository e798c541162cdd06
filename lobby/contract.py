"""The MQTT contract, version 1: every payload that crosses the bus, as pydantic models.

Topics live under `lobby/v1/<branch>/`. This module is the single source for what the
payloads look like; docs/mqtt.md is written from it and the tests check both agree.
Requests are validated strictly (unknown fields refused) so a client's typo is an error
it can read, not a silently ignored field.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lobby.errors import ErrorCode
from lobby.tiers import Tier

CONTRACT_VERSION = "v1"

Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]
# Never stripped: the client matches its answer by the transaction exactly as it sent it.
Transaction = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
TicketLabel = Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,2}\d{3,4}$")]


def topic_root(branch_id: str) -> str:
    return f"lobby/{CONTRACT_VERSION}/{branch_id}/"


def new_event_id() -> str:
    return uuid.uuid4().hex


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# ---- requests: client -> agent on request/<op> -------------------------------------


class Request(Strict):
    transaction: Transaction


class CardIdentity(Strict):
    """What a card reader lets out of the kiosk: never the card number itself."""

    token: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    masked_pan: Annotated[str, StringConstraints(pattern=r"^\d{6}\*{2,9}\d{4}$")]


class TicketRequest(Request):
    service: Ident
    card: CardIdentity | None = None
    lang: Literal["zh", "en"] = "zh"
    kiosk: Ident = "kiosk"


class IdentifyRequest(Request):
    """A swipe at the kiosk: who is this, and which services are they offered? Changes nothing."""

    card: CardIdentity


class CounterRequest(Request):
    """call_next, counter_open, counter_close: a counter and nothing else."""

    counter: Ident


class CounterTicketRequest(CounterRequest):
    """recall, no_show, complete: the counter's current ticket."""

    # Optional guard: the ticket the teller's screen shows. A stale screen gets an error
    # instead of acting on somebody else.
    ticket: TicketLabel | None = None


class TransferRequest(Request):
    ticket: TicketLabel
    to_service: Ident
    counter: Ident | None = None


class ReplayRequest(Request):
    """`replay`: the events after `after_seq`, for a subscriber that found a gap."""

    after_seq: Annotated[int, Field(ge=0)]
    limit: Annotated[int, Field(ge=1, le=200)] = 100


class AlertAckRequest(Request):
    alert_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    by: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    outcome: Literal["greeted", "referred", "declined"]


# ---- answers: agent -> the requester, in `data` of response/<op> ---------------------
# Built by the agent, read by the kiosk, the tests and the tools. Fields are only ever
# added within v1, so readers ignore what they do not know.


class Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    # True when this is the stored first answer to a repeated transaction.
    replayed: bool = False


class PrinterReport(BaseModel):
    """Why a ticket did or did not come out, in words for the customer."""

    status: str
    message_zh: str | None = None
    message_en: str | None = None


class Greeting(BaseModel):
    display_name: str
    tier: Tier
    tier_name_zh: str
    tier_name_en: str
    manager_alerted: bool = False


class TicketAnswer(Answer):
    """`ticket`: what the kiosk's ticket screen and the printed ticket need."""

    ticket: str
    ticket_id: str
    service: str
    service_zh: str
    service_en: str
    tier: Tier
    issued_at: datetime
    ahead: int
    eta_s: int | None = None
    eta_range_s: tuple[int, int] | None = None
    customer: Greeting | None = None
    # None: not known (no printer, or a replay of an answer from before a crash);
    # False: it did not come out. Both mean "show the number on screen".
    printed: bool | None = None
    printer: PrinterReport | None = None


class CardholderAnswer(Answer):
    """`identify`: who swiped, and which services their tier is offered."""

    known: bool
    display_name: str | None = None
    tier: Tier
    tier_name_zh: str
    tier_name_en: str
    manager_alerted_on_ticket: bool = False
    services: list[str]
    masked_pan: str


class TicketSummary(Answer):
    """`complete`, `no_show`: the ticket as the teller's screen shows it."""

    ticket: str
    ticket_id: str
    service: str
    tier: Tier
    state: str
    counter: str | None
    issued_at: datetime
    waited_s: int


class CalledAnswer(TicketSummary):
    """`call_next`, `recall`: the ticket, and the `events/called` event it caused."""

    event_id: str


class TransferAnswer(TicketSummary):
    """`transfer`: the ticket in its new queue, and how many are now ahead of it."""

    ahead: int


class ReplayedEvent(BaseModel):
    topic: str
    payload: dict


class ReplayAnswer(Answer):
    """`replay`: events in `seq` order; `more` when there are further ones (ask again after
    the last one's seq); `oldest_seq`, the oldest the branch still keeps (None: none)."""

    events: list[ReplayedEvent]
    more: bool
    oldest_seq: int | None
    last_seq: int


class CounterAnswer(Answer):
    """`counter_open`, `counter_close`."""

    counter: str
    open: bool
    since: datetime


class AlertAckAnswer(Answer):
    """`alert_ack`: who answered, how, and how long after the alert."""

    alert_id: str
    outcome: Literal["greeted", "referred", "declined"]
    by: str
    after_s: int


@dataclass(frozen=True)
class Operation:
    request: type[Request]
    answer: type[Answer]


OPERATIONS: dict[str, Operation] = {
    "ticket": Operation(TicketRequest, TicketAnswer),
    "identify": Operation(IdentifyRequest, CardholderAnswer),
    "call_next": Operation(CounterRequest, CalledAnswer),
    "recall": Operation(CounterTicketRequest, CalledAnswer),
    "no_show": Operation(CounterTicketRequest, TicketSummary),
    "complete": Operation(CounterTicketRequest, TicketSummary),
    "transfer": Operation(TransferRequest, TransferAnswer),
    "counter_open": Operation(CounterRequest, CounterAnswer),
    "counter_close": Operation(CounterRequest, CounterAnswer),
    "alert_ack": Operation(AlertAckRequest, AlertAckAnswer),
    "replay": Operation(ReplayRequest, ReplayAnswer),
}


class Response(BaseModel):
    transaction: str | None
    status: Literal["ok", "error"]
    data: dict | None = None
    error: str | None = None
    # Stable machine code beside the sentence, so clients can branch without parsing text.
    code: ErrorCode | None = None


# ---- events: agent -> everyone ------------------------------------------------------


class Event(BaseModel):
    event_id: str = Field(default_factory=new_event_id)
    # The branch's running number of this event (1, 2, 3, ... without gaps), set when it is
    # published: a subscriber that sees one skipped asks for it with `replay`.
    seq: int | None = None


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


class AlertAnsweredEvent(Event):
    """A VIP alert was answered: every manager tablet clears it, whoever answered."""

    alert_id: str
    ticket: str
    ticket_id: str
    outcome: str
    by: str
    at: datetime
    after_s: int


class ExpiredEvent(Event):
    """A ticket still open when its business day ended: closed, never called."""

    ticket: str
    ticket_id: str
    service: str
    tier: Tier
    issued_at: datetime
    at: datetime
    waited_s: int


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
    AlertAnsweredEvent: "alerts/answered",
    CalledEvent: "events/called",
    ServedEvent: "events/served",
    NoShowEvent: "events/no_show",
    TransferredEvent: "events/transferred",
    ExpiredEvent: "events/expired",
}


# ---- retained state -----------------------------------------------------------------


# A client that has heard no agent/state for this many heartbeats treats the agent as
# offline: a broker restarted after the agent died restores its retained "online", and no
# last will follows, so only the silence tells.
STALE_AFTER_HEARTBEATS = 3


class AgentState(BaseModel):
    state: Literal["online", "offline"]
    version: str
    since: datetime
    outbox_pending: int = 0
    outbox_dropped: int = 0
    # While online, agent/state is published again every heartbeat_s seconds.
    heartbeat_at: datetime | None = None
    heartbeat_s: float | None = None
    # "ok", or why nothing can be recorded: the box's disk is full or read-only. The agent
    # is up and answers (refusing tickets with store_full / store_read_only) until it is fixed.
    store: Literal["ok", "disk_full", "read_only"] = "ok"
    store_detail: str | None = None

    def stale_after_s(self) -> float | None:
        """Seconds of silence after which this state no longer holds (None: it does not expire)."""
        return STALE_AFTER_HEARTBEATS * self.heartbeat_s if self.state == "online" and self.heartbeat_s else None


class ServiceQueueState(BaseModel):
    waiting: int
    longest_wait_s: int
    eta_s: int | None
    eta_range_s: tuple[int, int] | None
    # eta_s in the minutes a customer is told (lobby.waits.minutes), for pages that show it.
    eta_min: int | None = None
    target_wait_s: int
    counters_open: int


class CounterQueueState(BaseModel):
    open: bool
    serving: str | None
    services: list[str]


class DeviceStatus(StrEnum):
    """`status` of `devices/<id>/state`: what a device can report."""

    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    ERROR = "error"

    @property
    def working(self) -> bool:
        """The one rule for "does the device still do its job": a printer near the end of its
        roll still gives the customer paper."""
        return self in (DeviceStatus.OK, DeviceStatus.PAPER_NEAR_END)


class DeviceState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: str
    status: DeviceStatus
    detail: str = ""
    since: datetime | None = None
    # The serial link's own state (connecting, ready, ...), for technicians.
    connection: str | None = None


class QueueState(BaseModel):
    at: datetime
    services: dict[str, ServiceQueueState]
    counters: dict[str, CounterQueueState]
