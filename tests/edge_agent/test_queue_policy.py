"""Who is called next: each work profile, the cap, tie-breaks, transfers and people ahead."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from edge_agent.queue import policy
from edge_agent.queue.engine import QueueEngine
from edge_agent.queue.model import CounterSpec, ServiceSpec, Ticket, WorkProfile
from lobby.contract import CallRule, ProfileKind, Tier

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENING = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
SERVICES = {
    "cash": ServiceSpec("cash", "A", 900, 240),
    "noncash": ServiceSpec("noncash", "B", 600, 420),
}
FIFO = WorkProfile("fifo", ProfileKind.FIFO)
RATIO = WorkProfile("ratio", ProfileKind.RATIO, priority_tiers=frozenset({Tier.VIP}), ratio=(2, 1))
WEIGHTED = WorkProfile("weighted", ProfileKind.ACCUMULATING, tier_rates={Tier.VIP: 3.0, Tier.POTENTIAL: 1.5})


def minutes(n: float) -> datetime:
    return OPENING + timedelta(minutes=n)


def ticket(label: str, tier: Tier, queued_min: float, service: str = "cash", slot_min: float | None = None) -> Ticket:
    """`slot_min`: the customer checked in for a booking with that slot."""
    at = minutes(queued_min)
    return Ticket(
        id=f"20261123-{label}", label=label, service=service, number=int(label[1:]), business_day=date(2026, 11, 23),
        tier=tier, issued_at=at, queued_at=at, original_service=service,
        appointment_at=None if slot_min is None else minutes(slot_min),
    )


def labels(tickets: list[Ticket]) -> list[str]:
    return [t.label for t in tickets]


def drain(waiting: list[Ticket], profile: WorkProfile, now: datetime, cursor: int = 0) -> list[str]:
    """Call everybody one by one with `choose`, as a counter would with nobody arriving."""
    waiting, called = list(waiting), []
    while choice := policy.choose(waiting, profile, SERVICES, cursor, now):
        called.append(choice.ticket.label)
        waiting.remove(choice.ticket)
        cursor = choice.ratio_cursor
    return called


def test_fifo_calls_by_queue_time_across_the_counters_services():
    waiting = [ticket("A002", Tier.VIP, 3), ticket("B001", Tier.MASS, 1, "noncash"), ticket("A001", Tier.MASS, 2)]
    assert drain(waiting, FIFO, minutes(5)) == ["B001", "A001", "A002"]


def test_ratio_calls_two_vips_then_one_other():
    waiting = [ticket(f"A{i:03d}", Tier.MASS, i) for i in range(1, 5)] + [ticket(f"A{i:03d}", Tier.VIP, i) for i in range(5, 10)]
    assert drain(waiting, RATIO, minutes(10)) == ["A005", "A006", "A001", "A007", "A008", "A002", "A009", "A003", "A004"]


def test_ratio_falls_back_to_the_other_class_without_banking_credit():
    only_mass = [ticket("A001", Tier.MASS, 1), ticket("A002", Tier.MASS, 2), ticket("A003", Tier.MASS, 3)]
    choice = policy.choose(only_mass, RATIO, SERVICES, 0, minutes(5))
    assert (choice.ticket.label, choice.reason, choice.ratio_cursor) == ("A001", "ratio-fallback", 0)
    # Mass customers served while no VIP was there do not push the next VIPs back.
    mixed = [*only_mass[1:], ticket("A004", Tier.VIP, 4), ticket("A005", Tier.VIP, 4.5)]
    assert drain(mixed, RATIO, minutes(6), cursor=0) == ["A004", "A005", "A002", "A003"]


def test_ratio_cursor_is_where_the_counter_left_off():
    waiting = [ticket("A001", Tier.MASS, 1), ticket("A002", Tier.VIP, 2)]
    choice = policy.choose(waiting, RATIO, SERVICES, 2, minutes(5))
    assert (choice.ticket.label, choice.reason, choice.ratio_cursor) == ("A001", "ratio-other", 0)
    # A cursor from a profile with a longer cycle (config changed) is read modulo the cycle.
    assert policy.choose(waiting, RATIO, SERVICES, 5, minutes(5)).ticket.label == "A001"


def test_ratio_priority_tiers_are_configurable():
    profile = WorkProfile("r", ProfileKind.RATIO, priority_tiers=frozenset({Tier.VIP, Tier.PROSPECT}), ratio=(1, 1))
    waiting = [ticket("A001", Tier.MASS, 1), ticket("A002", Tier.PROSPECT, 2), ticket("A003", Tier.POTENTIAL, 3)]
    assert drain(waiting, profile, minutes(5)) == ["A002", "A001", "A003"]


def test_accumulating_priority_grows_with_waiting_at_the_tier_rate():
    vip = ticket("A002", Tier.VIP, 10)  # waits 5 min at rate 3: 900
    assert policy.choose([ticket("A001", Tier.MASS, 3), vip], WEIGHTED, SERVICES, 0, minutes(15)).ticket is vip  # 720
    older = ticket("A001", Tier.MASS, -1)  # 16 min at rate 1: 960
    assert policy.choose([older, vip], WEIGHTED, SERVICES, 0, minutes(15)).ticket is older
    # A tier without a configured rate accumulates at 1.0.
    prospect = ticket("A003", Tier.PROSPECT, 0)
    assert policy.choose([prospect, ticket("A004", Tier.MASS, 1)], WEIGHTED, SERVICES, 0, minutes(15)).ticket is prospect


def test_the_cap_calls_the_most_overdue_first_whatever_the_profile():
    capped = WorkProfile("r", ProfileKind.RATIO, ratio=(2, 1), cap_past_target_s=300)
    waiting = [
        ticket("A001", Tier.MASS, 0),  # cash: target 15 + cap 5 -> overdue at 20 min
        ticket("B001", Tier.MASS, 5, "noncash"),  # noncash: target 10 + cap 5 -> overdue at 20 min
        ticket("A002", Tier.VIP, 20),
    ]
    at_24 = policy.choose(waiting, capped, SERVICES, 0, minutes(24))
    assert (at_24.ticket.label, at_24.reason) == ("A001", "cap")  # 4 min over beats B001's 0 min
    assert at_24.ratio_cursor == 0  # a cap call of a mass ticket does not use up a VIP slot
    at_24_on = [t for t in waiting if t.label != "A001"]
    assert policy.choose(at_24_on, capped, SERVICES, 0, minutes(24)).ticket.label == "B001"
    # Before anyone is past target + cap, the profile decides.
    assert policy.choose(waiting, capped, SERVICES, 0, minutes(19)).reason == "ratio-priority"
    # Exactly at the cap is not yet "more than" the cap.
    assert policy.choose(waiting, capped, SERVICES, 0, minutes(20)).reason == "ratio-priority"


def test_the_cap_overrides_accumulating_and_fifo_too():
    for kind in (ProfileKind.FIFO, ProfileKind.ACCUMULATING):
        capped = WorkProfile("c", kind, tier_rates={Tier.VIP: 100.0}, cap_past_target_s=0)
        waiting = [ticket("A001", Tier.VIP, 0), ticket("B001", Tier.MASS, 1, "noncash")]
        # At 12 min: A001 is 3 min short of cash's target, B001 is 1 min past noncash's.
        choice = policy.choose(waiting, capped, SERVICES, 0, minutes(12))
        assert (choice.ticket.label, choice.reason) == ("B001", "cap")


def test_an_appointment_is_called_at_its_slot_ahead_of_earlier_walk_ins():
    walk_in = ticket("A001", Tier.MASS, 0)
    booked = ticket("A002", Tier.MASS, 5, slot_min=10)  # checked in 5 minutes early
    # Before its slot it waits like anybody who came in at 5 minutes.
    before = policy.choose([walk_in, booked], FIFO, SERVICES, 0, minutes(9))
    assert (before.ticket, before.reason, before.rule) == (walk_in, "fifo", CallRule.FIRST_COME)
    at_slot = policy.choose([walk_in, booked], FIFO, SERVICES, 0, minutes(10))
    assert (at_slot.ticket, at_slot.reason, at_slot.rule) == (booked, "appointment", CallRule.APPOINTMENT)


def test_appointments_go_by_slot_then_by_arrival():
    waiting = [ticket("A001", Tier.MASS, 0), ticket("A002", Tier.MASS, 1, slot_min=10), ticket("A003", Tier.MASS, 2, slot_min=5),
               ticket("A004", Tier.MASS, 3, slot_min=5), ticket("A005", Tier.VIP, 4)]
    assert drain(waiting, WEIGHTED, minutes(12)) == ["A003", "A004", "A002", "A005", "A001"]


def test_the_starvation_cap_still_comes_before_an_appointment():
    capped = WorkProfile("c", ProfileKind.FIFO, cap_past_target_s=0)
    starved = ticket("A001", Tier.MASS, 0)  # cash target 15 min: overdue at 16
    booked = ticket("A002", Tier.MASS, 10, slot_min=12)
    choice = policy.choose([starved, booked], capped, SERVICES, 0, minutes(16))
    assert (choice.ticket, choice.rule) == (starved, CallRule.CAP)


def test_an_appointment_takes_nobody_s_turn_in_the_ratio():
    waiting = [ticket("A001", Tier.MASS, 0), ticket("A002", Tier.VIP, 1), ticket("A003", Tier.MASS, 2, slot_min=3)]
    first = policy.choose(waiting, RATIO, SERVICES, 0, minutes(4))
    assert (first.ticket.label, first.ratio_cursor) == ("A003", 0)
    assert drain(waiting, RATIO, minutes(4)) == ["A003", "A002", "A001"]


def test_the_rule_says_who_went_ahead_of_whom():
    mass, vip = ticket("A001", Tier.MASS, 0), ticket("A002", Tier.VIP, 1)
    assert policy.choose([mass, vip], RATIO, SERVICES, 0, minutes(2)).rule is CallRule.PRIORITY
    assert policy.choose([vip], RATIO, SERVICES, 0, minutes(2)).rule is CallRule.FIRST_COME
    assert policy.choose([mass, vip], FIFO, SERVICES, 0, minutes(2)).rule is CallRule.FIRST_COME


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_ties_are_broken_by_ticket_id_whatever_order_tickets_are_held_in(data):
    same_time = [ticket(f"A{i:03d}", data.draw(st.sampled_from(list(Tier))), 1) for i in range(1, 6)]
    shuffled = data.draw(st.permutations(same_time))
    for profile in (FIFO, RATIO, WEIGHTED):
        assert drain(shuffled, profile, minutes(5)) == drain(same_time, profile, minutes(5))


waiting_lists = st.lists(
    st.tuples(
        st.sampled_from(list(Tier)), st.integers(0, 120), st.sampled_from(["cash", "noncash"]), st.none() | st.integers(0, 150)
    ),
    max_size=25,
)
profiles = st.builds(
    WorkProfile,
    id=st.just("p"),
    kind=st.sampled_from(list(ProfileKind)),
    priority_tiers=st.frozensets(st.sampled_from(list(Tier)), min_size=1),
    ratio=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    tier_rates=st.dictionaries(st.sampled_from(list(Tier)), st.floats(0.1, 10)),
    cap_past_target_s=st.none() | st.integers(0, 1800),
)


@settings(max_examples=150, deadline=None)
@given(waiting_lists, profiles, st.integers(0, 8), st.integers(0, 150))
def test_call_order_is_choose_repeated(rows, profile, cursor, now_min):
    waiting = [ticket(f"{'A' if s == 'cash' else 'B'}{i:03d}", tier, q, s, slot) for i, (tier, q, s, slot) in enumerate(rows, 1)]
    assert labels(policy.call_order(waiting, profile, SERVICES, cursor, minutes(now_min))) == drain(
        waiting, profile, minutes(now_min), cursor
    )


# ---- through the engine ----------------------------------------------------------------


def engine_with(profile: WorkProfile) -> QueueEngine:
    counters = [CounterSpec("1", ("cash",), profile.id), CounterSpec("2", ("noncash",), profile.id)]
    engine = QueueEngine(SERVICES.values(), counters, [profile], SHANGHAI)
    engine.open_counter("1", OPENING)
    engine.open_counter("2", OPENING)
    return engine


def test_a_transferred_ticket_joins_the_new_queue_at_its_original_issue_time():
    engine = engine_with(FIFO)
    engine.issue("noncash", Tier.MASS, minutes(0))  # B001
    engine.issue("cash", Tier.MASS, minutes(1))  # A001, to be transferred
    engine.issue("noncash", Tier.MASS, minutes(2))  # B002
    engine.issue("noncash", Tier.MASS, minutes(3))  # B003
    engine.call_next("1", minutes(4))
    moved = engine.transfer("1", "noncash", minutes(9))
    # Behind B001, who came earlier; before B002 and B003, who came after the customer did.
    assert engine.people_ahead(moved.id, minutes(9)) == 1
    assert _serve_all(engine, "2", minutes(10)) == ["B001", "A001", "B002", "B003"]


def _serve_all(engine: QueueEngine, counter: str, start: datetime) -> list[str]:
    called, now = [], start
    while any(t.state == "waiting" for t in engine.open_tickets()):
        called.append(engine.call_next(counter, now).label)
        now += timedelta(minutes=5)
        engine.complete(counter, now)
    return called


def test_people_ahead_follows_the_counters_profile():
    engine = engine_with(RATIO)
    for i, tier in enumerate([Tier.MASS, Tier.MASS, Tier.VIP, Tier.VIP, Tier.VIP]):
        engine.issue("cash", tier, minutes(i))
    ahead = {t.label: engine.people_ahead(t.id, minutes(6)) for t in engine.open_tickets()}
    # The order a 2:1 counter calls them: A003, A004, A001, A005, A002.
    assert ahead == {"A003": 0, "A004": 1, "A001": 2, "A005": 3, "A002": 4}
    assert _serve_all(engine, "1", minutes(6)) == ["A003", "A004", "A001", "A005", "A002"]


def test_people_ahead_of_a_called_ticket_is_zero():
    engine = engine_with(FIFO)
    first = engine.issue("cash", Tier.MASS, minutes(0))
    engine.call_next("1", minutes(1))
    assert engine.people_ahead(first.id, minutes(1)) == 0


def test_the_engine_calls_in_the_order_the_policy_promises():
    rng = random.Random(7)
    engine = engine_with(WEIGHTED)
    for i in range(12):
        engine.issue("cash", rng.choice(list(Tier)), minutes(i))
    promised = labels(policy.call_order(engine.open_tickets(), WEIGHTED, SERVICES, 0, minutes(12)))
    called = []
    for _ in range(12):  # time stands still: the counter calls and finishes instantly
        called.append(engine.call_next("1", minutes(12)).label)
        engine.complete("1", minutes(12))
    assert called == promised
