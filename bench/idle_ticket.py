"""One kiosk at an idle branch: ticket request -> answer, beside the broker's bare round trip.

A busy branch hides the cost of Nagle's algorithm (there is always a packet in flight), an
idle one shows it on every answer: the broker holds a small reply until the client's
delayed ACK, ~40 ms. This bench runs the real agent (its own process, virtual printer in
the rig beside it, unpaced so the serial line's time is left out) against a private
Mosquitto with the generated configuration, and sends one ticket request at a time with a
pause between them, as customers at a quiet branch would. In the same run, interleaved
with the tickets, the floor: a bare request -> reply between two clients through the same
broker (a responder that answers at once), with the same pauses.

    .venv/bin/python bench/idle_ticket.py --tickets 200
    .venv/bin/python bench/idle_ticket.py --tickets 200 --without-nodelay   # the broker as it was
    .venv/bin/python bench/idle_ticket.py --tickets 200 --broker-autosave-30s   # its persistence as it was

It also reports what the broker wrote to disk per ticket (/proc/<pid>/io), the cost of
saving its state after every change rather than every 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402

from lobby.config import load_config  # noqa: E402
from lobby.contract import topic_root  # noqa: E402
from tools.private_broker import free_port, private_broker_for, reachable_folder  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _nodelay(client: mqtt.Client, userdata: object, sock: object) -> None:
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _echo(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
    """The floor's responder: answer at once, as an agent with nothing to do would."""
    client.publish("bench/reply", message.payload, qos=1)


class Client:
    """A plain paho client with TCP_NODELAY, as the kiosk's own bus client has."""

    def __init__(self, credentials: dict, port: int):
        self.replies: dict[str, float] = {}
        self.arrived = threading.Condition()
        # The broker takes only client ids of the user's own: "<user>.<name>".
        self.client_id = f"{credentials['username']}.bench-{uuid.uuid4().hex[:8]}"
        self.mqtt = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5)
        self.mqtt.username_pw_set(credentials["username"], credentials["password"])
        self.mqtt.on_socket_open = _nodelay
        self.mqtt.on_message = self._on_message
        connected = threading.Event()
        self.mqtt.on_connect = lambda *a: connected.set()
        self.mqtt.connect("127.0.0.1", port)
        self.mqtt.loop_start()
        if not connected.wait(10):
            raise SystemExit("the bench client could not connect to the broker")

    def _on_message(self, client, userdata, message) -> None:
        try:
            transaction = json.loads(message.payload).get("transaction")
        except ValueError:
            return
        with self.arrived:
            self.replies[transaction] = time.perf_counter()
            self.arrived.notify_all()

    def ask(self, topic: str, payload: dict, timeout: float = 10, reply_to: str | None = None) -> float:
        """Publish and wait for the reply carrying the same transaction; seconds taken.
        `reply_to`: the MQTT 5 response topic the agent answers on (the floor's echo needs none)."""
        transaction = payload["transaction"]
        properties = None
        if reply_to is not None:
            properties = Properties(PacketTypes.PUBLISH)
            properties.ResponseTopic = reply_to
        started = time.perf_counter()
        self.mqtt.publish(topic, json.dumps(payload), qos=1, properties=properties)
        with self.arrived:
            if not self.arrived.wait_for(lambda: transaction in self.replies, timeout):
                raise SystemExit(f"no reply on {topic} within {timeout} s")
            return self.replies.pop(transaction) - started


def cpu_ms(pid: int) -> float:
    """User + system CPU time the process has used so far, in ms (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def written_bytes(pid: int) -> int:
    """Bytes the process has caused to be written to storage so far (/proc/<pid>/io)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def rig_pid(agent_pid: int) -> int | None:
    """The virtual devices' process, the agent's child."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == agent_pid and b"edge_agent.devices.virtual.rig" in (stat.parent / "cmdline").read_bytes():
                return int(stat.parent.name)
        except (OSError, ValueError, IndexError):
            continue
    return None


def add_floor_user(broker_dir: Path) -> dict:
    """A user for the bare round trip, allowed bench/# only."""
    user = {"username": "bench-floor", "password": uuid.uuid4().hex}
    extra = broker_dir / "floor.passwd"
    extra.write_text(f"{user['username']}:{user['password']}\n")
    subprocess.run(["mosquitto_passwd", "-U", str(extra)], check=True)
    with open(broker_dir / "passwd", "a") as passwd:
        passwd.write(extra.read_text())
    with open(broker_dir / "acl", "a") as acl:
        acl.write(f"\nuser {user['username']}\ntopic readwrite bench/#\n")
    extra.unlink()
    return user


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between requests: an idle branch")
    parser.add_argument("--without-nodelay", action="store_true", help="drop set_tcp_nodelay from the broker's config")
    parser.add_argument("--broker-autosave-30s", action="store_true", help="the broker saves every 30 s, not after every change")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    home = reachable_folder("lobby-idle-")
    text = (REPO / "config" / "branch.example.toml").read_text(encoding="utf-8").replace("/var/lib/lobby", str(home / "state")).replace("tickets_outside_hours = false", "tickets_outside_hours = true")
    text = text.replace("virtual_paced = true", "virtual_paced = false").replace("port = 8080", f"port = {free_port()}")
    draft = home / "draft.toml"
    draft.write_text(text, encoding="utf-8")
    broker = private_broker_for(load_config(draft))
    mqtt_cfg = broker.config.mqtt
    toml = home / "branch.toml"
    toml.write_text(
        text.replace("port = 1883", f"port = {mqtt_cfg.port}").replace("ws_port = 9001", f"ws_port = {mqtt_cfg.ws_port}")
        .replace('credentials_file = "/etc/lobby/broker/credentials.json"', f'credentials_file = "{mqtt_cfg.credentials_file}"'),
        encoding="utf-8",
    )
    conf = broker.directory / "mosquitto.conf"
    if args.without_nodelay:
        conf.write_text("".join(line for line in conf.read_text().splitlines(keepends=True) if "set_tcp_nodelay" not in line))
    if args.broker_autosave_30s:
        lines = conf.read_text().splitlines(keepends=True)
        conf.write_text("".join("autosave_interval 30\n" if line.startswith("autosave_interval") else line
                                for line in lines if not line.startswith("autosave_on_changes")))
    floor_user = add_floor_user(broker.directory)
    if os.geteuid() == 0:
        for name in ("passwd", "acl"):
            shutil.chown(broker.directory / name, "mosquitto", "mosquitto")
    broker.start()
    agent_log = open(home / "agent.log", "wb")
    agent = subprocess.Popen([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "run"], stdout=agent_log, stderr=agent_log)
    try:
        root = topic_root(load_config(toml).branch.id)
        online = threading.Event()
        watcher = Client(broker.credentials["display"], mqtt_cfg.port)
        watcher.mqtt.on_message = lambda c, u, m: online.set() if json.loads(m.payload).get("state") == "online" else None
        watcher.mqtt.subscribe(root + "agent/state", qos=1)
        if not online.wait(60):
            raise SystemExit(f"the agent did not come online within 60 s; see {home / 'agent.log'}")
        kiosk = Client(broker.credentials["kiosk"], mqtt_cfg.port)
        answers = f"{root}response/{kiosk.client_id}/ticket"
        kiosk.mqtt.subscribe(answers, qos=1)
        requester, responder = Client(floor_user, mqtt_cfg.port), Client(floor_user, mqtt_cfg.port)
        requester.mqtt.subscribe("bench/reply", qos=1)
        responder.mqtt.on_message = _echo
        responder.mqtt.subscribe("bench/request", qos=1)
        time.sleep(0.5)

        def ticket() -> float:
            request = {"transaction": uuid.uuid4().hex, "service": "cash", "kiosk": "bench"}
            return kiosk.ask(root + "request/ticket", request, timeout=30, reply_to=answers)

        def floor() -> float:
            return requester.ask("bench/request", {"transaction": uuid.uuid4().hex})

        for _ in range(5):  # the agent starting up, the voice pack, the first ticket's imports
            ticket()
            floor()
        tickets, floors = [], []
        rig = rig_pid(agent.pid)
        cpu_before = (cpu_ms(agent.pid), cpu_ms(rig) if rig else 0.0)
        assert broker.process is not None
        broker_written_before = written_bytes(broker.process.pid)
        for _ in range(args.tickets):
            time.sleep(args.gap)
            tickets.append(ticket())
            time.sleep(args.gap)
            floors.append(floor())
        # Idle time costs CPU too (the loop's 50 ms tick): measured over the same span, it is
        # part of the figure, so this is an upper bound for the ticket's own work.
        agent_cpu = (cpu_ms(agent.pid) - cpu_before[0]) / args.tickets
        rig_cpu = ((cpu_ms(rig) - cpu_before[1]) / args.tickets) if rig else None
        broker_written = (written_bytes(broker.process.pid) - broker_written_before) / args.tickets
    finally:
        agent.terminate()
        agent.wait(15)
        broker.stop()
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)

    def row(values: list[float]) -> dict:
        return {"median_ms": round(statistics.median(values) * 1000, 2), "p99_ms": round(percentile(values, 0.99) * 1000, 2)}

    result = {
        "tickets": args.tickets,
        "gap_s": args.gap,
        "broker_tcp_nodelay": not args.without_nodelay,
        "ticket_answer": row(tickets),
        "bare_round_trip": row(floors),
        "agent_cpu_ms_per_ticket": round(agent_cpu, 2),
        "virtual_devices_cpu_ms_per_ticket": None if rig_cpu is None else round(rig_cpu, 2),
        "broker_autosave": "every 30 s" if args.broker_autosave_30s else "after every change",
        "broker_disk_kib_per_ticket": round(broker_written / 1024, 1),
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"idle branch, {args.tickets} tickets one at a time ({args.gap:g} s apart), unpaced virtual printer, "
          f"broker set_tcp_nodelay {'on' if result['broker_tcp_nodelay'] else 'OFF'}, saving {result['broker_autosave']}")
    print(f"{'':28}{'median ms':>12}{'p99 ms':>10}")
    for name, key in (("kiosk ticket -> answer", "ticket_answer"), ("bare round trip (floor)", "bare_round_trip")):
        print(f"{name:28}{result[key]['median_ms']:>12.2f}{result[key]['p99_ms']:>10.2f}")
    print(f"CPU per ticket (over the run, idle ticks included): agent {result['agent_cpu_ms_per_ticket']} ms, "
          f"virtual devices (their own process) {result['virtual_devices_cpu_ms_per_ticket']} ms")
    print(f"broker's disk writes per ticket: {result['broker_disk_kib_per_ticket']} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
