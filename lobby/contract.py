"""The MQTT contract, version 1: every payload that crosses the bus, as pydantic models.

Topics live under `lobby/v1/<branch>/`. This module is the single source for what the
payloads look like; docs/mqtt.md is written from it and the tests check both agree.
Requests are validated strictly (unknown fields refused) so a client's typo is an error
it can read, not a silently ignored field.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from lobby.errors import ErrorCode
from lobby.tiers import Tier

CONTRACT_VERSION = "v1"

Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]
# Never stripped: the client matches its answer by the transaction exactly as it sent it.
Transaction = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
TicketLabel = Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,2}\d{3,4}$")]
HexId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
# What staff_sign_in hands the page: the person's signature on every later request.
SessionToken = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{20,64}$")]
Pin = Annotated[str, StringConstraints(strip_whitespace=False, pattern=r"^\d{4,8}$")]
ShortText = Annotated[str, StringConstraints(max_length=200)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?\d{7,15}$")]
StaffPage = Literal["teller", "manager", "rm"]


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


class SignedRequest(Request):
    """An action a person takes: `session` is their staff_sign_in. Required once the branch
    has a staff roster (`edge-agent staff import`); the agent records who acted."""

    session: SessionToken | None = None


class CounterRequest(SignedRequest):
    """call_next, counter_open, counter_close: a counter and nothing else."""

    counter: Ident


class CounterTicketRequest(CounterRequest):
    """recall, no_show, complete: the counter's current ticket."""

    # Optional guard: the ticket the teller's screen shows. A stale screen gets an error
    # instead of acting on somebody else.
    ticket: TicketLabel | None = None


class TransferRequest(SignedRequest):
    ticket: TicketLabel
    to_service: Ident
    counter: Ident | None = None


class ReplayRequest(Request):
    """`replay`: the events after `after_seq`, for a subscriber that found a gap."""

    after_seq: Annotated[int, Field(ge=0)]
    limit: Annotated[int, Field(ge=1, le=200)] = 100


BookingCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]


class CheckInRequest(Request):
    """`check_in`: a booking at the kiosk, by its scanned pass or its typed code (one of them)."""

    scanned: Annotated[str, StringConstraints(min_length=1, max_length=700)] | None = None
    code: BookingCode | None = None
    lang: Literal["zh", "en"] = "zh"
    kiosk: Ident = "kiosk"

    @model_validator(mode="after")
    def _one_way_in(self) -> CheckInRequest:
        if (self.scanned is None) == (self.code is None):
            raise ValueError("give either the scanned pass or the typed code")
        return self


class SyncedBooking(Strict):
    """One booking as head office sends it; the branch decides the rest of its life."""

    code: BookingCode
    service: Ident
    slot_start: AwareDatetime
    slot_minutes: Annotated[int, Field(ge=5, le=240)]
    tier: Tier = Tier.MASS
    rm: Ident | None = None  # the RM the customer booked with (staff id)
    customer_name: Annotated[str, StringConstraints(max_length=40)] = ""
    # Head office's word; a branch state (checked_in, late, no_show) is what this branch itself
    # reported before: a replacement box must not let a used booking be used again.
    state: Literal["booked", "cancelled", "checked_in", "late", "no_show"]


class AppointmentsSyncRequest(Request):
    """`appointments_sync` (head office): every booking of the coming days, as of `version`.

    Idempotent: a version the branch already holds (or an older one) changes nothing.
    """

    version: Annotated[int, Field(ge=1)]
    booking_key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{43}$")]  # Ed25519 public key, base64url
    bookings: Annotated[list[SyncedBooking], Field(max_length=5000)]


class AlertAckRequest(SignedRequest):
    """`referred` is answered by `refer` with the alert's id, which hands the customer on."""

    alert_id: HexId
    # Who answered, for a branch without a staff roster; with one, the session says it.
    by: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    outcome: Literal["greeted", "declined"]


class StaffSignInRequest(Request):
    staff_id: Ident
    pin: Pin
    page: StaffPage
    # The teller console's counter: one person at a counter at a time.
    counter: Ident | None = None


class StaffSignOutRequest(Request):
    session: SessionToken


class SessionRequest(Request):
    session: SessionToken


class ReferRequest(Request):
    """转介: the customer of a ticket (at a counter) or of a VIP alert, to the RM pool (no
    `to_rm`) or a named RM, with the manuals' recognition triggers and a note."""

    session: SessionToken
    ticket: TicketLabel | None = None
    alert_id: HexId | None = None
    to_rm: Ident | None = None
    destination: Literal["rm", "vip_room"] = "rm"
    triggers: Annotated[list[Ident], Field(max_length=20)] = []
    note: ShortText = ""
    customer_name: Annotated[str, StringConstraints(max_length=20)] = ""


class ReferralRequest(Request):
    session: SessionToken
    referral_id: HexId


class ReferralOutcomeRequest(ReferralRequest):
    """The SOP's three cases: converted (with the product), follow_up (with a date and a
    channel; a phone number only with the customer's consent), declined."""

    outcome: Literal["converted", "follow_up", "declined"]
    product: Annotated[str, StringConstraints(max_length=40)] = ""
    follow_up_on: date | None = None
    channel: Literal["phone", "visit", "wechat", "sms"] | None = None
    phone: Phone | None = None
    consent: bool = False
    meets_criteria: bool | None = None
    note: ShortText = ""


class ProspectMarkRequest(Request):
    session: SessionToken
    ticket: TicketLabel
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    customer_name: Annotated[str, StringConstraints(max_length=20)] = ""


class ProspectUnmarkRequest(Request):
    session: SessionToken
    ticket: TicketLabel


class PromotionPublishRequest(Request):
    session: SessionToken
    title: Annotated[str, StringConstraints(min_length=1, max_length=30)]
    text: Annotated[str, StringConstraints(max_length=120)] = ""
    # A PNG or JPEG, base64; checked by the agent against [promotions] max_image_kb.
    image: Annotated[str, StringConstraints(max_length=2_000_000)] | None = None
    starts_on: date
    ends_on: date
    # Empty: everyone. Otherwise the tiers whose identified screen may show it.
    tiers: Annotated[list[Tier], Field(max_length=8)] = []


class RateRequest(Request):
    """`rate`: the customer's vote on the rating screen at `counter`, for the prompt it shows."""

    counter: Ident
    prompt_id: HexId
    score: Annotated[int, Field(ge=1, le=5)]
    reasons: Annotated[list[Ident], Field(max_length=10)] = []


class ServiceAlertAckRequest(Request):
    session: SessionToken
    alert_id: HexId
    note: ShortText = ""


Note = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class ComplaintOpenRequest(Request):
    """投诉: from a low rating's service alert, or a customer who walks up to the manager."""

    session: SessionToken
    category: Ident
    said: Note
    ticket: TicketLabel | None = None
    service_alert_id: HexId | None = None
    contact: Phone | None = None
    consent: bool = False


class ComplaintUpdateRequest(Request):
    session: SessionToken
    complaint_id: HexId
    to: Literal["acknowledged", "resolved", "escalated"]
    note: Note


class PromotionWithdrawRequest(Request):
    session: SessionToken
    promotion_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


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


class AppointmentNote(BaseModel):
    """On a ticket checked in for a booking: which, and whether it keeps its slot."""

    code: str
    slot_start: datetime
    on_time: bool  # False: too late, so this is a walk-in ticket and the booking is marked late
    rm_alerted: bool = False


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
    # The ticket's live page at head office (signed), printed as the QR code; None without [head_office].
    link: str | None = None
    # A ticket from `check_in`: the booking it was checked in for.
    appointment: AppointmentNote | None = None


class AppointmentsSyncAnswer(Answer):
    version: int  # the version the branch holds now
    applied: bool  # False: it held this version or a newer one already
    held: int  # bookings it holds from today on


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
    # The customer swiped a card: they can be marked as a prospect (prospect_mark).
    identified: bool = False


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


class StaffSignInAnswer(Answer):
    """`staff_sign_in`: `session` goes with every later request of this person (keep it
    secret); `ref` is its public name in staff/state."""

    session: str
    ref: str
    staff_id: str
    name: str
    role: str
    page: str
    counter: str | None
    idle_sign_out_s: int


class StaffSignOutAnswer(Answer):
    staff_id: str
    ref: str


class ReferralView(BaseModel):
    """A referral as the pages show it. `phone` is only in the RM's own list; everyone else
    sees `phone_masked`."""

    referral_id: str
    state: Literal["open", "accepted", "converted", "follow_up", "declined"]
    source: Literal["counter", "vip_alert", "appointment"]
    created_at: datetime
    ticket: str | None
    alert_id: str | None
    customer_name: str
    tier: Tier
    triggers: list[str]
    note: str
    referrer: str
    referrer_name: str
    destination: Literal["rm", "vip_room"]
    to_rm: str | None
    to_rm_name: str | None
    accepted_by: str | None = None
    accepted_by_name: str | None = None
    accepted_at: datetime | None = None
    outcome_at: datetime | None = None
    product: str | None = None
    follow_up_on: date | None = None
    channel: str | None = None
    meets_criteria: bool | None = None
    outcome_note: str | None = None
    phone_masked: str | None = None
    phone: str | None = None


class ReferralAnswer(Answer):
    """`refer`, `referral_accept`, `referral_outcome`."""

    referral: ReferralView


class ReferralListAnswer(Answer):
    """`referral_list`: today's referrals this person may see (an RM: the pool's and their
    own), and an RM's open follow-ups from any day."""

    referrals: list[ReferralView]
    follow_ups: list[ReferralView]


class ProspectAnswer(Answer):
    """`prospect_mark`, `prospect_unmark`: the tier the card's next swipe will get."""

    ticket: str
    tier: Tier
    prospect: bool
    by: str


class PromotionAnswer(Answer):
    promotion_id: str
    active: bool


class RateAnswer(Answer):
    """`rate`: the vote counted; `low` when it raised a service alert for the lobby manager."""

    prompt_id: str
    ticket: str
    score: int
    low: bool


class ServiceAlertAckAnswer(Answer):
    alert_id: str
    by: str
    after_s: int


class ComplaintStep(BaseModel):
    state: str
    at: datetime
    by: str
    by_name: str
    note: str


class ComplaintView(BaseModel):
    """A complaint as the tablet shows it. `contact` only in the manager's own answers
    (`complaint_list`, `complaint_open`, `complaint_update`); events carry `contact_masked`."""

    complaint_id: str
    state: Literal["open", "acknowledged", "resolved", "escalated"]
    category: str
    said: str
    ticket: str | None
    service_alert_id: str | None
    opened_at: datetime
    opened_by: str
    opened_by_name: str
    ack_by: datetime
    resolve_by: datetime
    overdue: list[str]
    steps: list[ComplaintStep]
    contact_masked: str | None = None
    contact: str | None = None


class ComplaintAnswer(Answer):
    """`complaint_open`, `complaint_update`."""

    complaint: ComplaintView


class ComplaintListAnswer(Answer):
    """`complaint_list`: complaints not yet resolved (any day) and today's resolved ones."""

    complaints: list[ComplaintView]


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
    "staff_sign_in": Operation(StaffSignInRequest, StaffSignInAnswer),
    "staff_sign_out": Operation(StaffSignOutRequest, StaffSignOutAnswer),
    "refer": Operation(ReferRequest, ReferralAnswer),
    "referral_list": Operation(SessionRequest, ReferralListAnswer),
    "referral_accept": Operation(ReferralRequest, ReferralAnswer),
    "referral_outcome": Operation(ReferralOutcomeRequest, ReferralAnswer),
    "prospect_mark": Operation(ProspectMarkRequest, ProspectAnswer),
    "prospect_unmark": Operation(ProspectUnmarkRequest, ProspectAnswer),
    "promotion_publish": Operation(PromotionPublishRequest, PromotionAnswer),
    "promotion_withdraw": Operation(PromotionWithdrawRequest, PromotionAnswer),
    "rate": Operation(RateRequest, RateAnswer),
    "service_alert_ack": Operation(ServiceAlertAckRequest, ServiceAlertAckAnswer),
    "complaint_open": Operation(ComplaintOpenRequest, ComplaintAnswer),
    "complaint_update": Operation(ComplaintUpdateRequest, ComplaintAnswer),
    "complaint_list": Operation(SessionRequest, ComplaintListAnswer),
    "replay": Operation(ReplayRequest, ReplayAnswer),
    "check_in": Operation(CheckInRequest, TicketAnswer),
    "appointments_sync": Operation(AppointmentsSyncRequest, AppointmentsSyncAnswer),
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
    # The staff id of who called it (None: the branch has no staff roster).
    by: str | None = None
    # Why it was called now: cap | appointment | priority | first_come (edge_agent.queue.policy.Rule).
    rule: str | None = None


class AlertAnsweredEvent(Event):
    """A VIP or service alert was answered: every manager tablet clears it, whoever answered."""

    kind: Literal["vip", "service"] = "vip"
    alert_id: str
    ticket: str
    ticket_id: str
    outcome: str
    by: str
    at: datetime
    after_s: int


class ReferralEvent(Event):
    """A referral was made, accepted or decided: the RM pages, the manager tablets and head
    office follow it. Never carries a phone number."""

    referral: ReferralView
    at: datetime


class AppointmentEvent(Event):
    """A booking's arrival (or absence) at the branch: head office keeps its books by it."""

    code: str
    business_day: date
    service: str
    slot_start: datetime
    state: Literal["checked_in", "late", "no_show"]
    at: datetime
    ticket: str | None = None
    ticket_id: str | None = None
    rm: str | None = None


class RatingPromptEvent(Event):
    """A rating prompt opened at a counter (the teller completed a ticket) or closed there
    (voted, the next ticket called, or timed out). The rating screen at `counter` follows it."""

    prompt_id: str
    state: Literal["open", "closed"]
    ticket: str
    counter: str
    service: str
    staff_id: str | None
    staff_name: str | None
    scale: int
    opened_at: datetime
    closes_at: datetime
    close_reason: str | None = None
    at: datetime


class ServiceAlert(Event):
    """A low rating: the lobby manager should see the customer before they leave (服务补救)."""

    ticket: str
    ticket_id: str
    counter: str
    service: str
    staff_id: str | None
    staff_name: str | None
    score: int
    scale: int
    reasons: list[str]
    rated_at: datetime


class ComplaintEvent(Event):
    """A complaint opened or moved a step; the contact given is only masked here."""

    complaint: ComplaintView
    at: datetime


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
    ReferralEvent: "events/referral",
    RatingPromptEvent: "events/rating_prompt",
    ServiceAlert: "alerts/service",
    ComplaintEvent: "events/complaint",
    AppointmentEvent: "events/appointment",
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
