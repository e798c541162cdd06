"""The bookings head office sent this branch, and the newest sync it applied.

Times are stored in UTC (ISO 8601), so that text order is time order.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime

from lobby.contract import BookingState, SyncedBooking, Tier


@dataclass(frozen=True)
class Booking:
    business_day: date
    code: str
    service: str
    slot_start: datetime
    slot_minutes: int
    tier: Tier
    rm: str | None
    customer_name: str
    state: BookingState
    ticket_id: str | None


@dataclass(frozen=True)
class SyncState:
    version: int
    booking_key: str
    synced_at: datetime


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _booking(row: sqlite3.Row) -> Booking:
    return Booking(
        business_day=date.fromisoformat(row["business_day"]), code=row["code"], service=row["service"],
        slot_start=datetime.fromisoformat(row["slot_start"]), slot_minutes=row["slot_minutes"], tier=Tier(row["tier"]),
        rm=row["rm"], customer_name=row["customer_name"], state=BookingState(row["state"]), ticket_id=row["ticket_id"],
    )


def sync_state(conn: sqlite3.Connection) -> SyncState | None:
    row = conn.execute("SELECT version, booking_key, synced_at FROM appointment_sync").fetchone()
    return None if row is None else SyncState(row["version"], row["booking_key"], datetime.fromisoformat(row["synced_at"]))


def save_sync(conn: sqlite3.Connection, version: int, booking_key: str, now: datetime) -> None:
    conn.execute(
        "INSERT INTO appointment_sync (only_row, version, booking_key, synced_at) VALUES (1, ?, ?, ?) "
        "ON CONFLICT (only_row) DO UPDATE SET version = excluded.version, booking_key = excluded.booking_key, synced_at = excluded.synced_at",
        (version, booking_key, _utc(now)),
    )


def find(conn: sqlite3.Connection, business_day: date, code: str) -> Booking | None:
    row = conn.execute("SELECT * FROM appointments WHERE business_day = ? AND code = ?", (business_day.isoformat(), code)).fetchone()
    return None if row is None else _booking(row)


def write_synced(conn: sqlite3.Connection, business_day: date, booking: SyncedBooking, state: BookingState, version: int) -> None:
    """Head office's fields as sent; the state as `lobby.appointments.merged` decided."""
    conn.execute(
        """INSERT INTO appointments (business_day, code, service, slot_start, slot_minutes, tier, rm, customer_name, state, version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (business_day, code) DO UPDATE SET service = excluded.service, slot_start = excluded.slot_start,
               slot_minutes = excluded.slot_minutes, tier = excluded.tier, rm = excluded.rm,
               customer_name = excluded.customer_name, state = excluded.state, version = excluded.version""",
        (business_day.isoformat(), booking.code, booking.service, _utc(booking.slot_start), booking.slot_minutes, booking.tier.value,
         booking.rm, booking.customer_name, state.value, version),
    )


def move(conn: sqlite3.Connection, booking: Booking, to: BookingState, at: datetime, ticket_id: str | None = None) -> None:
    conn.execute(
        "UPDATE appointments SET state = ?, changed_at = ?, ticket_id = COALESCE(?, ticket_id) WHERE business_day = ? AND code = ?",
        (to.value, _utc(at), ticket_id, booking.business_day.isoformat(), booking.code),
    )


def booked_before(conn: sqlite3.Connection, slot_before: datetime) -> list[Booking]:
    """Bookings nobody has checked in whose slot started before `slot_before`."""
    rows = conn.execute(
        "SELECT * FROM appointments WHERE state = 'booked' AND slot_start < ? ORDER BY slot_start", (_utc(slot_before),)
    ).fetchall()
    return [_booking(row) for row in rows]


def held_from(conn: sqlite3.Connection, day: date) -> int:
    return conn.execute("SELECT COUNT(*) FROM appointments WHERE business_day >= ?", (day.isoformat(),)).fetchone()[0]

