"""The printer driver against the virtual printer over real pseudo-terminals: every fault."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from edge_agent.devices.printer_status import PrinterCondition
from edge_agent.devices.serial_link import LinkState
from edge_agent.devices.settings import PrinterSettings
from edge_agent.devices.ticket_layout import TicketPrintJob
from edge_agent.devices.ticket_printer import TicketPrinter
from edge_agent.devices.virtual_printer import VirtualPrinter, control

JOB = TicketPrintJob(
    "浦东陆家嘴支行", "Lujiazui Sub-branch", "理财贵宾", "Wealth & Premier", "V012", 3, 4, 11,
    datetime(2026, 11, 23, 10, 12, tzinfo=ZoneInfo("Asia/Shanghai")), "20261123-V012",
    vip_line_zh="王先生，您的客户经理已收到通知", vip_line_en="Your relationship manager has been told",
)


@pytest.fixture
def virtual(tmp_path):
    printer = VirtualPrinter(tmp_path / "vp", baudrate=115200)
    printer.start()
    yield printer
    printer.stop()


@pytest.fixture
def printer(virtual):
    driver = TicketPrinter(PrinterSettings(port=str(virtual.link), status_timeout_s=0.3, write_timeout_s=0.5))
    states: list[tuple[str, str]] = []
    driver.link.add_listener(lambda state, detail: states.append((state.value, detail)))
    driver.start()
    driver.states = states
    yield driver
    driver.stop()


def test_prints_a_chinese_ticket_and_renders_it(printer, virtual, artifacts_root):
    outcome = printer.print_ticket(JOB)
    assert outcome.printed and outcome.status.condition is PrinterCondition.OK
    assert virtual.wait_for_tickets(1)
    target = artifacts_root / "printer"
    target.mkdir(exist_ok=True)
    shutil.copy(virtual.tickets[0], target / "ticket-vip-zh.png")
    assert virtual.tickets[0].stat().st_size > 5000


@pytest.mark.parametrize(
    "fault, condition, words",
    [
        ("paper_out", PrinterCondition.PAPER_OUT, "out of paper"),
        ("cover_open", PrinterCondition.COVER_OPEN, "cover is open"),
        ("cutter_error", PrinterCondition.ERROR, "cutter is jammed"),
        ("garbage", PrinterCondition.OFFLINE, "not an ESC/POS status"),
    ],
)
def test_faults_stop_printing_with_words(printer, virtual, fault, condition, words):
    published: list[dict] = []
    printer.add_listener(lambda device, payload: published.append(payload))
    virtual.command(fault)
    outcome = printer.print_ticket(JOB)
    assert not outcome.printed
    assert outcome.status.condition is condition and words in outcome.status.detail
    assert outcome.for_kiosk()["message_zh"] and outcome.for_kiosk()["message_en"]
    assert published[-1]["status"] == condition.value and published[-1]["kind"] == "printer"
    assert virtual.tickets == []
    virtual.command("ok")
    assert printer.print_ticket(JOB).printed  # refilled / closed / cleared: prints again
    assert published[-1]["status"] == "ok"


def test_paper_near_end_still_prints(printer, virtual):
    virtual.command("near_end")
    outcome = printer.print_ticket(JOB)
    assert outcome.printed and outcome.status.condition is PrinterCondition.PAPER_NEAR_END
    assert "nearly used up" in printer.last_status.detail


def test_stalled_printer_times_out_then_recovers(printer, virtual):
    virtual.command("stall")
    time.sleep(0.1)
    started = time.monotonic()
    outcome = printer.print_bytes(b"\x1b@" + b"x" * 300_000)  # more than the pty can buffer
    took = time.monotonic() - started
    assert not outcome.printed and outcome.status.condition is PrinterCondition.OFFLINE
    assert took < 3, "a stalled printer must never hold the agent"
    assert any(state == "degraded" for state, _ in printer.states)
    virtual.command("unstall")
    deadline = time.monotonic() + 5
    while not printer.print_ticket(JOB).printed:
        assert time.monotonic() < deadline, printer.last_status
    assert printer.link.state is LinkState.READY


def test_unplugged_and_replugged_port_reconnects_without_restart(printer, virtual):
    virtual.command("unplug")
    outcome = printer.print_ticket(JOB)
    assert not outcome.printed and outcome.status.condition is PrinterCondition.OFFLINE
    virtual.command("replug")
    deadline = time.monotonic() + 10
    while printer.link.state is not LinkState.READY:
        assert time.monotonic() < deadline, printer.link.detail
        time.sleep(0.05)
    assert printer.print_ticket(JOB).printed
    states = [state for state, _ in printer.states]
    assert "error" in states and states.index("error") < len(states) - 1 - states[::-1].index("ready")


def test_submit_runs_on_the_printer_thread(printer, virtual):
    done = threading.Event()
    results = []
    printer.submit(JOB, lambda outcome: (results.append((outcome, threading.current_thread().name)), done.set()))
    assert done.wait(5)
    assert results[0][0].printed and results[0][1].startswith("printer-")


def test_control_socket_for_technicians(virtual):
    assert control(virtual.directory, "paper_out").startswith("running; faults: paper_out")
    assert "unknown command" in control(virtual.directory, "explode")
    assert control(virtual.directory, "ok").endswith("tickets printed: 0")
