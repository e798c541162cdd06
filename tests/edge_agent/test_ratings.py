"""服务评价, 服务补救 and 投诉处理 inside the branch: a prompt per completed ticket, one vote
while it is open, a service alert for a low score, complaints and their steps, and every
refusal in words (and, for votes, on record)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_agent.queue.engine import QueueError
from edge_agent.rules.complaints import TRANSITIONS, advance, overdue, resolve_by
from edge_agent.rules.ratings import Prompt, check_vote
from edge_agent.store import outbox
from edge_agent.store.retention import close_day
from lobby.contract import ComplaintState, ErrorCode
from tests.clocks import SHANGHAI
from tests.staff_helpers import PINS

PHONE = "13812345678"



@pytest.fixture
def desk(staffed):
    teller = staffed.staff.sign_in("T301", PINS["T301"], "teller", "3").session
    manager = staffed.staff.sign_in("M101", PINS["M101"], "manager", None).session
    staffed.counter_open("3", session=teller)
    return {"teller": teller, "manager": manager}


def refusal(call) -> QueueError:
    with pytest.raises(QueueError) as caught:
        call()
    return caught.value


def published(the_branch, topic: str) -> list[dict]:
    return [json.loads(e.payload) for e in outbox.pending(the_branch.store, limit=1000) if e.topic == topic]


def served_ticket(the_branch, desk) -> dict:
    """A customer served and completed at counter 3: the prompt that opened for them."""
    the_branch.issue_ticket("cash")
    the_branch.call_next("3", session=desk["teller"])
    the_branch.complete("3", session=desk["teller"])
    return [p for p in published(the_branch, "events/rating_prompt") if p["state"] == "open"][-1]


# ---- pure rules -----------------------------------------------------------------------------------


def test_a_vote_counts_only_at_its_counter_while_open_and_on_the_scale():
    opened = datetime(2026, 12, 5, 10, tzinfo=SHANGHAI)
    prompt = Prompt("p" * 32, "3", opened, opened + timedelta(seconds=45), None, None)
    check_vote(prompt, "3", 1, ["long_wait"], 3, {"long_wait"}, opened + timedelta(seconds=5))
    cases = [
        (dict(counter="2"), ErrorCode.WRONG_COUNTER),
        (dict(score=4), ErrorCode.SCORE_OUT_OF_RANGE),
        (dict(reasons=["rude"]), ErrorCode.UNKNOWN_REASON),
        (dict(now=opened + timedelta(seconds=45)), ErrorCode.PROMPT_CLOSED),
    ]
    for change, code in cases:
        args = {"counter": "3", "score": 1, "reasons": [], "now": opened + timedelta(seconds=5)} | change
        with pytest.raises(QueueError) as caught:
            check_vote(prompt, args["counter"], args["score"], args["reasons"], 3, {"long_wait"}, args["now"])
        assert caught.value.code is code
    check_vote(prompt, "3", 4, [], 5, set(), opened)  # a five-point branch takes 4 and 5
    with pytest.raises(QueueError):
        check_vote(prompt, "3", 0, [], 5, set(), opened)
    answered = Prompt("p" * 32, "3", opened, opened + timedelta(seconds=45), opened, "answered")
    with pytest.raises(QueueError, match="already rated"):
        check_vote(answered, "3", 2, [], 3, set(), opened)


@given(st.lists(st.sampled_from(list(ComplaintState)), max_size=8))
def test_every_complaint_path_follows_the_table(steps):
    state = ComplaintState.OPEN
    for step in steps:
        if step in TRANSITIONS[state]:
            state = advance(state, step)
        else:
            with pytest.raises(QueueError):
                advance(state, step)


def test_the_resolution_target_counts_only_days_the_branch_opens():
    friday = datetime(2026, 12, 4, 16, tzinfo=SHANGHAI)  # a Friday; the branch opens Monday to Saturday here
    weekdays_and_saturday = lambda day: day.weekday() < 6  # noqa: E731
    assert resolve_by(friday, 3, weekdays_and_saturday).date() == date(2026, 12, 8)  # Sat, Mon, Tue
    assert resolve_by(friday, 1, lambda day: day.weekday() < 5).date() == date(2026, 12, 7)
    opened = datetime(2026, 12, 5, 10, tzinfo=SHANGHAI)
    deadline = resolve_by(opened, 3, weekdays_and_saturday)
    assert overdue(ComplaintState.OPEN, opened, None, deadline, timedelta(minutes=10), opened + timedelta(minutes=11)) == ["ack"]
    assert overdue(ComplaintState.ACKNOWLEDGED, opened, opened, deadline, timedelta(minutes=10), deadline + timedelta(seconds=1)) == ["resolve"]
    assert overdue(ComplaintState.RESOLVED, opened, opened, deadline, timedelta(minutes=10), deadline + timedelta(days=9)) == []


# ---- the branch ---------------------------------------------------------------------------------------


def test_completing_opens_a_prompt_and_a_low_vote_raises_a_service_alert(staffed, desk, clock):
    prompt = served_ticket(staffed, desk)
    assert (prompt["counter"], prompt["ticket"], prompt["staff_name"], prompt["scale"]) == ("3", "A001", "陈柜员", 3)
    clock.advance(seconds=4)
    answer = staffed.ratings.rate("3", prompt["prompt_id"], 1, ["long_wait", "slow"])
    assert answer.low and answer.ticket == "A001"
    alert = published(staffed, "alerts/service")[0]
    assert (alert["counter"], alert["staff_name"], alert["score"], alert["reasons"]) == ("3", "陈柜员", 1, ["long_wait", "slow"])
    assert [p["close_reason"] for p in published(staffed, "events/rating_prompt") if p["state"] == "closed"] == ["answered"]
    acked = staffed.ratings.acknowledge(desk["manager"], alert["event_id"], "已向客户致歉")
    assert acked.by == "M101"
    again = refusal(lambda: staffed.ratings.acknowledge(desk["manager"], alert["event_id"], ""))
    assert again.code is ErrorCode.SERVICE_ALERT_ALREADY_ACKNOWLEDGED and "张敏 already answered" in again.message


def test_tampered_votes_are_refused_and_recorded(staffed, desk, clock):
    prompt = served_ticket(staffed, desk)
    staffed.ratings.rate("3", prompt["prompt_id"], 3, [])
    second = refusal(lambda: staffed.ratings.rate("3", prompt["prompt_id"], 1, []))
    assert second.code is ErrorCode.PROMPT_CLOSED and "already rated" in second.message
    next_one = served_ticket(staffed, desk)
    assert refusal(lambda: staffed.ratings.rate("2", next_one["prompt_id"], 3, [])).code is ErrorCode.WRONG_COUNTER
    staffed.issue_ticket("cash")
    staffed.call_next("3", session=desk["teller"])  # the counter moves on: the prompt closes unanswered
    late = refusal(lambda: staffed.ratings.rate("3", next_one["prompt_id"], 3, []))
    assert late.code is ErrorCode.PROMPT_CLOSED and "called its next ticket" in late.message
    assert refusal(lambda: staffed.ratings.rate("3", "0" * 32, 3, [])).code is ErrorCode.UNKNOWN_PROMPT
    refused = [tuple(r) for r in staffed.store.conn.execute("SELECT counter, code FROM rating_refusals ORDER BY seq")]
    assert refused == [("3", "prompt_closed"), ("2", "wrong_counter"), ("3", "prompt_closed"), ("3", "unknown_prompt")]


def test_an_unanswered_prompt_times_out_as_skipped(staffed, desk, clock):
    prompt = served_ticket(staffed, desk)
    clock.advance(seconds=46)
    assert refusal(lambda: staffed.ratings.rate("3", prompt["prompt_id"], 2, [])).message.endswith("timed out.")
    assert staffed.ratings.close_timed_out() == 1
    row = staffed.store.conn.execute("SELECT close_reason, score FROM rating_prompts").fetchone()
    assert tuple(row) == ("timeout", None)


def test_a_complaint_from_a_low_rating_is_acknowledged_and_resolved(staffed, desk, clock):
    prompt = served_ticket(staffed, desk)
    staffed.ratings.rate("3", prompt["prompt_id"], 1, ["attitude"])
    alert = published(staffed, "alerts/service")[0]
    opened = staffed.complaints.open(desk["manager"], "attitude", "柜员态度冷淡", None, alert["event_id"], PHONE, True).complaint
    assert (opened.state, opened.ticket, opened.contact, opened.contact_masked) == ("open", "A001", PHONE, "138****5678")
    answered = published(staffed, "alerts/answered")
    assert answered[-1]["kind"] == "service" and answered[-1]["outcome"] == "complaint"  # one tap answers the alert too
    clock.advance(minutes=4)
    staffed.complaints.update(desk["manager"], opened.complaint_id, "acknowledged", "已向客户致歉并记录")
    done = staffed.complaints.update(desk["manager"], opened.complaint_id, "resolved", "主管与柜员谈话，客户接受").complaint
    assert [s.state for s in done.steps] == ["open", "acknowledged", "resolved"] and done.overdue == []
    twice = refusal(lambda: staffed.complaints.update(desk["manager"], opened.complaint_id, "resolved", "再次"))
    assert twice.code is ErrorCode.COMPLAINT_CLOSED
    events = json.dumps(published(staffed, "events/complaint"), ensure_ascii=False)
    assert PHONE not in events and "138****5678" in events


def test_bad_complaints_are_refused_and_change_nothing(staffed, desk):
    cases = [
        (lambda: staffed.complaints.open(desk["manager"], "weather", "说了什么", None, None, None, False), ErrorCode.UNKNOWN_CATEGORY),
        (lambda: staffed.complaints.open(desk["manager"], "waiting", "等太久", "A999", None, None, False), ErrorCode.UNKNOWN_TICKET),
        (lambda: staffed.complaints.open(desk["manager"], "waiting", "等太久", None, "f" * 32, None, False), ErrorCode.UNKNOWN_SERVICE_ALERT),
        (lambda: staffed.complaints.open(desk["manager"], "waiting", "等太久", None, None, PHONE, False), ErrorCode.CONSENT_REQUIRED),
        (lambda: staffed.complaints.open(desk["teller"], "waiting", "等太久", None, None, None, False), ErrorCode.WRONG_ROLE),
        (lambda: staffed.complaints.update(desk["manager"], "e" * 32, "resolved", "x"), ErrorCode.UNKNOWN_COMPLAINT),
    ]
    for call, code in cases:
        assert refusal(call).code is code
    walk_up = staffed.complaints.open(desk["manager"], "waiting", "等了四十分钟", None, None, None, False).complaint
    skipped = refusal(lambda: staffed.complaints.update(desk["manager"], walk_up.complaint_id, "resolved", "直接解决"))
    assert skipped.code is ErrorCode.COMPLAINT_STEP_REFUSED and "Acknowledge the complaint" in skipped.message
    assert staffed.store.conn.execute("SELECT COUNT(*) FROM complaints").fetchone()[0] == 1


def test_the_tablets_list_shows_open_complaints_with_their_contact_and_overdue_flags(staffed, desk, clock):
    staffed.complaints.open(desk["manager"], "waiting", "等了四十分钟", None, None, PHONE, True)
    clock.advance(minutes=11)
    listed = staffed.complaints.listing(desk["manager"]).complaints
    assert listed[0].contact == PHONE and listed[0].overdue == ["ack"]


def test_retention_erases_a_complaints_contact(staffed, desk, clock, branch_config):
    import sqlite3

    staffed.complaints.open(desk["manager"], "waiting", "等了四十分钟", None, None, PHONE, True)
    later = clock().date() + timedelta(days=branch_config.store.retention_days + 3)
    assert close_day(staffed.store, later, branch_config.store.retention_days).erased_contacts == 1
    assert PHONE not in "\n".join(sqlite3.connect(branch_config.store.path).iterdump())


def test_the_report_counts_ratings_flags_and_complaints(staffed, desk, clock, branch_toml, tmp_path):
    from edge_agent.cli import main as cli

    for _ in range(5):  # the same teller: every vote within a second of the prompt
        prompt = served_ticket(staffed, desk)
        clock.advance(seconds=0.4)
        staffed.ratings.rate("3", prompt["prompt_id"], 3, [])
    prompt = served_ticket(staffed, desk)
    clock.advance(seconds=5)
    staffed.ratings.rate("3", prompt["prompt_id"], 1, ["long_wait"])
    alert = published(staffed, "alerts/service")[0]
    complaint = staffed.complaints.open(desk["manager"], "waiting", "等了太久", None, alert["event_id"], None, False).complaint
    clock.advance(minutes=3)
    staffed.complaints.update(desk["manager"], complaint.complaint_id, "acknowledged", "致歉")
    staffed.complaints.update(desk["manager"], complaint.complaint_id, "resolved", "已解释")
    served_ticket(staffed, desk)  # skipped: never rated
    day = clock().date().isoformat()
    assert cli(["report", "--date", day, "--out", str(tmp_path / "r"), "--config", str(branch_toml)]) == 0
    page = (tmp_path / "r" / f"report-{day}.html").read_text(encoding="utf-8")
    assert "服务评价与投诉 Ratings and complaints" in page and "陈柜员 (T301)" in page
    assert "几乎每次评价都在提示后一秒内" in page  # five of six votes within a second
    rows = (tmp_path / "r" / f"report-{day}.csv").read_text(encoding="utf-8-sig").splitlines()
    assert "ratings,all,7,6,1,14.3,2.67,83.3,5," in rows
    assert "rating_flag,陈柜员 (T301),quick,,,,,,," in rows
    assert "complaints,all,1,1,0,3.0,0.1,,," in rows
