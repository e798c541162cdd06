"""The operations: each op's request, answer and who may ask for it, declared once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel

from lobby.contract.answers import (
    AlertAckAnswer,
    Answer,
    AppointmentsSyncAnswer,
    CalledAnswer,
    CardholderAnswer,
    ComplaintAnswer,
    ComplaintListAnswer,
    CounterAnswer,
    PromotionAnswer,
    ProspectAnswer,
    RateAnswer,
    ReferralAnswer,
    ReferralListAnswer,
    ReplayAnswer,
    ServiceAlertAckAnswer,
    StaffSignInAnswer,
    StaffSignOutAnswer,
    TicketAnswer,
    TicketSummary,
    TransferAnswer,
)
from lobby.contract.errors import ErrorCode
from lobby.contract.requests import (
    AlertAckRequest,
    AppointmentsSyncRequest,
    CheckInRequest,
    ComplaintOpenRequest,
    ComplaintUpdateRequest,
    CounterRequest,
    CounterTicketRequest,
    IdentifyRequest,
    PromotionPublishRequest,
    PromotionWithdrawRequest,
    ProspectMarkRequest,
    ProspectUnmarkRequest,
    RateRequest,
    ReferralOutcomeRequest,
    ReferralRequest,
    ReferRequest,
    ReplayRequest,
    Request,
    ServiceAlertAckRequest,
    SessionRequest,
    StaffSignInRequest,
    StaffSignOutRequest,
    TicketRequest,
    TransferRequest,
)
from lobby.contract.vocabularies import StaffPage


class SignIn(StrEnum):
    """Whether an op needs the person behind it (a `session` from `staff_sign_in`)."""

    NONE = "none"  # a device or head office asks; nobody signs in
    IF_ROSTER = "if_roster"  # needed once the branch has a staff roster; before that the page acts unsigned
    REQUIRED = "required"


# The broker's roles (one generated user each, `edge-agent broker setup`).
ROLES = ("agent", "kiosk", "teller", "manager", "rm", "rater", "display", "hq")


@dataclass(frozen=True)
class Operation:
    """One op, declared once: what it takes, what it answers, who may publish it (the broker's
    ACL is written from `roles`) and whether a person must be signed in to do it (the agent
    checks a session against the staff pages among `roles`). Head office may send any op."""

    request: type[Request]
    answer: type[Answer]
    roles: tuple[str, ...]
    sign_in: SignIn = SignIn.NONE

    @property
    def pages(self) -> tuple[StaffPage, ...]:
        """The staff pages whose signed-in person may do this."""
        return tuple(StaffPage(role) for role in self.roles if role in _PAGES)


_PAGES = frozenset(page.value for page in StaffPage)
_COUNTER = ("teller",)
_STAFF = ("teller", "manager", "rm")

OPERATIONS: dict[str, Operation] = {
    "ticket": Operation(TicketRequest, TicketAnswer, ("kiosk",)),
    "identify": Operation(IdentifyRequest, CardholderAnswer, ("kiosk",)),
    "check_in": Operation(CheckInRequest, TicketAnswer, ("kiosk",)),
    "call_next": Operation(CounterRequest, CalledAnswer, _COUNTER, SignIn.IF_ROSTER),
    "recall": Operation(CounterTicketRequest, CalledAnswer, _COUNTER, SignIn.IF_ROSTER),
    "no_show": Operation(CounterTicketRequest, TicketSummary, _COUNTER, SignIn.IF_ROSTER),
    "complete": Operation(CounterTicketRequest, TicketSummary, _COUNTER, SignIn.IF_ROSTER),
    "transfer": Operation(TransferRequest, TransferAnswer, _COUNTER, SignIn.IF_ROSTER),
    "counter_open": Operation(CounterRequest, CounterAnswer, _COUNTER, SignIn.IF_ROSTER),
    "counter_close": Operation(CounterRequest, CounterAnswer, _COUNTER, SignIn.IF_ROSTER),
    "alert_ack": Operation(AlertAckRequest, AlertAckAnswer, ("manager",), SignIn.IF_ROSTER),
    "staff_sign_in": Operation(StaffSignInRequest, StaffSignInAnswer, _STAFF),
    "staff_sign_out": Operation(StaffSignOutRequest, StaffSignOutAnswer, _STAFF),
    "refer": Operation(ReferRequest, ReferralAnswer, ("teller", "manager"), SignIn.REQUIRED),
    "referral_list": Operation(SessionRequest, ReferralListAnswer, ("rm", "manager"), SignIn.REQUIRED),
    "referral_accept": Operation(ReferralRequest, ReferralAnswer, ("rm",), SignIn.REQUIRED),
    "referral_outcome": Operation(ReferralOutcomeRequest, ReferralAnswer, ("rm",), SignIn.REQUIRED),
    "prospect_mark": Operation(ProspectMarkRequest, ProspectAnswer, _STAFF, SignIn.REQUIRED),
    "prospect_unmark": Operation(ProspectUnmarkRequest, ProspectAnswer, _STAFF, SignIn.REQUIRED),
    "promotion_publish": Operation(PromotionPublishRequest, PromotionAnswer, ("manager",), SignIn.REQUIRED),
    "promotion_withdraw": Operation(PromotionWithdrawRequest, PromotionAnswer, ("manager",), SignIn.REQUIRED),
    "rate": Operation(RateRequest, RateAnswer, ("rater",)),
    "service_alert_ack": Operation(ServiceAlertAckRequest, ServiceAlertAckAnswer, ("manager",), SignIn.REQUIRED),
    "complaint_open": Operation(ComplaintOpenRequest, ComplaintAnswer, ("manager",), SignIn.REQUIRED),
    "complaint_update": Operation(ComplaintUpdateRequest, ComplaintAnswer, ("manager",), SignIn.REQUIRED),
    "complaint_list": Operation(SessionRequest, ComplaintListAnswer, ("manager",), SignIn.REQUIRED),
    "replay": Operation(ReplayRequest, ReplayAnswer, ("manager", "hq")),
    "appointments_sync": Operation(AppointmentsSyncRequest, AppointmentsSyncAnswer, ("hq",)),
}


def ops_of(role: str) -> tuple[str, ...]:
    """The ops a broker role may publish, in the contract's order (head office: all of them)."""
    return tuple(op for op, operation in OPERATIONS.items() if role == "hq" or role in operation.roles)


class Response(BaseModel):
    transaction: str | None
    status: Literal["ok", "error"]
    data: dict | None = None
    error: str | None = None
    # Stable machine code beside the sentence, so clients can branch without parsing text.
    code: ErrorCode | None = None
