"""Bookings for a branch without head office (the kiosk test, the demo's kiosk journey):
head office's half played here, a booking key and `appointments_sync` sent as the `hq` role.

Slots are placed around now so each check-in meets its case: `on_time` is typed (its slot
is this minute, so it is always today's), the others are scanned (a pass names its day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lobby.booking_pass import BookingClaim, PassSigner
from lobby.bus.requester import Requester
from lobby.contract import SyncedBooking


@dataclass(frozen=True)
class DemoBooking:
    case: str  # on_time | early | late
    code: str
    slot_start: datetime
    rm: str | None = None


class DemoBookings:
    def __init__(self, branch: str, service: str, now: datetime, public_url: str = "https://q.bank.example", first_code: int = 500001):
        self.branch, self.service = branch, service
        self.signer = PassSigner(Ed25519PrivateKey.generate(), public_url)
        minute = now.replace(second=0, microsecond=0)
        self._next = first_code
        self._now = minute
        self.bookings: list[DemoBooking] = []

    def add(self, case: str, rm: str | None = None) -> DemoBooking:
        slot = {"on_time": self._now, "early": self._now + timedelta(hours=2), "late": self._now - timedelta(minutes=30)}[case]
        booking = DemoBooking(case, f"{self._next:06d}", slot, rm)
        self._next += 1
        self.bookings.append(booking)
        return booking

    def pass_link(self, booking: DemoBooking) -> str:
        return self.signer.link(BookingClaim(self.branch, booking.code, self.service, booking.slot_start))

    def forged_link(self) -> str:
        other = PassSigner(Ed25519PrivateKey.generate(), self.signer.public_url)
        return other.link(BookingClaim(self.branch, "999999", self.service, self._now))

    def sync(self, hq: Requester, version: int = 1) -> dict:
        """Send the branch every booking, as head office's `head-office sync` does; the answer."""
        bookings = [
            SyncedBooking(code=b.code, service=self.service, slot_start=b.slot_start, slot_minutes=15, rm=b.rm,
                          tier="vip" if b.rm else "mass", customer_name="王先生" if b.rm else "", state="booked").model_dump(mode="json")
            for b in self.bookings
        ]
        return hq.request("appointments_sync", {"version": version, "booking_key": self.signer.public_key, "bookings": bookings}, timeout=5)
