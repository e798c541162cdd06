"""Real MQTT clients and a real agent process for the bus tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from lobby.config import BranchConfig
from lobby.contract import topic_root
from tests.staff_helpers import roster_csv


class RawClient:
    """A plain paho client, as mosquitto_pub/mosquitto_sub would be: no help from our code.

    Like every client of the branch it connects with a client id of its user's
    (`<user>.<name>`), names its own `response/<client id>/<op>` as the response topic of
    each request (unless told not to) and reads it; answers are recorded as `response/<op>`.
    """

    def __init__(
        self,
        config: BranchConfig,
        credentials: dict | None,
        protocol: mqtt.MQTTProtocolVersion = mqtt.MQTTv5,
        transport: Literal["tcp", "websockets"] = "tcp",
        persistent: bool = False,
        client_id: str | None = None,
        answers: str | None = None,
    ):
        self.root = topic_root(config.branch.id)
        self.messages: list[tuple[str, Any, bool]] = []  # payloads: parsed JSON, or the bytes when not JSON
        self.lock = threading.Condition()
        name = f"test-{uuid.uuid4().hex[:8]}"
        self.client_id = client_id or (f"{credentials['username']}.{name}" if credentials else name)
        # Head office's clients name theirs under response/hq/ (the answers the bridge carries).
        self.answers = answers or f"response/{self.client_id}/"
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=protocol, transport=transport)
        if credentials:
            self.client.username_pw_set(credentials["username"], credentials["password"])
        self.connect_result: object = None
        self.connected = threading.Event()
        # MQTT 5 clients read their own answers; a 3.1.1 client has no response topic to give.
        self.subscriptions: list[str] = [self.answers + "+"] if protocol == mqtt.MQTTv5 else []
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.2, 1)  # type: ignore[arg-type]  # paho takes seconds as a float; its hints say int
        port = config.mqtt.ws_port if transport == "websockets" else config.mqtt.port
        # persistent: the broker keeps the session and queues QoS 1 messages while we are away.
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 3600 if persistent else 0
        self.client.connect_async("127.0.0.1", port, clean_start=not persistent, properties=properties)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason, properties) -> None:
        self.connect_result = reason
        if not reason.is_failure:
            if self.subscriptions:  # resubscribe after the broker came back
                client.subscribe([(self.root + t, 1) for t in self.subscriptions])
            self.connected.set()

    def _on_message(self, client, userdata, message) -> None:
        try:
            payload: dict | bytes = json.loads(message.payload)
        except ValueError:
            payload = message.payload
        relative = message.topic.removeprefix(self.root)
        if relative.startswith(self.answers):
            relative = "response/" + relative.removeprefix(self.answers)
        with self.lock:
            self.messages.append((relative, payload, bool(message.retain)))
            self.lock.notify_all()

    def wait_connected(self, timeout: float = 5) -> bool:
        return self.connected.wait(timeout)

    def subscribe(self, *relative: str) -> None:
        assert self.wait_connected(), f"could not connect: {self.connect_result}"
        done = threading.Event()
        granted: list = []

        def on_subscribe(client, userdata, mid, reason_codes, properties):
            granted.extend(reason_codes)
            done.set()

        self.client.on_subscribe = on_subscribe
        self.subscriptions.extend(relative)
        self.client.subscribe([(self.root + t, 1) for t in relative])
        assert done.wait(5)

    def publish(self, relative: str, payload: dict | str | bytes, qos: int = 1, retain: bool = False, reply: bool = True):
        """`reply`: a request names this client's answers topic as its response topic."""
        assert self.wait_connected(), f"could not connect: {self.connect_result}"
        data = json.dumps(payload, ensure_ascii=False) if isinstance(payload, dict) else payload
        properties = None
        if reply and relative.startswith("request/") and self.client.protocol == mqtt.MQTTv5:
            properties = Properties(PacketTypes.PUBLISH)
            properties.ResponseTopic = self.root + self.answers + relative.removeprefix("request/")
        info = self.client.publish(self.root + relative, data, qos=qos, retain=retain, properties=properties)
        info.wait_for_publish(5)
        return info

    def wait_for(self, predicate: Callable[[list], bool], timeout: float = 10) -> list:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate(self.messages):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out; received: {[m[0] for m in self.messages][-20:]}")
                self.lock.wait(remaining)
            return list(self.messages)

    def on(self, topic: str) -> list[Any]:
        with self.lock:
            return [p for t, p, _ in self.messages if t == topic]

    def response(self, op: str, transaction: str, timeout: float = 10) -> dict:
        def found(messages):
            return any(t == f"response/{op}" and isinstance(p, dict) and p.get("transaction") == transaction for t, p, _ in messages)

        self.wait_for(found, timeout)
        return next(p for p in self.on(f"response/{op}") if p.get("transaction") == transaction)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class AgentProcess:
    """`edge-agent run` as a real child process, killable with SIGKILL."""

    def __init__(self, config_path: Path, env: dict[str, str] | None = None):
        self.config_path = config_path
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen | None = None
        self.log_path = config_path.parent / "agent.log"

    def start(self) -> None:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "edge_agent.cli", "--config", str(self.config_path), "run"],
            stdout=log, stderr=log, env=self.env,
        )
        log.close()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> int | None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                return self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def write_config_for(broker, branch_toml: Path) -> Path:
    """The test branch's TOML pointed at the private broker's ports and credentials."""
    text = branch_toml.read_text(encoding="utf-8")
    mqtt_cfg = broker.config.mqtt
    from tools.private_broker import free_port

    text = text.replace("port = 1883", f"port = {mqtt_cfg.port}").replace("ws_port = 9001", f"ws_port = {mqtt_cfg.ws_port}")
    text = text.replace("port = 8080", f"port = {free_port()}")
    import re

    text = re.sub(r'credentials_file = "[^"]*"', f'credentials_file = "{mqtt_cfg.credentials_file}"', text)
    path = branch_toml.parent / "branch-broker.toml"
    path.write_text(text, encoding="utf-8")
    return path


def client(broker, role: str, **kwargs) -> RawClient:
    return RawClient(broker.config, broker.credentials[role], **kwargs)


def tx() -> str:
    return uuid.uuid4().hex


def wait_online(watcher: RawClient) -> None:
    watcher.wait_for(lambda m: any(t == "agent/state" and p.get("state") == "online" for t, p, _ in m), timeout=15)


def publish_reason(publisher: RawClient, relative: str, payload: bytes = b"{}", retain: bool = False) -> str:
    """The broker's MQTT 5 reason code for one QoS 1 publish."""
    reasons: list[str] = []
    done = threading.Event()

    def on_publish(client, userdata, mid, reason, properties):
        reasons.append(str(reason))
        done.set()

    publisher.client.on_publish = on_publish
    publisher.client.publish(publisher.root + relative, payload, qos=1, retain=retain)
    assert done.wait(5)
    return reasons[0]


def import_customer(agent_toml, tmp_path, branch_config, pan: str, row: str) -> dict:
    """Import one CRM row with the CLI; return the card identity a reader would produce."""
    from lobby.card_key import card_token, load_or_create_key, mask_pan

    export = tmp_path / "crm.csv"
    export.write_text(f"card_number,display_name,tier,rm\n{pan},{row}\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(agent_toml), "customers", "import", str(export)], check=True)
    return {"token": card_token(load_or_create_key(branch_config.security.key_file), pan), "masked_pan": mask_pan(pan)}


def ask(who: RawClient, op: str, **fields) -> dict:
    transaction = tx()
    who.publish(f"request/{op}", {"transaction": transaction, **fields})
    return who.response(op, transaction)


@contextmanager
def running_agent(broker, config_path: Path, env: dict[str, str] | None = None) -> Iterator[AgentProcess]:
    """The agent on `config_path`, started and announced online before the test goes on."""
    process = AgentProcess(config_path, env=env)
    process.start()
    try:
        watcher = client(broker, "display")
        watcher.subscribe("agent/state")
        watcher.wait_for(lambda m: any(t == "agent/state" and p.get("state") == "online" for t, p, _ in m), timeout=20)
        watcher.close()
        yield process
    finally:
        process.stop()


def import_roster_with_cli(config_path: Path, folder: Path) -> None:
    """The branch's staff roster, imported with the CLI before the agent starts (as a technician would)."""
    subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(config_path), "staff", "import", str(roster_csv(folder))],
                   check=True, capture_output=True)
