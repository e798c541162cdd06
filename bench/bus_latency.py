"""N simulated branches against one Mosquitto: arrivals delivered per second and latency.

Each branch is a real `edge-agent run` process with its own store and generated users;
a kiosk client per branch sends ticket requests at a steady rate and a head-office
subscriber receives `events/arrival`. Latency is measured from the kiosk's publish to the
arrival at the subscriber (one clock: same machine). Beside it, in the same run, the floor:
a bare publish -> subscribe round trip through the same broker on the same kind of TCP
connection.

    .venv/bin/python bench/bus_latency.py --branches 4 --rate 5 --seconds 20

With `--counters-open` every counter is open before the agents start, so each ticket gets
a wait estimate (with all closed, no predictor runs); `--wait-model PATH` puts a learned
model (bench/wait_predict_cost.py --save PATH) beside every branch's store, so the learned
predictor answers instead of the queue-length fallback.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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

from edge_agent.bus.broker_setup import setup_broker  # noqa: E402
from lobby.config import load_config  # noqa: E402
from lobby.contract import topic_root  # noqa: E402
from tools.private_broker import PrivateBroker, free_port, reachable_folder  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def make_client(credentials: dict, port: int) -> mqtt.Client:
    # The broker takes only client ids of the user's own: "<user>.<name>".
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{credentials['username']}.bench-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5)
    client.username_pw_set(credentials["username"], credentials["password"])

    def nodelay(client, userdata, sock):
        import socket

        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    client.on_socket_open = nodelay
    connected = threading.Event()
    client.on_connect = lambda *a: connected.set()
    client.connect("127.0.0.1", port)
    client.loop_start()
    connected.wait(10)
    return client


def build_branches(count: int, home: Path, port: int, ws_port: int) -> tuple[list[Path], dict, Path]:
    example = (REPO / "config" / "branch.example.toml").read_text(encoding="utf-8").replace("tickets_outside_hours = false", "tickets_outside_hours = true")
    configs, all_credentials = [], {}
    passwd, acl = [], []
    for i in range(count):
        branch_dir = home / f"branch-{i}"
        branch_dir.mkdir()
        text = (
            example.replace('id = "sh-lujiazui-01"', f'id = "bench-{i:03d}"')
            .replace("/var/lib/lobby", str(branch_dir))
            .replace("/etc/lobby/broker/credentials.json", str(branch_dir / "broker" / "credentials.json"))
            .replace("port = 1883", f"port = {port}")
            .replace("ws_port = 9001", f"ws_port = {ws_port}")
            .replace("port = 8080", f"port = {free_port()}")
        )
        path = branch_dir / "branch.toml"
        path.write_text(text, encoding="utf-8")
        config = load_config(path)
        all_credentials[config.branch.id] = setup_broker(config, branch_dir / "broker")
        passwd.append((branch_dir / "broker" / "passwd").read_text())
        acl.append((branch_dir / "broker" / "acl").read_text())
        configs.append(path)
    # One broker for all branches, as a head-office cluster node would be: their users and ACLs together.
    first = load_config(configs[0])
    broker_dir = home / "broker"
    setup_broker(first, broker_dir)
    bench_user = {"username": "bench-floor", "password": uuid.uuid4().hex}
    floor_passwd = home / "floor.passwd"
    floor_passwd.write_text(f"{bench_user['username']}:{bench_user['password']}\n")
    subprocess.run(["mosquitto_passwd", "-U", str(floor_passwd)], check=True)  # -U hashes every line: only ours
    (broker_dir / "passwd").write_text("".join(passwd) + floor_passwd.read_text())
    (broker_dir / "acl").write_text("\n".join(acl) + f"\nuser {bench_user['username']}\ntopic readwrite bench/#\n")
    if os.geteuid() == 0:
        shutil.chown(broker_dir / "passwd", "mosquitto", "mosquitto")
        shutil.chown(broker_dir / "acl", "mosquitto", "mosquitto")
    all_credentials["floor"] = bench_user  # type: ignore[assignment]  # a user of its own, beside the branches' roles
    return configs, all_credentials, broker_dir


def prepare_branch(config, counters_open: bool, wait_model: Path | None) -> None:
    from edge_agent.branch import Branch
    from edge_agent.desks.waits import model_path

    if wait_model is not None:
        shutil.copyfile(wait_model, model_path(config))
    if counters_open:
        branch = Branch.open(config)
        try:
            for counter in config.counters:
                branch.counter_open(counter.id)
        finally:
            branch.close()


def measure_floor(credentials: dict, port: int, samples: int) -> list[float]:
    client = make_client(credentials, port)
    got = threading.Event()
    client.on_message = lambda *a: got.set()
    client.subscribe("bench/floor", 1)
    time.sleep(0.3)
    result = []
    for _ in range(samples):
        got.clear()
        start = time.perf_counter()
        client.publish("bench/floor", b"x" * 300, qos=1)
        if got.wait(2):
            result.append(time.perf_counter() - start)
        time.sleep(0.005)
    client.disconnect()
    client.loop_stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--branches", type=int, default=4)
    parser.add_argument("--rate", type=float, default=5, help="ticket requests per second per branch")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--counters-open", action="store_true", help="open every counter first: each ticket gets an estimate")
    parser.add_argument("--wait-model", type=Path, help="a learned wait model to put beside every branch's store")
    args = parser.parse_args()

    home = reachable_folder("lobby-bench-")
    port, ws_port = free_port(), free_port()
    configs, credentials, broker_dir = build_branches(args.branches, home, port, ws_port)
    for path in configs:
        prepare_branch(load_config(path), args.counters_open, args.wait_model)
    first = load_config(configs[0])
    broker = PrivateBroker(first, broker_dir, write_setup=False)
    broker.start()
    agents = [
        subprocess.Popen([sys.executable, "-m", "edge_agent.cli", "--config", str(c), "run"], stdout=subprocess.DEVNULL, stderr=open(Path(c).parent / "agent.log", "wb"))
        for c in configs
    ]
    sent: dict[str, float] = {}
    arrived: dict[str, float] = {}
    lock = threading.Lock()
    clients = []
    try:
        ready = threading.Barrier(args.branches + 1)
        for config_path in configs:
            config = load_config(config_path)
            root = topic_root(config.branch.id)
            creds = credentials[config.branch.id]
            hq = make_client(creds["hq"], port)

            def on_arrival(client, userdata, message, branch=config.branch.id):
                payload = json.loads(message.payload)
                with lock:
                    arrived[f"{branch}/{payload['kiosk']}/{payload['ticket']}"] = time.perf_counter()

            hq.on_message = on_arrival
            hq.subscribe(root + "events/arrival", 1)
            kiosk = make_client(creds["kiosk"], port)
            response_map: dict[str, str] = {}

            def on_response(client, userdata, message, branch=config.branch.id, responses=response_map):
                payload = json.loads(message.payload)
                if payload.get("status") == "ok":
                    with lock:
                        responses[payload["transaction"]] = f"{branch}/{payload['data'].get('kiosk', 'k')}"

            kiosk.on_message = on_response
            clients += [hq, kiosk]
            threading.Thread(target=_kiosk_loop, args=(kiosk, root, config.branch.id, args, sent, lock, ready), daemon=True).start()
        time.sleep(3)  # agents connect and subscribe
        floor_before = measure_floor(credentials["floor"], port, 200)
        ready.wait()
        time.sleep(args.seconds + 2)
        floor_after = measure_floor(credentials["floor"], port, 200)
    finally:
        for agent in agents:
            agent.terminate()
        for agent in agents:
            agent.wait(10)
        for client in clients:
            client.loop_stop()
        broker.stop()
    latencies = [arrived[key] - start for key, start in sent.items() if key in arrived]
    floor = floor_before + floor_after
    lost = len(sent) - len(latencies)
    print(f"branches: {args.branches}, requests: {len(sent)} over {args.seconds:.0f} s ({len(sent) / args.seconds:.1f}/s), arrivals received: {len(latencies)}, missing: {lost}")
    print(f"{'':34}{'median ms':>10}{'p99 ms':>10}")
    print(f"{'ticket request -> events/arrival':34}{statistics.median(latencies) * 1000:>10.2f}{percentile(latencies, 0.99) * 1000:>10.2f}")
    print(f"{'bare publish -> subscribe (floor)':34}{statistics.median(floor) * 1000:>10.2f}{percentile(floor, 0.99) * 1000:>10.2f}")
    print(f"ratio of medians: {statistics.median(latencies) / statistics.median(floor):.1f}x the broker's own round trip")
    shutil.rmtree(home, ignore_errors=True)


def _kiosk_loop(kiosk, root, branch, args, sent, lock, ready) -> None:
    kiosk_id = f"k{uuid.uuid4().hex[:6]}"
    reply = Properties(PacketTypes.PUBLISH)  # requests need a response topic of the client's own
    reply.ResponseTopic = f"{root}response/{kiosk._client_id.decode()}/ticket"
    ready.wait()
    interval = 1 / args.rate
    deadline = time.perf_counter() + args.seconds
    number = 0
    services = ["cash", "noncash", "corporate", "enquiry"]
    while time.perf_counter() < deadline:
        number += 1
        prefix = "ABCE"[number % 4]
        # The agent numbers per service; the n-th request for a service gets number n.
        count = (number + 3) // 4
        with lock:
            sent[f"{branch}/{kiosk_id}/{prefix}{count:03d}"] = time.perf_counter()
        kiosk.publish(
            root + "request/ticket",
            json.dumps({"transaction": uuid.uuid4().hex, "service": services[number % 4], "kiosk": kiosk_id}),
            qos=1, properties=reply,
        )
        time.sleep(interval)


if __name__ == "__main__":
    main()
