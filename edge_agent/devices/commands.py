"""What a technician runs at the box: `edge-agent devices ...` and `edge-agent voice ...`.

Each function takes the branch configuration and returns (exit code, text to print).
A device in use by the running agent cannot be opened a second time (ports are opened
exclusively): stop the agent first, or use `devices virtual` to steer the virtual printer.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from serial.tools import list_ports

from edge_agent.config import BranchConfig
from edge_agent.devices.counter_display import CounterDisplay
from edge_agent.devices.settings import VIRTUAL
from edge_agent.devices.ticket_layout import TicketPrintJob
from edge_agent.devices.ticket_printer import TicketPrinter
from edge_agent.devices.virtual_printer import COMMANDS, control
from edge_agent.devices.voice import Announcer, VoicePackError, build_default_pack, parse_phrase

BY_ID = Path("/dev/serial/by-id")


def _configured_ports(config: BranchConfig) -> dict[str, str]:
    """Real device path -> which configured device uses it."""
    users = {config.printer.port: f"ticket printer {config.printer.id}"}
    users |= {d.port: f"display of counter {d.counter}" for d in config.displays}
    return {os.path.realpath(port): user for port, user in users.items() if port != VIRTUAL}


def list_devices(config: BranchConfig) -> tuple[int, str]:
    by_id = {os.path.realpath(p): str(p) for p in BY_ID.glob("*")} if BY_ID.exists() else {}
    used = _configured_ports(config)
    lines = []
    for port in sorted(list_ports.comports(), key=lambda p: p.device):
        ids = f"VID:PID {port.vid:04x}:{port.pid:04x}" if port.vid is not None else "no USB ids"
        serial_number = f", serial {port.serial_number}" if port.serial_number else ""
        stable = f"\n    stable name: {by_id[port.device]}" if port.device in by_id else ""
        user = used.get(os.path.realpath(port.device), "not used by this branch")
        lines.append(f"{port.device}: {port.description} ({ids}{serial_number}) — {user}{stable}")
    if not lines:
        lines.append("no serial ports found (is the USB adapter plugged in? `dmesg | tail` shows what the kernel saw)")
    missing = [f"{user} is configured on {path}, which does not exist" for path, user in used.items() if not os.path.exists(path)]
    return (1 if missing else 0), "\n".join(lines + missing)


def check_devices(config: BranchConfig) -> tuple[int, str]:
    if config.printer.port == VIRTUAL:
        return 0, f"ticket printer {config.printer.id}: virtual (its state: `edge-agent devices virtual status`)"
    printer = TicketPrinter(config.printer)
    printer.link.open()
    status = printer.status()
    printer.link.close()
    lines = [f"ticket printer {config.printer.id} on {config.printer.port}: {status.condition.value} — {status.detail}"]
    failed = not status.condition.can_print
    for settings in config.displays:
        if settings.port == VIRTUAL:
            lines.append(f"display of counter {settings.counter}: virtual")
            continue
        display = CounterDisplay(settings)
        opened = display.link.open()
        display.stop()
        lines.append(f"display of counter {settings.counter} on {settings.port}: {'opens' if opened else display.link.detail}")
        failed |= not opened
    return (1 if failed else 0), "\n".join(lines)


def test_print(config: BranchConfig, printer_id: str | None = None) -> tuple[int, str]:
    if printer_id not in (None, config.printer.id):
        return 2, f"no printer '{printer_id}' in this branch; the configured printer is '{config.printer.id}'"
    if config.printer.port == VIRTUAL:
        return 1, "the printer is virtual: the running agent owns it; its tickets are PNGs in " + str(config.printer.virtual_dir)
    printer = TicketPrinter(config.printer)
    printer.link.open()
    now = datetime.now(config.branch.zone)
    job = TicketPrintJob(
        config.branch.name, config.branch.name_en, "测试打印", "Test print", "T000", 0, 1, 2, now, f"test-{now:%Y%m%d%H%M%S}",
        courtesy_zh="打印测试：中文、全角数字１２３、标点，。", courtesy_en="Printer test: if you can read this, it works.",
    )
    outcome = printer.print_ticket(job)
    printer.link.close()
    if outcome.printed:
        return 0, f"printed a test ticket ({outcome.bytes_sent} bytes); check that Chinese, the QR code and the cut look right"
    return 1, f"not printed: {outcome.status.detail}"


def display_test(config: BranchConfig) -> tuple[int, str]:
    if not config.displays:
        return 1, "no [[displays]] configured"
    lines, failed = [], False
    for settings in config.displays:
        if settings.port == VIRTUAL:
            lines.append(f"counter {settings.counter}: virtual display (shown by the running agent)")
            continue
        display = CounterDisplay(settings)
        display.start()
        ok = display.show(f"{settings.counter}号窗口 测试", f"Counter {settings.counter} test")
        display.stop()
        lines.append(f"counter {settings.counter}: {'test text sent: check both lines' if ok else display.link.detail}")
        failed |= not ok
    return (1 if failed else 0), "\n".join(lines)


def virtual(config: BranchConfig, word: str) -> tuple[int, str]:
    if word not in COMMANDS:
        return 2, f"unknown command '{word}'; commands: {', '.join(COMMANDS)}"
    try:
        return 0, control(config.printer.virtual_dir, word)
    except (ConnectionError, OSError) as exc:
        return 1, f"{exc} (start the agent with [printer] port = \"virtual\")"


def voice_say(config: BranchConfig, text: str) -> tuple[int, str]:
    try:
        label, counter = parse_phrase(text)
    except ValueError as exc:
        return 2, str(exc)
    try:
        announcer = Announcer(config.voice)
    except VoicePackError as exc:
        return 1, str(exc)
    announcer.announce_call(label, counter)
    announcer.wait_idle()
    announcer.stop()
    if not announcer.played:
        return 1, "the announcement failed; see the messages above"
    where = "played on the sound card" if announcer.mode == "aplay" else f"written to {announcer.played[-1]}"
    return 0, f"{label} to counter {counter}: {where}"


def voice_build_pack(config: BranchConfig) -> tuple[int, str]:
    try:
        pack = build_default_pack(config.voice.pack_dir)
    except VoicePackError as exc:
        return 1, str(exc)
    return 0, f"default voice pack written to {pack}; replace any clip with a recording in the same WAV format"

