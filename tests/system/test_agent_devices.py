"""The agent with its devices: a paper-out ticket is still issued, the kiosk is told, staff see why."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from lobby.config import load_config
from tests.bus_helpers import AgentProcess, RawClient, write_config_for


def test_printer_failure_is_reported_and_the_branch_goes_on(broker, branch_toml, branch_config):
    toml = write_config_for(broker, branch_toml)
    agent = AgentProcess(toml)
    agent.start()
    try:
        kiosk = RawClient(broker.config, broker.credentials["kiosk"])
        kiosk.subscribe("devices/+/state", "agent/state")
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


@contextmanager
def kiosk_at_a_running_agent(broker, branch_toml):
    """The agent running with its virtual printer ready, and a kiosk client reading answers."""
    toml = write_config_for(broker, branch_toml)
    agent = AgentProcess(toml)
    agent.start()
    kiosk = RawClient(broker.config, broker.credentials["kiosk"])
    try:
        kiosk.subscribe("devices/+/state")
        kiosk.wait_for(lambda m: any(t == "devices/printer-1/state" and p["status"] == "ok" for t, p, _ in m), timeout=20)
        yield toml, agent, kiosk
    finally:
        kiosk.close()
        agent.stop()


def test_a_retry_while_the_ticket_prints_gets_the_printed_answer(broker, branch_toml):
    """The kiosk repeats its request when the answer is slow; it must not get `printed: null`."""
    with kiosk_at_a_running_agent(broker, branch_toml) as (toml, agent, kiosk):
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
    assert "repeated while its ticket prints" in agent.log()


def _children(pid: int) -> dict[int, str]:
    """Child processes of `pid` and their command lines, read from /proc."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue  # a process that ended while we looked
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's parent may be slow to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_virtual_devices_run_in_their_own_process_and_die_with_the_agent(broker, branch_toml):
    """The agent decodes and draws no ticket itself (a real printer's firmware does that):
    the virtual printer is a child process, which a SIGKILLed agent takes with it."""
    with kiosk_at_a_running_agent(broker, branch_toml) as (toml, agent, kiosk):
        rigs = [pid for pid, cmd in _children(agent.process.pid).items() if "edge_agent.devices.virtual.rig" in cmd]
        assert len(rigs) == 1, _children(agent.process.pid)
        transaction = uuid.uuid4().hex
        kiosk.publish("request/ticket", {"transaction": transaction, "service": "cash"})
        assert kiosk.response("ticket", transaction)["data"]["printed"] is True
        printed = load_config(toml).printer.virtual_dir
        deadline = time.monotonic() + 10
        while not list(printed.glob("*.png")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list(printed.glob("*.png")), "the rig drew no ticket"
        agent.kill()
        deadline = time.monotonic() + 10
        while _running(rigs[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(rigs[0]), "the virtual devices outlived a SIGKILLed agent"
