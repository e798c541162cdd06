"""10,000 hostile payloads, to every op, as every role, through the real broker with the
generated users and ACL, to the real agent; then the branch must be exactly as it was and
still working. The payloads (tests/hostile.py) each carry a defect, some are published
retained, some without a response topic; the agent must answer or drop every one."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid

from edge_agent.bus.broker_setup import role_access
from lobby.config import load_config
from lobby.contract import ROLES
from tests.bus_helpers import RawClient, client, wait_online
from tests.hostile import BASES, UNKNOWN_OPS, hostile_payloads

PER_ROLE_AND_OP = 140  # 6 roles x 12 ops x 140 = 10,080 payloads
RETAINED_EVERY = 10
WITHOUT_REPLY_EVERY = 15


def test_ten_thousand_hostile_payloads_change_nothing_and_stop_nothing(broker, agent, agent_toml):
    config = load_config(agent_toml)
    pid = agent.process.pid
    watcher = client(broker, "display")
    watcher.subscribe("agent/state")
    wait_online(watcher)
    access = role_access()
    ops = [*BASES, *UNKNOWN_OPS]
    sent = expected_answers = 0
    clients = {role: client(broker, role) for role in ROLES}
    for role, fuzzer in clients.items():
        allowed = {topic.removeprefix("request/") for topic in access[role].publish if topic.startswith("request/")}
        infos = []
        for op in ops:
            for i, (_, payload) in enumerate(hostile_payloads(seed=2026, op=op, count=PER_ROLE_AND_OP)):
                retain = i % RETAINED_EVERY == 3
                reply = i % WITHOUT_REPLY_EVERY != 5
                infos.append(fuzzer.client.publish(
                    fuzzer.root + f"request/{op}", payload, qos=1, retain=retain,
                    properties=_reply(fuzzer, op) if reply else None,
                ))
                sent += 1
                # What the broker lets through reaches the agent, which answers all that name
                # a response topic of their own.
                expected_answers += op in allowed and reply
        for info in infos:
            info.wait_for_publish(30)
    assert sent >= 10_000

    def answers() -> int:
        return sum(len([t for t, _, _ in c.messages if t.startswith("response/")]) for c in clients.values())

    deadline = time.monotonic() + 180
    while answers() < expected_answers and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # nothing more may come
    assert answers() == expected_answers, (answers(), expected_answers)
    every_answer = [p for c in clients.values() for t, p, _ in c.messages if t.startswith("response/")]
    assert all(isinstance(p, dict) and p["status"] == "error" and p["code"] != "internal" for p in every_answer)
    assert max(len(json.dumps(p, ensure_ascii=False)) for p in every_answer) < 1500

    # The same process, online throughout, and it still issues a ticket.
    assert agent.alive() and agent.process.pid == pid
    states = [p["state"] for t, p, _ in watcher.messages if t == "agent/state"]
    assert states and set(states) == {"online"}  # online throughout (heartbeats repeat it)
    kiosk = clients["kiosk"]
    kiosk.publish("request/ticket", {"transaction": (t := uuid.uuid4().hex), "service": "cash"})
    assert kiosk.response("ticket", t, timeout=20)["data"]["ticket"] == "A001"  # the first ticket ever issued

    # Nothing was queued or written that should not have been: one ticket, its one arrival.
    store = sqlite3.connect(config.store.path)
    assert store.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert store.execute("SELECT COUNT(*) FROM tickets").fetchone() == (1,)
    topics = [row[0] for row in store.execute("SELECT topic FROM outbox")]
    assert topics in ([], ["events/arrival"])  # delivered ones may already be cleared
    assert store.execute("SELECT COUNT(*) FROM alerts").fetchone() == (0,)
    store.close()
    log = agent.log()
    assert "Traceback" not in log and "could not be handled" not in log

    for fuzzer in clients.values():  # leave no retained request behind on the broker
        for op in ops:
            fuzzer.client.publish(fuzzer.root + f"request/{op}", b"", qos=1, retain=True)
        fuzzer.close()
    watcher.close()


def _reply(fuzzer: RawClient, op: str):
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    properties = Properties(PacketTypes.PUBLISH)
    properties.ResponseTopic = fuzzer.root + fuzzer.answers + op
    return properties
