"""A referral's life, as the SOP has it: made (open) → accepted by an RM → one of three
outcomes. `follow_up` stays open until the follow-up ends in `converted` or `declined`.

    open ──accept──▶ accepted ──converted──▶ converted
                        │ ├────declined───▶ declined
                        │ └───follow_up──▶ follow_up ──converted / declined──▶ (final)

Pure: what may happen next, and the fields each outcome needs. The store and the bus are
elsewhere (edge_agent/desks/referrals.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from edge_agent.queue.engine import QueueError
from lobby.contract import OUTCOMES, ErrorCode, ReferralState

FINAL = frozenset({ReferralState.CONVERTED, ReferralState.DECLINED})

TRANSITIONS: dict[ReferralState, frozenset[ReferralState]] = {
    ReferralState.OPEN: frozenset({ReferralState.ACCEPTED}),
    ReferralState.ACCEPTED: frozenset(OUTCOMES),
    ReferralState.FOLLOW_UP: frozenset({ReferralState.CONVERTED, ReferralState.DECLINED}),
    ReferralState.CONVERTED: frozenset(),
    ReferralState.DECLINED: frozenset(),
}


def advance(state: ReferralState, to: ReferralState) -> ReferralState:
    """The next state, or a QueueError saying why this step cannot be taken now."""
    if to in TRANSITIONS[state]:
        return to
    if to is ReferralState.ACCEPTED:
        raise QueueError(ErrorCode.REFERRAL_TAKEN, "This referral was already accepted.")
    if state is ReferralState.OPEN:
        raise QueueError(ErrorCode.REFERRAL_NOT_ACCEPTED, "Accept the referral before recording what came of it.")
    raise QueueError(ErrorCode.OUTCOME_ALREADY_RECORDED, f"This referral's outcome is already recorded ({state.value}).")


@dataclass(frozen=True)
class OutcomeForm:
    outcome: ReferralState
    product: str
    follow_up_on: date | None
    channel: str | None
    phone: str | None
    consent: bool


def check_outcome(form: OutcomeForm, today: date) -> None:
    """Each outcome's own fields, and a phone number only with the customer's consent."""
    if form.outcome is ReferralState.CONVERTED and not form.product:
        raise QueueError(ErrorCode.OUTCOME_INCOMPLETE, "Converted: name the product or account opened.")
    if form.outcome is ReferralState.FOLLOW_UP:
        if form.follow_up_on is None or form.channel is None:
            raise QueueError(ErrorCode.OUTCOME_INCOMPLETE, "Follow-up: give the date and the channel (phone, visit, WeChat, SMS).")
        if form.follow_up_on < today:
            raise QueueError(ErrorCode.OUTCOME_INCOMPLETE, f"Follow-up: the date {form.follow_up_on} has passed; choose today or later.")
    if form.phone and not form.consent:
        raise QueueError(ErrorCode.CONSENT_REQUIRED, "A phone number is kept only when the customer agrees: tick the consent box, or leave it out.")
    if form.phone and form.outcome is ReferralState.DECLINED:
        raise QueueError(ErrorCode.CONSENT_REQUIRED, "Declined: the customer left no contact, so none is recorded.")
