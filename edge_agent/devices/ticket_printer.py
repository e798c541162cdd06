"""The ticket printer: status before and after each ticket, bounded time, never blocking the queue.

A ticket exists once the agent committed it; printing is a best effort reported back:
`PrintOutcome.printed` is True only when the printer said it was fine before the ticket
and still fine after it. Paper out, cover open, a stalled or unplugged printer all end in
`printed=False` within the timeouts, with words for the kiosk and for the technician.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import serial

from edge_agent.devices.printer_status import STATUS_QUERY, PrinterCondition, PrinterStatus, parse_status
from edge_agent.devices.serial_link import LinkDown, LinkState, SerialLink
from edge_agent.devices.settings import PrinterSettings
from edge_agent.devices.ticket_layout import PrinterProfile, TicketPrintJob, build_ticket

log = logging.getLogger(__name__)

DeviceListener = Callable[[str, dict], None]
POLL_INTERVAL_S = 5.0


@dataclass(frozen=True)
class PrintOutcome:
    printed: bool
    status: PrinterStatus
    bytes_sent: int = 0

    def for_kiosk(self) -> dict:
        return {"status": self.status.condition.value, "message_zh": self.status.message_zh, "message_en": self.status.message_en}


class TicketPrinter:
    kind = "printer"

    def __init__(self, settings: PrinterSettings, port: str | None = None):
        self.settings = settings
        self.id = settings.id
        self.profile = PrinterProfile.from_settings(settings)
        self.link = SerialLink(
            f"printer {settings.id}", port or settings.port, settings.baudrate, settings.status_timeout_s, settings.write_timeout_s
        )
        self.last_status = PrinterStatus(PrinterCondition.OFFLINE, "not checked yet")
        self._since = datetime.now().astimezone()
        self._listeners: list[DeviceListener] = []
        self._jobs: queue.Queue[tuple[TicketPrintJob, Callable[[PrintOutcome], None]] | None] = queue.Queue()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self.link.add_listener(self._on_link_state)

    # ---- lifecycle -------------------------------------------------------------------------

    def add_listener(self, listener: DeviceListener) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        self.link.start()
        self._worker = threading.Thread(target=self._work, name=f"printer-{self.id}", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        self._stop.set()
        self._jobs.put(None)
        if self._worker:
            self._worker.join(5)
        self.link.close()

    # ---- status ----------------------------------------------------------------------------

    def status(self) -> PrinterStatus:
        """Ask the printer now (DLE EOT 1-4 with a short timeout)."""
        try:
            reply = self.link.exchange(STATUS_QUERY, 4, self.settings.status_timeout_s)
        except LinkDown as exc:
            return self._record(PrinterStatus(PrinterCondition.OFFLINE, f"The ticket printer's port is not available: {exc}"))
        except serial.SerialTimeoutException:
            return self._record(PrinterStatus(PrinterCondition.OFFLINE, "The ticket printer stopped taking data: it may be jammed or switched off."))
        status = parse_status(reply)
        self.link.mark(status.condition is PrinterCondition.OK, status.detail)
        return self._record(status)

    def _record(self, status: PrinterStatus) -> PrinterStatus:
        if status != self.last_status:
            log.log(logging.INFO if status.condition.can_print else logging.WARNING, "printer %s: %s", self.id, status.detail)
            self.last_status, self._since = status, datetime.now().astimezone()
            payload = self.state_payload()
            for listener in self._listeners:
                listener(self.id, payload)
        return status

    def state_payload(self) -> dict:
        return {"kind": self.kind, "status": self.last_status.condition.value, "detail": self.last_status.detail, "since": self._since.isoformat()}

    def _on_link_state(self, state: LinkState, detail: str) -> None:
        if state is LinkState.ERROR:  # DISCONNECTED is our own close(), not a fault
            self._record(PrinterStatus(PrinterCondition.OFFLINE, f"The ticket printer is not connected ({detail}): check its cable."))

    # ---- printing --------------------------------------------------------------------------

    def print_ticket(self, job: TicketPrintJob) -> PrintOutcome:
        return self.print_bytes(build_ticket(job, self.profile, self.settings.logo_nv_key))

    reprint = print_ticket  # a reprint is the same ticket again; the store is not touched

    def print_bytes(self, data: bytes) -> PrintOutcome:
        before = self.status()
        if not before.condition.can_print:
            return PrintOutcome(False, before)
        try:
            self.link.write(data)
        except serial.SerialTimeoutException:
            # Do not let the ticket come out minutes later, after the customer has gone.
            self.link.discard_output()
            stalled = PrinterStatus(PrinterCondition.OFFLINE, "The ticket printer stopped taking data (write timeout): check it for a jam.")
            return PrintOutcome(False, self._record(stalled))
        except LinkDown as exc:
            return PrintOutcome(False, self._record(PrinterStatus(PrinterCondition.OFFLINE, f"The ticket printer went away while printing: {exc}")))
        after = self.status()
        if not after.condition.can_print:
            # Paper that ran out mid-ticket, a jam at the cut, a printer that stopped reading:
            # the customer may not have a ticket, and what is still queued must not come out later.
            self.link.discard_output()
        return PrintOutcome(after.condition.can_print, after, len(data))

    def submit(self, job: TicketPrintJob, on_done: Callable[[PrintOutcome], None]) -> None:
        """Print on the printer's own thread; `on_done` is called from that thread."""
        self._jobs.put((job, on_done))

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                item = self._jobs.get(timeout=POLL_INTERVAL_S)
            except queue.Empty:
                self.status()  # notice a refill or a pulled cable while nobody prints
                continue
            if item is None:
                return
            job, on_done = item
            try:
                outcome = self.print_ticket(job)
            except Exception:
                log.exception("printer %s: printing %s failed unexpectedly", self.id, job.label)
                outcome = PrintOutcome(False, PrinterStatus(PrinterCondition.ERROR, "The printer driver failed; see the agent log."))
            on_done(outcome)
