"""Signing people in and out, and knowing who acts: the branch's staff operations.

A person signs in on a page (teller console, manager tablet, RM workbench) with staff id
and PIN; the page then sends the session's secret with every action. Once the branch has
a roster, actions without a valid sign-in are refused, and every action records its staff
id. Runs inside Branch's transactions (Branch.perform), like every other operation.
"""

from __future__ import annotations

import secrets
import sqlite3
from datetime import datetime, timedelta

from edge_agent.desks.work import BranchWork
from edge_agent.queue.engine import QueueError
from edge_agent.rules.pins import verify_pin
from edge_agent.rules.sign_in import idle, may_sign_in
from edge_agent.store import staff as roster
from edge_agent.store.staff import Session
from lobby.contract import OPERATIONS, ErrorCode, RosterEntry, SignedInStaff, SignIn, StaffSignInAnswer, StaffSignOutAnswer, StaffState

# Verified when the staff id is unknown, so a wrong id takes as long as a wrong PIN.
_DECOY_HASH = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

PAGE_NAMES = {"teller": "the teller console", "manager": "the lobby manager's tablet", "rm": "the RM workbench"}
ENDED = {
    "signed_out": "you signed out",
    "idle": "you were signed out after {idle} minutes without activity",
    "replaced": "someone signed in at the same place after you (or you signed in elsewhere)",
    "left_roster": "your staff id is no longer on the branch's roster",
}


class StaffDesk:
    def __init__(self, branch: BranchWork):
        self.branch = branch

    @property
    def _settings(self):
        return self.branch.config.staff

    @property
    def idle_after(self) -> timedelta:
        return timedelta(minutes=self._settings.idle_sign_out_min)

    # ---- signing in and out ----------------------------------------------------------------

    def sign_in(self, staff_id: str, pin: str, page: str, counter: str | None) -> StaffSignInAnswer:
        """Not kept as a transaction: its answer holds the session's secret."""
        refused = QueueError(ErrorCode.SIGN_IN_REFUSED, "The staff id or the PIN is wrong.")
        person = roster.find_person(self.branch.store.conn, staff_id)
        # The slow hash runs outside the write lock; the decoy keeps an unknown id as slow as a known one.
        pin_ok = verify_pin(pin, person.pin_hash if person else _DECOY_HASH) and person is not None

        def action(conn: sqlite3.Connection, now: datetime) -> StaffSignInAnswer:
            current = roster.find_person(conn, staff_id)
            if current is None:
                raise refused
            if current.pin.locked(now):
                raise self._locked(current.pin.locked_until, now)
            if not pin_ok:
                record = current.pin.after_failure(now, self._settings.max_pin_failures, timedelta(minutes=self._settings.lockout_min))
                roster.save_pin_record(conn, staff_id, record)
                if record.locked(now):
                    raise self._locked(record.locked_until, now)
                raise QueueError(
                    ErrorCode.SIGN_IN_REFUSED,
                    f"The staff id or the PIN is wrong ({record.tries_left(self._settings.max_pin_failures)} tries left before the id is locked).",
                )
            if not may_sign_in(current.role, page):
                raise QueueError(ErrorCode.WRONG_ROLE, f"{current.name} is a {current.role.value} and cannot sign in on {PAGE_NAMES[page]}.")
            place = self._place(page, counter)
            roster.save_pin_record(conn, staff_id, current.pin.after_success())
            # One person per counter, and one sign-in per person per kind of page.
            roster.end_sessions(conn, "staff_id = ? AND page = ?", (staff_id, page), now, "replaced")
            if place is not None:
                roster.end_sessions(conn, "page = 'teller' AND counter = ?", (place,), now, "replaced")
            token, ref = secrets.token_urlsafe(32), secrets.token_hex(8)
            roster.start_session(conn, ref, token, staff_id, page, place, now)
            return StaffSignInAnswer(
                session=token, ref=ref, staff_id=staff_id, name=current.name, role=current.role.value, page=page,
                counter=place, idle_sign_out_s=round(self.idle_after.total_seconds()),
            )

        return self.branch.perform("staff_sign_in", None, action)

    def _place(self, page: str, counter: str | None) -> str | None:
        if page != "teller":
            return None
        known = [c.id for c in self.branch.config.counters]
        if counter is None:
            raise QueueError(ErrorCode.WRONG_COUNTER, "The teller console signs in at a counter: choose the counter first.")
        if counter not in known:
            raise QueueError(ErrorCode.UNKNOWN_COUNTER, f"There is no counter '{counter}'; the counters are {', '.join(known)}.")
        return counter

    def _locked(self, until: datetime | None, now: datetime) -> QueueError:
        minutes = max(1, round(((until or now) - now).total_seconds() / 60))
        return QueueError(
            ErrorCode.STAFF_LOCKED,
            f"Too many wrong PINs: this staff id is locked for {minutes} more minute(s). Ask the branch head if you forgot the PIN.",
        )

    def sign_out(self, token: str) -> StaffSignOutAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> StaffSignOutAnswer:
            found = roster.find_session(conn, token)
            if found is None:
                raise QueueError(ErrorCode.SIGNED_OUT, "This sign-in is not known (already signed out).")
            session, _ = found
            roster.end_sessions(conn, "ref = ?", (session.ref,), now, "signed_out")
            return StaffSignOutAnswer(staff_id=session.staff_id, ref=session.ref)

        return self.branch.perform("staff_sign_out", None, action)

    def sign_out_idle(self) -> int:
        """Housekeeping: end sign-ins nobody has used for [staff] idle_sign_out_min."""
        with self.branch.store.write() as conn:
            now = self.branch.clock()
            stale = [s.ref for s in roster.live_sessions(conn) if idle(s.last_seen_at, now, self.idle_after)]
            for ref in stale:
                roster.end_sessions(conn, "ref = ?", (ref,), now, "idle")
        return len(stale)

    # ---- who acts --------------------------------------------------------------------------

    def actor(self, conn: sqlite3.Connection, now: datetime, token: str | None, op: str, counter: str | None = None) -> Session | None:
        """The person behind a request, inside its transaction, as the contract's entry for `op`
        asks. None only when the branch has no roster and the op does not need one; otherwise
        a refusal that says what to do."""
        operation = OPERATIONS[op]
        assert operation.sign_in is not SignIn.NONE, f"{op} is not an op a person signs in for"
        pages = operation.pages
        if token is None:
            if operation.sign_in is SignIn.REQUIRED or roster.has_roster(conn):
                where = " or ".join(PAGE_NAMES[p] for p in pages)
                raise QueueError(ErrorCode.SIGN_IN_REQUIRED, f"Sign in with your staff id and PIN on {where} first.")
            return None
        found = roster.find_session(conn, token)
        if found is None:
            raise QueueError(ErrorCode.SIGNED_OUT, "This sign-in is not known: sign in again.")
        session, ended = found
        if ended is None and idle(session.last_seen_at, now, self.idle_after):
            roster.end_sessions(conn, "ref = ?", (session.ref,), now, "idle")
            ended = "idle"
        if ended is not None:
            why = ENDED.get(ended, "the sign-in ended").format(idle=round(self._settings.idle_sign_out_min))
            raise QueueError(ErrorCode.SIGNED_OUT, f"Signed out: {why}. Sign in again.")
        if session.page not in pages:
            raise QueueError(
                ErrorCode.WRONG_ROLE, f"{session.name} is signed in on {PAGE_NAMES[session.page]}, which cannot do this.",
            )
        if counter is not None and session.counter is not None and counter != session.counter:
            raise QueueError(
                ErrorCode.WRONG_COUNTER,
                f"{session.name} is signed in at counter {session.counter}, not {counter}: sign in at counter {counter} to act there.",
            )
        roster.touch(conn, session.ref, now)
        return session

    # ---- staff/state -----------------------------------------------------------------------

    def state(self) -> StaffState:
        conn = self.branch.store.conn
        signed_in = [
            SignedInStaff(ref=s.ref, staff_id=s.staff_id, name=s.name, role=s.role.value, page=s.page, counter=s.counter, since=s.signed_in_at)
            for s in roster.live_sessions(conn)
        ]
        rms = [RosterEntry(staff_id=sid, name=name) for sid, name in roster.active_rms(conn)]
        return StaffState(at=self.branch.clock(), roster=roster.has_roster(conn), signed_in=signed_in, rms=rms)
