"""Who may sign in to the network view, and what each sees.

Roles:
- `head_office`: every branch, every page;
- `regional`: the branches of their region only (network view, drill-down, report, fleet);
- `technician`: the fleet page (their region's, when they have one; else every branch).

Passwords are kept as scrypt hashes (lobby.slow_hash). A session is a random cookie whose
SHA-256 alone is stored, with the time it expires; signing out deletes it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from head_office.db import accounts as db
from lobby.slow_hash import hash_secret, verify_secret

ROLES = ("head_office", "regional", "technician")
# Head office signs in from a data centre, not a branch box: the stronger cost is affordable.
PASSWORD_SCRYPT_N = 2**17
MIN_PASSWORD = 10
# Guessing is slowed by the hash and stopped by this: a name is locked for a while after as
# many wrong passwords in a row (the branch's staff PINs have the same rule).
MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)
# Checked when the name is unknown, so a wrong name costs as long as a wrong password.
_DECOY = hash_secret("decoy-password", PASSWORD_SCRYPT_N)


class AccountError(ValueError):
    """A user cannot be added as asked; the message says why."""


@dataclass(frozen=True)
class Locked:
    """Too many wrong passwords: no password is checked for this name until `until`."""

    until: datetime


@dataclass(frozen=True)
class User:
    name: str
    role: str
    region: str | None

    def sees_region(self, region: str | None) -> bool:
        """A branch of `region` (None: not in the registry) is visible to this user."""
        return self.role == "head_office" or (self.region is None and self.role == "technician") or region == self.region

    @property
    def region_filter(self) -> str | None:
        """The one region this user is confined to; None: every branch."""
        return None if self.role == "head_office" or (self.role == "technician" and self.region is None) else self.region

    def may(self, page: str) -> bool:
        return page == "fleet" or self.role != "technician"


def add_user(conn: psycopg.Connection, name: str, password: str, role: str, region: str | None) -> None:
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)} (got {role!r})")
    if role == "regional" and not region:
        raise AccountError("a regional manager needs --region: the region whose branches they see")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
    db.save_user(conn, name, hash_secret(password, PASSWORD_SCRYPT_N), role, region or None)


def sign_in(conn: psycopg.Connection, name: str, password: str, now: datetime, lifetime: timedelta) -> str | Locked | None:
    """A new session's cookie value; None when the name or the password is wrong; Locked."""
    row = db.password_of(conn, name)
    if row is not None and row[1] is not None and row[1] > now:
        return Locked(row[1])
    if not verify_secret(password, row[0] if row else _DECOY) or row is None:
        if row is not None:
            db.count_failure(conn, name, MAX_FAILED_SIGN_INS, now + LOCKOUT)
        return None
    cookie = secrets.token_urlsafe(32)
    db.open_session(conn, _digest(cookie), name, now + lifetime, now)
    return cookie


def session_user(conn: psycopg.Connection, cookie: str, now: datetime) -> User | None:
    row = db.session_user(conn, _digest(cookie), now)
    return User(*row) if row else None


def sign_out(conn: psycopg.Connection, cookie: str) -> None:
    db.end_session(conn, _digest(cookie))


def _digest(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()
