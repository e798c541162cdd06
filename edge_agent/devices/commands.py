"""What a technician runs at the box: `edge-agent devices list|check|test-print|display-test`.

Each function takes settings objects and returns the text to print. `check_devices` also
says whether everything is fine; the others raise DeviceCommandError, whose message is the
text to print, when the device did not do what was asked (the CLI then exits 1).
Real ports are opened exclusively, so while the agent runs it holds them: stop the agent
first, or read `devices/<id>/state`. A virtual printer is asked over its control socket.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from serial.tools import list_ports as serial_ports

from edge_agent.devices.display.counter_display import CounterDisplay
from edge_agent.devices.printer.ticket_layout import TicketPrintJob
from edge_agent.devices.printer.ticket_printer import TicketPrinter
from edge_agent.devices.virtual.printer import STOPPING_FAULTS, VirtualPrinterNotRunning, start_virtual_printer, virtual_printer_control
from lobby.contract import DeviceStatus
from lobby.device_settings import VIRTUAL, CounterDisplaySettings, PrinterSettings

BY_ID = Path("/dev/serial/by-id")


class DeviceCommandError(Exception):
    """The device did not do what was asked; the message says why, for the technician."""


def _who(device: PrinterSettings | CounterDisplaySettings) -> str:
    return f"ticket printer {device.id}" if isinstance(device, PrinterSettings) else f"display of counter {device.counter}"


def _unstable_name_tip(port: str) -> str:
    if port.startswith("/dev/tty") and BY_ID.exists():
        stable = [str(p) for p in BY_ID.iterdir() if os.path.realpath(p) == os.path.realpath(port)]
        if stable:
            return f"\n    tip: write {stable[0]} instead of {port}: ttyUSB numbers change when adapters are re-plugged"
    return ""


def list_ports(config_devices: Sequence[PrinterSettings | CounterDisplaySettings]) -> str:
    """Serial ports with VID:PID, serial number and stable name, and which configured device uses which."""
    by_id = {os.path.realpath(p): str(p) for p in BY_ID.iterdir()} if BY_ID.exists() else {}
    users: dict[str, list[str]] = {}
    for device in config_devices:
        if device.port != VIRTUAL:
            users.setdefault(os.path.realpath(device.port), []).append(_who(device))
    lines, listed = [], set()
    for port in sorted(serial_ports.comports(), key=lambda p: p.device):
        real = os.path.realpath(port.device)
        listed.add(real)
        ids = f"VID:PID {port.vid:04x}:{port.pid:04x}" if port.vid is not None else "no USB ids"
        serial_number = f", serial number {port.serial_number}" if port.serial_number else ""
        user = ", ".join(users.get(real, [])) or "not used by this branch"
        lines.append(f"{port.device}: {port.description} ({ids}{serial_number}) — {user}")
        if real in by_id:
            lines.append(f"    stable name: {by_id[real]}")
    if not lines:
        lines.append("no serial ports found (is the USB adapter plugged in? `dmesg | tail` shows what the kernel saw)")
    for device in config_devices:
        if device.port == VIRTUAL:
            lines.append(f"{_who(device)}: virtual (runs inside the agent)")
        elif os.path.realpath(device.port) not in listed:
            where = (
                "present, but not a USB serial adapter (a built-in UART or a pseudo-terminal)"
                if os.path.exists(device.port) else "MISSING: check the cable and the name"
            )
            lines.append(f"{_who(device)} is configured on {device.port}: {where}")
    return "\n".join(lines)


def _check_virtual_printer(settings: PrinterSettings) -> tuple[bool, str]:
    try:
        answer = virtual_printer_control(settings.virtual_dir, "status")
    except VirtualPrinterNotRunning as exc:
        return False, f"ticket printer {settings.id}: virtual; {exc}"
    # The answer reads "running; faults: paper_out, ...; tickets printed: N".
    faults = answer.split("faults: ", 1)[-1].split(";", 1)[0].split(", ")
    ok = answer.startswith("running") and not set(faults) & set(STOPPING_FAULTS)
    return ok, f"ticket printer {settings.id}: virtual, {answer}"


def check_devices(printer_settings: PrinterSettings, display_settings: Sequence[CounterDisplaySettings]) -> tuple[bool, str]:
    """Open each configured device and say how it is, in words. (all fine?, report)"""
    if printer_settings.port == VIRTUAL:
        ok, line = _check_virtual_printer(printer_settings)
        lines = [line]
    else:
        printer = TicketPrinter(printer_settings)
        printer.transport.start()  # opens the port and asks the printer's status
        state = printer.state_payload()
        printer.transport.stop()
        ok = DeviceStatus(state["status"]).working
        lines = [
            f"ticket printer {printer_settings.id} on {printer_settings.port}: {state['status']} — {state['detail']}"
            + _unstable_name_tip(printer_settings.port)
        ]
    for settings in display_settings:
        if settings.port == VIRTUAL:
            lines.append(f"display of counter {settings.counter}: virtual (drawn by the running agent)")
            continue
        display = CounterDisplay(settings)
        display.transport.start()  # opens the port and initialises the display
        state = display.state_payload()
        display.transport.stop()
        ok &= state["status"] == "ok"
        lines.append(
            f"display of counter {settings.counter} on {settings.port}: {state['status']} — {state['detail']}"
            + _unstable_name_tip(settings.port)
        )
    return ok, "\n".join(lines)


def _test_job(branch_name: str) -> TicketPrintJob:
    now = datetime.now().astimezone()
    return TicketPrintJob(
        branch_name=branch_name, service_zh="测试打印", service_en="Test print", label="T000", ahead=0,
        wait_low_min=None, wait_high_min=None, issued_at=now, qr_text=f"test-{now:%Y%m%d%H%M%S}",
        vip_line="全角数字１２３，标点：“测试”！",
        courtesy_zh="中文、二维码、切纸都正常，即可使用。", courtesy_en="Chinese, QR code and cut all right: ready for customers.",
    )


def test_print(printer_settings: PrinterSettings, branch_name: str) -> str:
    """Print a test ticket: Chinese, full-width digits and punctuation, the QR code, the cut."""
    if printer_settings.port == VIRTUAL:
        return _test_print_virtual(printer_settings, branch_name)
    printer = TicketPrinter(printer_settings)
    printer.transport.start()
    try:
        outcome = printer.print_ticket(_test_job(branch_name))
    finally:
        printer.transport.stop()
    if not outcome.printed:
        raise DeviceCommandError(f"ticket printer {printer_settings.id}: not printed — {outcome.detail}")
    return (
        f"ticket printer {printer_settings.id}: printed a test ticket ({outcome.bytes_sent} bytes); check that the Chinese "
        "text, the full-width digits １２３, the QR code and the cut look right"
    )


def _test_print_virtual(settings: PrinterSettings, branch_name: str) -> str:
    try:
        virtual_printer_control(settings.virtual_dir, "status")
    except VirtualPrinterNotRunning:
        pass
    else:
        raise DeviceCommandError(
            f"the agent is running and owns the virtual printer; its tickets are PNGs in {settings.virtual_dir}"
        )
    home = Path(tempfile.mkdtemp(prefix="lobby-test-print-"))
    virtual, port = start_virtual_printer(settings.model_copy(update={"virtual_dir": home}))
    printer = TicketPrinter(settings, str(port))
    printer.transport.start()
    try:
        outcome = printer.print_ticket(_test_job(branch_name))
        drawn = virtual.wait_for_tickets(1, timeout=10)
    finally:
        printer.transport.stop()
        virtual.stop()
    if not (outcome.printed and drawn):
        raise DeviceCommandError(f"virtual printer: not printed — {outcome.detail}")
    return f"virtual printer: test ticket ({outcome.bytes_sent} bytes) drawn to {virtual.tickets[0]}"


test_print.__test__ = False  # type: ignore[attr-defined]  # a technician's command, not a pytest test, wherever it is imported


def display_test(display_settings: Sequence[CounterDisplaySettings]) -> str:
    """Test text on every configured counter display."""
    if not display_settings:
        raise DeviceCommandError("no [[displays]] are configured")
    lines, failed = [], False
    for settings in display_settings:
        if settings.port == VIRTUAL:
            lines.append(f"counter {settings.counter}: virtual display (drawn by the running agent)")
            continue
        display = CounterDisplay(settings)
        display.start()
        display.show(f"{settings.counter}号窗口 测试", f"Counter {settings.counter} test")
        shown = display.wait_idle(5)
        detail = display.state_payload()["detail"]
        display.stop()
        failed |= not shown
        lines.append(
            f"counter {settings.counter}: test text sent; check both lines on the display" if shown
            else f"counter {settings.counter}: FAILED — {detail}"
        )
    if failed:
        raise DeviceCommandError("\n".join(lines))
    return "\n".join(lines)
