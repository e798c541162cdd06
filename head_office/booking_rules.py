"""The rules of booking a visit (预约取号), apart from the database and the web.

- A branch offers a service for booking by a plan: the weekdays and hours it takes bookings,
  the slot length, and how many bookings a slot may hold. That number is never more than
  the configured share of the service's counters' capacity in the slot, so walk-ins keep
  their counters: `capacity`.
- A booking gets a six-digit code the customer can type at the kiosk.
- A customer (known by their phone number's keyed hash) who did not come `limit` times
  within `period` may not book until `ban` after the latest of those no-shows: `banned_until`.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PHONE = re.compile(r"^1\d{10}$")  # a mainland mobile number


@dataclass(frozen=True)
class Plan:
    """How one branch takes bookings for one service."""

    branch: str
    service: str
    name_zh: str
    name_en: str
    weekdays: frozenset[int]  # ISO: 1 = Monday
    opens: time
    closes: time  # the last slot ends by then
    slot_minutes: int
    per_slot: int  # what the branch asked for
    counters: int  # counters serving the service in those hours
    service_minutes: float  # a customer's usual time at the counter

    def capacity(self, counter_share: float) -> int:
        """Bookings a slot may hold: the branch's number, within `counter_share` of the counters."""
        served_in_slot = self.counters * self.slot_minutes / self.service_minutes
        return max(0, min(self.per_slot, math.floor(counter_share * served_in_slot)))

    def slots(self, day: date, zone: ZoneInfo) -> list[datetime]:
        """The slot starts of `day` (aware), none on a day the plan does not book."""
        if day.isoweekday() not in self.weekdays:
            return []
        start = datetime.combine(day, self.opens, zone)
        end = datetime.combine(day, self.closes, zone)
        step = timedelta(minutes=self.slot_minutes)
        starts = []
        while start + step <= end:
            starts.append(start)
            start += step
        return starts


@dataclass(frozen=True)
class Slot:
    start: datetime
    taken: int
    capacity: int

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.taken)


def still_bookable(start: datetime, now: datetime, late_window: timedelta) -> bool:
    """A slot may be booked until the last moment its customer could still check in on time."""
    return now < start + late_window


def open_slots(
    plan: Plan, day: date, zone: ZoneInfo, taken: dict[datetime, int], counter_share: float, now: datetime, late_window: timedelta
) -> list[Slot]:
    """Every slot of the day that can still be booked, with what is left of it."""
    capacity = plan.capacity(counter_share)
    return [Slot(start, taken.get(start, 0), capacity) for start in plan.slots(day, zone) if still_bookable(start, now, late_window)]


def bookable_days(today: date, days_ahead: int) -> list[date]:
    return [today + timedelta(days=n) for n in range(days_ahead + 1)]


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def phone_key(secret: bytes, phone: str) -> str:
    """What head office keeps of a phone number to count no-shows: a keyed hash, never the number."""
    return hmac.new(secret, phone.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class NoShowRule:
    limit: int  # this many no-shows ...
    period: timedelta  # ... within this long ...
    ban: timedelta  # ... and no booking until this long after the latest of them


def banned_until(no_shows: Iterable[datetime], rule: NoShowRule, now: datetime) -> datetime | None:
    """When the customer may book again, or None when they may now."""
    recent = sorted(at for at in no_shows if now - rule.period <= at <= now)
    if len(recent) < rule.limit:
        return None
    until = recent[-1] + rule.ban
    return until if until > now else None


def parse_plan_row(row: dict[str, str]) -> Plan:
    """One line of `head-office bookings plan FILE.csv`; ValueError naming what is wrong."""
    try:
        weekdays = frozenset(int(d) for d in row["weekdays"].strip())
        if not weekdays or not weekdays <= set(range(1, 8)):
            raise ValueError("weekdays must be digits 1 (Monday) to 7 (Sunday), e.g. 12345")
        opens, closes = time.fromisoformat(row["opens"].strip()), time.fromisoformat(row["closes"].strip())
        if closes <= opens:
            raise ValueError("closes must be after opens")
        plan = Plan(
            branch=row["branch_id"].strip(), service=row["service"].strip(), name_zh=row["name_zh"].strip(),
            name_en=row["name_en"].strip(), weekdays=weekdays, opens=opens, closes=closes,
            slot_minutes=int(row["slot_minutes"]), per_slot=int(row["per_slot"]), counters=int(row["counters"]),
            service_minutes=float(row["service_minutes"]),
        )
    except KeyError as missing:
        raise ValueError(f"the column {missing} is missing") from None
    if not plan.branch or not plan.service or not plan.name_zh or not plan.name_en:
        raise ValueError("branch_id, service, name_zh and name_en may not be empty")
    if not 5 <= plan.slot_minutes <= 240 or plan.per_slot < 0 or plan.counters < 1 or plan.service_minutes <= 0:
        raise ValueError("slot_minutes 5-240, per_slot 0 or more, counters 1 or more, service_minutes above 0")
    return plan
