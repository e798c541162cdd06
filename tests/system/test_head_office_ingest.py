"""Head office's ingesters against a real Mosquitto and a real PostgreSQL (a private cluster):
every event once, through duplicates, a killed ingester and a database restart; two
ingesters share the stream."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from head_office.routing import EventRecord, Ignored, StateRecord, route
from tests.contract_payloads import agent_state, arrival, device_state
from tools.hq_rig import REPO, HeadOfficeBroker, Ingesters, count, event, wait_for


@pytest.fixture
def ingesters(hq_broker, database, tmp_path) -> Iterator[Ingesters]:
    group = Ingesters(hq_broker.write_ingest_config(tmp_path, database), tmp_path)
    yield group
    group.stop_all()


def publish(broker: HeadOfficeBroker, branch: str, numbers, pace_s: float = 0.0) -> None:
    client = broker.branch_client(branch)
    try:
        for n in numbers:
            topic, body = event(branch, n)
            client.publish(topic, body, qos=1).wait_for_publish(10)
            if pace_s:
                time.sleep(pace_s)
    finally:
        client.disconnect()
        client.loop_stop()


def test_every_event_lands_once_and_the_newest_state_wins(hq_broker, ingesters, database):
    ingesters.start("i1")
    wait_for(lambda: count(database, "SELECT COUNT(*) FROM schema_version") == 1, 20, "the ingester's schema")
    time.sleep(0.5)  # subscribed
    publish(hq_broker, "b1", range(1, 201))
    publish(hq_broker, "b1", range(150, 201))  # a bridge resending what it was not sure of
    client = hq_broker.branch_client("b1")
    newer = {"state": "online", "version": "0.1.0", "since": "2026-12-05T08:55:00+08:00", "heartbeat_at": "2026-12-05T09:00:10+08:00"}
    older = {**newer, "heartbeat_at": "2026-12-05T09:00:00+08:00"}
    for payload in (newer, older):  # late and out of order: the older must not win
        client.publish("lobby/v1/b1/agent/state", json.dumps(payload), qos=1).wait_for_publish(10)
    client.publish("lobby/v1/b1/events/arrival", b"not json", qos=1).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()
    wait_for(lambda: count(database, "SELECT COUNT(*) FROM events") == 200, 30, "200 events")
    wait_for(lambda: count(database, "SELECT COUNT(*) FROM branch_state") == 1, 10, "the agent state")
    time.sleep(0.5)
    assert count(database, "SELECT COUNT(*) FROM events") == count(database, "SELECT COUNT(DISTINCT event_id) FROM events") == 200
    with psycopg.connect(database) as conn:
        state = conn.execute("SELECT payload FROM branch_state WHERE branch = 'b1' AND kind = 'agent'").fetchone()
        months = conn.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass").fetchone()
    assert state is not None and state[0]["heartbeat_at"] == newer["heartbeat_at"]
    assert months == (1,)  # December 2026's partition, made once
    log = ingesters.log("i1")
    assert "ignored: events/arrival from b1: the payload is not JSON" in log and "Traceback" not in log


def test_a_killed_ingester_and_a_database_restart_lose_nothing_and_duplicate_nothing(hq_broker, ingesters, database, postgres):
    ingesters.start("i1")
    ingesters.start("i2")
    wait_for(lambda: count(database, "SELECT COUNT(*) FROM schema_version") == 1, 20, "the schema")
    time.sleep(1.0)
    total = 1500
    senders = [
        threading.Thread(target=publish, args=(hq_broker, branch, range(1, total + 1), 0.004)) for branch in ("b1", "b2")
    ]
    for sender in senders:
        sender.start()
    wait_for(lambda: count(database, "SELECT COUNT(*) FROM events") > 300, 30, "the stream to flow")
    ingesters.kill("i1")  # SIGKILL mid-stream: whatever it had not acknowledged waits in its session
    time.sleep(0.5)
    ingesters.start("i1")
    wait_for(lambda: count(database, "SELECT COUNT(*) FROM events") > 1500, 60, "the stream to flow on")
    postgres.stop("fast")  # the database goes away mid-stream, longer than an ingester waits for a connection ...
    time.sleep(3)
    postgres.start()  # ... and comes back
    for sender in senders:
        sender.join(120)
    wait_for(lambda: count(database, "SELECT COUNT(*) FROM events") == 2 * total, 90, f"{2 * total} events")
    time.sleep(1.0)  # anything late would be a duplicate
    assert count(database, "SELECT COUNT(*) FROM events") == count(database, "SELECT COUNT(DISTINCT event_id) FROM events") == 2 * total
    for instance in ("i1", "i2"):
        log = ingesters.log(instance)
        assert "Traceback" not in log, log[-2000:]
    said = ingesters.log("i1") + ingesters.log("i2")
    assert "connected (session resumed)" in ingesters.log("i1")  # the killed one came back to its unacknowledged messages
    assert "stopping intake until it is back" in said and "PostgreSQL is reachable again; taking messages" in said


def test_a_second_ingester_shares_the_stream(hq_broker, ingesters, database):
    ingesters.start("i1")
    ingesters.start("i2")
    wait_for(lambda: count(database, "SELECT COUNT(*) FROM schema_version") == 1, 20, "the schema")
    time.sleep(1.0)
    publish(hq_broker, "b2", range(1, 601))
    wait_for(lambda: count(database, "SELECT COUNT(*) FROM events") == 600, 30, "600 events")
    with psycopg.connect(database) as conn:
        shares = dict(conn.execute("SELECT received_by, COUNT(*) FROM events GROUP BY received_by").fetchall())
    assert set(shares) == {"hq-ingest.i1", "hq-ingest.i2"} and min(shares.values()) >= 100, shares


def _body(payload: dict) -> bytes:
    return json.dumps(payload).encode()


NINE_FORTY = datetime(2026, 12, 5, 9, 41, 7, tzinfo=timezone(timedelta(hours=8)))
ARRIVAL = arrival(at=NINE_FORTY) | {"event_id": "e1", "seq": 3}
SINCE = datetime(2026, 12, 5, 8, 55, tzinfo=timezone(timedelta(hours=8)))


@pytest.mark.parametrize(
    "topic, body, expected",
    [
        ("lobby/v1/b1/events/arrival", _body(ARRIVAL), EventRecord),
        # An event kind newer than this head office: kept by its event_id, timed when it came.
        ("lobby/v1/b1/events/a_later_kind", b'{"event_id": "a1"}', EventRecord),
        ("lobby/v1/b1/agent/state", _body(agent_state(SINCE)), StateRecord),
        ("lobby/v1/b1/devices/printer-1/state", _body(device_state(SINCE, "ok")), StateRecord),
        ("lobby/v1/b1/events/arrival", b'{"seq": 3}', Ignored),
        ("lobby/v1/b1/events/arrival", b"[1, 2]", Ignored),
        ("lobby/v1/b1/events/arrival", b"\xff\xfe", Ignored),
        ("lobby/v1/b1/request/ticket", b'{"transaction": "t"}', Ignored),
        ("other/b1/events/arrival", b"{}", Ignored),
        ("lobby/v1/", b"{}", Ignored),
        # Not the contract's arrival (its ticket is missing), and one with a field added within v1.
        ("lobby/v1/b1/events/arrival", _body({k: v for k, v in ARRIVAL.items() if k != "ticket"} | {"event_id": "e2"}), Ignored),
        ("lobby/v1/b1/events/arrival", _body(ARRIVAL | {"event_id": "e3", "a_field_added_later": 1}), EventRecord),
        ("lobby/v1/b1/agent/state", b'{"state": "online", "since": "2026-12-05T08:55:00+08:00"}', Ignored),  # no version
        ("lobby/v1/b1/events/arrival", b'{"event_id": "e4", "pad": "' + b"x" * 300_000 + b'"}', Ignored),
        ("lobby/v1/b1/bridge/state", b"1", StateRecord),
        ("lobby/v1/b1/bridge/state", b"yes", Ignored),
    ],
)
def test_what_each_message_becomes(topic, body, expected):
    from datetime import UTC, datetime

    received = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    record = route(topic, body, received)
    assert isinstance(record, expected)
    if isinstance(record, EventRecord) and record.event_id == "e1":
        assert (record.branch, record.topic, record.seq, record.at.isoformat()) == ("b1", "events/arrival", 3, "2026-12-05T09:41:07+08:00")
    if isinstance(record, EventRecord) and record.event_id == "a1":
        assert record.at == received  # no time of its own: when head office got it
    if isinstance(record, StateRecord) and record.kind == "device":
        assert record.key == "printer-1"


def test_the_ingester_says_what_is_wrong_with_its_configuration(tmp_path):
    bad = tmp_path / "head-office.toml"
    bad.write_text('[database]\nconninfo = ""\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "head_office.cli", "ingest", "--config", str(bad)], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ})
    assert done.returncode == 2
    assert "database.conninfo" in done.stderr and "Traceback" not in done.stderr
    bad.write_text('[database]\nconninfo = "dbname=x"\n', encoding="utf-8")  # fine for `serve`, not for `ingest`
    done = subprocess.run([sys.executable, "-m", "head_office.cli", "ingest", "--config", str(bad)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 2
    assert "needs a [broker] section" in done.stderr and "Traceback" not in done.stderr


def test_a_payload_postgresql_cannot_store_is_named_and_let_go_without_holding_up_the_rest(hq_broker, ingesters, database):
    ingesters.start("i1")
    wait_for(lambda: count(database, "SELECT COUNT(*) FROM schema_version") == 1, 20, "the ingester's schema")
    time.sleep(0.5)
    client = hq_broker.branch_client("b1")
    poison = arrival("A\u0000") | {"event_id": "b1-poison"}  # JSONB refuses NUL
    client.publish("lobby/v1/b1/events/arrival", json.dumps(poison), qos=1).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()
    publish(hq_broker, "b1", range(1, 11))
    wait_for(lambda: count(database, "SELECT COUNT(*) FROM events") == 10, 20, "the events behind it")
    log = ingesters.log("i1")
    assert "could not keep lobby/v1/b1/events/arrival from b1" in log and "dropped" in log and "Traceback" not in log


def test_bad_input_is_named_counted_and_never_written(hq_broker, ingesters, database):
    """Malformed, oversized, not the contract's model, and a branch writing under another
    branch's root (the broker refuses it: MQTT 5 reports the refusal to the publisher)."""
    from paho.mqtt.reasoncodes import ReasonCode

    ingesters.start("i1")
    wait_for(lambda: count(database, "SELECT COUNT(*) FROM schema_version") == 1, 20, "the ingester's schema")
    time.sleep(0.5)
    client = hq_broker.branch_client("b1")
    refused: list[ReasonCode] = []
    client.on_publish = lambda c, u, mid, reason_code, properties: refused.append(reason_code) if reason_code.is_failure else None
    bad = [
        ("lobby/v1/b1/events/arrival", b"{not json"),
        ("lobby/v1/b1/events/arrival", json.dumps({"event_id": "big", "pad": "x" * 300_000}).encode()),
        ("lobby/v1/b1/events/arrival", json.dumps({"event_id": "v2", "ticket": "A001"}).encode()),  # not the contract's arrival
        ("lobby/v1/b1/events/arrival", json.dumps({"seq": 4}).encode()),
    ]
    for topic, body in bad:
        client.publish(topic, body, qos=1).wait_for_publish(10)
    client.publish("lobby/v1/b2/events/arrival", json.dumps({"event_id": "b2-forged"}), qos=1).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()
    publish(hq_broker, "b1", range(1, 4))  # and the stream goes on
    wait_for(lambda: count(database, "SELECT COUNT(*) FROM events") == 3, 20, "the good events behind the bad")
    time.sleep(0.5)
    assert count(database, "SELECT COUNT(*) FROM events WHERE event_id IN ('big', 'v2', 'b2-forged')") == 0
    assert [str(code) for code in refused] == ["Not authorized"]  # the publish under b2's root
    log = ingesters.log("i1")
    for said in ("the payload is not JSON", "more than the 262144 a message may have", "not the contract's events/arrival", "no event_id"):
        assert said in log
    assert "Traceback" not in log
    ingesters.stop_all()
    assert "'ignored': 4" in ingesters.log("i1")  # counted (the ingester's last line)


def test_an_ingester_started_before_the_broker_waits_for_it(hq_broker, ingesters, database):
    hq_broker.halt()
    ingesters.start("i1")
    wait_for(lambda: "is unreachable" in ingesters.log("i1"), 20, "the ingester to say the broker is unreachable")
    time.sleep(2.5)  # it keeps trying, without saying so again
    assert ingesters.log("i1").count("is unreachable") == 1
    hq_broker.start()
    wait_for(lambda: "connected (session new)" in ingesters.log("i1"), 30, "the ingester to connect")
    time.sleep(0.5)
    publish(hq_broker, "b2", range(1, 6))
    wait_for(lambda: count(database, "SELECT COUNT(*) FROM events") == 5, 20, "5 events")
    assert "Traceback" not in ingesters.log("i1")
