"""A head-office rig for the tests and the benches: a Mosquitto with per-branch bridge users, the
ingester processes, and small helpers to wait on what reaches PostgreSQL."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

from lobby.contract import EVENT_TOPICS, ArrivalCustomer, ArrivalEvent, Tier, topic_root
from tools.private_broker import free_port, reachable_folder

REPO = Path(__file__).resolve().parents[1]


class HeadOfficeBroker:
    """Users: `hq-ingest` reads every branch; `branch-<id>` may publish only under its own root."""

    def __init__(self, branches: tuple[str, ...] = ("b1", "b2"), password: str | None = None):
        """`password`: one for every user (a bench's thousand branches), instead of one each."""
        self.home = reachable_folder("lobby-hq-broker-")
        self.port = free_port()
        self.passwords = {user: password or uuid.uuid4().hex for user in ("hq-ingest", *(f"branch-{b}" for b in branches))}
        passwd = self.home / "passwd"
        passwd.write_text("".join(f"{user}:{password}\n" for user, password in self.passwords.items()))
        subprocess.run(["mosquitto_passwd", "-U", str(passwd)], check=True)
        # hq-ingest reads every branch, and sends each its bookings (head-office sync).
        acl = ["user hq-ingest", "topic read lobby/v1/#", "topic write lobby/v1/+/request/appointments_sync"]
        for branch in branches:  # a branch's bridge: only under its own root
            acl += [f"user branch-{branch}", f"topic readwrite lobby/v1/{branch}/#"]
        (self.home / "acl").write_text("\n".join(acl) + "\n")
        (self.home / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous false\npassword_file {passwd}\nacl_file {self.home / 'acl'}\n"
            f"set_tcp_nodelay true\npersistence false\nmax_queued_messages 100000\nlog_dest file {self.home / 'mosquitto.log'}\n"
        )
        for name in ("passwd", "acl"):
            shutil.chown(self.home / name, "mosquitto", "mosquitto")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(["mosquitto", "-c", str(self.home / "mosquitto.conf")], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                import socket

                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the head-office broker did not start; see {self.home}")

    def halt(self) -> None:
        """The broker goes down (its files stay, so it can start again on the same port)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.home, ignore_errors=True)

    def branch_client(self, branch: str) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"branch-{branch}-{uuid.uuid4().hex[:6]}", protocol=mqtt.MQTTv5)
        client.username_pw_set(f"branch-{branch}", self.passwords[f"branch-{branch}"])
        client.connect("127.0.0.1", self.port)
        client.loop_start()
        return client

    def write_ingest_config(
        self, folder: Path, conninfo: str, web_port: int | None = None, share_group: str = "ingest", bookings: str = ""
    ) -> Path:
        """Head office's TOML; `bookings`: more lines for its [bookings] section."""
        secret = folder / "broker-password"
        secret.write_text(self.passwords["hq-ingest"])
        path = folder / "head-office.toml"
        path.write_text(
            f'[database]\nconninfo = "{conninfo}"\nconnect_timeout_s = 1\n\n[broker]\nhost = "127.0.0.1"\nport = {self.port}\n'
            f'username = "hq-ingest"\npassword_file = "{secret}"\nshare_group = "{share_group}"\n' + (f"\n[web]\nport = {web_port}\n" if web_port else "")
            + f'\n[bookings]\nkey_file = "{folder / "booking.key"}"\nsync_interval_s = 0.5\n'
            + (f'public_url = "http://127.0.0.1:{web_port}"\n' if web_port else "") + bookings,
            encoding="utf-8",
        )
        return path


ISSUED_AT = datetime(2026, 12, 5, 9, 41, 7, tzinfo=timezone(timedelta(hours=8)))


def event(branch: str, n: int) -> tuple[str, bytes]:
    """The n-th arrival of a branch, as its agent publishes it: the contract's model, whole."""
    label = f"A{n % 1000:03d}"
    arrival = ArrivalEvent(
        event_id=f"{branch}-{n:06d}", seq=n, ticket=label, ticket_id=f"{branch}-t{n}", service="cash", tier=Tier.MASS, issued_at=ISSUED_AT,
        ahead=0, eta_s=None, eta_range_s=None, kiosk="kiosk-1", customer=ArrivalCustomer(identified=False),
    )
    return f"{topic_root(branch)}{EVENT_TOPICS[ArrivalEvent]}", arrival.model_dump_json().encode()


class Ingesters:
    """`head-office ingest` (or `sync`) processes, each with its log; killed at the end whatever happened."""

    def __init__(self, config: Path, folder: Path):
        self.config, self.folder = config, folder
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, instance: str, command: str = "ingest") -> None:
        log = open(self.folder / f"{instance}.log", "ab")
        self.processes[instance] = subprocess.Popen(
            [sys.executable, "-m", "head_office.cli", command, "--config", str(self.config), "--instance", instance],
            stdout=log, stderr=log, cwd=REPO,
        )

    def kill(self, instance: str) -> None:
        self.processes[instance].send_signal(signal.SIGKILL)
        self.processes[instance].wait(10)

    def log(self, instance: str) -> str:
        return (self.folder / f"{instance}.log").read_text(encoding="utf-8")

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()


class WebServer:
    """`head-office serve` on a free port, up once /healthz answers; its log beside it."""

    def __init__(self, config: Path, port: int, folder: Path):
        self.config, self.port, self.folder = config, port, folder
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, healthy: bool = True) -> None:
        """Until /healthz answers 200, or (healthy=False) answers at all."""
        log = open(self.folder / "serve.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "head_office.cli", "serve", "--config", str(self.config)], stdout=log, stderr=log, cwd=REPO,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                # Without its database /healthz waits out the pool's timeout before it answers 503:
                # the client must wait longer than that, or it never hears the answer.
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=10) as answer:
                    if answer.status == 200:
                        return
            except urllib.error.HTTPError:
                if not healthy:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()  # a test that fails here must not leave a server behind
        raise RuntimeError(f"head-office serve did not answer; see {self.folder / 'serve.log'}: {self.log()[-2000:]}")

    def log(self) -> str:
        return (self.folder / "serve.log").read_text(encoding="utf-8")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def add_user(config: Path, name: str, password: str, role: str, region: str | None = None) -> None:
    command = [sys.executable, "-m", "head_office.cli", "users", "add", name, "--role", role, "--config", str(config)]
    subprocess.run(command + (["--region", region] if region else []), input=password + "\n", text=True, check=True,
                   capture_output=True, cwd=REPO)


def count(database: str, sql: str) -> int:
    try:
        with psycopg.connect(database, autocommit=True, connect_timeout=2) as conn:
            return conn.execute(sql).fetchone()[0]  # type: ignore[index]
    except psycopg.Error:
        return -1  # not there yet (the schema), or the database is restarting


def branches_behind(database: str) -> int:
    """Branches holding less than their bookings' newest version (what head-office sync sends again); -1 before the schema."""
    return count(database, "SELECT count(*) FROM (SELECT branch, max(version) AS newest FROM bookings GROUP BY branch) b "
                           "LEFT JOIN booking_sync s USING (branch) WHERE coalesce(s.held_version, 0) < b.newest")


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
