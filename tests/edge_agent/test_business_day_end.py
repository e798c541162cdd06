"""The end of a business day: what is still open expires, tomorrow starts empty, a closed
branch says so, and a clock that ran ahead is reported. Found on a bad day: numbering
restarted at 001 but yesterday's waiting tickets stayed (two open A006s), and today's A001
was told 34 people were ahead."""

from __future__ import annotations

import logging
import sqlite3
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_agent.branch import Branch
from edge_agent.queue.day_end import day_end
from edge_agent.queue.engine import QueueError
from edge_agent.store import outbox
from lobby.contract import ErrorCode
from tests.clocks import SHANGHAI, FakeClock

MONDAY = date(2026, 11, 23)
NINE_TO_FIVE = {0: (time(9), time(17))}


def hours(weekday: int):
    return NINE_TO_FIVE.get(weekday)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), SHANGHAI)


# ---- the rule, pure --------------------------------------------------------------------


def test_a_ticket_expires_at_closing_plus_grace_or_at_midnight():
    grace = timedelta(minutes=30)
    assert day_end(MONDAY, at(MONDAY, 10), hours, grace, SHANGHAI) == at(MONDAY, 17, 30)
    # Issued after that (a branch issuing outside its hours): it waits until the day changes.
    assert day_end(MONDAY, at(MONDAY, 18), hours, grace, SHANGHAI) == at(MONDAY + timedelta(days=1), 0)
    # A day without opening hours: midnight.
    assert day_end(MONDAY + timedelta(days=6), at(MONDAY, 10), hours, grace, SHANGHAI) == at(MONDAY + timedelta(days=7), 0)
    # A grace that would run past midnight stops there.
    assert day_end(MONDAY, at(MONDAY, 10), hours, timedelta(hours=9), SHANGHAI) == at(MONDAY + timedelta(days=1), 0)


@given(
    issued=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(ZoneInfo("Asia/Shanghai"))),
    grace_min=st.integers(0, 12 * 60),
    open_days=st.sets(st.integers(0, 6)),
)
def test_a_ticket_never_expires_before_it_is_issued_nor_after_its_day(issued, grace_min, open_days):
    day = issued.date()
    end = day_end(day, issued, lambda wd: (time(9), time(17)) if wd in open_days else None, timedelta(minutes=grace_min), SHANGHAI)
    assert issued < end <= at(day + timedelta(days=1), 0)


# ---- the branch ------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(MONDAY, 16, 0))


@pytest.fixture
def branch(branch_config, clock):
    opened = Branch.open(branch_config, clock)
    yield opened
    opened.close()


def expired_events(branch: Branch) -> list[str]:
    return [e.topic for e in outbox.pending(branch.store, limit=1000) if e.topic == "events/expired"]


def test_tickets_still_waiting_at_closing_expire_and_tomorrow_starts_empty(branch, clock, branch_config):
    branch.counter_open("1")
    labels = [branch.issue_ticket("cash").ticket for _ in range(6)]
    assert labels == ["A001", "A002", "A003", "A004", "A005", "A006"]
    called = branch.call_next("1")  # A001 is at the counter when the day ends
    clock.advance(minutes=89)  # 17:29: inside the grace, nothing moves
    assert branch.close_ended_days() == 0
    clock.advance(minutes=2)  # 17:31
    assert branch.close_ended_days() == 6
    assert branch.engine.open_tickets() == [] and branch.engine.counter("1").serving is None
    assert len(expired_events(branch)) == 6
    store = sqlite3.connect(branch_config.store.path)
    assert store.execute("SELECT COUNT(*) FROM tickets WHERE state = 'expired'").fetchone() == (6,)
    assert store.execute("SELECT kind FROM ticket_events WHERE ticket_id = ? ORDER BY rowid DESC LIMIT 1", (called.ticket_id,)).fetchone() == ("expired",)
    store.close()
    clock.now = at(MONDAY + timedelta(days=1), 9, 5)
    first = branch.issue_ticket("cash")
    assert first.ticket == "A001" and first.ahead == 0
    assert branch.queue_state().services["cash"].waiting == 1


def test_the_first_ticket_after_midnight_expires_yesterdays_itself(branch, clock):
    """No housekeeping needed: the ticket request closes the old day in its own transaction."""
    clock.now = at(MONDAY, 20, 0)  # after hours: this branch issues tickets outside them (the tests' config)
    assert [branch.issue_ticket("cash").ticket for _ in range(3)] == ["A001", "A002", "A003"]
    clock.now = at(MONDAY + timedelta(days=1), 0, 1)
    answer = branch.issue_ticket("cash")
    assert answer.ticket == "A001" and answer.ahead == 0
    assert [t.label for t in branch.engine.open_tickets()] == ["A001"]


def test_a_closed_branch_issues_no_ticket_and_says_when_it_opens(branch_config, tmp_path):
    config = branch_config.model_copy(update={"branch": branch_config.branch.model_copy(update={"tickets_outside_hours": False})})
    clock = FakeClock(at(MONDAY, 8, 30))
    branch = Branch.open(config, clock)
    try:
        with pytest.raises(QueueError) as early:
            branch.issue_ticket("cash")
        assert early.value.code is ErrorCode.BRANCH_CLOSED and "09:00-17:00" in early.value.message
        clock.now = at(MONDAY, 9, 0)
        assert branch.issue_ticket("cash").ticket == "A001"
        clock.now = at(MONDAY + timedelta(days=6), 11, 0)  # Sunday
        with pytest.raises(QueueError, match="closed all day today"):
            branch.issue_ticket("cash")
    finally:
        branch.close()


def test_a_clock_that_ran_ahead_is_reported_loudly(branch, clock, caplog):
    clock.now = at(MONDAY + timedelta(days=1), 10)  # the clock (or time zone) jumps a day ahead
    assert branch.issue_ticket("cash").ticket == "A001"
    clock.now = at(MONDAY, 16, 5)  # and is put right
    with caplog.at_level(logging.ERROR, logger="edge_agent.branch"):
        answer = branch.issue_ticket("cash")
        branch.issue_ticket("cash")
    assert answer.ticket == "A002"  # no number is handed out twice
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "the clock or [branch] timezone was wrong" in errors[0]
