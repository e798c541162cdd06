"""The MQTT contract against a real Mosquitto and a real agent process."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import paho.mqtt.client as mqtt

from lobby.contract import ROLES
from tests.bus_helpers import RawClient, client, import_customer, publish_reason, tx, wait_online


def test_ticket_request_response_events_and_retained_state(broker, agent):
    hq = client(broker, "hq")
    hq.subscribe("#")
    wait_online(hq)
    kiosk = client(broker, "kiosk")
    kiosk.subscribe("queue/state")
    transaction = tx()
    kiosk.publish("request/ticket", {"transaction": transaction, "service": "cash", "lang": "en", "kiosk": "kiosk-1"})
    answer = kiosk.response("ticket", transaction)
    assert answer["status"] == "ok", answer
    data = answer["data"]
    assert data["ticket"] == "A001" and data["service_en"] == "Cash" and data["ahead"] == 0
    arrival = hq.wait_for(lambda m: any(t == "events/arrival" for t, _, _ in m)) and hq.on("events/arrival")[0]
    assert set(arrival) == {
        "event_id", "seq", "ticket", "ticket_id", "service", "tier", "issued_at", "ahead", "eta_s", "eta_range_s", "kiosk", "customer"
    }
    assert arrival["ticket"] == "A001" and arrival["kiosk"] == "kiosk-1" and arrival["customer"] == {"identified": False, "masked_pan": None}
    assert arrival["seq"] == 1  # the branch's first event
    assert "+08:00" in arrival["issued_at"]
    kiosk.wait_for(lambda m: any(t == "queue/state" and p["services"]["cash"]["waiting"] == 1 for t, p, _ in m))

    # A repeated transaction: the first answer again, and no second ticket.
    kiosk.publish("request/ticket", {"transaction": transaction, "service": "cash"})
    kiosk.wait_for(lambda m: len([p for t, p, _ in m if t == "response/ticket"]) == 2)
    repeat = kiosk.on("response/ticket")[1]
    assert repeat["data"]["ticket"] == "A001" and repeat["data"]["replayed"] is True
    time.sleep(0.5)
    assert len(hq.on("events/arrival")) == 1

    # A late subscriber gets the retained state at once.
    late = client(broker, "display")
    late.subscribe("queue/state", "agent/state")
    messages = late.wait_for(lambda m: {t for t, _, _ in m} >= {"queue/state", "agent/state"})
    assert all(retained for _, _, retained in messages)
    state = late.on("queue/state")[-1]
    assert state["services"]["cash"]["waiting"] == 1 and state["counters"]["1"] == {"open": False, "serving": None, "services": ["cash"]}
    for c in (hq, kiosk, late):
        c.close()


def test_teller_flow_and_events(broker, agent):
    teller = client(broker, "teller")
    teller.subscribe("events/#")
    kiosk = client(broker, "kiosk")
    kiosk.publish("request/ticket", {"transaction": (t1 := tx()), "service": "noncash"})
    assert kiosk.response("ticket", t1)["status"] == "ok"
    teller.publish("request/counter_open", {"transaction": (t2 := tx()), "counter": "4"})
    assert teller.response("counter_open", t2)["data"]["open"] is True
    teller.publish("request/call_next", {"transaction": (t3 := tx()), "counter": "4"})
    called = teller.response("call_next", t3)["data"]
    assert called["ticket"] == "B001" and called["counter"] == "4"
    teller.publish("request/transfer", {"transaction": (t4 := tx()), "ticket": "B001", "to_service": "enquiry"})
    assert teller.response("transfer", t4)["data"]["service"] == "enquiry"
    teller.publish("request/call_next", {"transaction": (t5 := tx()), "counter": "4"})
    teller.response("call_next", t5)
    teller.publish("request/complete", {"transaction": (t6 := tx()), "counter": "4", "ticket": "B001"})
    assert teller.response("complete", t6)["status"] == "ok"
    teller.wait_for(lambda m: any(t == "events/served" for t, _, _ in m))
    topics = [t for t, _, _ in teller.messages if t.startswith("events/")]
    assert topics == ["events/arrival", "events/called", "events/transferred", "events/called", "events/served"]
    transferred = teller.on("events/transferred")[0]
    assert (transferred["from_service"], transferred["to_service"], transferred["counter"]) == ("noncash", "enquiry", "4")
    teller.close()
    kiosk.close()


BAD_REQUESTS = [
    ("ticket", b"not json", "bad_json"),
    ("ticket", b"\xff\xfe\x00", "not_utf8"),
    ("ticket", b"[1, 2]", "not_an_object"),
    ("ticket", b'"just a string"', "not_an_object"),
    ("ticket", b"{}", "invalid"),
    ("ticket", json.dumps({"transaction": "b1"}).encode(), "invalid"),
    ("ticket", json.dumps({"transaction": "b2", "service": 7}).encode(), "invalid"),
    ("ticket", json.dumps({"transaction": "b3", "service": "cash", "colour": "red"}).encode(), "invalid"),
    ("ticket", json.dumps({"transaction": "b4", "service": "mortgages"}).encode(), "unknown_service"),
    ("ticket", json.dumps({"transaction": "b5", "service": "cash", "lang": "fr"}).encode(), "invalid"),
    ("ticket", json.dumps({"transaction": "b6", "service": "cash", "card": {"pan": "4111111111111111"}}).encode(), "invalid"),
    ("ticket", json.dumps({"transaction": "b7", "service": "cash", "card": {"token": "xyz", "masked_pan": "4111"}}).encode(), "invalid"),
    ("ticket", json.dumps({"transaction": "", "service": "cash"}).encode(), "invalid"),
    ("ticket", json.dumps({"transaction": "x" * 65, "service": "cash"}).encode(), "invalid"),
    ("ticket", json.dumps({"transaction": "b8", "service": "wealth"}).encode(), "service_not_offered"),
    ("ticket", b"{" + b'"pad": "' + b"x" * 20000 + b'"}', "too_large"),
    ("call_next", json.dumps({"transaction": "b9", "counter": "99"}).encode(), "unknown_counter"),
    ("call_next", json.dumps({"transaction": "b10", "counter": "1"}).encode(), "counter_closed"),
    ("call_next", json.dumps({"transaction": "b11", "counter": ["1"]}).encode(), "invalid"),
    ("complete", json.dumps({"transaction": "b12", "counter": "1"}).encode(), "nothing_to_complete"),
    ("recall", json.dumps({"transaction": "b13", "counter": "2"}).encode(), "nothing_to_recall"),
    ("no_show", json.dumps({"transaction": "b14", "counter": "2"}).encode(), "nothing_to_mark_no_show"),
    ("transfer", json.dumps({"transaction": "b15", "ticket": "A999", "to_service": "cash"}).encode(), "not_called"),
    ("transfer", json.dumps({"transaction": "b16", "ticket": "lower1", "to_service": "cash"}).encode(), "invalid"),
    ("counter_close", json.dumps({"transaction": "b17", "counter": "3"}).encode(), "counter_already_closed"),
    ("alert_ack", json.dumps({"transaction": "b18", "alert_id": "0" * 32, "by": "m", "outcome": "greeted"}).encode(), "unknown_alert"),
    ("alert_ack", json.dumps({"transaction": "b19", "alert_id": "0" * 32, "by": "m", "outcome": "ignored"}).encode(), "invalid"),
    # Each of these once ended the agent (issue: hardening under attack).
    ("call_next", b'{"transaction": "\\ud800", "counter": "1"}', "not_utf8"),
    ("ticket", b"[" * 3000 + b"]" * 3000, "invalid"),
    ("call_next", b'{"transaction": "b20", "counter": ' + b"9" * 5000 + b"}", "invalid"),
    # The transaction comes back exactly as sent, also when the request is too large to read.
    ("ticket", json.dumps({"transaction": "  rt-pad-1  ", "service": "cash"}).encode(), "invalid"),
    ("ticket", b'{"transaction": "b21", "pad": "' + b"x" * 20000 + b'"}', "too_large"),
]


def test_malformed_requests_each_get_a_clear_error_and_change_nothing(broker, agent):
    hq = client(broker, "hq")  # head office may send every request, so one client can try them all
    hq.subscribe("events/#", "queue/state")
    hq.wait_for(lambda m: any(t == "queue/state" for t, _, _ in m))
    before = hq.on("queue/state")[-1]
    for _index, (op, payload, _) in enumerate(BAD_REQUESTS):
        hq.publish(f"request/{op}", payload)
    hq.wait_for(lambda m: len([t for t, _, _ in m if t.startswith("response/")]) == len(BAD_REQUESTS), timeout=20)
    responses = [(t, p) for t, p, _ in hq.messages if t.startswith("response/")]
    assert len(BAD_REQUESTS) >= 20
    for (op, payload, code), (topic, response) in zip(BAD_REQUESTS, responses, strict=False):
        assert topic == f"response/{op}"
        assert response["status"] == "error" and response["code"] == code, (payload[:60], response)
        assert len(response["error"]) > 15  # a sentence, not a code
    # Transactions are echoed whenever they could be read.
    assert responses[5][1]["transaction"] == "b1"
    assert "'service' is required" in responses[5][1]["error"]
    assert "'colour' is not a field" in responses[7][1]["error"]
    assert "20" in responses[15][1]["error"] and "16384" in responses[15][1]["error"]
    assert responses[-2][1]["transaction"] == "  rt-pad-1  "
    assert responses[-1][1]["transaction"] == "b21"
    assert "transaction" not in responses[-5][1]  # a lone surrogate cannot be written back
    # Nothing changed, nothing was published, and the agent still works.
    assert not [t for t, _, _ in hq.messages if t.startswith("events/")]
    hq.publish("request/ticket", {"transaction": (ok := tx()), "service": "cash"})
    assert hq.response("ticket", ok)["data"]["ticket"] == "A001"
    assert agent.alive()
    assert before["services"]["cash"]["waiting"] == 0
    hq.close()


def test_acl_each_role_does_only_its_own_job(broker, agent):
    watcher = client(broker, "hq")
    watcher.subscribe("events/#", "alerts/#")

    kiosk = client(broker, "kiosk")
    refused = kiosk.publish("request/call_next", {"transaction": tx(), "counter": "1"})
    assert refused.rc == mqtt.MQTT_ERR_SUCCESS  # the broker answers with a reason code under MQTT 5
    kiosk_reader = client(broker, "kiosk")
    kiosk_reader.subscribe("alerts/vip", "events/called")

    manager = client(broker, "manager")
    manager.publish("request/ticket", {"transaction": tx(), "service": "cash"})
    display = client(broker, "display")
    display.publish("request/ticket", {"transaction": tx(), "service": "cash"})
    time.sleep(1.0)
    # The agent never saw them: none of the three heard an answer on its own answers topic.
    assert kiosk.on("response/call_next") == [] and manager.on("response/ticket") == [] and display.on("response/ticket") == []

    # Publishing as a kiosk is refused with "not authorised" by the broker (MQTT 5 reason code).
    out = subprocess.run(
        ["mosquitto_pub", "-p", str(broker.config.mqtt.port), "-V", "mqttv5", "-q", "1",
         "-u", broker.credentials["kiosk"]["username"], "-P", broker.credentials["kiosk"]["password"],
         "-i", broker.credentials["kiosk"]["username"] + ".cli",  # a client id of its own: connected, then refused
         "-t", watcher.root + "request/call_next", "-m", "{}"],
        capture_output=True, text=True, timeout=10,
    )
    assert "Not authorized" in out.stderr and "Connection" not in out.stderr

    # The kiosk cannot read alerts: a VIP ticket by head office produces one, the kiosk sees nothing.
    watcher.publish("request/counter_open", {"transaction": tx(), "counter": "1"})
    watcher.publish("request/call_next", {"transaction": tx(), "counter": "1"})
    time.sleep(1.0)
    assert kiosk_reader.on("events/called") == [] and kiosk_reader.on("alerts/vip") == []

    anonymous = RawClient(broker.config, None)
    time.sleep(1.0)
    assert not anonymous.connected.is_set() and anonymous.connect_result is not None and anonymous.connect_result.is_failure
    wrong = RawClient(broker.config, {"username": broker.credentials["manager"]["username"], "password": "guess"})
    time.sleep(1.0)
    assert not wrong.connected.is_set()
    for c in (watcher, kiosk, kiosk_reader, manager, display, anonymous, wrong):
        c.close()




def test_the_hall_displays_password_can_publish_nothing_and_read_no_names(broker, agent, agent_toml, tmp_path, branch_config):
    """It sits in the TV browser's storage: whoever reads it there may watch the queue the
    TV shows, and nothing else."""
    card = import_customer(agent_toml, tmp_path, branch_config, "6222021234567890128", "王先生,vip,李经理")
    display = client(broker, "display")
    display.subscribe("#", "alerts/vip", "events/arrival", "response/#", "request/#")
    user = broker.credentials["display"]["username"]
    for relative in ("request/ticket", "request/call_next", "request/alert_ack", "agent/state", "queue/state",
                     "devices/printer/state", "events/called", "alerts/vip", f"ping/{user}", f"response/{display.client_id}/x"):
        assert publish_reason(display, relative) == "Not authorized", relative
    assert publish_reason(display, "request/ticket", retain=True) == "Not authorized"
    kiosk = client(broker, "kiosk")
    kiosk.publish("request/ticket", {"transaction": (t := tx()), "service": "wealth", "card": card})
    assert kiosk.response("ticket", t)["status"] == "ok"
    display.wait_for(lambda m: any(topic == "queue/state" for topic, _, _ in m))
    time.sleep(0.5)
    seen = {topic for topic, _, _ in display.messages}
    assert seen <= {"agent/state", "queue/state", "events/called", "promotions"} | {t for t in seen if t.startswith("devices/")}, seen
    assert "王先生" not in json.dumps([p for _, p, _ in display.messages if not isinstance(p, bytes)], ensure_ascii=False)
    kiosk.close()
    display.close()


def test_a_leaked_password_is_rotated_for_one_role_only(broker, branch_config):
    from edge_agent.bus.broker_setup import setup_broker

    before = broker.credentials
    after = setup_broker(broker.config, broker.directory, rotate=("display",))
    assert after["display"]["password"] != before["display"]["password"]
    assert all(after[role] == before[role] for role in ROLES if role != "display")
    broker.restart()
    old = RawClient(broker.config, before["display"])
    new = RawClient(broker.config, after["display"])
    assert new.wait_connected(5)
    time.sleep(0.5)
    assert not old.connected.is_set() and str(old.connect_result) == "Not authorized"
    old.close()
    new.close()


def test_agent_state_birth_and_last_will(broker, agent):
    watcher = client(broker, "display")
    watcher.subscribe("agent/state")
    wait_online(watcher)
    agent.kill()
    # keepalive 15 s: the broker declares the agent gone within 1.5 x keepalive.
    watcher.wait_for(lambda m: any(p.get("state") == "offline" for t, p, _ in m if t == "agent/state"), timeout=30)
    watcher.close()


def test_clean_shutdown_publishes_offline(broker, agent):
    watcher = client(broker, "display")
    watcher.subscribe("agent/state")
    wait_online(watcher)
    assert agent.stop() == 0
    watcher.wait_for(lambda m: any(p.get("state") == "offline" for t, p, _ in m if t == "agent/state"), timeout=5)
    watcher.close()


def cli(agent_toml, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "edge_agent.cli", "--config", str(agent_toml), *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_broker_outage_and_agent_kill_lose_no_event(broker, agent, agent_toml):
    watcher = RawClient(broker.config, broker.credentials["hq"], persistent=True)
    watcher.subscribe("events/arrival", "agent/state")
    wait_online(watcher)
    issued = [cli(agent_toml, "ticket", "cash")["ticket"] for _ in range(3)]
    broker.stop()
    issued += [cli(agent_toml, "ticket", "cash")["ticket"] for _ in range(5)]  # the branch keeps working
    broker.start()
    watcher.wait_for(lambda m: len({p["ticket"] for t, p, _ in m if t == "events/arrival"}) == 8, timeout=40)

    # Events still in the outbox when the agent dies are delivered by the next agent.
    agent.kill()
    issued += [cli(agent_toml, "ticket", "cash")["ticket"] for _ in range(4)]
    agent.start()
    watcher.wait_for(lambda m: len({p["ticket"] for t, p, _ in m if t == "events/arrival"}) == 12, timeout=40)
    arrivals = watcher.on("events/arrival")
    unique: dict[str, dict] = {}
    for payload in arrivals:
        unique.setdefault(payload["event_id"], payload)
    assert [p["ticket"] for p in unique.values()] == issued  # every one, in order
    watcher.close()


def test_websockets_listener_serves_browser_clients(broker, agent):
    page = RawClient(broker.config, broker.credentials["display"], transport="websockets")
    page.subscribe("agent/state")
    wait_online(page)
    page.close()


def test_a_client_id_belongs_to_its_user_alone(broker, agent):
    """Anyone holding a role's password once took the agent's client id (the broker dropped
    the agent and published its "offline" will) or a tablet's (wiping its queued alerts).
    The broker plugin refuses every client id that is not the user's own, for every role."""
    watcher = client(broker, "display")
    watcher.subscribe("agent/state")
    wait_online(watcher)
    tablet = client(broker, "manager", persistent=True, client_id=f"{broker.credentials['manager']['username']}.tablet-1")
    tablet.subscribe("alerts/vip")
    tablet.close()  # away, with alerts to be queued for it
    agent_id = broker.credentials["agent"]["username"]
    for role in ROLES:
        for borrowed in (agent_id, tablet.client_id):
            if borrowed.split(".")[0] == broker.credentials[role]["username"]:
                continue  # its own
            intruder = RawClient(broker.config, broker.credentials[role], client_id=borrowed)
            time.sleep(0.3)
            assert intruder.connect_result is not None and intruder.connect_result.is_failure, (role, borrowed)
            assert str(intruder.connect_result) == "Not authorized", (role, borrowed)
            intruder.close()
    states = [p["state"] for t, p, _ in watcher.messages if t == "agent/state"]
    assert states and set(states) == {"online"}  # never dropped (heartbeats repeat "online")
    assert f"Refused client id '{agent_id}'" in broker.log_path.read_text()  # the technician can see who tried
    kiosk = client(broker, "kiosk")
    kiosk.publish("request/ticket", {"transaction": (t := tx()), "service": "cash"})
    assert kiosk.response("ticket", t)["status"] == "ok"
    kiosk.close()
    watcher.close()


def test_a_kiosk_never_hears_another_kiosks_answer(broker, agent, agent_toml, tmp_path, branch_config):
    """Two kiosks share the kiosk user; a VIP's swipe at one (with the customer's name in the
    answer) reaches that kiosk only, even for a kiosk listening on every response topic."""
    card = import_customer(agent_toml, tmp_path, branch_config, "6222021234567890128", "周女士,vip,李经理")
    swiping, other = client(broker, "kiosk"), client(broker, "kiosk")
    other.subscribe("response/#", "#")
    swiping.publish("request/identify", {"transaction": (t1 := tx()), "card": card})
    assert swiping.response("identify", t1)["data"]["display_name"] == "周女士"
    swiping.publish("request/ticket", {"transaction": (t2 := tx()), "service": "wealth", "card": card})
    assert swiping.response("ticket", t2)["data"]["customer"]["display_name"] == "周女士"
    time.sleep(0.5)
    heard = json.dumps([p for _, p, _ in other.messages if not isinstance(p, bytes)], ensure_ascii=False)
    assert "周女士" not in heard and t1 not in heard and t2 not in heard
    # A request naming another kiosk's answers topic cannot make it read them either: the
    # ACL lets only that client id read there, and the agent only writes under response/.
    other.client.publish(other.root + "request/identify", json.dumps({"transaction": (t3 := tx()), "card": card}), qos=1,
                         properties=_reply_to(other.root + f"response/{other.client_id}x/identify")).wait_for_publish(5)
    time.sleep(0.5)
    assert t3 not in json.dumps([p for _, p, _ in other.messages if not isinstance(p, bytes)])
    swiping.close()
    other.close()


def test_a_request_without_a_response_topic_is_ignored_with_one_log_line(broker, agent, agent_toml):
    kiosk = client(broker, "kiosk")
    for _ in range(3):
        kiosk.publish("request/ticket", {"transaction": tx(), "service": "cash"}, reply=False)
    kiosk.publish("request/ticket", {"transaction": (t := tx()), "service": "cash"})
    assert kiosk.response("ticket", t)["data"]["ticket"] == "A001"  # the three were not acted on
    assert agent.log().count("ignoring request/ticket without a response topic") == 1
    kiosk.close()


def _reply_to(topic: str):
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    properties = Properties(PacketTypes.PUBLISH)
    properties.ResponseTopic = topic
    return properties




def test_vip_swipe_alerts_the_manager_who_acknowledges_it(broker, agent, agent_toml, tmp_path, branch_config):
    pan = "6222021234567890128"
    card = import_customer(agent_toml, tmp_path, branch_config, pan, "王先生,vip,李经理")
    manager = client(broker, "manager")
    manager.subscribe("alerts/vip", "events/arrival")
    kiosk = client(broker, "kiosk")
    kiosk.publish("request/ticket", {"transaction": (t := tx()), "service": "wealth", "card": card, "lang": "zh"})
    answer = kiosk.response("ticket", t)["data"]
    assert answer["customer"]["display_name"] == "王先生" and answer["customer"]["manager_alerted"] is True
    manager.wait_for(lambda m: any(topic == "alerts/vip" for topic, _, _ in m))
    alert = manager.on("alerts/vip")[0]
    assert alert["customer"] == {"display_name": "王先生", "rm": "李经理", "masked_pan": "622202*********0128"}
    assert alert["ticket"] == "V001" and alert["tier"] == "vip"
    everything = json.dumps([p for _, p, _ in manager.messages + kiosk.messages], ensure_ascii=False)
    assert pan not in everything and card["token"] not in everything
    manager.publish("request/alert_ack", {"transaction": (a := tx()), "alert_id": alert["event_id"], "by": "大堂经理 张", "outcome": "greeted"})
    ack = manager.response("alert_ack", a)
    assert ack["status"] == "ok" and ack["data"]["outcome"] == "greeted"
    manager.close()
    kiosk.close()


def test_kiosk_identifies_a_swipe_before_the_ticket(broker, agent, agent_toml, tmp_path, branch_config):
    card = import_customer(agent_toml, tmp_path, branch_config, "5500005555555559", "陈女士,potential,赵经理")
    kiosk = client(broker, "kiosk")
    kiosk.publish("request/identify", {"transaction": (t := tx()), "card": card})
    known = kiosk.response("identify", t)["data"]
    assert known["known"] is True and known["display_name"] == "陈女士" and known["tier"] == "potential"
    assert "wealth" in known["services"] and known["manager_alerted_on_ticket"] is False
    stranger = {"token": "ab" * 32, "masked_pan": "411111******1111"}
    kiosk.publish("request/identify", {"transaction": (t2 := tx()), "card": stranger})
    unknown = kiosk.response("identify", t2)["data"]
    assert unknown["known"] is False and unknown["tier"] == "mass" and "wealth" not in unknown["services"]
    kiosk.close()


def test_a_retained_request_is_not_replayed_when_the_agent_reconnects(broker, agent):
    """A client may publish a request with the retain flag; the broker keeps it, but the agent
    subscribes with MQTT 5 retain handling 2 and never gets it again at a reconnect."""
    hq = client(broker, "hq")
    retained = {"transaction": tx(), "service": "cash"}
    hq.publish("request/ticket", retained, retain=True)
    assert hq.response("ticket", retained["transaction"])["data"]["ticket"] == "A001"  # served once, live
    agent.stop()
    agent.start()
    watcher = client(broker, "display")
    watcher.subscribe("agent/state")
    wait_online(watcher)
    hq.publish("request/ticket", {"transaction": (again := tx()), "service": "cash"})
    assert hq.response("ticket", again)["data"]["ticket"] == "A002"  # not A003: nothing was replayed
    assert len([p for p in hq.on("response/ticket") if p.get("transaction") == retained["transaction"]]) == 1
    hq.client.publish(hq.root + "request/ticket", b"", qos=1, retain=True).wait_for_publish(5)  # clear it
    watcher.close()
    hq.close()


def test_subscribing_while_a_message_is_dispatched_keeps_the_network_thread_alive(branch_config, tmp_path):
    """A client may subscribe from another thread (the kiosk's requester once did, on first
    use) while paho's thread dispatches: the handlers' table changed under its iterator and
    the exception ended paho's thread (the kiosk then heard no answer again)."""
    from paho.mqtt.client import MQTTMessage

    from lobby.bus.client import BusClient, Credentials

    bus = BusClient(host="127.0.0.1", port=1, root="lobby/v1/x/", credentials=Credentials("u", "p"))
    seen = []

    def handler(topic, payload):
        seen.append(topic)
        bus.subscribe(f"response/{len(seen)}", lambda t, p: None)  # the table grows mid-dispatch

    bus.subscribe("queue/state", handler)
    message = MQTTMessage(topic=b"lobby/v1/x/queue/state")
    message.payload = b"{}"
    bus._on_message(bus._client, None, message)
    assert seen == ["queue/state"]
