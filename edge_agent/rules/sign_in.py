"""Who may sign in where, when a staff id is locked, when a sign-in has gone idle: pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from lobby.contract import StaffRole

# The page a person signs in on, and the roles that may. A lobby manager or the branch
# head may sit at a counter on a busy morning; only RMs (and the head) take referrals.
PAGE_ROLES: dict[str, frozenset[StaffRole]] = {
    "teller": frozenset({StaffRole.TELLER, StaffRole.MANAGER, StaffRole.HEAD}),
    "manager": frozenset({StaffRole.MANAGER, StaffRole.HEAD}),
    "rm": frozenset({StaffRole.RM, StaffRole.HEAD}),
}


@dataclass(frozen=True)
class PinRecord:
    failures: int  # wrong PINs in a row
    locked_until: datetime | None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def after_failure(self, now: datetime, max_failures: int, lockout: timedelta) -> PinRecord:
        """One more wrong PIN; the last one allowed locks the staff id for `lockout`."""
        failures = self.failures + 1
        if failures >= max_failures:
            return PinRecord(0, now + lockout)
        return PinRecord(failures, None)

    def after_success(self) -> PinRecord:
        return PinRecord(0, None)

    def tries_left(self, max_failures: int) -> int:
        return max(0, max_failures - self.failures)


def may_sign_in(role: StaffRole, page: str) -> bool:
    return role in PAGE_ROLES.get(page, frozenset())


def idle(last_seen: datetime, now: datetime, idle_after: timedelta) -> bool:
    return now - last_seen >= idle_after
