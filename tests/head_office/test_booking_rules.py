"""A booking's life and its check-in windows (lobby/appointments.py), and the booking pass
head office signs and the branch checks offline (lobby/booking_pass.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from lobby import appointments, signed_token
from lobby.appointments import Arrival, Refusal, Windows
from lobby.booking_pass import BookingClaim, PassRefused, PassSigner, token_of, verify
from lobby.contract import BRANCH_STATES, BookingState

SLOT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
WINDOWS = Windows(early=timedelta(minutes=30), late=timedelta(minutes=10))


@pytest.mark.parametrize(("offset_min", "expected"), [
    (-31, Arrival.EARLY), (-30, Arrival.ON_TIME), (0, Arrival.ON_TIME), (10, Arrival.ON_TIME), (10.01, Arrival.LATE), (300, Arrival.LATE),
])
def test_the_window_runs_from_early_before_the_slot_to_late_after_it(offset_min, expected):
    assert appointments.arrival(SLOT, SLOT + timedelta(minutes=offset_min), WINDOWS) is expected


def test_a_booking_becomes_a_no_show_only_once_its_window_is_over():
    assert not appointments.no_show_due(SLOT, SLOT + WINDOWS.late, WINDOWS)
    assert appointments.no_show_due(SLOT, SLOT + WINDOWS.late + timedelta(seconds=1), WINDOWS)
    assert appointments.opens_at(SLOT, WINDOWS) == SLOT - timedelta(minutes=30)


def test_what_a_check_in_does_to_each_state():
    assert appointments.check_in_state(BookingState.BOOKED, Arrival.ON_TIME) is BookingState.CHECKED_IN
    assert appointments.check_in_state(BookingState.BOOKED, Arrival.LATE) is BookingState.LATE
    assert appointments.check_in_state(BookingState.BOOKED, Arrival.EARLY) is None
    # A no-show who comes after all is late, and gets a walk-in ticket.
    assert appointments.check_in_state(BookingState.NO_SHOW, Arrival.LATE) is BookingState.LATE
    assert appointments.refusal(BookingState.CANCELLED) is Refusal.CANCELLED
    assert appointments.refusal(BookingState.CHECKED_IN) is Refusal.USED
    assert appointments.refusal(BookingState.LATE) is Refusal.USED
    assert appointments.refusal(BookingState.BOOKED) is None and appointments.refusal(BookingState.NO_SHOW) is None


states = st.sampled_from(list(BookingState))


@given(states, states)
def test_a_sync_never_undoes_what_the_branch_saw(at_branch, from_head_office):
    result = appointments.merged(at_branch, from_head_office)
    if at_branch in BRANCH_STATES:
        assert result is at_branch  # a customer who came (or did not) stays so
    elif at_branch is BookingState.BOOKED:
        assert result is (from_head_office if appointments.may(at_branch, from_head_office) else at_branch)
    assert result is at_branch or appointments.may(at_branch, result)
    assert appointments.merged(None, from_head_office) is from_head_office


@given(states, states)
def test_every_transition_is_listed_and_final_states_are_final(state, to):
    if state in (BookingState.CHECKED_IN, BookingState.LATE, BookingState.CANCELLED):
        assert not appointments.may(state, to)


# ---- the pass ---------------------------------------------------------------------------

KEY = Ed25519PrivateKey.generate()
SIGNER = PassSigner(KEY, "https://q.bank.example/")
CLAIM = BookingClaim("sh-01", "472913", "cash", SLOT)
NOW = SLOT - timedelta(minutes=5)


def test_a_genuine_pass_is_read_from_the_link_or_the_token_alone():
    link = SIGNER.link(CLAIM)
    assert link.startswith("https://q.bank.example/a/")
    assert verify(link, SIGNER.public_key, "sh-01", NOW) == CLAIM
    assert verify(token_of(link) + "\r\n", SIGNER.public_key, "sh-01", NOW) == CLAIM


def _reason(scanned: str, key: str | None = SIGNER.public_key, branch: str = "sh-01", now: datetime = NOW) -> str:
    with pytest.raises(PassRefused) as refused:
        verify(scanned, key, branch, now)
    return refused.value.reason


def test_refused_passes_each_say_why():
    token = SIGNER.token(CLAIM)
    claim, _, signature = signed_token.read(token)
    changed = signed_token.b64(json.dumps(claim | {"c": "000000"}, separators=(",", ":")).encode()) + "." + signed_token.b64(signature)
    assert _reason(changed) == "forged"
    assert _reason(PassSigner(Ed25519PrivateKey.generate(), "https://x").token(CLAIM)) == "forged"
    assert _reason(token, branch="bj-02") == "other_branch"
    assert _reason(token, now=SLOT + timedelta(days=1)) == "expired"
    assert _reason(token, key=None) == "unchecked"
    for junk in ("", "472913", "a.b", "x" * 700, signed_token.b64(b"[1]") + ".AA", signed_token.b64(b'{"v":1,"b":1}') + ".AA"):
        assert _reason(junk) == "malformed"
