"""Answers: agent -> the requester, in `data` of `response/<op>`.

Built by the agent, read by the kiosk, head office, the tests and the tools. Fields are only
ever added within v1, so readers ignore what they do not know."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from lobby.contract.vocabularies import AlertOutcome, ComplaintState, ReferralDestination, ReferralSource, ReferralState, Tier


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
    outcome: AlertOutcome
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
    state: ReferralState
    source: ReferralSource
    created_at: datetime
    ticket: str | None
    alert_id: str | None
    customer_name: str
    tier: Tier
    triggers: list[str]
    note: str
    referrer: str
    referrer_name: str
    destination: ReferralDestination
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
    state: ComplaintState
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
