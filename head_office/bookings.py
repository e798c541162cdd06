"""Bookings at head office: plans, free slots, booking, cancelling, and what each branch holds.

Runs on a psycopg connection inside the caller's transaction where one is needed. The rules
are head_office/booking_rules.py; a booking's life is lobby/appointments.py. Head office
makes and cancels bookings; the branch's `events/appointment` tells it the rest (ingest).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

from head_office.booking_rules import (
    PHONE,
    NoShowRule,
    Plan,
    Slot,
    banned_until,
    bookable_days,
    new_code,
    open_slots,
    phone_key,
    still_bookable,
)
from head_office.config import BookingSection
from head_office.db import bookings as db
from lobby import appointments, booking_pass, signed_token
from lobby.booking_pass import BookingClaim, PassRefused, PassSigner
from lobby.contract import BookingState, SyncedBooking, Tier
from lobby.phones import mask_phone


class BookingRefused(Exception):
    """Why a booking or a cancellation did not happen. `reason` is stable for the bank's app."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Booking:
    branch: str
    code: str
    service: str
    slot_start: datetime
    slot_minutes: int
    state: BookingState
    tier: Tier
    rm: str | None
    customer_name: str
    phone_masked: str
    ticket: str | None


def _booking(row: dict) -> Booking:
    return Booking(
        branch=row["branch"], code=row["code"], service=row["service"], slot_start=row["slot_start"], slot_minutes=row["slot_minutes"],
        state=BookingState(row["state"]), tier=Tier(row["tier"]), rm=row["rm"], customer_name=row["customer_name"],
        phone_masked=row["phone_masked"], ticket=row["ticket"],
    )


def _plan(row: dict) -> Plan:
    return Plan(
        branch=row["branch"], service=row["service"], name_zh=row["name_zh"], name_en=row["name_en"],
        weekdays=frozenset(int(d) for d in row["weekdays"]), opens=row["opens"], closes=row["closes"],
        slot_minutes=row["slot_minutes"], per_slot=row["per_slot"], counters=row["counters"], service_minutes=row["service_minutes"],
    )


class BookingDesk:
    def __init__(self, settings: BookingSection, zone: ZoneInfo):
        self.settings = settings
        self.zone = zone
        key = signed_token.load_or_create_key(settings.key_file, "the booking key")
        self.signer = PassSigner(key, settings.public_url)
        # The phone numbers' hashes are keyed by a secret derived from the booking key: a copy
        # of the table alone cannot be searched for a number.
        self._phone_secret = hashlib.sha256(b"lobby phone key" + key.private_bytes_raw()).digest()
        # A slot that has begun may still be booked while its customer could check in on time.
        self.late_window = timedelta(minutes=settings.check_in_late_min)
        self.rule = NoShowRule(
            settings.no_show_limit, timedelta(days=settings.no_show_period_days), timedelta(days=settings.ban_days)
        )

    # ---- plans and slots -----------------------------------------------------------------------

    def import_plans(self, conn: psycopg.Connection, plans: Iterable[Plan]) -> int:
        return db.save_plans(conn, plans)

    def plans(self, conn: psycopg.Connection, branch: str | None = None) -> list[Plan]:
        return [_plan(row) for row in db.plans(conn, branch)]

    def plan(self, conn: psycopg.Connection, branch: str, service: str, lock: bool = False) -> Plan:
        row = db.plan(conn, branch, service, lock)
        if row is None:
            raise BookingRefused("not_offered", "This branch does not take bookings for that service.")
        return _plan(row)

    def days(self, now: datetime) -> list[date]:
        return bookable_days(now.astimezone(self.zone).date(), self.settings.days_ahead)

    def slots(self, conn: psycopg.Connection, branch: str, service: str, day: date, now: datetime) -> list[Slot]:
        plan = self.plan(conn, branch, service)
        if day not in self.days(now):
            return []
        taken = db.taken_by_slot(conn, branch, service, day)
        return open_slots(plan, day, self.zone, taken, self.settings.counter_share, now, self.late_window)

    # ---- booking and cancelling ----------------------------------------------------------------

    def book(
        self, conn: psycopg.Connection, branch: str, service: str, slot_start: datetime, phone: str, consent: bool, now: datetime,
        tier: Tier = Tier.MASS, rm: str | None = None, customer_name: str = "",
    ) -> Booking:
        phone = phone.strip().replace(" ", "").removeprefix("+86")
        if not PHONE.match(phone):
            raise BookingRefused("bad_phone", "Give an 11-digit mobile number.")
        if not consent:
            raise BookingRefused("consent_required", "We need your consent to keep your number for this booking.")
        key = phone_key(self._phone_secret, phone)
        with conn.transaction():
            plan = self.plan(conn, branch, service, lock=True)  # one booking at a time per branch and service
            day = slot_start.astimezone(self.zone).date()
            offered = day in self.days(now) and slot_start in plan.slots(day, self.zone)
            if not offered or not still_bookable(slot_start, now, self.late_window):
                raise BookingRefused("no_such_slot", "That time is not one this branch offers for booking.")
            no_shows = db.no_shows_since(conn, key, now - self.rule.period)
            until = banned_until(no_shows, self.rule, now)
            if until is not None:
                raise BookingRefused(
                    "banned", f"You missed {self.rule.limit} bookings recently, so you can book again from {until.astimezone(self.zone):%Y-%m-%d}.",
                )
            if db.has_booking_that_day(conn, key, branch, day):
                raise BookingRefused("already_booked", "You already have a booking at this branch that day.")
            taken = db.taken_at(conn, branch, service, slot_start)
            if taken >= plan.capacity(self.settings.counter_share):
                raise BookingRefused("slot_full", "That time is fully booked: please choose another.")
            for _ in range(20):  # a code unique within the branch's day
                code = new_code()
                inserted = db.insert(
                    conn, branch, code, slot_start, day, service, plan.slot_minutes, tier.value, rm, customer_name, key, mask_phone(phone), now,
                )
                if inserted:
                    break
            else:
                raise BookingRefused("slot_full", "That day is fully booked at this branch.")
        found = self.find(conn, branch, code, slot_start)
        assert found is not None
        return found

    def find(self, conn: psycopg.Connection, branch: str, code: str, slot_start: datetime) -> Booking | None:
        row = db.find(conn, branch, code, slot_start)
        return None if row is None else _booking(row)

    def by_pass(self, conn: psycopg.Connection, token: str, now: datetime) -> Booking:
        try:
            claim = booking_pass.verify(token, self.signer.public_key, None, now)
        except PassRefused as refused:
            raise BookingRefused("not_found", "There is no such booking.") from refused
        found = self.find(conn, claim.branch, claim.code, claim.slot_start)
        if found is None:
            raise BookingRefused("not_found", "There is no such booking.")
        return found

    def cancel(self, conn: psycopg.Connection, token: str, now: datetime) -> Booking:
        with conn.transaction():
            booking = self.by_pass(conn, token, now)
            if booking.state is BookingState.CANCELLED:
                raise BookingRefused("already_cancelled", "This booking is already cancelled.")
            if not appointments.may(booking.state, BookingState.CANCELLED):
                raise BookingRefused("already_used", "You have already checked in for this booking, so it cannot be cancelled.")
            if booking.slot_start <= now:
                raise BookingRefused("too_late_to_cancel", "This booking's time has begun: it can no longer be cancelled.")
            db.cancel(conn, booking.branch, booking.code, booking.slot_start)
        found = self.find(conn, booking.branch, booking.code, booking.slot_start)
        assert found is not None
        return found

    def pass_link(self, booking: Booking) -> str:
        return self.signer.link(BookingClaim(booking.branch, booking.code, booking.service, booking.slot_start))

    def pass_token(self, booking: Booking) -> str:
        return self.signer.token(BookingClaim(booking.branch, booking.code, booking.service, booking.slot_start))

    # ---- what each branch holds ------------------------------------------------------------------

    def behind(self, conn: psycopg.Connection) -> list[tuple[str, int]]:
        """(branch, version) of every branch holding less than its bookings' newest version."""
        return db.behind(conn)

    def for_branch(self, conn: psycopg.Connection, branch: str, now: datetime) -> tuple[int, list[SyncedBooking]]:
        """The version and every booking of today and later: what `appointments_sync` carries."""
        today = now.astimezone(self.zone).date()
        version, rows = db.from_day(conn, branch, today)
        bookings = [
            SyncedBooking(
                code=row["code"], service=row["service"], slot_start=row["slot_start"], slot_minutes=row["slot_minutes"],
                tier=Tier(row["tier"]), rm=row["rm"], customer_name=row["customer_name"][:40],
                state=row["state"],
            )
            for row in rows
        ]
        return version, bookings

    def held(self, conn: psycopg.Connection, branch: str, version: int, now: datetime) -> None:
        db.held(conn, branch, version, now)
