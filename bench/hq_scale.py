"""Head office at a large bank's scale, on this machine: 1,000 branches, each its own MQTT
connection to the head-office Mosquitto, publishing the contract's messages through two
`head-office ingest` processes into PostgreSQL (fsync on), then the network view over them.

Phases (each `--seconds` long, the same 1,000 connections throughout):
  peak     the morning peak of 1,000 branches: PER_BRANCH_PEAK messages/s each
  5x peak  five times that
  bank     the morning peak of a bank of `--bank-branches` (15,000) branches, offered by the 1,000
Measured per phase, in PostgreSQL: events committed per second, end-to-end latency (the
branch's publish -> the row's commit, from track_commit_timestamp), the lag when publishing
stopped and how long it took to drain. At the end: every event published is in `events`
once (0 lost, 0 duplicated). Then one ingester alone at rising rates: how many branches it
carries before its lag grows. Beside them, in the same run: the broker's bare publish ->
subscribe round trip, and the network view's load time with every branch in it.

    .venv/bin/python bench/hq_scale.py [--branches 1000] [--seconds 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from a plain checkout

import paho.mqtt.client as mqtt  # noqa: E402
import psycopg  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from tools.hq_rig import HeadOfficeBroker, Ingesters, WebServer, add_user, count, wait_for  # noqa: E402
from tools.private_broker import free_port  # noqa: E402
from tools.private_postgres import PrivatePostgres  # noqa: E402

# A busy branch's morning: ~100 tickets an hour, each arrival + call + service (+ transfers,
# alerts) ~ 0.1 events/s; queue/state on each change (~0.1/s, at most 4/s); agent/state every
# 10 s (0.1/s): about a third of a message a second. 15,000 branches x 1/3 = 5,000 messages/s.
PER_BRANCH_PEAK = 1 / 3
PUBLISHER_PROCESSES = 4
PASSWORD = "bench password 1"
SERVICES = ("cash", "noncash", "wealth", "enquiry", "corporate")


# What each event kind adds to the fields every ticket event has (lobby/contract/events.py).
KIND_FIELDS = {
    "arrival": ('"tier": "mass", "issued_at": "{now}", "ahead": 3, "eta_s": 300, "eta_range_s": [120, 600], "kiosk": "kiosk-1", '
                '"customer": {{"identified": false}}'),
    "called": '"counter": "1", "tier": "mass", "at": "{now}", "waited_s": {waited}',
    "served": '"counter": "1", "at": "{now}", "service_time_s": 240',
}


def _queue_state(n: int) -> dict:
    """A queue/state of the size a real branch publishes (five services, their waiting tickets)."""
    return {"at": "@AT@", "services": {
        s: {"name_zh": "个人现金", "name_en": s, "waiting": n % 7, "longest_wait_s": 60 * (n % 20), "eta_s": 300, "eta_range_s": [120, 600],
            "eta_min": 5, "target_wait_s": 600, "counters_open": 2,
            "waiting_etas": [{"ticket": f"A{k:03d}", "eta_s": 60 * k, "eta_range_s": [30 * k, 90 * k], "eta_min": k} for k in range(n % 7)]}
        for s in SERVICES}, "counters": {str(c): {"open": True, "serving": None, "services": list(SERVICES[:2])} for c in range(1, 6)}}


def _publisher(port: int, branches: list[str], commands: Connection) -> None:
    """One process's share of the branches: one connection each, publishing as told."""
    clients = {}
    for branch in branches:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"branch-{branch}.bench", protocol=mqtt.MQTTv5)
        client.username_pw_set(f"branch-{branch}", PASSWORD)
        client.max_queued_messages_set(0)
        client.connect("127.0.0.1", port, keepalive=60)
        client.loop_start()
        clients[branch] = client
    for branch, client in clients.items():  # the branch's devices, as its agent announces them
        for device, status in (("printer", "paper_out" if branch.endswith("7") else "ok"), ("display-1", "ok")):
            client.publish(f"lobby/v1/{branch}/devices/{device}/state",
                           json.dumps({"kind": device, "status": status, "since": datetime.now(UTC).isoformat()}), qos=1, retain=True)
    commands.send("connected")
    seq = dict.fromkeys(branches, 0)
    # Bodies made once: the simulated branches must cost this machine as little as possible,
    # since it also runs the broker, the ingesters and PostgreSQL.
    queue_states = [json.dumps(_queue_state(n)) for n in range(7)]
    while True:
        command = commands.recv()
        if command is None:
            break
        label, rate, seconds = command
        infos, events = [], 0
        start = time.monotonic()
        total = int(rate * seconds)
        for i in range(total):
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            branch = branches[i % len(branches)]
            seq[branch] += 1
            n = seq[branch]
            now = datetime.now(UTC).isoformat()
            if n % 20 == 0:
                topic, body = "agent/state", (f'{{"state": "online", "version": "0.1.0", "since": "{now}", "heartbeat_at": "{now}", '
                                              f'"heartbeat_s": 3600, "outbox_pending": 0}}')
            elif n % 3 == 0:
                topic, body = "queue/state", queue_states[n % 7].replace("@AT@", now)
            else:
                kind = ("arrival", "called", "served")[n % 3]
                topic = f"events/{kind}"
                # Whole events, as the contract's models read them (head office refuses less); built
                # by hand, not by pydantic, so the publishers stay cheap beside the measured ingesters.
                body = (f'{{"event_id": "{branch}-{n}", "seq": {n}, "ticket": "A{n % 1000:03d}", "ticket_id": "t-{n}", '
                        f'"service": "{SERVICES[n % 5]}", {KIND_FIELDS[kind].format(now=now, waited=60 * (n % 15))}, '
                        f'"sent_at": {time.time()}, "phase": "{label}"}}')
                events += 1
            infos.append(clients[branch].publish(f"lobby/v1/{branch}/{topic}", body, qos=1))
        offered_s = time.monotonic() - start
        for info in infos:
            info.wait_for_publish(120)
        commands.send((events, len(infos), offered_s))
    for client in clients.values():
        client.disconnect()
        client.loop_stop()


class Branches:
    """The 1,000 branch connections, spread over a few processes."""

    def __init__(self, port: int, branches: list[str]):
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes = []
        for n in range(PUBLISHER_PROCESSES):
            ours, theirs = context.Pipe()
            process = context.Process(target=_publisher, args=(port, branches[n::PUBLISHER_PROCESSES], theirs), daemon=True)
            process.start()
            self.pipes.append(ours)
            self.processes.append(process)
        for pipe in self.pipes:
            assert pipe.recv() == "connected"

    def publish(self, label: str, rate: float, seconds: float) -> tuple[int, int, float]:
        """Events and messages published (acknowledged by the broker), and the achieved offered rate."""
        for pipe in self.pipes:
            pipe.send((label, rate / PUBLISHER_PROCESSES, seconds))
        results = [pipe.recv() for pipe in self.pipes]
        events, messages = sum(r[0] for r in results), sum(r[1] for r in results)
        return events, messages, messages / max(r[2] for r in results)

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.send(None)
        for process in self.processes:
            process.join(30)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0  # gone (a backend that ended)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rpartition(")")[2].split()[1]) == parent:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


class CpuMeter:
    """CPU seconds spent by each part of the pipeline, to say where a message's cost goes."""

    def __init__(self, parts: dict[str, Callable[[], list[int]]]):
        self.parts = parts

    def read(self) -> dict[str, float]:
        return {name: sum(_cpu_s(pid) for pid in pids()) for name, pids in self.parts.items()}


def _wait_rows(database: str, label: str, events: int, timeout: float) -> None:
    sql = f"SELECT count(*) FROM events WHERE payload->>'phase' = '{label}'"  # our own label
    wait_for(lambda: count(database, sql) >= events, timeout, f"the {events} events of phase {label!r}")


def phase_figures(database: str, label: str) -> dict:
    with psycopg.connect(database, autocommit=True) as conn:
        row = conn.execute(
            """WITH e AS (SELECT pg_xact_commit_timestamp(xmin) AS committed,
                                 to_timestamp((payload->>'sent_at')::float8) AS sent
                          FROM events WHERE payload->>'phase' = %s)
               SELECT count(*),
                      extract(epoch FROM max(committed) - min(committed)),
                      percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM committed - sent)),
                      percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM committed - sent)),
                      max(extract(epoch FROM committed - sent)),
                      count(*) FILTER (WHERE committed > (SELECT max(sent) FROM e)),
                      extract(epoch FROM max(committed) - max(sent))
               FROM e""",
            (label,),
        ).fetchone()
    assert row is not None
    rows, span, p50, p99, worst, behind, drain = row
    return {"rows": rows, "committed_per_s": rows / float(span) if span else None, "latency_p50_ms": 1000 * p50, "latency_p99_ms": 1000 * p99,
            "latency_max_ms": 1000 * worst, "lag_when_publishing_stopped": behind, "drained_after_s": float(drain)}


def broker_round_trip(broker: HeadOfficeBroker, branch: str, samples: int = 400) -> list[float]:
    """The broker alone: a branch publishes (QoS 1), head office's user receives it."""
    received = threading.Event()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"hq-ingest.rtt-{uuid.uuid4().hex[:6]}", protocol=mqtt.MQTTv5)
    listener.username_pw_set("hq-ingest", broker.passwords["hq-ingest"])
    listener.on_message = lambda *_: received.set()
    listener.connect("127.0.0.1", broker.port)
    listener.subscribe(f"lobby/v1/{branch}/rtt", qos=1)
    listener.loop_start()
    sender = broker.branch_client(branch)
    time.sleep(0.5)
    times = []
    for _ in range(samples):
        received.clear()
        start = time.perf_counter()
        sender.publish(f"lobby/v1/{branch}/rtt", b"x", qos=1)
        received.wait(5)
        times.append((time.perf_counter() - start) * 1000)
    for client in (sender, listener):
        client.disconnect()
        client.loop_stop()
    return times


def view_load_times(web: WebServer, path: str, samples: int = 20) -> list[float]:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    opener.open(f"{web.url}/login", data=urllib.parse.urlencode({"name": "ops", "password": PASSWORD}).encode()).read()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        body = opener.open(f"{web.url}{path}").read()
        times.append((time.perf_counter() - start) * 1000)
    assert b"data-branch" in body
    return times


def _quantiles(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"median": statistics.median(ordered), "p99": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]}


def one_ingester_capacity(postgres: PrivatePostgres, broker: HeadOfficeBroker, branches: Branches, folder: Path,
                          rates: list[float], seconds: float) -> list[dict]:
    database = postgres.new_database(f"one_{uuid.uuid4().hex[:6]}")
    # A group of its own: the two ingesters' sessions (still in the broker, until they expire)
    # must not take a share of this stream.
    group = Ingesters(broker.write_ingest_config(folder, database, share_group="alone"), folder)
    group.start("alone")
    steps = []
    try:
        wait_for(lambda: count(database, "SELECT COUNT(*) FROM schema_version") == 1, 30, "the schema")
        for rate in rates:
            label = f"alone-{rate:.0f}"
            events, _, offered = branches.publish(label, rate, seconds)
            _wait_rows(database, label, events, 300)
            figures = phase_figures(database, label)
            steps.append({"offered_per_s": offered, **figures})
    finally:
        group.stop_all()
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20, help="each phase")
    parser.add_argument("--bank-branches", type=int, default=15000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    names = [f"b{n:05d}" for n in range(args.branches)]
    peak = args.branches * PER_BRANCH_PEAK
    postgres = PrivatePostgres(durable=True, settings={"track_commit_timestamp": "on"})
    postgres.start()
    broker = HeadOfficeBroker(tuple(names), password=PASSWORD)
    broker.start()
    result: dict = {"branches": args.branches, "per_branch_peak_msgs_per_s": PER_BRANCH_PEAK}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        database = postgres.new_database("scale")
        web_port = free_port()
        config = broker.write_ingest_config(folder, database, web_port)
        group = Ingesters(config, folder)
        branches = None
        web = None
        try:
            result["broker_round_trip_ms"] = _quantiles(broker_round_trip(broker, names[0]))
            for n in range(2):
                group.start(f"ingest-{n}")
            wait_for(lambda: count(database, "SELECT COUNT(*) FROM schema_version") == 1, 30, "the schema")
            connect_start = time.monotonic()
            branches = Branches(broker.port, names)
            result["connect_all_s"] = time.monotonic() - connect_start
            postmaster = int((postgres.data / "postmaster.pid").read_text().split()[0])
            meter = CpuMeter({
                "simulated branches": lambda: [p.pid for p in branches.processes if p.pid],
                "broker": lambda: [broker.process.pid] if broker.process else [],
                "ingesters": lambda: [p.pid for p in group.processes.values()],
                "postgresql": lambda: [postmaster, *_children(postmaster)],
            })
            published = 0
            phases = {}
            for label, rate in (("peak", peak), ("5x peak", 5 * peak), ("bank", args.bank_branches * PER_BRANCH_PEAK)):
                before, start = meter.read(), time.monotonic()
                events, messages, offered = branches.publish(label, rate, args.seconds)
                published += events
                _wait_rows(database, label, events, 600)
                after, wall = meter.read(), time.monotonic() - start
                cpu = {part: {"cpu_share": (after[part] - before[part]) / wall, "us_per_msg": 1e6 * (after[part] - before[part]) / messages}
                       for part in after}
                phases[label] = {"offered_msgs_per_s": offered, "messages": messages, "events": events, "cpu": cpu,
                                 **phase_figures(database, label)}
            result["phases"] = phases
            total = count(database, "SELECT count(*) FROM events WHERE payload ? 'phase'")
            distinct = count(database, "SELECT count(DISTINCT event_id) FROM events WHERE payload ? 'phase'")
            result["published_events"], result["rows"], result["lost"], result["duplicated"] = published, total, published - distinct, total - distinct
            group.stop_all()

            (folder / "branches.csv").write_text("branch_id,name,region\n" + "".join(
                f"{b},网点{b},Region {int(b[1:]) % 25:02d}\n" for b in names), encoding="utf-8")
            subprocess.run([sys.executable, "-m", "head_office.cli", "branches", "import", str(folder / "branches.csv"), "--config", str(config)],
                           check=True, capture_output=True, cwd=ROOT)
            add_user(config, "ops", PASSWORD, "head_office")
            web = WebServer(config, web_port, folder)
            web.start()
            result["network_view_ms"] = {
                "all branches": _quantiles(view_load_times(web, "/network")),
                "one region (40)": _quantiles(view_load_times(web, "/network?region=Region%2007")),
                "daily report": _quantiles(view_load_times(web, "/report", samples=5)),
            }
            web.stop()
            result["one_ingester"] = one_ingester_capacity(
                postgres, broker, branches, folder, [peak * f for f in (2, 5, 10, 15, 20)], args.seconds / 2)
        finally:
            if web is not None:
                web.stop()
            if branches is not None:
                branches.close()
            group.stop_all()
            broker.stop()
            postgres.destroy()
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return
    report(result)


def report(r: dict) -> None:
    print(f"{r['branches']} branches, each its own MQTT connection (all connected in {r['connect_all_s']:.1f} s); "
          f"a branch's morning peak = {r['per_branch_peak_msgs_per_s']:.2f} messages/s; 2 ingesters, PostgreSQL 15 fsync on")
    rtt = r["broker_round_trip_ms"]
    print(f"floor: the broker's bare publish -> subscribe round trip (QoS 1): median {rtt['median']:.2f} ms, p99 {rtt['p99']:.2f} ms")
    print(f"{'phase':10}{'offered msg/s':>15}{'events':>9}{'committed ev/s':>16}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'lag at stop':>13}{'drained s':>11}")
    for label, p in r["phases"].items():
        print(f"{label:10}{p['offered_msgs_per_s']:>15.0f}{p['events']:>9}{p['committed_per_s'] or 0:>16.0f}{p['latency_p50_ms']:>9.1f}"
              f"{p['latency_p99_ms']:>9.1f}{p['latency_max_ms']:>9.1f}{p['lag_when_publishing_stopped']:>13}{p['drained_after_s']:>11.2f}")
    print("where the CPU went (share of one core over the phase; microseconds per message):")
    for label, p in r["phases"].items():
        print(f"  {label:10}" + "  ".join(f"{part} {c['cpu_share']:.2f} ({c['us_per_msg']:.0f} us)" for part, c in p["cpu"].items()))
    print(f"events published {r['published_events']}, rows {r['rows']}: lost {r['lost']}, duplicated {r['duplicated']}")
    for name, q in r["network_view_ms"].items():
        print(f"network view, {name}: median {q['median']:.0f} ms, p99 {q['p99']:.0f} ms")
    print("one ingester alone:")
    for step in r["one_ingester"]:
        carried = step["offered_per_s"] / r["per_branch_peak_msgs_per_s"]
        print(f"  offered {step['offered_per_s']:>6.0f} msg/s (= {carried:>6.0f} branches at peak): committed {step['committed_per_s'] or 0:>6.0f} ev/s, "
              f"p99 {step['latency_p99_ms']:>7.1f} ms, drained {step['drained_after_s']:.2f} s after the last publish")


if __name__ == "__main__":
    main()
