"""Ticket numbers: per service with its prefix, restarting at local midnight in Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from edge_agent.queue.engine import QueueEngine
from edge_agent.queue.model import CounterSpec, ServiceSpec, WorkProfile
from lobby.contract import ProfileKind, Tier

SHANGHAI = ZoneInfo("Asia/Shanghai")
SERVICES = [ServiceSpec("cash", "A", 900, 240), ServiceSpec("noncash", "B", 900, 420), ServiceSpec("corporate", "CX", 1200, 600)]
COUNTERS = [CounterSpec("1", ("cash", "noncash", "corporate"), "fifo")]
PROFILES = [WorkProfile("fifo", ProfileKind.FIFO)]


def lobby() -> QueueEngine:
    return QueueEngine(SERVICES, COUNTERS, PROFILES, SHANGHAI)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=SHANGHAI)


def test_each_service_counts_on_its_own_with_its_prefix():
    engine = lobby()
    now = local(2026, 11, 23, 9, 0)
    labels = [engine.issue(s, Tier.MASS, now).label for s in ("cash", "cash", "noncash", "cash", "corporate", "noncash")]
    assert labels == ["A001", "A002", "B001", "A003", "CX001", "B002"]
    assert engine.last_numbers() == {(date(2026, 11, 23), "cash"): 3, (date(2026, 11, 23), "noncash"): 2,
                                     (date(2026, 11, 23), "corporate"): 1}


def test_numbers_restart_at_local_midnight_not_utc_midnight():
    engine = lobby()
    # 23:59:59 in Shanghai is 15:59:59 UTC: still the 23rd locally.
    before = engine.issue("cash", Tier.MASS, datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC))
    again = engine.issue("cash", Tier.MASS, local(2026, 11, 23, 23, 59, 59, 999999))
    # 00:00:01 in Shanghai is still the 23rd in UTC, but a new business day here.
    after = engine.issue("cash", Tier.MASS, datetime(2026, 11, 23, 16, 0, 1, tzinfo=UTC))
    assert (before.id, before.business_day) == ("20261123-A001", date(2026, 11, 23))
    assert again.id == "20261123-A002"
    assert (after.id, after.label, after.business_day) == ("20261124-A001", "A001", date(2026, 11, 24))
    assert engine.business_day == date(2026, 11, 24)
    # Yesterday's counts are forgotten once the day has moved on: the state stays small.
    assert engine.last_numbers() == {(date(2026, 11, 24), "cash"): 1}


def test_the_same_label_on_two_days_is_two_tickets():
    engine = lobby()
    yesterday = engine.issue("cash", Tier.MASS, local(2026, 11, 23, 16, 55))
    today = engine.issue("cash", Tier.MASS, local(2026, 11, 24, 9, 0))
    assert yesterday.label == today.label == "A001"
    assert yesterday.id != today.id
    assert {t.id for t in engine.open_tickets()} == {"20261123-A001", "20261124-A001"}


def test_a_ticket_left_waiting_yesterday_is_still_called_first_today():
    engine = lobby()
    engine.issue("cash", Tier.MASS, local(2026, 11, 23, 16, 58))
    engine.issue("cash", Tier.VIP, local(2026, 11, 24, 9, 1))
    engine.open_counter("1", local(2026, 11, 24, 9, 0))
    assert engine.call_next("1", local(2026, 11, 24, 9, 2)).id == "20261123-A001"
    assert engine.complete("1", local(2026, 11, 24, 9, 6)).business_day == date(2026, 11, 23)
    assert engine.call_next("1", local(2026, 11, 24, 9, 6)).id == "20261124-A001"


def test_a_clock_stepped_back_over_midnight_does_not_reissue_numbers():
    engine = lobby()
    engine.issue("cash", Tier.MASS, local(2026, 11, 24, 0, 0, 5))
    # NTP pulls the clock back ten seconds, to 23:59:55 the day before.
    late = engine.issue("cash", Tier.MASS, local(2026, 11, 23, 23, 59, 55))
    assert (late.id, late.business_day) == ("20261124-A002", date(2026, 11, 24))


def test_numbering_carries_on_after_a_restart():
    engine = lobby()
    now = local(2026, 11, 23, 10, 0)
    for _ in range(3):
        engine.issue("cash", Tier.MASS, now)
    engine.open_counter("1", now)
    for _ in range(3):
        engine.call_next("1", now)
        engine.complete("1", now + timedelta(minutes=1))
    rebuilt = QueueEngine.restore(
        SERVICES, COUNTERS, PROFILES, SHANGHAI, tickets=[], counter_states=[engine.counter("1")],
        last_numbers=engine.last_numbers(),
    )
    assert rebuilt.issue("cash", Tier.MASS, now + timedelta(minutes=5)).label == "A004"
    # The next morning it starts again at 001.
    assert rebuilt.issue("cash", Tier.MASS, local(2026, 11, 24, 9, 0)).label == "A001"


def test_past_999_the_label_grows_a_digit():
    engine = QueueEngine.restore(
        SERVICES, COUNTERS, PROFILES, SHANGHAI, tickets=[], counter_states=[],
        last_numbers={(date(2026, 11, 23), "cash"): 999},
    )
    ticket = engine.issue("cash", Tier.MASS, local(2026, 11, 23, 15, 0))
    assert (ticket.label, ticket.id) == ("A1000", "20261123-A1000")
