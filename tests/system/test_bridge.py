"""The head-office bridge: the branch's events reach head office, also after the link was down."""

from __future__ import annotations

import shutil
import uuid

import pytest

from lobby.contract import topic_root
from tests.bus_helpers import AgentProcess, RawClient, write_config_for
from tools.private_broker import private_broker_for


@pytest.fixture
def head_office(branch_config):
    """Head office's broker; here another Mosquitto whose ACL lets the branch bridge publish."""
    hq = private_broker_for(branch_config)
    bridge_user = hq.credentials["hq"]["username"]
    acl = hq.directory / "acl"
    acl.write_text(acl.read_text() + f"\nuser {bridge_user}\ntopic readwrite {topic_root(branch_config.branch.id)}#\n")
    shutil.chown(acl, "mosquitto", "mosquitto")
    hq.start()
    yield hq
    hq.stop()
    shutil.rmtree(hq.directory.parent, ignore_errors=True)


@pytest.fixture
def bridged_branch(branch_config, head_office, tmp_path):
    password_file = tmp_path / "hq-password"
    password_file.write_text(head_office.credentials["hq"]["password"] + "\n")
    bridge = branch_config.bridge.model_copy(
        update={
            "enabled": True, "address": "127.0.0.1", "port": head_office.config.mqtt.port,
            "username": head_office.credentials["hq"]["username"], "password_file": password_file, "tls": False,
        }
    )
    branch = private_broker_for(branch_config.model_copy(update={"bridge": bridge}))
    branch.start()
    yield branch
    branch.stop()
    shutil.rmtree(branch.directory.parent, ignore_errors=True)


def test_events_cross_the_bridge_and_wait_out_an_outage(bridged_branch, head_office, branch_toml):
    conf = (bridged_branch.directory / "mosquitto.conf").read_text()
    root = topic_root("sh-lujiazui-01")
    assert "cleansession false" in conf and f"topic {root}events/# out 1" in conf and f"topic {root}request/# in 1" in conf
    # Requests (PINs, phone numbers on their way to the agent) and other clients' answers stay in the branch.
    assert f"topic {root}# out" not in conf and f"topic {root}response/hq/# out 1" in conf
    agent = AgentProcess(write_config_for(bridged_branch, branch_toml))
    agent.start()
    try:
        # Head office's client names its answers under response/hq/, the ones the bridge carries.
        office = RawClient(head_office.config, head_office.credentials["hq"], persistent=True,
                           answers=f"response/hq/office-{uuid.uuid4().hex[:8]}/")
        office.subscribe("events/arrival")
        snoop = RawClient(head_office.config, head_office.credentials["hq"])
        snoop.subscribe("request/#", "response/#")
        kiosk = RawClient(bridged_branch.config, bridged_branch.credentials["kiosk"])
        kiosk.subscribe("agent/state")
        kiosk.wait_for(lambda m: any(t == "agent/state" and p.get("state") == "online" for t, p, _ in m), timeout=15)

        def ticket() -> str:
            transaction = uuid.uuid4().hex
            kiosk.publish("request/ticket", {"transaction": transaction, "service": "cash"})
            return kiosk.response("ticket", transaction)["data"]["ticket"]

        first = ticket()
        office.wait_for(lambda m: [p["ticket"] for t, p, _ in m] == [first], timeout=20)

        head_office.stop()  # the WAN link is down: the branch carries on
        during = [ticket() for _ in range(3)]
        head_office.start()
        office.wait_for(lambda m: len({p["ticket"] for t, p, _ in m}) == 4, timeout=60)
        assert sorted({p["ticket"] for p in office.on("events/arrival")}) == sorted([first, *during])
        assert [p["seq"] for p in office.on("events/arrival")][:1] == [1]

        # Head office asks the branch across the bridge (MQTT 5: the response topic survives
        # it) and gets the answer on its own broker: here, the events after the first.
        office.publish("request/replay", {"transaction": (t := uuid.uuid4().hex), "after_seq": 1})
        replayed = office.response("replay", t, timeout=20)["data"]
        assert [e["payload"]["ticket"] for e in replayed["events"]] == during
        # The kiosk's requests and answers never left the branch; head office's own answer did.
        assert {t.split("/")[0] + "/" + t.split("/")[1] for t, _, _ in snoop.messages} <= {"request/replay", "response/hq"}
        snoop.close()
        office.close()
        kiosk.close()
    finally:
        agent.stop()
