"""How fast head office's ingesters write what the branches publish, and what adding one buys.

A private PostgreSQL cluster (initdb, free port) and a head-office Mosquitto; `--branches`
publishers send `--events` events each as fast as QoS 1 allows; 1, then 2 ingesters (real
`head-office ingest` processes) write them. Measured: committed events per second from
the first to the last row, beside the floor in the same run: the same messages through
the same broker to a bare shared-subscription subscriber that acknowledges at once.

    .venv/bin/python bench/hq_ingest.py [--branches 8] [--events 2500]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from a plain checkout


from tools.hq_rig import HeadOfficeBroker, Ingesters, count, event, wait_for  # noqa: E402
from tools.private_postgres import PrivatePostgres  # noqa: E402


def publish_all(broker: HeadOfficeBroker, branches: list[str], events: int) -> None:
    def one(branch: str) -> None:
        client = broker.branch_client(branch)
        infos = [client.publish(*event(branch, n), qos=1) for n in range(1, events + 1)]
        for info in infos:
            info.wait_for_publish(60)
        client.disconnect()
        client.loop_stop()

    threads = [threading.Thread(target=one, args=(b,)) for b in branches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def floor(broker: HeadOfficeBroker, branches: list[str], events: int) -> float:
    """Messages per second to a bare shared subscriber (same broker, same QoS): Mosquitto's own
    mosquitto_sub, a C client in a process of its own, printing each message's arrival time.
    (A Python subscriber in this process shared the interpreter with the publishing threads
    and measured itself, at about half the ingesters' rate.)"""
    total = len(branches) * events
    subscriber = subprocess.Popen(
        ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-u", "hq-ingest", "-P", broker.passwords["hq-ingest"],
         "-V", "mqttv5", "-q", "1", "-C", str(total), "-F", "%U", "-t", "$share/floor/lobby/v1/+/events/+"],
        stdout=subprocess.PIPE, text=True,
    )
    time.sleep(0.5)
    publish_all(broker, branches, events)
    out, _ = subscriber.communicate(timeout=120)
    stamps = [float(line) for line in out.split()]
    return total / (stamps[-1] - stamps[0])


def ingest_rate(postgres: PrivatePostgres, broker: HeadOfficeBroker, branches: list[str], events: int, ingesters: int, folder: Path) -> float:
    database = postgres.new_database(f"bench_{uuid.uuid4().hex[:8]}")
    group = Ingesters(broker.write_ingest_config(folder, database), folder)
    try:
        for n in range(ingesters):
            group.start(f"bench-{n}")
        wait_for(lambda: count(database, "SELECT COUNT(*) FROM schema_version") == 1, 30, "the schema")
        time.sleep(1.0)
        total = len(branches) * events
        publish_all(broker, branches, events)
        wait_for(lambda: count(database, "SELECT COUNT(*) FROM events") == total, 600, f"{total} events")
        seconds = count(database, "SELECT (EXTRACT(EPOCH FROM max(received_at) - min(received_at)) * 1000)::bigint FROM events") / 1000
        return total / seconds
    finally:
        group.stop_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=8)
    parser.add_argument("--events", type=int, default=2500, help="events per branch")
    args = parser.parse_args()
    branches = [f"b{n:03d}" for n in range(args.branches)]
    postgres = PrivatePostgres(durable=True)  # fsync on, as in production
    postgres.start()
    broker = HeadOfficeBroker(tuple(branches))
    broker.start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            rates = {n: ingest_rate(postgres, broker, branches, args.events, n, Path(scratch)) for n in (1, 2)}
        bare = floor(broker, branches, args.events)
    finally:
        broker.stop()
        postgres.destroy()
    total = args.branches * args.events
    print(f"{args.branches} branches x {args.events} events = {total} events, QoS 1, one PostgreSQL 15 (fsync on), one Mosquitto")
    print(f"{'':38}{'events/s':>10}")
    for n, rate in rates.items():
        print(f"{f'{n} ingester(s), committed':38}{rate:>10.0f}")
    print(f"{'bare shared subscriber (floor)':38}{bare:>10.0f}")


if __name__ == "__main__":
    main()
