"""The ticket printer against the virtual printer over real pseudo-terminals: every fault."""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from edge_agent.devices.printer.escpos_decoder import Cut, QrCode, TextLine
from edge_agent.devices.printer.ticket_layout import TicketPrintJob
from edge_agent.devices.printer.ticket_printer import TicketPrinter
from edge_agent.devices.virtual.printer import VirtualPrinter, start_virtual_printer, virtual_printer_control
from lobby.contract import DeviceLink, DeviceStatus
from lobby.device_settings import PrinterSettings

JOB = TicketPrintJob(
    branch_name="浦东陆家嘴支行", branch_name_en="Lujiazui Sub-branch", service_zh="理财贵宾", service_en="Wealth & Premier",
    label="V012", ahead=3, wait_low_min=4, wait_high_min=11,
    issued_at=datetime(2026, 11, 23, 10, 12, tzinfo=ZoneInfo("Asia/Shanghai")), qr_text="20261123-V012",
    vip_line="王先生，您的客户经理已收到通知",
)
STATUS_TIMEOUT_S = 0.3


@pytest.fixture
def artifacts(artifacts_root):
    target = artifacts_root / "printer"
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def virtual(tmp_path):
    printer = VirtualPrinter(tmp_path / "vp", paper_dots=512, baudrate=115200)
    printer.start()
    yield printer
    printer.stop()


class Published:
    """What the agent would publish on devices/<id>/state."""

    def __init__(self):
        self.payloads: list[dict] = []

    def __call__(self, device_id: str, payload: dict) -> None:
        assert device_id == "printer-1"
        self.payloads.append(payload)

    def wait_for(self, predicate, timeout: float = 8) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [p for p in list(self.payloads) if predicate(p)]
            if found:
                return found[-1]
            time.sleep(0.02)
        raise AssertionError(f"not published within {timeout} s; published: {self.payloads}")


@pytest.fixture
def printer(virtual):
    driver = TicketPrinter(
        PrinterSettings(port=str(virtual.link), baudrate=115200, status_timeout_s=STATUS_TIMEOUT_S, write_timeout_s=0.5)
    )
    driver.published = Published()
    driver.add_listener(driver.published)
    driver.start()
    yield driver
    driver.stop()


def texts(elements) -> list[str]:
    return [e.text for e in elements if isinstance(e, TextLine)]


def test_prints_a_chinese_ticket_the_printer_understands_and_draws(printer, virtual, artifacts):
    outcome = printer.print_ticket(JOB)
    assert outcome.printed and outcome.status is DeviceStatus.OK and outcome.bytes_sent < 400
    assert outcome.for_kiosk().model_dump() == {"status": "ok", "message_zh": "打印正常", "message_en": "Printing normally"}
    assert virtual.wait_for_tickets(1)
    received = virtual.printed[0]
    assert texts(received)[:5] == ["浦东陆家嘴支行", "Lujiazui Sub-branch", "理财贵宾", "Wealth & Premier", "V012"]
    assert "王先生，您的客户经理已收到通知" in texts(received) and "预计等候：4～11分钟" in texts(received)
    assert QrCode("20261123-V012", 6, "M") in received and isinstance(received[-1], Cut)
    shutil.copy(virtual.tickets[0], artifacts / "ticket-vip-zh.png")
    assert virtual.tickets[0].stat().st_size > 5000


@pytest.mark.parametrize(
    "fault, condition, words, message_en",
    [
        ("paper_out", DeviceStatus.PAPER_OUT, "out of paper", "The printer is out of paper; staff have been told"),
        ("cover_open", DeviceStatus.COVER_OPEN, "cover is open", "The printer cover is open; staff have been told"),
        ("cutter_error", DeviceStatus.ERROR, "cutter is jammed", "The printer has a fault; staff have been told"),
        ("unrecoverable", DeviceStatus.ERROR, "unrecoverable error", "The printer has a fault; staff have been told"),
        ("offline", DeviceStatus.OFFLINE, "says it is offline", "The printer is not available; staff have been told"),
        ("no_answer", DeviceStatus.OFFLINE, "does not answer", "The printer is not available; staff have been told"),
        ("garbage", DeviceStatus.OFFLINE, "not an ESC/POS status", "The printer is not available; staff have been told"),
    ],
)
def test_faults_stop_printing_with_words(printer, virtual, fault, condition, words, message_en):
    virtual.command(fault)
    started = time.monotonic()
    outcome = printer.print_ticket(JOB)
    assert time.monotonic() - started < 3 * STATUS_TIMEOUT_S + 1
    assert not outcome.printed and outcome.status is condition and words in outcome.detail
    assert outcome.message_en == message_en and outcome.message_zh
    published = printer.published.payloads[-1]
    assert (published["kind"], published["status"], published["connection"]) == ("printer", condition.value, "degraded")
    assert words in published["detail"]
    assert virtual.received <= 24  # status queries only: the ticket was never sent
    virtual.command("ok")
    assert printer.print_ticket(JOB).printed  # refilled / closed / cleared: prints again
    assert printer.published.payloads[-1]["status"] == "ok"
    assert virtual.wait_for_tickets(1) and len(virtual.tickets) == 1


def test_paper_near_end_still_prints(printer, virtual):
    virtual.command("near_end")
    outcome = printer.print_ticket(JOB)
    assert outcome.printed and outcome.status is DeviceStatus.PAPER_NEAR_END
    assert outcome.message_en == "Printing normally"
    published = printer.published.payloads[-1]
    assert published["status"] == "paper_near_end" and published["connection"] == "ready"
    assert "have a new roll ready" in published["detail"]
    assert virtual.wait_for_tickets(1)


def test_refill_shows_without_anyone_printing(printer, virtual):
    virtual.command("paper_out")
    assert printer.status().condition is DeviceStatus.PAPER_OUT
    virtual.command("ok")
    # The worker asks every few seconds while idle.
    assert printer.published.wait_for(lambda p: p["status"] == "ok" and p["connection"] == "ready")


def test_stalled_printer_is_reported_fast_then_recovers(printer, virtual):
    virtual.command("stall")
    started = time.monotonic()
    outcome = printer.print_ticket(JOB)
    assert time.monotonic() - started < STATUS_TIMEOUT_S + 1, "a stalled printer must never hold the agent"
    assert not outcome.printed and outcome.status is DeviceStatus.OFFLINE and "does not answer" in outcome.detail
    assert printer.transport.state is DeviceLink.DEGRADED
    virtual.command("unstall")
    assert printer.print_ticket(JOB).printed
    assert printer.transport.state is DeviceLink.READY


def test_printer_that_hangs_mid_ticket(printer, virtual):
    virtual.stall_after(12 + 40)  # answers the status query, takes 40 bytes of the ticket, then hangs
    started = time.monotonic()
    outcome = printer.print_ticket(JOB)
    assert time.monotonic() - started < 2 * STATUS_TIMEOUT_S + 1
    assert not outcome.printed and outcome.bytes_sent > 300 and "does not answer" in outcome.detail
    virtual.command("unstall")
    assert printer.print_ticket(JOB).printed


def test_unplugged_and_replugged_port_reconnects_without_restart(printer, virtual):
    virtual.command("unplug")
    lost = printer.published.wait_for(lambda p: p["connection"] == "error")
    assert lost["status"] == "offline" and "not connected" in lost["detail"]
    outcome = printer.print_ticket(JOB)
    assert not outcome.printed and outcome.status is DeviceStatus.OFFLINE
    assert outcome.message_en == "The printer is not available; staff have been told"
    virtual.command("replug")
    printer.published.wait_for(lambda p: p["connection"] == "ready" and p is printer.published.payloads[-1])
    assert printer.print_ticket(JOB).printed
    sequence = [(p["connection"], p["status"]) for p in printer.published.payloads]
    assert sequence == [
        ("connecting", "offline"), ("ready", "ok"),  # started
        ("error", "offline"),  # unplugged
        ("connecting", "offline"), ("ready", "ok"),  # plugged back: asked its status, ready
    ]


def test_submit_runs_in_order_on_the_printer_thread(printer, virtual):
    done = threading.Event()
    results: list[tuple[str, bool, str]] = []

    def on_done(label):
        def record(outcome):
            results.append((label, outcome.printed, threading.current_thread().name))
            if len(results) == 3:
                done.set()
        return record

    for label in ("A001", "A002", "A003"):
        printer.submit(replace(JOB, label=label), on_done(label))
    assert done.wait(10)
    assert results == [(label, True, "printer-printer-1") for label in ("A001", "A002", "A003")]


def test_printing_at_9600_baud_waits_for_the_line(tmp_path):
    """At 9600 baud the ticket needs ~0.37 s on the line before the status query behind it arrives."""
    settings = PrinterSettings(virtual_dir=tmp_path / "slow", baudrate=9600, status_timeout_s=STATUS_TIMEOUT_S)
    virtual, port = start_virtual_printer(settings)
    driver = TicketPrinter(settings, str(port))
    driver.start()
    try:
        started = time.monotonic()
        outcome = driver.print_ticket(JOB)
        took = time.monotonic() - started
        assert outcome.printed, outcome.detail
        assert took >= outcome.bytes_sent * 10 / 9600  # the virtual printer takes bytes at the line's pace
        assert virtual.wait_for_tickets(1)
    finally:
        driver.stop()
        virtual.stop()


def test_technician_steers_the_printer_while_the_agent_runs(printer, virtual):
    answer = virtual_printer_control(virtual.directory, "paper_out")
    assert answer == "running; faults: paper_out; tickets printed: 0"
    assert not printer.print_ticket(JOB).printed
    assert virtual_printer_control(virtual.directory, "ok") == "running; faults: none; tickets printed: 0"
    assert printer.print_ticket(JOB).printed
    with pytest.raises(ValueError, match="unknown command 'explode'; commands: near_end"):
        virtual_printer_control(virtual.directory, "explode")


@pytest.mark.parametrize("fault", ["cover_open", "paper_out"])
def test_a_ticket_caught_by_a_fault_never_comes_out_later(printer, virtual, fault):
    """The cover opened (or the roll ran out) while a ticket was on its way: the customer is
    told it did not print and to remember the number. It used to come out when the fault
    cleared, a stale ticket for somebody long gone. The printer is told to drop it."""
    send = printer.transport.write

    def write_then_fault(data: bytes) -> None:
        if len(data) > 100:  # the ticket itself, not a command: the fault strikes right
            virtual.command(fault)  # after the printer said it was ready, so it keeps the ticket
        send(data)

    printer.transport.write = write_then_fault
    outcome = printer.print_ticket(JOB)
    printer.transport.write = send
    assert not outcome.printed and outcome.status.value == fault
    time.sleep(0.5)  # seconds later, someone closes the cover or changes the roll
    virtual.command("ok")
    time.sleep(1.0)
    assert virtual.tickets == []  # nothing came out for the customer who was told otherwise
    assert printer.print_ticket(JOB).printed  # the next customer's ticket prints as ever
    assert virtual.wait_for_tickets(1) and len(virtual.tickets) == 1
