"""A complaint's life: open → acknowledged → resolved or escalated; an escalated complaint
is resolved in the end. Each step has who, when and a note. Pure.

    open ──acknowledged──▶ acknowledged ──resolved──▶ resolved
                                 └──────escalated──▶ escalated ──resolved──▶ resolved

Targets: acknowledged within `[complaints] ack_target_min` of being opened; resolved within
`resolve_target_days` working days (days the branch opens, by its opening hours).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from edge_agent.queue.engine import QueueError
from lobby.contract import ComplaintState, ErrorCode

TRANSITIONS: dict[ComplaintState, frozenset[ComplaintState]] = {
    ComplaintState.OPEN: frozenset({ComplaintState.ACKNOWLEDGED}),
    ComplaintState.ACKNOWLEDGED: frozenset({ComplaintState.RESOLVED, ComplaintState.ESCALATED}),
    ComplaintState.ESCALATED: frozenset({ComplaintState.RESOLVED}),
    ComplaintState.RESOLVED: frozenset(),
}


def advance(state: ComplaintState, to: ComplaintState) -> ComplaintState:
    if to in TRANSITIONS[state]:
        return to
    if state is ComplaintState.RESOLVED:
        raise QueueError(ErrorCode.COMPLAINT_CLOSED, "This complaint is already resolved.")
    if state is to:
        raise QueueError(ErrorCode.COMPLAINT_STEP_REFUSED, f"This complaint is already {state.value}.")
    if state is ComplaintState.OPEN:
        raise QueueError(ErrorCode.COMPLAINT_STEP_REFUSED, f"Acknowledge the complaint before it is {to.value}.")
    raise QueueError(ErrorCode.COMPLAINT_STEP_REFUSED, f"A complaint that is {state.value} cannot become {to.value}.")


def resolve_by(opened_at: datetime, working_days: int, opens_on: Callable[[date], bool]) -> datetime:
    """The end of the `working_days`-th day the branch opens after the day it was opened."""
    day, counted = opened_at.date(), 0
    for _ in range(working_days * 7 + 14):  # a branch closed for weeks still ends the loop
        day += timedelta(days=1)
        if opens_on(day):
            counted += 1
            if counted == working_days:
                break
    return datetime.combine(day, time(23, 59, 59), tzinfo=opened_at.tzinfo)


def overdue(state: ComplaintState, opened_at: datetime, acked_at: datetime | None, resolve_deadline: datetime,
            ack_target: timedelta, now: datetime) -> list[str]:
    """Which targets an unfinished complaint has missed: "ack", "resolve"."""
    late = []
    if state is ComplaintState.OPEN and now - opened_at > ack_target:
        late.append("ack")
    if state is not ComplaintState.RESOLVED and now > resolve_deadline:
        late.append("resolve")
    return late
