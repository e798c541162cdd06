"""A busy branch day compressed, under faults, then the books are checked.

Real processes: a private Mosquitto, `edge-agent run` (with its virtual printer), kiosk and
teller clients over MQTT, and a head-office subscriber with a persistent session. While
tickets are issued and served, the soak restarts the broker, kills it with SIGKILL, kills
the agent with SIGKILL (and starts it again, once right after a ticket request), runs the
printer out of paper, opens its cover, and unplugs and replugs its port. The kiosks are
the product's own requester: the same transaction retried until a 30 s deadline. At the
end the subscriber repairs what it missed with `replay` (events are numbered), and the
soak checks: every acknowledged ticket is in the store, every stored ticket was answered
to its kiosk, no number repeats, every event reached the subscriber (live or replayed),
the report's counts match the store, and the agent's memory did not keep growing.

    .venv/bin/python bench/soak.py --minutes 5
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edge_agent.devices.virtual.printer import virtual_printer_control as control  # noqa: E402
from edge_agent.store.db import Store  # noqa: E402
from edge_agent.store.report_rows import load  # noqa: E402
from lobby.bus.client import BusClient  # noqa: E402
from lobby.bus.requester import AgentUnreachable, Requester  # noqa: E402
from lobby.config import load_config  # noqa: E402
from tests.bus_helpers import RawClient  # noqa: E402
from tools.private_broker import free_port, private_broker_for  # noqa: E402


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Soak:
    def __init__(self, seconds: float, seed: int):
        self.seconds = seconds
        self.rng = random.Random(seed)
        self.home = Path(tempfile.mkdtemp(prefix="lobby-soak-"))
        text = (REPO / "config" / "branch.example.toml").read_text(encoding="utf-8").replace("/var/lib/lobby", str(self.home)).replace("tickets_outside_hours = false", "tickets_outside_hours = true")
        text = text.replace("port = 8080", f"port = {free_port()}").replace("baudrate = 38400", "baudrate = 115200")
        toml = self.home / "branch.toml"
        toml.write_text(text, encoding="utf-8")
        self.broker = private_broker_for(load_config(toml))
        mq = self.broker.config.mqtt
        text = text.replace("port = 1883", f"port = {mq.port}").replace("ws_port = 9001", f"ws_port = {mq.ws_port}")
        text = text.replace('credentials_file = "/etc/lobby/broker/credentials.json"', f'credentials_file = "{mq.credentials_file}"')
        toml.write_text(text, encoding="utf-8")
        self.toml = toml
        self.config = load_config(toml)
        self.agent: subprocess.Popen[bytes] = subprocess.Popen(["true"])  # replaced by start_agent()
        self.acknowledged: set[str] = set()
        self.unanswered = 0
        self.faults: Counter = Counter()
        self.peak_rss = {"agent": 0, "broker": 0}
        self.rss_samples: list[tuple[float, int]] = []
        self.stop = threading.Event()
        self.office: RawClient | None = None
        # Sees requests go out (head office may not: they carry PINs): with the agent's user,
        # the only one that reads them, under a client id of its own.
        self.requests_watch: RawClient | None = None

    def _broker_pid(self) -> int:
        assert self.broker.process is not None, "the broker is running while the soak measures it"
        return self.broker.process.pid

    def start_agent(self) -> None:
        log = open(self.home / "agent.log", "ab")
        self.agent = subprocess.Popen([sys.executable, "-m", "edge_agent.cli", "--config", str(self.toml), "run"], stdout=log, stderr=log)
        self.agent_started = time.monotonic()

    def kill_agent(self) -> None:
        self.peak_rss["agent"] = max(self.peak_rss["agent"], rss_kib(self.agent.pid, "VmHWM"))
        self.agent.send_signal(signal.SIGKILL)
        self.agent.wait()

    # ---- load ----------------------------------------------------------------------------

    def kiosk(self) -> None:
        bus = BusClient.for_role(self.config, "kiosk", f"soak-{uuid.uuid4().hex[:6]}")
        bus.start()
        bus.wait_connected(10)
        requester = Requester(bus)
        while not self.stop.is_set():
            service = self.rng.choices(["cash", "noncash", "corporate", "enquiry"], [4, 3, 1, 2])[0]
            try:
                answer = requester.request("ticket", {"service": service, "kiosk": "soak"}, timeout=3, deadline_s=30)
            except AgentUnreachable:
                self.unanswered += 1  # the customer was shown "out of service"
                continue
            except RuntimeError:  # the broker is restarting under paho
                time.sleep(0.5)
                continue
            if answer["status"] == "ok":
                self.acknowledged.add(answer["data"]["ticket_id"])
            time.sleep(self.rng.expovariate(25))
        bus.stop()

    def teller(self) -> None:
        client = RawClient(self.config, self.broker.credentials["teller"])
        counters = ["1", "2", "3", "4", "5", "6"]
        while not self.stop.is_set():
            counter = self.rng.choice(counters)
            op = self.rng.choices(["counter_open", "call_next", "complete", "no_show", "transfer", "recall"], [1, 6, 5, 1, 1, 1])[0]
            fields = {"counter": counter}
            if op == "transfer":
                fields = {"ticket": "A001", "to_service": "noncash", "counter": counter}  # usually refused: a wrong guess is part of life
            try:
                client.publish(f"request/{op}", {"transaction": uuid.uuid4().hex, **fields})
            except RuntimeError:  # the broker is restarting
                time.sleep(0.5)
            time.sleep(self.rng.expovariate(30))
        client.close()

    # ---- faults --------------------------------------------------------------------------

    def faults_loop(self) -> None:
        plan = ["broker_restart", "agent_kill", "paper_out", "broker_kill", "unplug", "agent_kill_after_request",
                "cover_open", "broker_restart", "paper_out", "broker_kill"]
        interval = self.seconds / (len(plan) + 1)
        for fault in plan:
            if self.stop.wait(interval):
                return
            if fault in ("broker_restart", "broker_kill"):
                self.peak_rss["broker"] = max(self.peak_rss["broker"], rss_kib(self._broker_pid(), "VmHWM"))
                if fault == "broker_kill":  # no goodbye and no last save: what it held for offline clients may be gone
                    assert self.broker.process is not None
                    self.broker.process.kill()
                    self.broker.process.wait()
                else:
                    self.broker.stop()
                time.sleep(2)
                self.broker.start()
            elif fault == "agent_kill":
                self.kill_agent()
                time.sleep(1)
                self.start_agent()
            elif fault == "agent_kill_after_request":
                # The moment the next ticket request goes out, as a crash mid-request would.
                seen = self._requests_seen()
                deadline = time.monotonic() + 5
                while self._requests_seen() == seen and time.monotonic() < deadline:
                    time.sleep(0.002)
                self.kill_agent()
                time.sleep(2)  # systemd's RestartSec
                self.start_agent()
            elif fault in ("paper_out", "unplug", "cover_open"):
                try:
                    control(self.config.printer.virtual_dir, fault)
                    time.sleep(3)
                    control(self.config.printer.virtual_dir, "replug" if fault == "unplug" else "ok")
                except ConnectionError:
                    continue  # the agent was just restarting; try the next fault
            self.faults[fault] += 1

    def _requests_seen(self) -> int:
        assert self.requests_watch is not None
        with self.requests_watch.lock:
            return sum(1 for t, _, _ in self.requests_watch.messages if t == "request/ticket")

    def memory_loop(self) -> None:
        while not self.stop.wait(1):
            if self.agent and self.agent.poll() is None:
                self.rss_samples.append((time.monotonic() - self.agent_started, rss_kib(self.agent.pid)))

    # ---- run and check -------------------------------------------------------------------

    def run(self) -> dict:
        self.broker.start()
        office = RawClient(self.config, self.broker.credentials["hq"], persistent=True)
        office.subscribe("events/#", "alerts/#", "agent/state")
        self.office = office
        self.requests_watch = RawClient(self.config, self.broker.credentials["agent"], persistent=True)
        self.requests_watch.subscribe("request/ticket")
        self.start_agent()
        office.wait_for(lambda m: any(t == "agent/state" and p.get("state") == "online" for t, p, _ in m), timeout=30)
        threads = [threading.Thread(target=f, daemon=True) for f in (self.kiosk, self.kiosk, self.teller, self.faults_loop, self.memory_loop)]
        for thread in threads:
            thread.start()
        time.sleep(self.seconds)
        self.stop.set()
        for thread in threads:
            thread.join(30)
        # Let the outbox drain to the subscriber.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with sqlite3.connect(self.config.store.path) as conn:
                if conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0:
                    break
            time.sleep(0.5)
        time.sleep(2)
        self.peak_rss["agent"] = max(self.peak_rss["agent"], rss_kib(self.agent.pid, "VmHWM"))
        self.peak_rss["broker"] = max(self.peak_rss["broker"], rss_kib(self._broker_pid(), "VmHWM"))
        repaired = self.repair(office)
        summary = self.check(office)
        summary["events_repaired_by_replay"] = repaired
        office.close()
        self.requests_watch.close()
        self.agent.terminate()
        self.agent.wait(10)
        self.broker.stop()
        return summary

    def repair(self, office: RawClient) -> int:
        """What head office does: find the numbers it never received and ask for them."""
        with office.lock:
            have = {p["seq"] for t, p, _ in office.messages if t.startswith(("events/", "alerts/")) and isinstance(p, dict)}
        after, repaired = 0, 0
        while True:
            office.publish("request/replay", {"transaction": (t := uuid.uuid4().hex), "after_seq": after, "limit": 200})
            answer = office.response("replay", t, timeout=20)["data"]
            for event in answer["events"]:
                if event["payload"]["seq"] not in have:
                    repaired += 1
                    with office.lock:
                        office.messages.append((event["topic"], event["payload"], False))
            if not answer["more"] or not answer["events"]:
                return repaired
            after = answer["events"][-1]["payload"]["seq"]

    def check(self, office: RawClient) -> dict:
        store = Store(self.config.store.path)
        conn = store.conn
        stored = {r[0] for r in conn.execute("SELECT id FROM tickets")}
        numbers = defaultdict(list)
        for day, service, number in conn.execute("SELECT business_day, original_service, number FROM tickets"):
            numbers[(day, service)].append(number)
        repeated = sum(len(v) - len(set(v)) for v in numbers.values())
        gaps = sum(max(v) - len(set(v)) for v in numbers.values())
        received: dict[str, Counter] = defaultdict(Counter)
        with office.lock:
            for topic, payload, _ in office.messages:
                if topic.startswith("events/"):
                    received[topic][payload["event_id"]] += 1
        arrivals_by_ticket = {p["ticket_id"] for t, p, _ in office.messages if t == "events/arrival"}
        kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM ticket_events GROUP BY kind").fetchall())
        expected = {
            "events/arrival": kinds.get("issued", 0),
            "events/called": kinds.get("called", 0) + kinds.get("recalled", 0),
            "events/served": kinds.get("served", 0),
            "events/no_show": kinds.get("no_show", 0),
            "events/transferred": kinds.get("transferred", 0),
        }
        lost_events = {topic: n - len(received[topic]) for topic, n in expected.items() if n != len(received[topic])}
        redelivered = sum(c - 1 for counts in received.values() for c in counts.values() if c > 1)
        days = sorted(date.fromisoformat(d) for d, _ in numbers)
        tickets, _ = load(store, days[0], days[-1]) if days else ([], [])
        store.close()
        first_third = [r for t, r in self.rss_samples if t > self.seconds / 3]
        growth = (first_third[-1] / first_third[0]) if len(first_third) > 1 and first_third[0] else 1.0
        return {
            "tickets_acknowledged": len(self.acknowledged),
            "tickets_in_store": len(stored),
            "lost_tickets": len(self.acknowledged - stored),
            "tickets_never_answered": len(stored - self.acknowledged),  # a customer told "out of service" for a real ticket
            "requests_given_up": self.unanswered,
            "repeated_numbers": repeated,
            "number_gaps": gaps,
            "tickets_without_arrival": len(stored - arrivals_by_ticket),
            "lost_events": lost_events,
            "events_received": sum(len(c) for c in received.values()),
            "redelivered_events": redelivered,
            "report_matches_store": len(tickets) == len(stored),
            "faults": dict(self.faults),
            "peak_rss_mib": {k: round(v / 1024, 1) for k, v in self.peak_rss.items()},
            "agent_rss_growth_last_incarnation": round(growth, 2),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    soak = Soak(args.minutes * 60, args.seed)
    try:
        summary = soak.run()
    finally:
        shutil.rmtree(soak.broker.directory.parent, ignore_errors=True)
    for key, value in summary.items():
        print(f"{key:36} {value}")
    ok = (summary["lost_tickets"] == 0 and summary["repeated_numbers"] == 0 and not summary["lost_events"]
          and summary["tickets_without_arrival"] == 0 and summary["report_matches_store"]
          and summary["tickets_never_answered"] == 0)
    print("RESULT:", "ok — losses = 0, duplicates = 0" if ok else "FAILED")
    shutil.rmtree(soak.home, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
