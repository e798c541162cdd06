"""Estimated waits: learned service times, counter capacity, the range, and the snapshot."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from edge_agent.queue.engine import QueueEngine
from edge_agent.queue.estimate import OpenCounter, ServiceTimes, WaitEstimate, capacity, estimate_wait
from edge_agent.queue.model import CounterSpec, ServiceSpec, WorkProfile
from lobby.contract import ProfileKind, Tier

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENING = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


def minutes(n: float) -> datetime:
    return OPENING + timedelta(minutes=n)


# ---- learned service times -------------------------------------------------------------


def test_the_configured_default_stands_in_before_any_history():
    times = ServiceTimes({"cash": 240.0})
    assert (times.mean_s("cash"), times.sd_s("cash"), times.count("cash")) == (240.0, 120.0, 0)


def test_the_first_tickets_move_the_figure_quickly_later_ones_only_nudge_it():
    times = ServiceTimes({"cash": 240.0})
    times.observe("cash", 360)
    assert times.mean_s("cash") == pytest.approx(300)  # the default counts as one observation
    for _ in range(60):
        times.observe("cash", 360)
    assert times.mean_s("cash") == pytest.approx(360, abs=1)
    assert times.sd_s("cash") < 10  # no spread left when every customer takes the same time
    times.observe("cash", 420)
    assert times.mean_s("cash") == pytest.approx(366, abs=1)  # alpha = 0.1


def test_a_forgotten_complete_does_not_blow_up_the_estimate():
    times = ServiceTimes({"cash": 240.0})
    times.observe("cash", 3 * 3600)  # the teller went to lunch without pressing "complete"
    assert times.mean_s("cash") == pytest.approx((240 + 4 * 240) / 2)


def test_durations_from_a_clock_stepped_back_are_ignored():
    times = ServiceTimes({"cash": 240.0})
    times.observe("cash", -5)
    times.observe("cash", 0)
    assert (times.mean_s("cash"), times.count("cash")) == (240.0, 0)


def test_a_copy_learns_on_its_own():
    times = ServiceTimes({"cash": 240.0})
    clone = times.copy()
    clone.observe("cash", 600)
    assert times.mean_s("cash") == 240.0 and clone.mean_s("cash") > 240.0


# ---- capacity and the formula ----------------------------------------------------------


def test_a_counter_whose_other_services_are_empty_is_all_yours():
    counters = [OpenCounter(("cash", "noncash"), idle=False)]
    assert capacity("cash", counters, {"cash": 600.0, "noncash": 0.0}) == (1.0, 0)


def test_a_shared_counter_splits_its_time_by_the_work_each_service_brings():
    counters = [OpenCounter(("cash", "noncash"), False), OpenCounter(("noncash",), True), OpenCounter(("corporate",), True)]
    # noncash's 1200 s of work is spread over two counters: 600 s comes to the shared one.
    assert capacity("cash", counters, {"cash": 600.0, "noncash": 1200.0}) == (0.5, 0)
    assert capacity("noncash", counters, {"cash": 600.0, "noncash": 1200.0}) == (1.5, 1)


def test_no_open_counter_means_no_estimate():
    assert capacity("cash", [OpenCounter(("noncash",), True)], {"cash": 240.0}) == (0.0, 0)
    assert estimate_wait(3, 0.0, 0, 240, 60) is None


def test_an_idle_counter_takes_you_at_once():
    assert estimate_wait(1, 2.0, 2, 240, 60) == WaitEstimate(0.0, 0.0, 0.0)


def test_expected_wait_counts_the_people_ahead_and_the_customers_part_way_through():
    # 4 ahead, 2 counters, 5 min each with a spread of 2.5 min (cv 0.5): the people at the
    # counters have (1 + 0.25) / 2 of a service left.
    estimate = estimate_wait(4, 2.0, 0, 300, 150)
    units = 4 + 0.625
    assert estimate.expected_s == pytest.approx(units * 300 / 2)
    half_width = 1.28 * 150 * math.sqrt(units / 2)
    assert (estimate.low_s, estimate.high_s) == pytest.approx((estimate.expected_s - half_width, estimate.expected_s + half_width))


def test_the_range_never_goes_below_zero():
    estimate = estimate_wait(0, 1.0, 0, 60, 600)
    assert estimate.low_s == 0.0 < estimate.expected_s < estimate.high_s


# ---- through the engine ----------------------------------------------------------------

SERVICES = [ServiceSpec("cash", "A", 900, 240, "Cash"), ServiceSpec("noncash", "B", 900, 420, "Accounts & cards")]
COUNTERS = [CounterSpec("1", ("cash",), "fifo"), CounterSpec("2", ("cash", "noncash"), "fifo")]


def lobby() -> QueueEngine:
    return QueueEngine(SERVICES, COUNTERS, [WorkProfile("fifo", ProfileKind.FIFO)], SHANGHAI)


def test_completing_a_ticket_teaches_the_engine_its_service_time():
    engine = lobby()
    engine.open_counter("1", minutes(0))
    engine.issue("cash", Tier.MASS, minutes(0))
    engine.call_next("1", minutes(1))
    engine.complete("1", minutes(9))  # 8 minutes at the counter
    assert engine.service_times.mean_s("cash") == pytest.approx((240 + 480) / 2)
    engine.observe("cash", 480)  # replayed from the store at start-up
    assert engine.service_times.count("cash") == 2


def test_more_open_counters_shorten_the_estimate():
    engine = lobby()
    for i in range(6):
        engine.issue("cash", Tier.MASS, minutes(i))
    assert engine.estimate_wait("cash") is None
    engine.open_counter("1", minutes(6))
    one = engine.estimate_wait("cash")
    engine.open_counter("2", minutes(6))
    two = engine.estimate_wait("cash")
    assert two.expected_s < one.expected_s
    # The first customers go straight to the idle counters.
    assert engine.estimate_wait("cash", ahead=1).expected_s == 0.0


def test_the_snapshot_shows_each_queue_and_counter():
    engine = lobby()
    engine.open_counter("1", minutes(0))
    engine.issue("cash", Tier.MASS, minutes(0))
    engine.issue("cash", Tier.VIP, minutes(2))
    engine.issue("noncash", Tier.MASS, minutes(3))
    engine.call_next("1", minutes(4))
    snap = engine.snapshot(minutes(10))
    cash, noncash = snap.services["cash"], snap.services["noncash"]
    assert (cash.waiting, cash.longest_wait_s, cash.target_wait_s, cash.counters_open) == (1, 480.0, 900, 1)
    assert cash.estimate == engine.estimate_wait("cash")
    assert (noncash.waiting, noncash.longest_wait_s, noncash.counters_open, noncash.estimate) == (1, 420.0, 0, None)
    assert snap.counters["1"].serving == "A001" and snap.counters["1"].serving_ticket_id == "20261123-A001"
    assert snap.counters["2"].open is False and snap.counters["2"].serving is None
    wire = json.loads(json.dumps(snap.as_dict()))
    assert wire["at"] == "2026-11-23T09:10:00+08:00" and wire["business_day"] == "2026-11-23"
    assert wire["services"]["cash"]["waiting"] == 1 and wire["services"]["noncash"]["eta_s"] is None
    low, high = wire["services"]["cash"]["eta_range_s"]
    assert low <= wire["services"]["cash"]["eta_s"] <= high
    assert wire["counters"]["1"] == {"open": True, "serving": "A001", "serving_ticket_id": "20261123-A001", "services": ["cash"]}
