"""Every teller and kiosk operation, legal and illegal: codes, messages, and nothing half-done."""

from __future__ import annotations

from dataclasses import replace as _with
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from edge_agent.queue.engine import QueueEngine, QueueError
from edge_agent.queue.model import CounterSpec, CounterState, ServiceSpec, Ticket, WorkProfile
from lobby.contract import ProfileKind, TicketState, Tier
from tests.queue_helpers import state_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENING = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)

SERVICES = [
    ServiceSpec("cash", "A", 900, 240, "Cash"),
    ServiceSpec("noncash", "B", 900, 420, "Accounts & cards"),
    ServiceSpec("wealth", "V", 300, 720, "Wealth & Premier"),
    ServiceSpec("safe", "S", 600, 600, "Safe deposit"),  # no counter serves it
]
COUNTERS = [
    CounterSpec("1", ("cash",), "fifo"),
    CounterSpec("3", ("cash", "noncash"), "weighted"),
    CounterSpec("6", ("wealth", "noncash"), "vip-ratio", name="Premier room"),
]
PROFILES = [
    WorkProfile("fifo", ProfileKind.FIFO),
    WorkProfile("vip-ratio", ProfileKind.RATIO, cap_past_target_s=600),
    WorkProfile("weighted", ProfileKind.ACCUMULATING, tier_rates={Tier.VIP: 3.0}, cap_past_target_s=600),
]


def minutes(n: float) -> datetime:
    return OPENING + timedelta(minutes=n)


def lobby() -> QueueEngine:
    return QueueEngine(SERVICES, COUNTERS, PROFILES, SHANGHAI)




def test_a_ticket_lives_waiting_called_served():
    engine = lobby()
    ticket = engine.issue("cash", Tier.MASS, minutes(0), customer_token="ab" * 32)
    assert (ticket.id, ticket.label, ticket.number, ticket.business_day) == ("20261123-A001", "A001", 1, date(2026, 11, 23))
    assert ticket.state is TicketState.WAITING and ticket.queued_at == ticket.issued_at == minutes(0)
    assert ticket.customer_token == "ab" * 32 and ticket.original_service == "cash"
    engine.open_counter("1", minutes(1))
    called = engine.call_next("1", minutes(2))
    assert (called.id, called.state, called.counter, called.called_at) == (ticket.id, TicketState.CALLED, "1", minutes(2))
    assert engine.counter("1").serving == ticket.id
    assert engine.recall("1", minutes(3)).recalls == 1
    assert engine.recall("1", minutes(3.5), expect_label="A001").recalls == 2
    served = engine.complete("1", minutes(6))
    assert (served.state, served.finished_at, served.counter) == (TicketState.SERVED, minutes(6), "1")
    assert engine.counter("1").serving is None
    assert engine.open_tickets() == []


def test_no_show_frees_the_counter():
    engine = lobby()
    engine.issue("cash", Tier.MASS, minutes(0))
    engine.open_counter("1", minutes(0))
    engine.call_next("1", minutes(1))
    missed = engine.no_show("1", minutes(3))
    assert (missed.state, missed.finished_at) == (TicketState.NO_SHOW, minutes(3))
    assert engine.counter("1").serving is None
    # A no-show teaches nothing about service times.
    assert engine.service_times.count("cash") == 0


def test_transfer_returns_to_the_new_queue_as_waiting():
    engine = lobby()
    engine.issue("cash", Tier.MASS, minutes(0))
    engine.open_counter("1", minutes(0))
    engine.call_next("1", minutes(1))
    engine.recall("1", minutes(2))
    moved = engine.transfer("1", "noncash", minutes(5))
    assert (moved.service, moved.original_service, moved.state, moved.transfers) == ("noncash", "cash", TicketState.WAITING, 1)
    assert (moved.counter, moved.called_at, moved.recalls, moved.queued_at) == (None, None, 0, minutes(0))
    assert moved.label == "A001"  # the customer keeps the paper they hold
    assert engine.counter("1").serving is None


def test_returned_tickets_are_copies():
    engine = lobby()
    ticket = engine.issue("cash", Tier.MASS, minutes(0))
    ticket.state = TicketState.SERVED
    assert engine.ticket(ticket.id).state is TicketState.WAITING


def _idle_counter_3() -> QueueEngine:
    engine = lobby()
    engine.open_counter("3", minutes(0))
    return engine


def _counter_3_serving_a001() -> QueueEngine:
    engine = _idle_counter_3()
    engine.issue("cash", Tier.MASS, minutes(0))
    engine.issue("cash", Tier.MASS, minutes(1))
    engine.call_next("3", minutes(2))
    return engine


REFUSALS = [
    ("issue for a service that does not exist", lobby, lambda e: e.issue("loans", Tier.MASS, minutes(5)),
     "unknown_service", "There is no service 'loans' here. Services: cash, noncash, wealth, safe."),
    ("issue for a service no counter serves", lobby, lambda e: e.issue("safe", Tier.MASS, minutes(5)),
     "service_not_served",
     "No counter serves Safe deposit, so its tickets could never be called. Add it to a counter in the branch configuration."),
    ("call at a counter that does not exist", lobby, lambda e: e.call_next("9", minutes(5)),
     "unknown_counter", "There is no counter '9' here. Counters: 1, 3, 6."),
    ("call at a closed counter", lobby, lambda e: e.call_next("3", minutes(5)),
     "counter_closed", "Counter 3 is closed: open it before calling a ticket."),
    ("call while still serving", _counter_3_serving_a001, lambda e: e.call_next("3", minutes(5)),
     "counter_busy", "Counter 3 is still serving A001: complete it or mark it no-show before calling the next ticket."),
    ("call when nobody waits", _idle_counter_3, lambda e: e.call_next("3", minutes(5)),
     "queue_empty", "Nobody is waiting for Cash, Accounts & cards at Counter 3."),
    ("recall with nobody called", _idle_counter_3, lambda e: e.recall("3", minutes(5)),
     "nothing_to_recall", "Counter 3 has no called ticket to recall: call the next ticket first."),
    ("recall at a closed counter", lobby, lambda e: e.recall("6", minutes(5)),
     "nothing_to_recall", "Premier room has no called ticket to recall: call the next ticket first."),
    ("no-show with nobody called", _idle_counter_3, lambda e: e.no_show("3", minutes(5)),
     "nothing_to_mark_no_show", "Counter 3 has no called ticket to mark as no-show."),
    ("complete a ticket never called", _idle_counter_3, lambda e: e.complete("3", minutes(5)),
     "nothing_to_complete", "Counter 3 has no called ticket to complete: call the next ticket first."),
    ("transfer with nobody called", _idle_counter_3, lambda e: e.transfer("3", "noncash", minutes(5)),
     "nothing_to_transfer", "Counter 3 has no called ticket to transfer: call the customer first."),
    ("transfer to the service it is in", _counter_3_serving_a001, lambda e: e.transfer("3", "cash", minutes(5)),
     "same_service", "A001 is already in Cash: choose another service to transfer it to."),
    ("transfer to a service that does not exist", _counter_3_serving_a001, lambda e: e.transfer("3", "loans", minutes(5)),
     "unknown_service", "There is no service 'loans' here. Services: cash, noncash, wealth, safe."),
    ("transfer to a service no counter serves", _counter_3_serving_a001, lambda e: e.transfer("3", "safe", minutes(5)),
     "service_not_served",
     "No counter serves Safe deposit, so its tickets could never be called. Add it to a counter in the branch configuration."),
    ("open an open counter", _idle_counter_3, lambda e: e.open_counter("3", minutes(5)),
     "counter_already_open", "Counter 3 is already open."),
    ("close a closed counter", lobby, lambda e: e.close_counter("6", minutes(5)),
     "counter_already_closed", "Premier room is already closed."),
    ("close while serving", _counter_3_serving_a001, lambda e: e.close_counter("3", minutes(5)),
     "counter_busy",
     "Counter 3 is still serving A001: complete it, mark it no-show or transfer it before closing the counter."),
    ("open a counter that does not exist", lobby, lambda e: e.open_counter("9", minutes(5)),
     "unknown_counter", "There is no counter '9' here. Counters: 1, 3, 6."),
    ("a stale screen completes someone else", _counter_3_serving_a001, lambda e: e.complete("3", minutes(5), expect_label="A002"),
     "stale_ticket", "Counter 3 is serving A001, not A002: refresh the screen and try again."),
    ("a stale screen recalls someone else", _counter_3_serving_a001, lambda e: e.recall("3", minutes(5), expect_label="A002"),
     "stale_ticket", "Counter 3 is serving A001, not A002: refresh the screen and try again."),
    ("a stale screen marks someone else no-show", _counter_3_serving_a001,
     lambda e: e.no_show("3", minutes(5), expect_label="A002"),
     "stale_ticket", "Counter 3 is serving A001, not A002: refresh the screen and try again."),
    ("a stale screen transfers someone else", _counter_3_serving_a001,
     lambda e: e.transfer("3", "noncash", minutes(5), expect_label="A002"),
     "stale_ticket", "Counter 3 is serving A001, not A002: refresh the screen and try again."),
    ("people ahead of a ticket not in the queue", lobby, lambda e: e.people_ahead("20261123-A404", minutes(5)),
     "unknown_ticket", "Ticket 20261123-A404 is not in the queue: it was served, missed or never issued."),
    ("learn a service time for an unknown service", lobby, lambda e: e.observe("loans", 60),
     "unknown_service", "There is no service 'loans' here. Services: cash, noncash, wealth, safe."),
]


@pytest.mark.parametrize(("setup", "act", "code", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refusals_name_the_reason_and_change_nothing(setup, act, code, message):
    engine = setup()
    before = state_of(engine)
    with pytest.raises(QueueError) as refused:
        act(engine)
    assert (refused.value.code, refused.value.message, str(refused.value)) == (code, message, message)
    assert state_of(engine) == before


def test_a_finished_ticket_cannot_be_looked_up_again():
    engine = _counter_3_serving_a001()
    served = engine.complete("3", minutes(5))
    with pytest.raises(QueueError) as refused:
        engine.ticket(served.id)
    assert refused.value.code == "unknown_ticket"


def test_naive_times_and_unknown_tiers_are_programming_errors():
    engine = lobby()
    with pytest.raises(ValueError, match="timezone-aware"):
        engine.issue("cash", Tier.MASS, datetime(2026, 11, 23, 9, 0))
    with pytest.raises(ValueError):
        engine.issue("cash", "gold", minutes(0))
    assert engine.issue("cash", "vip", minutes(0)).tier is Tier.VIP


@pytest.mark.parametrize(
    ("services", "counters", "profiles", "complaint"),
    [
        (SERVICES + [ServiceSpec("fx", "A", 600, 300)], COUNTERS, PROFILES, "share a ticket prefix"),
        (SERVICES, COUNTERS + [CounterSpec("7", ("loans",), "fifo")], PROFILES, "unknown services"),
        (SERVICES, COUNTERS + [CounterSpec("7", ("cash",), "turbo")], PROFILES, "profile 'turbo'"),
    ],
)
def test_an_inconsistent_setup_is_refused(services, counters, profiles, complaint):
    with pytest.raises(ValueError, match=complaint):
        QueueEngine(services, counters, profiles, SHANGHAI)


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [({"ratio": (0, 1)}, "ratio"), ({"tier_rates": {Tier.VIP: 0}}, "positive"), ({"cap_past_target_s": -1}, "negative")],
)
def test_a_bad_work_profile_is_refused(fields, complaint):
    with pytest.raises(ValueError, match=complaint):
        WorkProfile("bad", ProfileKind.RATIO, **fields)


# ---- restore -------------------------------------------------------------------------


def _busy_lobby() -> QueueEngine:
    engine = lobby()
    engine.open_counter("3", minutes(0))
    engine.open_counter("6", minutes(0))
    for i, (service, tier) in enumerate([("cash", Tier.MASS), ("noncash", Tier.VIP), ("wealth", Tier.VIP), ("cash", Tier.VIP)]):
        engine.issue(service, tier, minutes(i))
    engine.call_next("6", minutes(5))
    engine.call_next("3", minutes(5))
    engine.complete("3", minutes(9))
    engine.call_next("3", minutes(9))
    return engine


def _restore(engine: QueueEngine, **changes) -> QueueEngine:
    rows = {
        "tickets": engine.open_tickets(),
        "counter_states": [engine.counter(c) for c in engine.counter_specs],
        "last_numbers": engine.last_numbers(),
    }
    rows.update(changes)
    return QueueEngine.restore(SERVICES, COUNTERS, PROFILES, SHANGHAI, **rows)  # type: ignore[arg-type]


def test_restore_rebuilds_the_same_queue_and_numbering_carries_on():
    engine = _busy_lobby()
    rebuilt = _restore(engine)
    assert state_of(rebuilt)[:3] == state_of(engine)[:3]
    rebuilt.observe("cash", 240)  # the lead replays completed tickets: A002 took 4 minutes
    assert state_of(rebuilt) == state_of(engine)
    assert rebuilt.snapshot(minutes(10)) == engine.snapshot(minutes(10))
    assert rebuilt.business_day == date(2026, 11, 23)
    assert rebuilt.issue("cash", Tier.MASS, minutes(11)).label == engine.issue("cash", Tier.MASS, minutes(11)).label == "A003"
    assert rebuilt.complete("6", minutes(12)).id == engine.complete("6", minutes(12)).id


def test_restore_ignores_finished_tickets_and_never_numbers_below_a_held_ticket():
    engine = _busy_lobby()
    finished = Ticket(
        id="20261123-A009", label="A009", service="cash", number=9, business_day=date(2026, 11, 23), tier=Tier.MASS,
        issued_at=minutes(0), queued_at=minutes(0), original_service="cash", state=TicketState.SERVED,
    )
    rebuilt = _restore(engine, tickets=engine.open_tickets() + [finished], last_numbers={})
    assert finished.id not in [t.id for t in rebuilt.open_tickets()]
    # The store lost its numbering rows: the engine still continues after every ticket it was shown.
    assert rebuilt.issue("cash", Tier.MASS, minutes(11)).label == "A010"
    assert rebuilt.issue("wealth", Tier.VIP, minutes(11)).label == "V002"


def test_restore_without_state_for_a_counter_starts_it_closed():
    engine = lobby()
    rebuilt = _restore(engine, counter_states=[])
    assert rebuilt.counter("3") == CounterState(id="3")


@pytest.mark.parametrize(
    ("mangle", "complaint"),
    [
        (lambda t, c: ([*t, t[0]], c), "appears twice"),
        (lambda t, c: ([*t[:-1], _with(t[-1], service="loans")], c), "service 'loans', which is no longer configured"),
        (lambda t, c: ([*t[:-1], _with(t[-1], service="safe")], c), "which no counter serves any more"),
        (lambda t, c: (t, [_with(x, serving=None) for x in c]), "which is not serving it"),
        (lambda t, c: ([x for x in t if x.state is TicketState.WAITING], c), "which is not a ticket called there"),
        (lambda t, c: (t, [*c, CounterState(id="9", open=True, serving=t[0].id)]), "counter '9' is no longer configured"),
    ],
)
def test_restore_names_what_does_not_add_up(mangle, complaint):
    engine = _busy_lobby()
    tickets, counters = mangle(engine.open_tickets(), [engine.counter(c) for c in engine.counter_specs])
    with pytest.raises(ValueError, match=complaint):
        _restore(engine, tickets=tickets, counter_states=counters)
