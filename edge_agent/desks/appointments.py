"""预约 at the branch: the bookings head office sends, check-in at the kiosk, and no-shows.

Runs inside Branch's transactions. The booking's life is lobby/appointments.py; this desk
checks a pass or a typed code against the bookings held here (so check-in works while head
office is unreachable), issues the ticket, tells the RM the customer booked with, and
reports every arrival or absence to head office on `events/appointment`.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import date, datetime, timedelta
from typing import Protocol

from edge_agent import events
from edge_agent.desks.referrals import ReferralDesk
from edge_agent.desks.work import BranchWork
from edge_agent.queue.engine import QueueError
from edge_agent.store import appointments as stored
from edge_agent.store import outbox
from edge_agent.store import tickets as rows
from edge_agent.store.appointments import Booking
from lobby import appointments, booking_pass
from lobby.appointments import Arrival, Refusal, Windows
from lobby.booking_pass import PassRefused
from lobby.contract import (
    AppointmentEvent,
    AppointmentNote,
    AppointmentsSyncAnswer,
    BookingState,
    ErrorCode,
    SyncedBooking,
    TicketAnswer,
    Tier,
)

log = logging.getLogger(__name__)

# A refused pass: the code the kiosk branches on, and the sentence for the log and the API.
PASS_REFUSALS = {
    "malformed": (ErrorCode.BOOKING_FORGED, "This code is not a booking pass of ours."),
    "forged": (ErrorCode.BOOKING_FORGED, "This booking pass was not issued by the bank, or it was changed."),
    "other_branch": (ErrorCode.BOOKING_NOT_OURS, "This booking is for another branch."),
    "expired": (ErrorCode.BOOKING_EXPIRED, "This booking was for an earlier day."),
    "unchecked": (ErrorCode.BOOKINGS_NEVER_SYNCED, "This branch has not received any bookings from head office yet."),
}


class TicketingBranch(BranchWork, Protocol):
    """What check-in needs beyond BranchWork: a ticket in its transaction, and the RM's referrals."""

    referrals: ReferralDesk

    def issue_in(
        self, conn: sqlite3.Connection, now: datetime, service: str, tier: Tier, *, kiosk: str | None = None, lang: str = "zh",
        appointment_at: datetime | None = None,
    ) -> TicketAnswer: ...


class AppointmentDesk:
    def __init__(self, branch: TicketingBranch):
        self.branch = branch

    @property
    def windows(self) -> Windows:
        settings = self.branch.config.appointments
        return Windows(early=timedelta(minutes=settings.early_min), late=timedelta(minutes=settings.late_min))

    def _day(self, at: datetime) -> date:
        return self._local(at).date()

    # ---- request/appointments_sync (head office) ---------------------------------------------

    def sync(self, version: int, booking_key: str, bookings: list[SyncedBooking], transaction: str | None = None) -> AppointmentsSyncAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> AppointmentsSyncAnswer:
            held = stored.sync_state(conn)
            if held is not None and held.version >= version:
                return AppointmentsSyncAnswer(version=held.version, applied=False, held=stored.held_from(conn, self._day(now)))
            for booking in bookings:
                day = self._day(booking.slot_start)
                here = stored.find(conn, day, booking.code)
                state = appointments.merged(here.state if here else None, BookingState(booking.state))
                stored.write_synced(conn, day, booking, state, version)
            stored.save_sync(conn, version, booking_key, now)
            log.info("head office's bookings, version %d: %d bookings", version, len(bookings))
            return AppointmentsSyncAnswer(version=version, applied=True, held=stored.held_from(conn, self._day(now)))

        return self.branch.perform("appointments_sync", transaction, action)

    # ---- request/check_in (kiosk) ------------------------------------------------------------

    def check_in(self, scanned: str | None, code: str | None, lang: str = "zh", kiosk: str | None = None,
                 transaction: str | None = None) -> TicketAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> TicketAnswer:
            booking = self._booking(conn, now, scanned, code)
            refused = appointments.refusal(booking.state)
            if refused is Refusal.CANCELLED:
                raise QueueError(ErrorCode.BOOKING_CANCELLED, f"Booking {booking.code} was cancelled.")
            if refused is Refusal.USED:
                used_for = f" for ticket {rows.label_of(conn, booking.ticket_id)}" if booking.ticket_id else ""
                raise QueueError(ErrorCode.BOOKING_USED, f"Booking {booking.code} has already been used{used_for}.")
            how = appointments.arrival(booking.slot_start, now, self.windows)
            if how is Arrival.EARLY:
                opens = appointments.opens_at(booking.slot_start, self.windows)
                raise QueueError(
                    ErrorCode.TOO_EARLY,
                    f"Booking {booking.code} is for {self._local(booking.slot_start):%H:%M}; check-in opens at {self._local(opens):%H:%M}.",
                    {"slot_start": booking.slot_start.isoformat(), "opens_at": opens.isoformat(), "service": booking.service},
                )
            to = appointments.check_in_state(booking.state, how)
            assert to is not None
            on_time = to is BookingState.CHECKED_IN
            # Too late: a walk-in ticket (no slot to keep), for the booked service all the same.
            answer = self.branch.issue_in(
                conn, now, booking.service, booking.tier, kiosk=kiosk, lang=lang, appointment_at=booking.slot_start if on_time else None
            )
            stored.move(conn, booking, to, now, answer.ticket_id)
            self._report(conn, booking, to, now, answer.ticket, answer.ticket_id)
            if booking.rm:
                self.branch.referrals.for_appointment(
                    conn, now, answer.ticket_id, booking.tier, booking.rm, booking.customer_name, self._booked_note(booking)
                )
            note = AppointmentNote(code=booking.code, slot_start=booking.slot_start, on_time=on_time, rm_alerted=bool(booking.rm))
            update: dict = {"appointment": note}
            if booking.customer_name:
                update["customer"] = events.booked_greeting(self.branch.config, booking.customer_name, booking.tier, bool(booking.rm))
            return answer.model_copy(update=update)

        return self.branch.perform("check_in", transaction, action)

    def _booking(self, conn: sqlite3.Connection, now: datetime, scanned: str | None, code: str | None) -> Booking:
        held = stored.sync_state(conn)
        if scanned is not None:
            try:
                claim = booking_pass.verify(scanned, held.booking_key if held else None, self.branch.config.branch.id, now)
            except PassRefused as refused:
                log.info("a booking pass was refused at the kiosk: %s", refused)
                raise QueueError(*PASS_REFUSALS[refused.reason]) from None
            found = stored.find(conn, self._day(claim.slot_start), claim.code)
            if found is None:
                # Genuine, but made after head office last reached this branch.
                assert held is not None
                raise QueueError(
                    ErrorCode.BOOKING_NOT_YET_HERE,
                    f"Booking {claim.code} was made after this branch last heard from head office "
                    f"({self._local(held.synced_at):%m-%d %H:%M}); it arrives once the link is back.",
                )
            return found
        assert code is not None
        found = stored.find(conn, self._day(now), code)
        if found is None:
            if held is None:
                raise QueueError(*PASS_REFUSALS["unchecked"])
            raise QueueError(ErrorCode.UNKNOWN_BOOKING, f"There is no booking {code} at this branch today.")
        return found

    def _local(self, at: datetime) -> datetime:
        return at.astimezone(self.branch.config.branch.zone)

    def _booked_note(self, booking: Booking) -> str:
        return f"预约 {self._local(booking.slot_start):%H:%M} · {booking.code}"

    def _report(self, conn: sqlite3.Connection, booking: Booking, state: BookingState, now: datetime,
                ticket: str | None = None, ticket_id: str | None = None) -> None:
        event = AppointmentEvent(
            code=booking.code, business_day=booking.business_day, service=booking.service, slot_start=booking.slot_start,
            state=state.value, at=now, ticket=ticket, ticket_id=ticket_id, rm=booking.rm,
        )
        outbox.enqueue(conn, event, now)

    # ---- housekeeping -------------------------------------------------------------------------

    def mark_no_shows(self) -> int:
        """Bookings whose late window has passed without a check-in become no-shows."""
        with self.branch.store.write() as conn:
            now = self.branch.clock()
            due = stored.booked_before(conn, now - self.windows.late)
            for booking in due:
                stored.move(conn, booking, BookingState.NO_SHOW, now)
                self._report(conn, booking, BookingState.NO_SHOW, now)
        if due:
            log.info("%d booking(s) became no-shows: %s", len(due), ", ".join(b.code for b in due))
        return len(due)
