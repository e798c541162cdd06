"""A virtual ESC/POS ticket printer on a real pseudo-terminal, in the spirit of OctoPrint's.

It speaks the real protocol: it decodes what it is sent, answers DLE EOT like firmware,
renders each cut ticket to a PNG, and consumes bytes at its baud rate like a UART. Faults
are switched on from tests or by a technician while the agent runs (`edge-agent devices
virtual paper_out`): paper near end, paper out, cover open, cutter error, garbage replies,
stalled (stops reading, so writes time out), unplugged (the pty and its link disappear)
and replugged (a new pty behind the same link, as /dev/serial/by-id does for USB).
The agent opens `<dir>/port` like any serial port and cannot tell the difference.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import threading
import time
import tty
from pathlib import Path

from edge_agent.devices.escpos_decoder import Cut, EscPosDecoder, StatusRequest, TextLine, Unknown
from edge_agent.devices.printer_status import encode_status
from edge_agent.devices.ticket_render import render_ticket

log = logging.getLogger(__name__)

FAULTS = ("near_end", "paper_out", "cover_open", "cutter_error", "garbage")
COMMANDS = (*FAULTS, "ok", "stall", "unstall", "unplug", "replug", "status")


class VirtualPrinter:
    def __init__(self, directory: Path, baudrate: int | None = None):
        self.directory = Path(directory)
        self.link = self.directory / "port"
        self.control_path = self.directory / "control.sock"
        self.baudrate = baudrate  # None: read as fast as possible
        self.faults = {name: False for name in FAULTS}
        self.stalled = False
        self.tickets: list[Path] = []
        self.received = 0
        self.last_byte_at = 0.0
        self._elements: list = []
        self._decoder = EscPosDecoder()
        self._master: int | None = None
        self._slave: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.ticket_printed = threading.Condition()

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.plug()
        # Bound before start() returns, so a control command right after start finds it.
        self.control_path.unlink(missing_ok=True)
        self._control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._control.bind(str(self.control_path))
        self._control.listen(2)
        self._control.settimeout(0.2)
        for target in (self._serve_port, self._serve_control):
            thread = threading.Thread(target=target, name=f"virtual-printer-{target.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self.link

    def stop(self) -> None:
        self._stop.set()
        self.unplug()
        for thread in self._threads:
            thread.join(2)
        self.control_path.unlink(missing_ok=True)

    def plug(self) -> None:
        with self._lock:
            if self._master is not None:
                return
            master, slave = os.openpty()
            tty.setraw(slave)  # no echo, no line editing: a serial line, not a terminal
            self._master, self._slave = master, slave
            self._decoder = EscPosDecoder()
            self._elements = []
            tmp = self.link.with_suffix(".new")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(os.ttyname(slave))
            tmp.replace(self.link)

    def unplug(self) -> None:
        with self._lock:
            self.link.unlink(missing_ok=True)
            for fd in (self._master, self._slave):
                if fd is not None:
                    os.close(fd)
            self._master = self._slave = None

    # ---- faults ----------------------------------------------------------------------------

    def command(self, word: str) -> str:
        """Apply a control word; returns the printer's condition in words."""
        if word in FAULTS:
            self.faults[word] = True
        elif word == "ok":
            self.faults = {name: False for name in FAULTS}
            self.stalled = False
        elif word == "stall":
            self.stalled = True
        elif word == "unstall":
            self.stalled = False
        elif word == "unplug":
            self.unplug()
        elif word == "replug":
            self.plug()
        elif word != "status":
            return f"unknown command '{word}'; commands: {', '.join(COMMANDS)}"
        on = [name for name, value in self.faults.items() if value]
        state = "unplugged" if self._master is None else "stalled" if self.stalled else "running"
        return f"{state}; faults: {', '.join(on) or 'none'}; tickets printed: {len(self.tickets)}"

    def status_bytes(self) -> bytes:
        f = self.faults
        return encode_status(
            cover_open=f["cover_open"], paper_out=f["paper_out"], near_end=f["near_end"], cutter_error=f["cutter_error"]
        )

    # ---- the port --------------------------------------------------------------------------

    def _serve_port(self) -> None:
        chunk = max(1, (self.baudrate or 1_000_000) // 100)  # 10 ms worth of line time
        while not self._stop.is_set():
            master = self._master
            if master is None or self.stalled:
                time.sleep(0.02)
                continue
            try:
                ready, _, _ = select.select([master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(master, chunk)
            except OSError:
                time.sleep(0.02)  # unplugged under our feet, or nobody has the port open
                continue
            if not data:
                continue
            if self.baudrate:
                time.sleep(len(data) * 10 / self.baudrate)  # a UART takes 10 bits per byte to receive
            self.received += len(data)
            self.last_byte_at = time.monotonic()
            self._consume(data, master)

    def _consume(self, data: bytes, master: int) -> None:
        for element in self._decoder.feed(data):
            if isinstance(element, StatusRequest):
                reply = os.urandom(1) if self.faults["garbage"] else self.status_bytes()[element.n - 1 : element.n]
                try:
                    os.write(master, reply)
                except OSError:
                    pass
            elif isinstance(element, Unknown):
                log.debug("virtual printer ignored %s", element.data.hex(" "))
            elif isinstance(element, Cut):
                self._elements.append(element)
                self._finish_ticket()
            else:
                self._elements.append(element)

    def _finish_ticket(self) -> None:
        number = len(self.tickets) + 1
        label = next((e.text for e in self._elements if isinstance(e, TextLine) and e.width >= 3), "ticket")
        path = render_ticket(self._elements, self.directory / f"ticket-{number:04d}-{label}.png")
        self._elements = []
        with self.ticket_printed:
            self.tickets.append(path)
            self.ticket_printed.notify_all()

    def wait_for_tickets(self, count: int, timeout: float = 5) -> bool:
        with self.ticket_printed:
            return self.ticket_printed.wait_for(lambda: len(self.tickets) >= count, timeout)

    # ---- control socket (for technicians and the demo) -----------------------------------

    def _serve_control(self) -> None:
        with self._control as server:
            while not self._stop.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                with conn:
                    word = conn.recv(64).decode("ascii", errors="replace").strip()
                    conn.sendall(self.command(word).encode() + b"\n")


def control(directory: Path, word: str, timeout: float = 3) -> str:
    """Send a control word to a running virtual printer (`edge-agent devices virtual WORD`)."""
    path = Path(directory) / "control.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            raise ConnectionError(f"no virtual printer is running with its folder at {directory}") from None
        sock.sendall(word.encode("ascii") + b"\n")
        return sock.recv(256).decode().strip()
