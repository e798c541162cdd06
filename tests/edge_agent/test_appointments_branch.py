"""预约 inside the branch: head office's bookings synced, check-in by pass or typed code, the
windows, the RM told, no-shows, and every refusal in its own words with nothing changed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.queue.engine import QueueError
from edge_agent.store import outbox
from lobby.booking_pass import BookingClaim, PassSigner
from lobby.contract import ErrorCode, SyncedBooking
from tests.clocks import SHANGHAI
from tests.staff_helpers import PINS

HQ = PassSigner(Ed25519PrivateKey.generate(), "https://q.bank.example")
SLOT = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)  # the test clock starts at 9:30


def booking(code: str, slot: datetime = SLOT, service: str = "cash", state: str = "booked", rm: str | None = None, **more) -> SyncedBooking:
    return SyncedBooking(code=code, service=service, slot_start=slot, slot_minutes=15, rm=rm, state=state, **more)


def pass_for(code: str, slot: datetime = SLOT, branch_id: str = "sh-lujiazui-01", signer: PassSigner = HQ) -> str:
    return signer.link(BookingClaim(branch_id, code, "cash", slot))


def refusal(call) -> QueueError:
    with pytest.raises(QueueError) as caught:
        call()
    return caught.value


def appointment_events(the_branch) -> list[dict]:
    return [json.loads(e.payload) for e in outbox.pending(the_branch.store, limit=1000) if e.topic == "events/appointment"]


def booking_state(the_branch, code: str) -> str:
    with the_branch.store.write() as conn:
        return conn.execute("SELECT state FROM appointments WHERE code = ?", (code,)).fetchone()["state"]


@pytest.fixture
def synced(branch):
    answer = branch.appointments.sync(1, HQ.public_key, [booking("100001"), booking("100002"), booking("100003", rm="R201")])
    assert (answer.version, answer.applied, answer.held) == (1, True, 3)
    return branch


def test_a_scanned_pass_inside_the_window_gives_an_appointment_ticket(synced, clock):
    ticket = synced.appointments.check_in(pass_for("100001"), None, kiosk="k1")
    assert ticket.appointment is not None and ticket.appointment.on_time and ticket.appointment.code == "100001"
    assert ticket.service == "cash" and ticket.ticket.startswith("A")
    assert booking_state(synced, "100001") == "checked_in"
    [event] = appointment_events(synced)
    assert (event["code"], event["state"], event["ticket"]) == ("100001", "checked_in", ticket.ticket)
    # The queue knows its slot: it goes ahead of walk-ins from 10:00.
    [held] = [t for t in synced.engine.open_tickets() if t.id == ticket.ticket_id]
    assert held.appointment_at == SLOT


def test_a_typed_code_works_as_the_pass_does(synced):
    ticket = synced.appointments.check_in(None, "100002")
    assert ticket.appointment is not None and ticket.appointment.on_time


def test_a_booking_is_used_once(synced):
    synced.appointments.check_in(None, "100001")
    again = refusal(lambda: synced.appointments.check_in(pass_for("100001"), None))
    assert again.code is ErrorCode.BOOKING_USED


def test_too_early_says_when_to_come_back_and_changes_nothing(synced, clock):
    clock.now = SLOT - timedelta(minutes=45)
    early = refusal(lambda: synced.appointments.check_in(None, "100001"))
    assert early.code is ErrorCode.TOO_EARLY and "09:30" in early.message
    assert early.detail is not None and datetime.fromisoformat(early.detail["opens_at"]) == SLOT - timedelta(minutes=30)
    assert booking_state(synced, "100001") == "booked" and synced.engine.open_tickets() == []


def test_too_late_is_a_walk_in_ticket_and_the_booking_is_late(synced, clock):
    clock.now = SLOT + timedelta(minutes=11)
    ticket = synced.appointments.check_in(None, "100001")
    assert ticket.appointment is not None and not ticket.appointment.on_time
    assert booking_state(synced, "100001") == "late"
    [held] = [t for t in synced.engine.open_tickets() if t.id == ticket.ticket_id]
    assert held.appointment_at is None  # no slot to keep


def test_nobody_came_so_it_is_a_no_show_reported_to_head_office(synced, clock):
    clock.now = SLOT + timedelta(minutes=10)
    assert synced.appointments.mark_no_shows() == 0  # the last minute of the window is still the window
    clock.now = SLOT + timedelta(minutes=10, seconds=1)
    assert synced.appointments.mark_no_shows() == 3
    assert {(e["code"], e["state"]) for e in appointment_events(synced)} == {("100001", "no_show"), ("100002", "no_show"), ("100003", "no_show")}
    # A no-show who comes after all gets a walk-in ticket, and the booking is late.
    ticket = synced.appointments.check_in(None, "100001")
    assert ticket.appointment is not None and not ticket.appointment.on_time and booking_state(synced, "100001") == "late"


def test_a_booking_with_an_rm_is_on_that_rm_s_workbench_at_check_in(staffed):
    staffed.appointments.sync(1, HQ.public_key, [booking("100003", rm="R201", customer_name="王先生", tier="vip")])
    ticket = staffed.appointments.check_in(None, "100003")
    assert ticket.appointment is not None and ticket.appointment.rm_alerted and ticket.tier == "vip"
    # The kiosk greets them by the name they booked under, as it greets a swiped card.
    assert ticket.customer is not None and (ticket.customer.display_name, ticket.customer.manager_alerted) == ("王先生", True)
    session = staffed.staff.sign_in("R201", PINS["R201"], "rm", None).session
    [referral] = staffed.referrals.listing(session).referrals
    assert (referral.source, referral.to_rm, referral.customer_name, referral.ticket) == ("appointment", "R201", "王先生", ticket.ticket)
    assert "10:00" in referral.note


def test_each_refused_check_in_has_its_own_code_and_changes_nothing(synced, clock):
    forger = PassSigner(Ed25519PrivateKey.generate(), "https://q.bank.example")
    cases = {
        ErrorCode.BOOKING_FORGED: (pass_for("100001", signer=forger), None),
        ErrorCode.BOOKING_NOT_OURS: (pass_for("100001", branch_id="bj-02"), None),
        ErrorCode.BOOKING_EXPIRED: (pass_for("100001", slot=SLOT - timedelta(days=2)), None),
        ErrorCode.BOOKING_NOT_YET_HERE: (pass_for("199999"), None),
        ErrorCode.UNKNOWN_BOOKING: (None, "199999"),
    }
    for code, (scanned, typed) in cases.items():
        assert refusal(lambda s=scanned, t=typed: synced.appointments.check_in(s, t)).code is code
    assert "not a booking pass" in refusal(lambda: synced.appointments.check_in("https://evil.example/x", None)).message
    assert synced.engine.open_tickets() == [] and appointment_events(synced) == []
    assert booking_state(synced, "100001") == "booked"


def test_a_cancelled_booking_is_refused(synced):
    synced.appointments.sync(2, HQ.public_key, [booking("100001", state="cancelled")])
    assert refusal(lambda: synced.appointments.check_in(None, "100001")).code is ErrorCode.BOOKING_CANCELLED


def test_a_branch_that_never_heard_from_head_office_says_so(branch):
    assert refusal(lambda: branch.appointments.check_in(pass_for("100001"), None)).code is ErrorCode.BOOKINGS_NEVER_SYNCED
    assert refusal(lambda: branch.appointments.check_in(None, "100001")).code is ErrorCode.BOOKINGS_NEVER_SYNCED


def test_a_sync_is_idempotent_and_never_undoes_a_check_in(synced):
    synced.appointments.check_in(None, "100001")
    # The same version again, or an older one: nothing changes.
    assert not synced.appointments.sync(1, HQ.public_key, [booking("100001", state="cancelled")]).applied
    # A newer one cancelling a booking already used (it crossed the check-in): the branch's word stands.
    answer = synced.appointments.sync(2, HQ.public_key, [booking("100001", state="cancelled"), booking("100002", state="cancelled")])
    assert answer.applied and answer.version == 2
    assert booking_state(synced, "100001") == "checked_in" and booking_state(synced, "100002") == "cancelled"


def test_a_replacement_box_learns_from_head_office_which_bookings_were_used(branch):
    branch.appointments.sync(1, HQ.public_key, [booking("100001", state="checked_in")])
    assert refusal(lambda: branch.appointments.check_in(None, "100001")).code is ErrorCode.BOOKING_USED


def test_a_repeated_check_in_transaction_returns_the_first_answer(synced):
    first = synced.appointments.check_in(None, "100001", transaction="t-1")
    again = synced.appointments.check_in(None, "100001", transaction="t-1")
    assert again.replayed and again.ticket == first.ticket
    early = refusal(lambda: synced.appointments.check_in(None, "100009", transaction="t-2"))
    assert refusal(lambda: synced.appointments.check_in(None, "100009", transaction="t-2")).code is early.code


def test_the_branch_report_counts_bookings_against_their_slots(synced, clock, tmp_path):
    from edge_agent.reports.report import make_report

    early = SLOT - timedelta(minutes=20)
    clock.now = early
    ticket = synced.appointments.check_in(None, "100001")  # 20 minutes early
    clock.now = SLOT + timedelta(minutes=5)
    synced.appointments.check_in(None, "100002")  # on time
    synced.counter_open("1")
    clock.now = SLOT + timedelta(minutes=8)
    called = synced.call_next("1")
    assert called.ticket == ticket.ticket  # its slot came first
    synced.complete("1")
    clock.now = SLOT + timedelta(minutes=30)
    synced.appointments.mark_no_shows()  # 100003 never came
    html_path, csv_path, _ = make_report(synced.config, synced.store, SLOT.date(), SLOT.date(), tmp_path)
    page = html_path.read_text(encoding="utf-8")
    assert "预约 Appointments" in page
    rows = {line.split(",")[1]: line.split(",") for line in csv_path.read_text(encoding="utf-8-sig").splitlines() if line.startswith("appointments,")}
    # bookings, checked in, no-shows, mean/p90 minutes from slot to first call, early, on time, the rest.
    assert rows["all"][2:10] == ["3", "2", "1", "8.0", "8.0", "1", "1", "late=0;cancelled=0"]
