"""The virtual printer as firmware: seen from a plain serial port, without the agent's driver."""

from __future__ import annotations

import os
import shutil
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import serial

from edge_agent.devices.printer.escpos_decoder import Cut, NvLogo, RasterImage, TextLine
from edge_agent.devices.printer.status import STATUS_QUERY, encode_status
from edge_agent.devices.printer.ticket_layout import PrinterProfile, TicketPrintJob, build_ticket
from edge_agent.devices.virtual.printer import (
    VirtualPrinter,
    VirtualPrinterNotRunning,
    start_virtual_printer,
    virtual_printer_control,
)
from lobby.device_settings import PrinterSettings

JOB = TicketPrintJob(
    "测试支行", "个人现金", "Cash", "A007", 2, 3, 9, datetime(2026, 11, 23, 9, 5, tzinfo=ZoneInfo("Asia/Shanghai")), "20261123-A007"
)


@pytest.fixture
def virtual(tmp_path):
    printer = VirtualPrinter(tmp_path / "vp")
    printer.start()
    yield printer
    printer.stop()


def open_port(path) -> serial.Serial:
    return serial.Serial(str(path), 38400, timeout=0.3, write_timeout=1)


@pytest.mark.parametrize(
    "fault, reply",
    [
        ("ok", encode_status()),
        ("near_end", encode_status(near_end=True)),
        ("paper_out", encode_status(paper_out=True)),
        ("cover_open", encode_status(cover_open=True)),
        ("cutter_error", encode_status(cutter_error=True)),
        ("unrecoverable", encode_status(unrecoverable=True)),
        ("offline", encode_status(offline=True)),
        ("no_answer", b""),
        ("garbage", b"\xff\x00\x80\x41"),
    ],
)
def test_answers_dle_eot_like_firmware(virtual, fault, reply):
    virtual.command(fault)
    with open_port(virtual.link) as port:
        port.write(STATUS_QUERY)
        assert port.read(4) == reply


def test_paper_out_answers_the_documented_bits(virtual):
    virtual.command("paper_out")
    with open_port(virtual.link) as port:
        port.write(b"\x10\x04\x04")
        assert port.read(1)[0] & 0x6C == 0x6C  # DLE EOT 4: near end (bits 2, 3) and end (bits 5, 6)


def test_ticket_received_while_stopped_prints_after_the_fault_is_cleared(virtual):
    virtual.command("cover_open")
    with open_port(virtual.link) as port:
        port.write(build_ticket(JOB, PrinterProfile.from_settings(PrinterSettings())))
        port.flush()
    time.sleep(0.3)
    assert virtual.tickets == []  # like a real printer: kept in its buffer while the cover is open
    virtual.command("ok")
    assert virtual.wait_for_tickets(1)
    assert "A007" in [e.text for e in virtual.printed[0] if isinstance(e, TextLine)]


def test_unplug_removes_the_port_and_replug_brings_a_new_one(virtual):
    first = os.path.realpath(virtual.link)
    port = open_port(virtual.link)
    assert virtual.command("unplug").startswith("unplugged")
    assert not virtual.link.exists()
    with pytest.raises(serial.SerialException):
        port.write(b"x" * 10)
        port.read(1)
    port.close()
    virtual.command("replug")
    assert virtual.link.is_symlink() and os.path.exists(virtual.link)
    with open_port(virtual.link) as port:
        port.write(STATUS_QUERY)
        assert port.read(4) == encode_status()
    assert os.path.realpath(virtual.link).startswith("/dev/pts/") and first.startswith("/dev/pts/")


def test_stall_stops_reading(virtual):
    virtual.command("stall")
    with open_port(virtual.link) as port:
        port.write(STATUS_QUERY)
        assert port.read(4) == b""
        virtual.command("unstall")
        assert port.read(4) == encode_status()  # the query waited in the line and is answered now


def test_58mm_printer_without_cutter_or_native_qr(tmp_path, artifacts_root):
    settings = PrinterSettings(profile="ZJ-5870", virtual_dir=tmp_path / "zj", logo_nv_key="LG")
    virtual, path = start_virtual_printer(settings)
    try:
        assert path == settings.virtual_dir / "port" and virtual.paper_dots == 384
        with open_port(path) as port:
            port.write(build_ticket(JOB, PrinterProfile.from_settings(settings), logo_nv_key="LG"))
            port.flush()
        assert virtual.wait_for_tickets(1)  # no cut: the ticket ends with the feed and quiet
        printed = virtual.printed[0]
        assert printed[0] == NvLogo("LG") and any(isinstance(e, RasterImage) for e in printed)
        assert not any(isinstance(e, Cut) for e in printed)
        (artifacts_root / "printer").mkdir(parents=True, exist_ok=True)
        shutil.copy(virtual.tickets[0], artifacts_root / "printer" / "ticket-58mm-raster-qr-logo.png")
    finally:
        virtual.stop()


def test_control_socket(virtual, tmp_path):
    assert virtual_printer_control(virtual.directory, "status") == "running; faults: none; tickets printed: 0"
    assert virtual_printer_control(virtual.directory, "near_end").endswith("faults: near_end; tickets printed: 0")
    assert virtual_printer_control(virtual.directory, "stall").startswith("stalled")
    with pytest.raises(VirtualPrinterNotRunning, match="no virtual printer is running"):
        virtual_printer_control(tmp_path / "elsewhere", "status")
