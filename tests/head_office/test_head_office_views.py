"""What head office makes of the branches' states (pure), the ticket page's status (pure), and
the daily report computed in a real PostgreSQL from events as the branches publish them."""

from __future__ import annotations

import pytest

from head_office.accounts import User
from head_office.network import SORTS, UNASSIGNED, BranchLine, branch_lines
from tests.contract_payloads import (
    agent_state,
    arrival,
    called,
    device_state,
    expired,
    no_show,
    served,
    transferred,
    waiting_eta,
)
from tests.head_office.network_states import NOW, REGISTRY, queue, service, status


def agent(state="online", beat_ago_s=5.0, heartbeat_s=10, **more) -> dict:
    return agent_state(NOW, state, beat_ago_s, heartbeat_s, **more)






def lines(*states) -> dict[str, BranchLine]:
    return branch_lines(REGISTRY, [(b, k, key, p, NOW) for b, k, key, p in states], NOW, 3)


# ---- the network view ------------------------------------------------------------------------

def test_a_branch_heard_within_its_heartbeats_is_reachable_with_its_queue_and_counters():
    line = lines(("b1", "agent", "", agent(outbox_pending=4)), ("b1", "queue", "", queue(cash=service(longest=700))))["b1"]
    assert line.reachable and line.why_unreachable == ""
    assert (line.waiting, line.over_target, line.counters_open, line.counters, line.outbox_pending) == (2, 1, 1, 2, 4)


@pytest.mark.parametrize("states, why", [
    ((), "never heard"),
    ((("b1", "agent", "", agent(state="offline")),), "agent is offline"),
    ((("b1", "agent", "", agent(beat_ago_s=31)),), "nothing from the branch since"),
    ((("b1", "agent", "", agent(beat_ago_s=None, heartbeat_s=None)),), "sends no heartbeat"),
    ((("b1", "agent", "", agent()), ("b1", "bridge", "", {"connected": False})), "link to head office is down"),
])
def test_why_a_branch_is_unreachable_is_said(states, why):
    line = lines(*states)["b1"]
    assert not line.reachable and why in line.why_unreachable


def test_a_reconnected_bridge_and_a_fresh_heartbeat_make_it_reachable_again():
    assert lines(("b1", "agent", "", agent()), ("b1", "bridge", "", {"connected": True}))["b1"].reachable


def test_devices_in_trouble_are_those_not_doing_their_job():
    states = [("b1", "device", d, device_state(NOW, s))
              for d, s in (("p1", "ok"), ("p2", "paper_near_end"), ("p3", "paper_out"), ("d1", "offline"), ("x", "error"))]
    assert [d.device for d in lines(*states)["b1"].devices_in_trouble] == ["p3", "d1", "x"]


def test_a_branch_not_in_the_registry_is_shown_unassigned_and_every_sort_orders_all():
    found = lines(("b9", "agent", "", agent()), ("b1", "queue", "", queue(cash=service(waiting=9))))
    assert found["b9"].region == UNASSIGNED and found["b9"].name == "b9"
    for key, order in SORTS.items():
        assert sorted(found.values(), key=order), key
    assert [b.id for b in sorted(found.values(), key=SORTS["waiting"])][0] == "b1"


def test_who_sees_which_region():
    assert User("ops", "head_office", None).sees_region("South") and User("ops", "head_office", None).sees_region(None)
    east = User("li", "regional", "East")
    assert east.sees_region("East") and not east.sees_region("South") and not east.sees_region(None)
    assert east.region_filter == "East" and User("ops", "head_office", None).region_filter is None
    tech = User("wang", "technician", None)
    assert tech.may("fleet") and not tech.may("network") and tech.sees_region("South")
    assert User("zhao", "technician", "South").region_filter == "South"


# ---- the ticket page's status ------------------------------------------------------------------





def test_waiting_the_page_shows_people_ahead_and_the_wait_in_the_papers_minutes():
    s = status([("events/arrival", arrival())])
    assert (s.state, s.ahead, s.eta_min, s.eta_range_min, s.counter, s.visible) == ("waiting", 1, 7, (3, 12), None, True)
    assert (s.label, s.service_zh, s.branch_name) == ("A002", "现金", "陆家嘴支行")


def test_called_the_page_names_the_counter_and_a_recall_keeps_it():
    s = status([("events/arrival", arrival()), ("events/called", called("3")), ("events/called", called("3", recall=True))])
    assert (s.state, s.counter, s.ahead) == ("called", "3", None)


@pytest.mark.parametrize("last, state", [("events/served", "served"), ("events/no_show", "no_show"), ("events/expired", "expired")])
def test_the_end_of_a_ticket(last, state):
    end = {"events/served": served(), "events/no_show": no_show(), "events/expired": expired()}[last]
    assert status([("events/arrival", arrival()), ("events/called", called("3")), (last, end)]).state == state


def test_a_transferred_ticket_waits_again_in_its_new_service():
    q = queue(cash=service(etas=[]), enquiry=service(etas=[waiting_eta("A002", 60, 0, 120)], name_zh="咨询"))
    s = status([("events/arrival", arrival()), ("events/called", called("3")), ("events/transferred", transferred("enquiry"))], q=q)
    assert (s.state, s.service_zh, s.ahead, s.counter) == ("waiting", "咨询", 0, None)


def test_an_unreachable_branch_is_said_with_the_last_known_status():
    s = status([("events/arrival", arrival())], reachable=False)
    assert not s.visible and s.ahead == 1


def test_nothing_but_this_tickets_own_figures_goes_out():
    out = status([("events/arrival", arrival(masked_pan="622588******1234"))]).as_json()
    assert "A001" not in str(out) and "622588" not in str(out)


# ---- PostgreSQL: the registry, the accounts and the daily report -------------------------------


