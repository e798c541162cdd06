"""The ticket printer: status before and after each ticket, bounded time, never blocking the queue.

A ticket exists once the agent committed it; printing is a best effort reported back.
`PrintOutcome.printed` is True only when the printer said it could print before the ticket
and still could after it. Paper out, cover open, a cutter jam, silence, a garbled answer,
a stalled or unplugged printer all end in `printed=False` within the timeouts, with words
for the kiosk (zh, en) and for the technician. Paper near end still prints.

Threads: the transport's own thread reopens the port; this printer's worker thread runs
`submit()`ted jobs in order and asks the printer's status every few seconds when idle, so
a refilled roll or a pulled cable shows without anyone printing.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from edge_agent.devices.printer.status import CLEAR_BUFFERS, STATUS_QUERY, PrinterStatus, parse_status
from edge_agent.devices.printer.ticket_layout import PrinterProfile, TicketPrintJob, build_ticket
from edge_agent.devices.serial.transport import DeviceListener, PortUnavailable, SerialTransport, WriteTimeout
from lobby.contract import DeviceStatus, PrinterReport
from lobby.device_settings import PrinterSettings

log = logging.getLogger(__name__)

IDLE_POLL_S = 3.0


@dataclass(frozen=True)
class PrintOutcome:
    printed: bool
    status: DeviceStatus  # a str enum: "ok", "paper_out", ...
    message_zh: str  # for the customer at the kiosk
    message_en: str
    detail: str = ""  # for the technician
    bytes_sent: int = 0

    @classmethod
    def of(cls, printed: bool, status: PrinterStatus, bytes_sent: int = 0) -> PrintOutcome:
        return cls(printed, status.condition, status.message_zh, status.message_en, status.detail, bytes_sent)

    def for_kiosk(self) -> PrinterReport:
        return PrinterReport(status=self.status.value, message_zh=self.message_zh, message_en=self.message_en)


class TicketPrinter:
    kind = "printer"

    def __init__(self, settings: PrinterSettings, port: str | None = None):
        """`port` overrides settings.port: the path a virtual printer gave, for instance."""
        self.settings = settings
        self.id = settings.id
        self.profile = PrinterProfile.from_settings(settings)
        self.transport = SerialTransport(
            settings.id, self.kind, "The ticket printer", port or settings.port, settings.baudrate,
            read_timeout_s=settings.status_timeout_s, write_timeout_s=settings.write_timeout_s, on_open=self._ask_status,
        )
        self._jobs: queue.Queue[tuple[Callable[[], PrintOutcome], Callable[[PrintOutcome], None]] | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        # A ticket reported as not printed may still sit in the printer: it is cleared before
        # anything else is sent, so it never comes out after the customer was told to
        # remember their number (and left, or took another).
        self._must_clear = False

    # ---- lifecycle -------------------------------------------------------------------------

    def add_listener(self, listener: DeviceListener) -> None:
        """`listener(device_id, payload)` on every state change; payload as `devices/<id>/state`."""
        self.transport.add_listener(listener)

    def state_payload(self) -> dict:
        return self.transport.payload()

    def start(self) -> None:
        self.transport.start()
        self._worker = threading.Thread(target=self._work, name=f"printer-{self.id}", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        if self._worker is not None:
            self._jobs.put(None)
            self._worker.join(30)
            self._worker = None
        self.transport.stop()

    # ---- status ----------------------------------------------------------------------------

    def status(self) -> PrinterStatus:
        """Ask the printer now (DLE EOT 1-4, short timeout) and publish what it said."""
        return self._ask_status()

    def _ask_status(self, queued_bytes: int = 0) -> PrinterStatus:
        # The query waits behind `queued_bytes` on the line, and the printer answers only
        # when it arrives: at 9600 baud a 400-byte ticket takes 0.4 s to get there.
        timeout = self.settings.status_timeout_s + self.transport.line_time_s(queued_bytes + len(STATUS_QUERY) + 4)
        try:
            reply = self.transport.exchange(STATUS_QUERY, 4, timeout)
        except (PortUnavailable, WriteTimeout):
            return self._current()
        status = parse_status(reply)
        self.transport.report(status.condition.value, status.detail)
        return status

    def _current(self) -> PrinterStatus:
        """What the transport last said, when the printer could not be asked."""
        payload = self.transport.payload()
        return PrinterStatus(DeviceStatus(payload["status"]), payload["detail"])

    # ---- printing --------------------------------------------------------------------------

    def print_ticket(self, job: TicketPrintJob) -> PrintOutcome:
        """Print now on the caller's thread; returns within a few timeouts, never hangs."""
        return self._print(build_ticket(job, self.profile, self.settings.logo_nv_key), job.label)

    def _print(self, data: bytes, label: str) -> PrintOutcome:
        self._clear_if_needed()
        before = self._ask_status()
        if not before.condition.working:
            log.warning("printer %s: %s not printed: %s", self.id, label, before.detail)
            return PrintOutcome.of(False, before)
        try:
            self.transport.write(data)
        except (WriteTimeout, PortUnavailable):
            self._abandon(label)
            return PrintOutcome.of(False, self._current())
        after = self._ask_status(queued_bytes=len(data))
        if not after.condition.working:
            # Paper that ran out mid-ticket, a cover opened, a jam at the cut, a printer that
            # stopped reading: the customer is told there is no paper ticket, so none may
            # come out later when the fault clears.
            log.warning("printer %s: %s may not have printed: %s", self.id, label, after.detail)
            self._abandon(label)
            return PrintOutcome.of(False, after, len(data))
        return PrintOutcome.of(True, after, len(data))

    def _abandon(self, label: str) -> None:
        """Drop what is still on its way to the paper: ours, and the printer's own buffer."""
        self.transport.discard_output()
        self._must_clear = True
        if self._clear_if_needed():
            log.info("printer %s: told the printer to drop %s, so it cannot come out later", self.id, label)

    def _clear_if_needed(self) -> bool:
        if not self._must_clear:
            return False
        try:
            self.transport.write(CLEAR_BUFFERS)
        except (WriteTimeout, PortUnavailable):
            return False  # tried again before the next ticket, and while idle
        self._must_clear = False
        return True

    def submit(self, job: TicketPrintJob, on_done: Callable[[PrintOutcome], None]) -> None:
        """Print on the printer's worker thread; `on_done(outcome)` is called from that thread."""
        if self._worker is None:
            raise RuntimeError(f"printer {self.id} is not started")
        self._jobs.put((lambda: self.print_ticket(job), on_done))

    def _work(self) -> None:
        while True:
            try:
                item = self._jobs.get(timeout=IDLE_POLL_S)
            except queue.Empty:
                if self.transport.is_open:
                    self._clear_if_needed()
                    self._ask_status()  # notice a refill or a cleared jam while nobody prints
                continue
            if item is None:
                return
            run, on_done = item
            try:
                outcome = run()
            except Exception:
                log.exception("printer %s: printing failed unexpectedly", self.id)
                outcome = PrintOutcome.of(
                    False, PrinterStatus(DeviceStatus.ERROR, "The ticket printer's driver failed; see the agent log.")
                )
            try:
                on_done(outcome)
            except Exception:
                log.exception("printer %s: the print callback failed", self.id)
