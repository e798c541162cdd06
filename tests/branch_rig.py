"""A real branch for head office's tests: its own broker, bridged to head office's, and its agent."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from lobby.config import load_config
from tests.bus_helpers import AgentProcess, RawClient, write_config_for
from tests.conftest import EXAMPLE_CONFIG
from tools.hq_rig import HeadOfficeBroker
from tools.private_broker import private_broker_for


def branch_toml(branch: str, folder: Path, edits: dict[str, str] | None = None) -> Path:
    """The example branch as `branch`, in `folder`; `edits`: more text replacements."""
    folder.mkdir()
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace('id = "sh-lujiazui-01"', f'id = "{branch}"')
    for old, new in (edits or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    text = text.replace("tickets_outside_hours = false", "tickets_outside_hours = true").replace("/var/lib/lobby", str(folder))
    text = text.replace('credentials_file = "/etc/lobby/broker/credentials.json"', f'credentials_file = "{folder / "broker" / "credentials.json"}"')
    path = folder / "branch.toml"
    path.write_text(text, encoding="utf-8")
    return path


class Branch:
    """One branch: its broker, bridged to head office as `branch-<id>`, and its agent."""

    def __init__(self, branch: str, folder: Path, hq: HeadOfficeBroker, edits: dict[str, str] | None = None):
        toml = branch_toml(branch, folder, edits)
        password_file = folder / "hq-password"
        password_file.write_text(hq.passwords[f"branch-{branch}"] + "\n")
        config = load_config(toml)
        bridge = config.bridge.model_copy(
            update={"enabled": True, "address": "127.0.0.1", "port": hq.port, "username": f"branch-{branch}",
                    "password_file": password_file, "tls": False}
        )
        self.broker = private_broker_for(config.model_copy(update={"bridge": bridge}))
        self.broker.start()
        self.config_path = write_config_for(self.broker, toml)  # the branch's file, with its broker's port and users
        self.agent = AgentProcess(self.config_path)
        self.agent.start()
        self.kiosk = RawClient(self.broker.config, self.broker.credentials["kiosk"])
        self.kiosk.subscribe("agent/state")
        self.kiosk.wait_for(lambda m: any(t == "agent/state" and p.get("state") == "online" for t, p, _ in m), timeout=20)

    def ticket(self) -> str:
        return self.ticket_answer()["ticket"]

    def ticket_answer(self, service: str = "cash") -> dict:
        transaction = uuid.uuid4().hex
        self.kiosk.publish("request/ticket", {"transaction": transaction, "service": service})
        return self.kiosk.response("ticket", transaction)["data"]

    def close(self) -> None:
        self.kiosk.close()
        self.agent.stop()
        self.broker.stop()
        shutil.rmtree(self.broker.directory.parent, ignore_errors=True)
