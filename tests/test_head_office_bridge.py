"""Two real branches, each its agent and its Mosquitto bridged to head office's broker; an
ingester writes what crosses into PostgreSQL. The link goes down while the branches keep
issuing tickets; when it is back, every event is in head office's database once."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lobby.config import load_config
from tests.bus_helpers import AgentProcess, RawClient, write_config_for
from tests.conftest import EXAMPLE_CONFIG
from tools.hq_rig import HeadOfficeBroker, Ingesters, count, wait_for
from tools.private_broker import private_broker_for

BRANCHES = ("sh-lujiazui-01", "sz-nanshan-02")


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


@pytest.fixture
def two_branches(tmp_path) -> Iterator[tuple[HeadOfficeBroker, list[Branch]]]:
    hq = HeadOfficeBroker(BRANCHES)
    hq.start()
    branches: list[Branch] = []
    try:
        for name in BRANCHES:
            branches.append(Branch(name, tmp_path / name, hq))
        yield hq, branches
    finally:
        for branch in branches:
            branch.close()
        hq.stop()


def test_events_from_two_bridged_branches_land_once_across_an_outage(two_branches, database, tmp_path):
    hq, branches = two_branches
    ingesters = Ingesters(hq.write_ingest_config(tmp_path, database), tmp_path)
    ingesters.start("i1")
    try:
        arrivals = "SELECT COUNT(*) FROM events WHERE topic = 'events/arrival'"
        wait_for(lambda: count(database, "SELECT COUNT(*) FROM schema_version") == 1, 20, "the ingester's schema")
        issued = {branch.broker.config.branch.id: [branch.ticket() for _ in range(2)] for branch in branches}
        wait_for(lambda: count(database, arrivals) == 4, 30, "the first tickets at head office")

        hq.halt()  # the link to head office is down: the branches carry on
        for branch in branches:
            issued[branch.broker.config.branch.id] += [branch.ticket() for _ in range(3)]
        hq.start()
        wait_for(lambda: count(database, arrivals) == 10, 90, "the tickets issued during the outage")

        with psycopg.connect(database) as conn:
            rows = conn.execute(
                "SELECT branch, payload->>'ticket' FROM events WHERE topic = 'events/arrival' ORDER BY branch, (payload->>'seq')::int"
            ).fetchall()
            agents = conn.execute("SELECT branch FROM branch_state WHERE kind = 'agent' ORDER BY branch").fetchall()
        assert {b: [t for branch, t in rows if branch == b] for b in BRANCHES} == issued
        assert count(database, "SELECT COUNT(*) FROM events") == count(database, "SELECT COUNT(DISTINCT event_id) FROM events")
        assert [a for (a,) in agents] == sorted(BRANCHES)  # each agent's state reached head office too
        assert "Traceback" not in ingesters.log("i1")
    finally:
        ingesters.stop_all()
