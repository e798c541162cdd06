"""A virtual ESC/POS ticket printer on a real pseudo-terminal, in the spirit of OctoPrint's.

It speaks the real protocol: it decodes what it is sent (ESC/GS/FS commands, GB18030 text,
sizes, QR, cut), answers DLE EOT like firmware, and renders each ticket to a PNG in its
folder. With a baud rate it takes bytes off the line no faster than a UART would (10 bits
per byte); a pty alone does not pace. The agent opens `<virtual_dir>/port` like any serial
port and cannot tell the difference.

Faults, from tests (`command()`) or from a technician while the agent runs
(`virtual_printer_control(virtual_dir, word)`, wired to `edge-agent devices virtual WORD`):
  near_end, paper_out, cover_open, cutter_error, unrecoverable, offline  status bits it reports
  no_answer      it keeps reading but never answers DLE EOT
  garbage        it answers DLE EOT with bytes that are not a status
  stall/unstall  it stops reading: the pty fills up and the writer's writes time out
  unplug/replug  the pty and the link vanish; a new pty appears behind the same link, as
                 /dev/serial/by-id does when a USB adapter is pulled and pushed back
  ok             every fault cleared;  status  the printer's condition in words
Like a real printer, what it receives while stopped (paper out, cover open, an error) is
kept and printed once the fault is cleared, unless it is told to clear its buffers
(DLE DC4 fn=8), which it obeys at once, stopped or not.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import select
import socket
import threading
import time
from pathlib import Path

from edge_agent.devices.printer.escpos_decoder import PRINTED, ClearBuffers, Cut, EscPosDecoder, Feed, StatusRequest, TextLine, Unknown
from edge_agent.devices.printer.status import encode_status
from edge_agent.devices.printer.ticket_layout import PrinterProfile
from edge_agent.devices.printer.ticket_render import render_ticket
from edge_agent.devices.virtual.port import VirtualPort
from lobby.device_settings import PrinterSettings

log = logging.getLogger(__name__)

STATUS_FAULTS = ("near_end", "paper_out", "cover_open", "cutter_error", "unrecoverable", "offline")
REPLY_FAULTS = ("no_answer", "garbage")
FAULTS = STATUS_FAULTS + REPLY_FAULTS
COMMANDS = (*FAULTS, "ok", "stall", "unstall", "unplug", "replug", "status")
STOPPING_FAULTS = ("paper_out", "cover_open", "cutter_error", "unrecoverable", "offline")
PORT_LINK = "port"
CONTROL_SOCKET = "control.sock"
NO_CUTTER_IDLE_S = 0.5  # a printer without a cutter: the ticket ends when the feed is followed by quiet


class VirtualPrinterNotRunning(ConnectionError):
    pass


class VirtualPrinter:
    def __init__(self, directory: Path, *, paper_dots: int = 576, baudrate: int | None = None):
        """`baudrate`: take bytes off the line at that rate, like a UART; None = as fast as they come."""
        self.directory = Path(directory)
        self.link = self.directory / PORT_LINK
        self.control_path = self.directory / CONTROL_SOCKET
        self.paper_dots = paper_dots
        self.baudrate = baudrate
        self.faults = dict.fromkeys(FAULTS, False)
        self.stalled = False
        self.tickets: list[Path] = []  # rendered PNGs, in order
        self.printed: list[list] = []  # the decoded elements of each ticket, in the same order
        self.received = 0  # bytes taken off the line
        self.last_byte_at = 0.0  # time.monotonic() of the last byte taken
        self.last_cut_at = 0.0  # time.monotonic() when the last ticket's cut command was taken
        self._stall_after: int | None = None
        self._decoder = EscPosDecoder()
        self._pending: list = []  # elements of the ticket being printed
        self._held: list[list] = []  # tickets received while stopped
        self.port = VirtualPort(self.link)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._to_render: queue.Queue[list | None] = queue.Queue()
        self._rendered = threading.Condition()
        self._control: socket.socket | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> Path:
        """Create the pty, the link and the control socket; returns the port path to open."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.plug()
        self.control_path.unlink(missing_ok=True)
        self._control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._control.bind(str(self.control_path))
        except OSError as exc:
            self._control.close()
            self.unplug()
            raise OSError(f"the virtual printer cannot open its control socket {self.control_path}: {exc} "
                          "(a unix socket path must stay under 108 characters: choose a shorter virtual_dir)") from None
        self._control.listen(4)
        self._control.settimeout(0.2)
        # Rendering runs on its own thread: the port must keep answering status queries.
        for target in (self._serve_port, self._serve_control, self._render_tickets):
            thread = threading.Thread(target=target, name=f"virtual-printer-{target.__name__.strip('_')}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self.link

    def stop(self) -> None:
        self._stop.set()
        self._to_render.put(None)
        self.unplug()
        for thread in self._threads:
            thread.join(5)
        self.control_path.unlink(missing_ok=True)

    def plug(self) -> None:
        if not self.port.plugged:  # a printer that was off starts with an empty buffer
            self._decoder, self._pending = EscPosDecoder(), []
        self.port.plug()

    def unplug(self) -> None:
        self.port.unplug()

    # ---- faults ----------------------------------------------------------------------------

    def command(self, word: str) -> str:
        """Apply a control word; returns the printer's condition in words."""
        if word in FAULTS:
            self.faults[word] = True
        elif word == "ok":
            self.faults = dict.fromkeys(FAULTS, False)
            self.stalled = False
            self._release_held()
        elif word == "stall":
            self.stalled = True
        elif word == "unstall":
            self.stalled, self._stall_after = False, None
        elif word == "unplug":
            self.unplug()
        elif word == "replug":
            self.plug()
        elif word != "status":
            return f"unknown command '{word}'; commands: {', '.join(COMMANDS)}"
        return self.describe()

    def stall_after(self, byte_count: int) -> None:
        """Stop reading after `byte_count` more bytes: a printer that hangs in the middle of a ticket."""
        self._stall_after = byte_count

    def describe(self) -> str:
        on = [name for name, value in self.faults.items() if value]
        state = "unplugged" if not self.port.plugged else "stalled" if self.stalled else "running"
        return f"{state}; faults: {', '.join(on) or 'none'}; tickets printed: {len(self.tickets)}"

    def _stopped(self) -> bool:
        return any(self.faults[name] for name in STOPPING_FAULTS)

    def _status_reply(self, n: int) -> bytes:
        if self.faults["no_answer"]:
            return b""
        if self.faults["garbage"]:
            return bytes([0xFF, 0x00, 0x80, 0x41][n - 1 : n])
        return encode_status(**{name: self.faults[name] for name in STATUS_FAULTS})[n - 1 : n]

    # ---- the port --------------------------------------------------------------------------

    def _serve_port(self) -> None:
        chunk = max(1, (self.baudrate or 1_000_000) // 100)  # 10 ms of line time per read
        while not self._stop.is_set():
            master = self.port.master
            if master is None or self.stalled:
                time.sleep(0.02)
                continue
            try:
                ready, _, _ = select.select([master], [], [], 0.05)
                if not ready:
                    self._end_ticket_without_cutter()
                    continue
                if self.stalled:  # stalled while we waited: not one more byte
                    continue
                size = chunk if self._stall_after is None else max(1, min(chunk, self._stall_after))
                data = os.read(master, size)
            except (OSError, ValueError):
                time.sleep(0.02)  # unplugged under our feet
                continue
            if not data:
                continue
            if self.baudrate:
                time.sleep(len(data) * 10 / self.baudrate)  # a UART receives 10 bits per byte
            self.received += len(data)
            self.last_byte_at = time.monotonic()
            if self._stall_after is not None:
                self._stall_after -= len(data)
                if self._stall_after <= 0:
                    self.stalled, self._stall_after = True, None
            self._consume(data, master)

    def _consume(self, data: bytes, master: int) -> None:
        for element in self._decoder.feed(data):
            if isinstance(element, StatusRequest):
                reply = self._status_reply(element.n)
                if reply:
                    try:
                        os.write(master, reply)
                    except OSError:
                        pass
            elif isinstance(element, ClearBuffers):
                if self._held or self._pending:
                    log.info("virtual printer: buffers cleared, %d held ticket(s) dropped", len(self._held))
                self._held, self._pending = [], []
            elif isinstance(element, Unknown):
                log.debug("virtual printer ignored %s", element.data.hex(" "))
            elif isinstance(element, Cut):
                self.last_cut_at = self.last_byte_at
                self._ticket_done([*self._pending, element])
                self._pending = []
            else:
                self._pending.append(element)

    def _end_ticket_without_cutter(self) -> None:
        pending = self._pending
        if pending and isinstance(pending[-1], Feed) and time.monotonic() - self.last_byte_at > NO_CUTTER_IDLE_S:
            self._pending = []
            self._ticket_done(pending)

    def _ticket_done(self, elements: list) -> None:
        if not any(isinstance(e, PRINTED) and not isinstance(e, Feed) for e in elements):
            return
        if self._stopped():
            self._held.append(elements)
        else:
            self._to_render.put(elements)

    def _release_held(self) -> None:
        held, self._held = self._held, []
        for elements in held:
            self._to_render.put(elements)

    def _render_tickets(self) -> None:
        while (elements := self._to_render.get()) is not None:
            number = len(self.tickets) + 1
            label = next((e.text for e in elements if isinstance(e, TextLine) and e.width >= 3), "ticket")
            safe = re.sub(r"[^A-Za-z0-9_-]", "_", label)[:16] or "ticket"
            path = render_ticket(elements, self.directory / f"ticket-{number:04d}-{safe}.png", self.paper_dots)
            with self._rendered:
                self.printed.append(elements)
                self.tickets.append(path)
                self._rendered.notify_all()

    def wait_for_tickets(self, count: int, timeout: float = 5) -> bool:
        with self._rendered:
            return self._rendered.wait_for(lambda: len(self.tickets) >= count, timeout)

    # ---- control socket (for technicians and the demo) -----------------------------------

    def _serve_control(self) -> None:
        assert self._control is not None  # bound by start(), which starts this thread
        with self._control as server:
            while not self._stop.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                with conn:
                    conn.settimeout(2)
                    try:
                        word = conn.recv(64).decode("ascii", errors="replace").strip()
                        conn.sendall(self.command(word).encode() + b"\n")
                    except OSError as exc:
                        log.warning("virtual printer control: %s", exc)


def start_virtual_printer(settings: PrinterSettings) -> tuple[VirtualPrinter, Path]:
    """For `port = "virtual"`: start one in settings.virtual_dir; open the returned path."""
    printer = VirtualPrinter(
        settings.virtual_dir,
        paper_dots=PrinterProfile.from_settings(settings).paper_dots,
        baudrate=settings.baudrate if settings.virtual_paced else None,
    )
    return printer, printer.start()


def virtual_printer_control(virtual_dir: Path, command: str, timeout_s: float = 3) -> str:
    """Send a control word to the virtual printer running in `virtual_dir`; returns its answer."""
    if command not in COMMANDS:
        raise ValueError(f"unknown command '{command}'; commands: {', '.join(COMMANDS)}")
    path = Path(virtual_dir) / CONTROL_SOCKET
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            raise VirtualPrinterNotRunning(
                f"no virtual printer is running with its folder at {virtual_dir} (the agent starts one beside it when "
                '[printer] port = "virtual")'
            ) from None
        sock.sendall(command.encode("ascii") + b"\n")
        return sock.recv(256).decode().strip()
