"""Requests: client -> agent on `request/<op>`, validated strictly (unknown fields refused),
so a client's typo is an error it can read, not a silently ignored field."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, model_validator

from lobby.contract.common import HexId, Ident, Phone, Pin, SessionToken, ShortText, Strict, TicketLabel, Transaction
from lobby.contract.vocabularies import (
    OUTCOMES,
    AlertOutcome,
    BookingState,
    ComplaintState,
    FollowUpChannel,
    Lang,
    ReferralDestination,
    ReferralState,
    StaffPage,
    Tier,
    only,
)


class Request(Strict):
    transaction: Transaction


class CardIdentity(Strict):
    """What a card reader lets out of the kiosk: never the card number itself."""

    token: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    masked_pan: Annotated[str, StringConstraints(pattern=r"^\d{6}\*{2,9}\d{4}$")]


class TicketRequest(Request):
    service: Ident
    card: CardIdentity | None = None
    lang: Lang = Lang.ZH
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
    lang: Lang = Lang.ZH
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
    state: BookingState


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
    outcome: Annotated[AlertOutcome, AfterValidator(only(AlertOutcome.GREETED, AlertOutcome.DECLINED))]


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
    destination: ReferralDestination = ReferralDestination.RM
    triggers: Annotated[list[Ident], Field(max_length=20)] = []
    note: ShortText = ""
    customer_name: Annotated[str, StringConstraints(max_length=20)] = ""


class ReferralRequest(Request):
    session: SessionToken
    referral_id: HexId


class ReferralOutcomeRequest(ReferralRequest):
    """The SOP's three cases: converted (with the product), follow_up (with a date and a
    channel; a phone number only with the customer's consent), declined."""

    outcome: Annotated[ReferralState, AfterValidator(only(*OUTCOMES))]
    product: Annotated[str, StringConstraints(max_length=40)] = ""
    follow_up_on: date | None = None
    channel: FollowUpChannel | None = None
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
    to: Annotated[ComplaintState, AfterValidator(only(ComplaintState.ACKNOWLEDGED, ComplaintState.RESOLVED, ComplaintState.ESCALATED))]
    note: Note


class PromotionWithdrawRequest(Request):
    session: SessionToken
    promotion_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
