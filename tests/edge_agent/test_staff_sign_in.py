"""Staff as people: the roster import, PINs as slow hashes, sign-in, lock-out, idle sign-out,
and every action carrying who took it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_agent.cli import main as cli
from edge_agent.queue.engine import QueueError
from edge_agent.rules.pins import hash_pin, verify_pin
from edge_agent.rules.sign_in import PinRecord, may_sign_in
from edge_agent.rules.staff_roster import parse_roster
from lobby.contract import ErrorCode, StaffRole
from tests.clocks import SHANGHAI
from tests.staff_helpers import PINS, ROSTER, roster_csv


def refusal(call) -> QueueError:
    with pytest.raises(QueueError) as caught:
        call()
    return caught.value


# ---- pure rules ------------------------------------------------------------------------------


def test_a_pin_hash_is_salted_slow_and_verifies_only_its_pin():
    first, second = hash_pin("480213"), hash_pin("480213")
    assert first != second and first.startswith("scrypt$32768$8$1$") and "480213" not in first
    assert verify_pin("480213", first) and not verify_pin("480214", first)
    assert not verify_pin("480213", "not-a-hash") and not verify_pin("480213", "bcrypt$1$2$3$AA==$AA==")


@given(st.lists(st.booleans(), max_size=30), st.integers(1, 8))
def test_the_lockout_comes_after_exactly_max_failures_in_a_row(attempts, max_failures):
    now = datetime(2026, 12, 5, 10, tzinfo=SHANGHAI)
    record, run = PinRecord(0, None), 0
    for ok in attempts:
        if record.locked(now):
            break
        if ok:
            record, run = record.after_success(), 0
        else:
            record, run = record.after_failure(now, max_failures, timedelta(minutes=15)), run + 1
        assert record.locked(now) == (run == max_failures)
        assert not record.locked(now + timedelta(minutes=15))


def test_pages_take_the_roles_the_manuals_give_them():
    assert may_sign_in(StaffRole.TELLER, "teller") and not may_sign_in(StaffRole.TELLER, "rm")
    assert not may_sign_in(StaffRole.TELLER, "manager") and may_sign_in(StaffRole.MANAGER, "teller")
    assert may_sign_in(StaffRole.RM, "rm") and not may_sign_in(StaffRole.RM, "teller")
    assert all(may_sign_in(StaffRole.HEAD, page) for page in ("teller", "manager", "rm"))


# ---- the roster import -----------------------------------------------------------------------


def test_a_bad_roster_is_refused_whole_without_echoing_a_pin():
    text = "staff_id,name,role,pin\nT1,甲,teller,12a4\nT2,乙,cashier,123456\nT1,丙,rm,555555\n"
    members, problems = parse_roster(text)
    assert members == []
    assert problems == [
        "line 2, column pin: must be 4 to 8 digits",
        "line 3, column role: must be one of teller, manager, rm, head",
    ]
    assert not any("12a4" in p or "123456" in p for p in problems)
    assert parse_roster("staff_id,name,pin\n")[1] == ["the header must be staff_id,name,role,pin; missing: role"]


def test_duplicate_staff_ids_are_named_by_line():
    _, problems = parse_roster("staff_id,name,role,pin\nT1,甲,teller,1234\nT1,乙,rm,5678\n")
    assert problems == ["line 3: staff id T1 is already on line 2"]


def test_staff_import_stores_only_hashes_and_signs_out_leavers(branch_toml, branch_config, tmp_path, capsys):
    assert cli(["staff", "import", str(roster_csv(tmp_path)), "--config", str(branch_toml)]) == 0
    out = capsys.readouterr().out
    assert "imported 6 staff" in out and not any(pin in out for pin in PINS.values())
    dump = "\n".join(__import__("sqlite3").connect(branch_config.store.path).iterdump())
    assert not any(pin in dump for pin in PINS.values())
    (tmp_path / "fewer.csv").write_text("staff_id,name,role,pin\nT301,陈柜员,teller,480213\n", encoding="utf-8")
    assert cli(["staff", "import", str(tmp_path / "fewer.csv"), "--config", str(branch_toml)]) == 0
    assert "no longer on the roster, signed out and unable to sign in: H001, M101, R201, R202, T302" in capsys.readouterr().out


def test_staff_import_reports_problems_and_imports_nothing(branch_toml, tmp_path, capsys):
    (tmp_path / "bad.csv").write_text("staff_id,name,role,pin\nT9,某,teller,12\n", encoding="utf-8")
    assert cli(["staff", "import", str(tmp_path / "bad.csv"), "--config", str(branch_toml)]) == 1
    assert "line 2, column pin: must be 4 to 8 digits" in capsys.readouterr().err


# ---- signing in ------------------------------------------------------------------------------


def test_sign_in_at_a_counter_and_the_calls_carry_the_staff_id(staffed):
    session = staffed.staff.sign_in("T301", PINS["T301"], "teller", "3")
    assert (session.name, session.counter, session.role) == ("陈柜员", "3", "teller")
    staffed.counter_open("3", session=session.session)
    staffed.issue_ticket("cash")
    called = staffed.call_next("3", session=session.session)
    event = staffed.store.conn.execute("SELECT detail FROM ticket_events WHERE kind = 'called'").fetchone()
    assert '"by": "T301"' in event["detail"]
    from edge_agent.store import outbox

    payload = [e.payload for e in outbox.pending(staffed.store, limit=100) if e.topic == "events/called"][0]
    assert '"by":"T301"' in payload.replace(" ", "") and called.ticket == "A001"
    assert [s.staff_id for s in staffed.staff.state().signed_in] == ["T301"]


def test_with_a_roster_an_unsigned_or_misplaced_action_is_refused(staffed):
    assert refusal(lambda: staffed.counter_open("3")).code is ErrorCode.SIGN_IN_REQUIRED
    at_two = staffed.staff.sign_in("T302", PINS["T302"], "teller", "2").session
    assert refusal(lambda: staffed.counter_open("3", session=at_two)).code is ErrorCode.WRONG_COUNTER
    rm = staffed.staff.sign_in("R201", PINS["R201"], "rm", None).session
    assert refusal(lambda: staffed.call_next("3", session=rm)).code is ErrorCode.WRONG_ROLE
    assert refusal(lambda: staffed.counter_open("3", session="x" * 43)).code is ErrorCode.SIGNED_OUT


def test_a_wrong_pin_is_refused_and_the_fifth_locks_the_id_even_for_the_right_pin(staffed, clock):
    messages = [refusal(lambda: staffed.staff.sign_in("T301", "000000", "teller", "1")) for _ in range(4)]
    assert [m.code for m in messages] == [ErrorCode.SIGN_IN_REFUSED] * 4
    assert "1 tries left" in messages[-1].message
    assert refusal(lambda: staffed.staff.sign_in("T301", "000000", "teller", "1")).code is ErrorCode.STAFF_LOCKED
    locked = refusal(lambda: staffed.staff.sign_in("T301", PINS["T301"], "teller", "1"))
    assert locked.code is ErrorCode.STAFF_LOCKED and "15 more minute" in locked.message
    clock.advance(minutes=15)
    assert staffed.staff.sign_in("T301", PINS["T301"], "teller", "1").staff_id == "T301"


def test_an_unknown_staff_id_reads_like_a_wrong_pin(staffed):
    unknown = refusal(lambda: staffed.staff.sign_in("NOBODY", "123456", "teller", "1"))
    assert unknown.code is ErrorCode.SIGN_IN_REFUSED and unknown.message == "The staff id or the PIN is wrong."


def test_a_role_signs_in_only_where_it_belongs(staffed):
    wrong = refusal(lambda: staffed.staff.sign_in("T301", PINS["T301"], "rm", None))
    assert wrong.code is ErrorCode.WRONG_ROLE and "cannot sign in on the RM workbench" in wrong.message
    assert refusal(lambda: staffed.staff.sign_in("T301", PINS["T301"], "teller", None)).code is ErrorCode.WRONG_COUNTER
    assert refusal(lambda: staffed.staff.sign_in("T301", PINS["T301"], "teller", "99")).code is ErrorCode.UNKNOWN_COUNTER


def test_one_person_per_counter_and_sign_out(staffed):
    first = staffed.staff.sign_in("T301", PINS["T301"], "teller", "3").session
    second = staffed.staff.sign_in("T302", PINS["T302"], "teller", "3").session
    replaced = refusal(lambda: staffed.counter_open("3", session=first))
    assert replaced.code is ErrorCode.SIGNED_OUT and "someone signed in at the same place" in replaced.message
    staffed.staff.sign_out(second)
    assert "you signed out" in refusal(lambda: staffed.counter_open("3", session=second)).message
    assert staffed.staff.state().signed_in == []


def test_idle_sign_in_ends_by_itself(staffed, clock):
    session = staffed.staff.sign_in("M101", PINS["M101"], "manager", None).session
    clock.advance(minutes=29)
    staffed.referrals.listing(session)  # activity keeps it alive
    clock.advance(minutes=29)
    staffed.referrals.listing(session)
    clock.advance(minutes=30)
    assert staffed.staff.sign_out_idle() == 1
    idle = refusal(lambda: staffed.referrals.listing(session))
    assert idle.code is ErrorCode.SIGNED_OUT and "after 30 minutes without activity" in idle.message


def test_without_a_roster_the_branch_works_as_before(branch):
    assert branch.counter_open("1").open  # unsigned actions pass while nobody is on the roster
    refused = refusal(lambda: branch.staff.sign_in("T301", "123456", "teller", "1"))
    assert refused.code is ErrorCode.SIGN_IN_REFUSED


def test_roster_rows_name_every_role():
    assert {r for _, _, r, _ in ROSTER} == {role.value for role in StaffRole}
