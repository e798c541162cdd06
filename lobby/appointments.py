"""A booking's life, the same at head office and at the branch (预约).

    booked ──check-in inside the window──▶ checked_in
       │ ├──check-in after the window───▶ late   (a walk-in ticket)
       │ ├──window over, nobody came────▶ no_show ──came after all──▶ late
       │ └──cancelled by the customer───▶ cancelled

Head office makes and cancels bookings; only the branch sees customers arrive, so only it
moves a booking to checked_in, late or no_show, and head office learns it from the branch's
`events/appointment`. When both changed a booking while the link was down, the branch's
word stands (`merged`): a customer who was served was served.

Pure: no clock, no store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from lobby.contract import BookingState

TRANSITIONS: dict[BookingState, frozenset[BookingState]] = {
    BookingState.BOOKED: frozenset({BookingState.CHECKED_IN, BookingState.LATE, BookingState.NO_SHOW, BookingState.CANCELLED}),
    BookingState.NO_SHOW: frozenset({BookingState.LATE}),
    BookingState.CHECKED_IN: frozenset(),
    BookingState.LATE: frozenset(),
    BookingState.CANCELLED: frozenset(),
}



def may(state: BookingState, to: BookingState) -> bool:
    return to in TRANSITIONS[state]


def merged(at_branch: BookingState | None, from_head_office: BookingState) -> BookingState:
    """The state a synced booking takes at the branch.

    Head office's word for a booking the branch has not touched; the branch's own once a
    customer came or did not (a cancellation that crossed a check-in loses).
    """
    if at_branch is None or at_branch is from_head_office:
        return from_head_office
    if at_branch is BookingState.BOOKED and may(at_branch, from_head_office):
        return from_head_office
    return at_branch


@dataclass(frozen=True)
class Windows:
    """When a booking may be checked in: from `early` before its slot to `late` after it."""

    early: timedelta
    late: timedelta


class Arrival(StrEnum):
    EARLY = "early"  # before the window: come back later, or take a walk-in ticket
    ON_TIME = "on_time"  # inside the window: an appointment ticket
    LATE = "late"  # after it: a walk-in ticket, and the booking is marked late


def arrival(slot_start: datetime, now: datetime, windows: Windows) -> Arrival:
    if now < slot_start - windows.early:
        return Arrival.EARLY
    if now <= slot_start + windows.late:
        return Arrival.ON_TIME
    return Arrival.LATE


def opens_at(slot_start: datetime, windows: Windows) -> datetime:
    """The first moment a booking may be checked in: what a too-early customer is told."""
    return slot_start - windows.early


def no_show_due(slot_start: datetime, now: datetime, windows: Windows) -> bool:
    """Whether a booking still not checked in has become a no-show."""
    return now > slot_start + windows.late


class Refusal(StrEnum):
    """Why a booking gives no ticket at all."""

    CANCELLED = "cancelled"
    USED = "used"


def refusal(state: BookingState) -> Refusal | None:
    """Why a booking in `state` cannot be checked in; None when it can."""
    if state is BookingState.CANCELLED:
        return Refusal.CANCELLED
    if state in (BookingState.CHECKED_IN, BookingState.LATE):
        return Refusal.USED
    return None


def check_in_state(state: BookingState, how: Arrival) -> BookingState | None:
    """The state a check-in moves a usable booking to; None when it changes nothing (too early)."""
    if how is Arrival.EARLY:
        return None
    to = BookingState.CHECKED_IN if how is Arrival.ON_TIME and state is BookingState.BOOKED else BookingState.LATE
    assert may(state, to), f"{state} cannot become {to}"
    return to
