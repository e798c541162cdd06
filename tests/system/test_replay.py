"""Numbered events and `replay`: loss after a broker crash is impossible to miss and easy
to repair. Found on a bad day: Mosquitto killed with -9 between its saves, and a persistent
subscriber that was offline came back with its session and 0 of the 20 arrivals published
meanwhile."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta

from edge_agent.store import outbox
from tests.bus_helpers import client


def test_delivered_events_stay_replayable_in_order_until_their_time_is_up(branch, clock):
    branch.counter_open("1")
    for _ in range(5):
        branch.issue_ticket("cash")
    branch.call_next("1")
    waiting = outbox.pending(branch.store, limit=100)
    assert [e.seq for e in waiting] == list(range(1, 7))
    outbox.delete_delivered(branch.store, [1, 2, 3])  # the broker acknowledged the first three
    answer = branch.replay(after_seq=1, limit=3)
    assert [e.payload["seq"] for e in answer.events] == [2, 3, 4] and answer.more
    assert [e.topic for e in answer.events] == ["events/arrival"] * 3
    assert answer.oldest_seq == 1 and answer.last_seq == 6
    rest = branch.replay(after_seq=4, limit=100)
    assert [e.payload["seq"] for e in rest.events] == [5, 6] and not rest.more
    assert rest.events[-1].topic == "events/called"
    assert json.loads(outbox.with_seq(waiting[0].payload, 1))["event_id"] == waiting[0].event_id
    forgotten = outbox.forget_events(branch.store, datetime.now(branch.config.branch.zone) + timedelta(hours=1))
    assert forgotten == 3 and branch.replay(after_seq=0, limit=100).oldest_seq == 4


def test_every_published_event_is_numbered_and_a_gap_is_repaired_with_replay(broker, agent):
    manager = client(broker, "manager")
    manager.subscribe("events/#", "alerts/#")
    kiosk = client(broker, "kiosk")
    for _ in range(4):
        kiosk.publish("request/ticket", {"transaction": (t := uuid.uuid4().hex), "service": "cash"})
        kiosk.response("ticket", t)
    manager.wait_for(lambda m: len([p for t, p, _ in m if t == "events/arrival"]) == 4)
    numbers = [p["seq"] for t, p, _ in manager.messages if t.startswith(("events/", "alerts/"))]
    assert numbers == list(range(numbers[0], numbers[0] + 4))
    # A subscriber that has only the first asks for what follows.
    manager.publish("request/replay", {"transaction": (r := uuid.uuid4().hex), "after_seq": numbers[0]})
    answer = manager.response("replay", r)["data"]
    assert [e["payload"]["seq"] for e in answer["events"]] == numbers[1:] and answer["more"] is False
    assert {e["payload"]["event_id"] for e in answer["events"]} == {
        p["event_id"] for t, p, _ in manager.messages if t == "events/arrival" and p["seq"] in numbers[1:]
    }
    # Nobody else may: the kiosk's request is refused by the broker, so never answered.
    kiosk.publish("request/replay", {"transaction": uuid.uuid4().hex, "after_seq": 0})
    time.sleep(0.5)
    assert not [p for t, p, _ in kiosk.messages if t == "response/replay"]
    manager.close()
    kiosk.close()


def test_the_broker_saves_after_every_change(broker):
    conf = (broker.directory / "mosquitto.conf").read_text()
    assert "autosave_on_changes true" in conf and "autosave_interval 1\n" in conf


