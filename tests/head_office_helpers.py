"""A head-office broker (plain Mosquitto with users and ACLs) and the ingester's config, for tests."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tools.private_broker import free_port, reachable_folder


class HeadOfficeBroker:
    """Users: `hq-ingest` reads every branch; `branch-<id>` may publish only under its own root."""

    def __init__(self, branches: tuple[str, ...] = ("b1", "b2")):
        self.home = reachable_folder("lobby-hq-broker-")
        self.port = free_port()
        self.passwords = {"hq-ingest": uuid.uuid4().hex, **{f"branch-{b}": uuid.uuid4().hex for b in branches}}
        passwd = self.home / "passwd"
        passwd.write_text("".join(f"{user}:{password}\n" for user, password in self.passwords.items()))
        subprocess.run(["mosquitto_passwd", "-U", str(passwd)], check=True)
        acl = ["user hq-ingest", "topic read lobby/v1/#"]
        for branch in branches:
            acl += [f"user branch-{branch}", f"topic write lobby/v1/{branch}/#"]
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

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
        shutil.rmtree(self.home, ignore_errors=True)

    def branch_client(self, branch: str) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"branch-{branch}-{uuid.uuid4().hex[:6]}", protocol=mqtt.MQTTv5)
        client.username_pw_set(f"branch-{branch}", self.passwords[f"branch-{branch}"])
        client.connect("127.0.0.1", self.port)
        client.loop_start()
        return client

    def write_ingest_config(self, folder: Path, conninfo: str) -> Path:
        secret = folder / "broker-password"
        secret.write_text(self.passwords["hq-ingest"])
        path = folder / "head-office.toml"
        path.write_text(
            f'[database]\nconninfo = "{conninfo}"\nconnect_timeout_s = 1\n\n[broker]\nhost = "127.0.0.1"\nport = {self.port}\n'
            f'username = "hq-ingest"\npassword_file = "{secret}"\n',
            encoding="utf-8",
        )
        return path


def event(branch: str, n: int, kind: str = "arrival") -> tuple[str, bytes]:
    """A branch event as the agent publishes it (the fields head office reads)."""
    payload = {"event_id": f"{branch}-{n:06d}", "seq": n, "ticket": f"A{n % 1000:03d}", "issued_at": "2026-12-05T09:41:07+08:00"}
    return f"lobby/v1/{branch}/events/{kind}", json.dumps(payload).encode()
