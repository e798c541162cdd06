"""Which waiting ticket a counter calls next, under its work profile.

Order of decisions, the same for every profile:
1. the cap: a ticket waiting more than `cap_past_target_s` past its service's target is
   called first, the most overdue first — this is what keeps a continuous flow of VIPs
   from starving anybody;
2. appointments: a checked-in booking whose slot has come, the earliest slot first (before
   its slot it waits like anybody who came in at that moment);
3. the profile: fifo (by queue time), ratio (N priority calls then M others) or
   accumulating (Kleinrock: priority = tier rate x seconds waited).
Ties always fall back to queue time, then ticket id, so a choice never depends on the
order tickets happen to be held in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from edge_agent.queue.model import ServiceSpec, Ticket, WorkProfile
from lobby.contract import CallRule, ProfileKind


@dataclass(frozen=True)
class Choice:
    ticket: Ticket
    reason: str  # "cap", "appointment", "fifo", "accumulating", "ratio-priority", "ratio-other", "ratio-fallback"
    ratio_cursor: int  # the counter's ratio position after this call
    rule: CallRule


def waited_s(ticket: Ticket, now: datetime) -> float:
    return max(0.0, (now - ticket.queued_at).total_seconds())


def overdue_s(ticket: Ticket, profile: WorkProfile, services: Mapping[str, ServiceSpec], now: datetime) -> float | None:
    """Seconds past target + cap, when positive; None when within the cap or no cap."""
    if profile.cap_past_target_s is None:
        return None
    late = waited_s(ticket, now) - services[ticket.service].target_wait_s - profile.cap_past_target_s
    return late if late > 0 else None


def _queue_key(ticket: Ticket) -> tuple:
    return (ticket.queued_at, ticket.id)


def _due_appointment(ticket: Ticket, now: datetime) -> bool:
    return ticket.appointment_at is not None and ticket.appointment_at <= now


def _slot_key(ticket: Ticket) -> tuple:
    assert ticket.appointment_at is not None
    return (ticket.appointment_at, *_queue_key(ticket))


def _is_priority(ticket: Ticket, profile: WorkProfile) -> bool:
    return ticket.tier in profile.priority_tiers


def _wants_priority(cursor: int, profile: WorkProfile) -> bool:
    return cursor % sum(profile.ratio) < profile.ratio[0]


def _advance(cursor: int, called: Ticket, profile: WorkProfile, now: datetime) -> int:
    """Move along the ratio cycle only when the call filled the slot it was due to fill.

    A fallback call (the wanted class was empty), a cap call of the other class or an
    appointment leaves the cursor where it is, so neither class banks credit while the
    other is absent, and a booked slot costs nobody their turn.
    """
    if profile.kind is not ProfileKind.RATIO or _due_appointment(called, now):
        return cursor
    cycle = sum(profile.ratio)
    cursor %= cycle
    if _is_priority(called, profile) == _wants_priority(cursor, profile):
        return (cursor + 1) % cycle
    return cursor


def choose(
    waiting: Iterable[Ticket],
    profile: WorkProfile,
    services: Mapping[str, ServiceSpec],
    ratio_cursor: int,
    now: datetime,
) -> Choice | None:
    """The ticket to call next among `waiting`, or None when nobody waits."""
    tickets = list(waiting)
    if not tickets:
        return None
    overdue = [(overdue_s(t, profile, services, now), t) for t in tickets]
    late = [(s, t) for s, t in overdue if s is not None]
    due = [t for t in tickets if _due_appointment(t, now)]
    if late:
        ticket = min(late, key=lambda st: (-st[0], *_queue_key(st[1])))[1]
        reason = "cap"
    elif due:
        ticket, reason = min(due, key=_slot_key), "appointment"
    elif profile.kind is ProfileKind.FIFO:
        ticket, reason = min(tickets, key=_queue_key), "fifo"
    elif profile.kind is ProfileKind.ACCUMULATING:
        ticket = min(tickets, key=lambda t: (-profile.rate(t.tier) * waited_s(t, now), *_queue_key(t)))
        reason = "accumulating"
    else:
        want_priority = _wants_priority(ratio_cursor, profile)
        wanted = [t for t in tickets if _is_priority(t, profile) == want_priority]
        if wanted:
            ticket, reason = min(wanted, key=_queue_key), "ratio-priority" if want_priority else "ratio-other"
        else:
            ticket, reason = min(tickets, key=_queue_key), "ratio-fallback"
    return Choice(ticket, reason, _advance(ratio_cursor, ticket, profile, now), _rule(reason, ticket, tickets))


def _rule(reason: str, called: Ticket, waiting: list[Ticket]) -> CallRule:
    if reason == "cap":
        return CallRule.CAP
    if reason == "appointment":
        return CallRule.APPOINTMENT
    if min(waiting, key=_queue_key) is called:
        return CallRule.FIRST_COME
    return CallRule.PRIORITY


def call_order(
    waiting: Iterable[Ticket],
    profile: WorkProfile,
    services: Mapping[str, ServiceSpec],
    ratio_cursor: int,
    now: datetime,
) -> list[Ticket]:
    """The order one counter would call `waiting` if time stood still and nobody arrived.

    Equal to calling `choose` repeatedly (the tests check this), in O(n log n): with the
    clock frozen, overdue status and accumulated priorities do not change between calls.
    """
    tickets = list(waiting)
    late = {t.id: s for t in tickets if (s := overdue_s(t, profile, services, now)) is not None}
    order = sorted((t for t in tickets if t.id in late), key=lambda t: (-late[t.id], *_queue_key(t)))
    order += sorted((t for t in tickets if t.id not in late and _due_appointment(t, now)), key=_slot_key)
    rest = [t for t in tickets if t.id not in late and not _due_appointment(t, now)]
    if profile.kind is ProfileKind.FIFO:
        return order + sorted(rest, key=_queue_key)
    if profile.kind is ProfileKind.ACCUMULATING:
        return order + sorted(rest, key=lambda t: (-profile.rate(t.tier) * waited_s(t, now), *_queue_key(t)))
    cursor = ratio_cursor
    for ticket in order:
        cursor = _advance(cursor, ticket, profile, now)
    priority = sorted((t for t in rest if _is_priority(t, profile)), key=_queue_key, reverse=True)
    others = sorted((t for t in rest if not _is_priority(t, profile)), key=_queue_key, reverse=True)
    while priority or others:
        wanted, other = (priority, others) if _wants_priority(cursor, profile) else (others, priority)
        ticket = (wanted or other).pop()
        order.append(ticket)
        cursor = _advance(cursor, ticket, profile, now)
    return order
