"""A private Mosquitto for `make demo` and the tests: the branch's generated config on free ports.

It is the real broker with the real generated users and ACLs, started as a child process;
only the ports and the directory differ from a branch box.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from edge_agent.bus.broker_setup import BrokerSetupError, setup_broker
from lobby.config import BranchConfig


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_private_ports(config: BranchConfig, directory: Path) -> BranchConfig:
    """The same branch, with its broker on free local ports and its files in `directory/broker`."""
    mqtt = config.mqtt.model_copy(
        update={
            "host": "127.0.0.1",
            "port": free_port(),
            "ws_port": free_port(),
            "bind_address": "127.0.0.1",
            "ws_interface": "lo",
            "credentials_file": directory / "broker" / "credentials.json",
        }
    )
    return config.model_copy(update={"mqtt": mqtt})


class PrivateBroker:
    """`config` is the branch as its clients must see it (ports, credentials file)."""

    def __init__(self, config: BranchConfig, directory: Path, write_setup: bool = True):
        self.config = config
        self.directory = Path(directory)
        self.log_path = self.directory / "mosquitto.log"
        self.process: subprocess.Popen[bytes] | None = None
        # write_setup=False: the directory already holds a configuration (e.g. the bench's).
        self.credentials = setup_broker(config, self.directory) if write_setup else {}

    def start(self, timeout: float = 10) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([binary, "-c", str(self.directory / "mosquitto.conf")], stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrokerSetupError(f"mosquitto exited at start; see {self.log_path}:\n{self.log_path.read_text()[-2000:]}")
            if all(_listening(port) for port in (self.config.mqtt.port, self.config.mqtt.ws_port)):
                return
            time.sleep(0.05)
        raise BrokerSetupError(f"mosquitto did not open its ports within {timeout} s; see {self.log_path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def reachable_folder(prefix: str) -> Path:
    """A fresh folder under /tmp that user `mosquitto` can enter, for a private broker's files.

    Mosquitto, started as root, drops to user `mosquitto`, which must reach its password, ACL
    and data files. A checkout may sit where that user cannot pass (a root clone in /root, a
    `mktemp -d` folder, pytest's tmp_path: all 0700), so the broker's files never live there.
    """
    home = Path(tempfile.mkdtemp(prefix=prefix))
    home.chmod(0o755)
    return home


def private_broker_for(config: BranchConfig) -> PrivateBroker:
    """A broker for this branch on free ports, in a fresh folder under /tmp."""
    home = reachable_folder("lobby-broker-")
    return PrivateBroker(with_private_ports(config, home), home / "broker")
