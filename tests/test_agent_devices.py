"""The agent with its devices: a paper-out ticket is still issued, the kiosk is told, staff see why."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

from lobby.config import load_config
from tests.bus_helpers import AgentProcess, RawClient, write_config_for


def test_printer_failure_is_reported_and_the_branch_goes_on(broker, branch_toml, branch_config):
    toml = write_config_for(broker, branch_toml)
    agent = AgentProcess(toml)
    agent.start()
    try:
        kiosk = RawClient(broker.config, broker.credentials["kiosk"])
        kiosk.subscribe("response/ticket", "devices/+/state", "agent/state")
        kiosk.wait_for(lambda m: any(t == "agent/state" and p.get("state") == "online" for t, p, _ in m), timeout=20)
        kiosk.wait_for(lambda m: any(t == "devices/printer-1/state" and p["status"] == "ok" for t, p, _ in m), timeout=20)

        def ticket() -> dict:
            transaction = uuid.uuid4().hex
            kiosk.publish("request/ticket", {"transaction": transaction, "service": "cash", "lang": "zh"})
            return kiosk.response("ticket", transaction)

        first = ticket()["data"]
        assert first["printed"] is True and first["printer"]["status"] == "ok"

        technician = subprocess.run(
            [sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "devices", "virtual", "paper_out"],
            capture_output=True, text=True, timeout=30,
        )
        assert technician.returncode == 0 and "paper_out" in technician.stdout
        second = ticket()
        assert second["status"] == "ok"  # the ticket exists: the kiosk shows its number
        assert second["data"]["ticket"] == "A002" and second["data"]["printed"] is False
        assert second["data"]["printer"] == {
            "status": "paper_out", "message_zh": "打印机缺纸，工作人员已收到通知", "message_en": "The printer is out of paper; staff have been told",
        }
        kiosk.wait_for(lambda m: any(t == "devices/printer-1/state" and p["status"] == "paper_out" for t, p, _ in m))
        state = [p for t, p, _ in kiosk.messages if t == "devices/printer-1/state"][-1]
        assert state["kind"] == "printer" and "load a new roll" in state["detail"]

        subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "devices", "virtual", "ok"], check=True, timeout=30)
        assert ticket()["data"]["printed"] is True

        teller = RawClient(broker.config, broker.credentials["teller"])
        teller.subscribe("response/#")
        teller.publish("request/counter_open", {"transaction": (t1 := uuid.uuid4().hex), "counter": "1"})
        teller.response("counter_open", t1)
        teller.publish("request/call_next", {"transaction": (t2 := uuid.uuid4().hex), "counter": "1"})
        assert teller.response("call_next", t2)["data"]["ticket"] == "A001"

        config = load_config(toml)
        printed = sorted(p.name for p in config.printer.virtual_dir.glob("ticket-*.png"))
        assert printed == ["ticket-0001-A001.png", "ticket-0002-A003.png"]  # A002 never came out
        deadline = time.monotonic() + 15
        while not list(config.voice.out_dir.glob("announcement-*-A001-1.wav")):
            assert time.monotonic() < deadline, "the call to A001 was not announced"
            time.sleep(0.1)
        kiosk.close()
        teller.close()
    finally:
        agent.stop()
    assert "Traceback" not in agent.log()


def test_a_retry_while_the_ticket_prints_gets_the_printed_answer(broker, branch_toml):
    """The kiosk repeats its request when the answer is slow; it must not get `printed: null`."""
    toml = write_config_for(broker, branch_toml)
    agent = AgentProcess(toml)
    agent.start()
    try:
        kiosk = RawClient(broker.config, broker.credentials["kiosk"])
        kiosk.subscribe("response/ticket", "devices/+/state")
        kiosk.wait_for(lambda m: any(t == "devices/printer-1/state" and p["status"] == "ok" for t, p, _ in m), timeout=20)
        # A printer that stops reading makes the print slow (its status answer never comes).
        subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "devices", "virtual", "stall"], check=True, timeout=30)
        transaction = uuid.uuid4().hex
        request = {"transaction": transaction, "service": "cash", "lang": "zh"}
        kiosk.publish("request/ticket", request)
        time.sleep(0.05)
        kiosk.publish("request/ticket", request)  # the kiosk's one retry, same transaction
        answer = kiosk.response("ticket", transaction, timeout=20)
        time.sleep(1.0)  # room for a second, wrong answer to arrive
        answers = [p for t, p, _ in kiosk.messages if t == "response/ticket" and p.get("transaction") == transaction]
        assert len(answers) == 1
        assert answer["data"]["ticket"] == "A001" and answer["data"]["printed"] is False
        assert answer["data"]["printer"]["status"] != "ok"
        subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "devices", "virtual", "unstall"], check=True, timeout=30)
        kiosk.close()
    finally:
        agent.stop()
    assert "repeated while its ticket prints" in agent.log()
