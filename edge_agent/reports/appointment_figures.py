"""预约 in the branch's report: how many bookings came, when they came against their slot, and
how long after the slot their ticket was first called. Pure: rows in, figures out."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from edge_agent.reports.figures import Stats


@dataclass(frozen=True)
class AppointmentRow:
    service: str
    slot_start: datetime
    state: str  # lobby.appointments.BookingState
    checked_in_at: datetime | None  # the branch's word: check-in (or the late walk-in)
    first_called_at: datetime | None  # the ticket's first call


@dataclass
class AppointmentKind:
    bookings: int = 0  # not cancelled
    cancelled: int = 0
    early: int = 0  # checked in before the slot
    on_time: int = 0  # checked in from the slot to the end of the window
    late: int = 0  # came after the window: a walk-in ticket
    no_show: int = 0
    waiting: int = 0  # still booked (a slot still ahead)
    called_after_slot: Stats = field(default_factory=Stats)  # minutes from the slot to the first call, appointment tickets


@dataclass
class AppointmentFigures:
    all: AppointmentKind
    per_service: dict[str, AppointmentKind]


def _kind(rows: list[AppointmentRow]) -> AppointmentKind:
    kind = AppointmentKind()
    states = Counter(r.state for r in rows)
    kind.cancelled = states["cancelled"]
    kind.bookings = len(rows) - kind.cancelled
    kind.late, kind.no_show, kind.waiting = states["late"], states["no_show"], states["booked"]
    checked = [r for r in rows if r.state == "checked_in"]
    kind.early = sum(1 for r in checked if r.checked_in_at is not None and r.checked_in_at < r.slot_start)
    kind.on_time = len(checked) - kind.early
    kind.called_after_slot = Stats.of([
        max(0.0, (r.first_called_at - r.slot_start) / timedelta(minutes=1)) for r in checked if r.first_called_at is not None
    ])
    return kind


def compute_appointments(rows: list[AppointmentRow]) -> AppointmentFigures:
    services = sorted({r.service for r in rows})
    return AppointmentFigures(_kind(rows), {s: _kind([r for r in rows if r.service == s]) for s in services})
