"""Events: agent -> everyone on `events/...` and `alerts/...`, each with its `event_id` and `seq`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from lobby.contract.answers import ComplaintView, ReferralView
from lobby.contract.common import new_event_id
from lobby.contract.vocabularies import BRANCH_STATES, AlertKind, BookingState, CallRule, PromptState, Tier, only


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
    # Why it was called now (the queue policy's decision).
    rule: CallRule | None = None


class AlertAnsweredEvent(Event):
    """A VIP or service alert was answered: every manager tablet clears it, whoever answered."""

    kind: AlertKind = AlertKind.VIP
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
    state: Annotated[BookingState, AfterValidator(only(*BRANCH_STATES))]
    at: datetime
    ticket: str | None = None
    ticket_id: str | None = None
    rm: str | None = None


class RatingPromptEvent(Event):
    """A rating prompt opened at a counter (the teller completed a ticket) or closed there
    (voted, the next ticket called, or timed out). The rating screen at `counter` follows it."""

    prompt_id: str
    state: PromptState
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
