"""The agent's output devices, wired to what happens in the queue.

- a ticket request that was committed -> the ticket printer (answer: printed or not);
- `events/called` -> the counter's display and a spoken call (a recall repeats it);
- `events/served` / `events/no_show` / `events/transferred` -> the counter's display is cleared.
With `port = "virtual"` the virtual printer and displays are started here first and then
opened through their pseudo-terminals exactly like real hardware.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from lobby.config import BranchConfig
from edge_agent.devices.counter_display import CounterDisplay, serving_lines
from lobby.device_settings import VIRTUAL
from edge_agent.devices.ticket_layout import TicketPrintJob
from edge_agent.devices.ticket_printer import PrintOutcome, TicketPrinter
from edge_agent.devices.virtual_display import VirtualCounterDisplay, start_virtual_display
from edge_agent.devices.virtual_printer import VirtualPrinter, start_virtual_printer
from edge_agent.devices.voice import Announcer, VoicePackError, build_default_pack

log = logging.getLogger(__name__)


def print_job_for(config: BranchConfig, answer: dict) -> TicketPrintJob:
    """What goes on paper for a ticket answer (see events.ticket_answer)."""
    low, high = answer.get("eta_range_s") or (None, None)
    customer = answer.get("customer") or {}
    vip_line = None
    if customer.get("manager_alerted"):
        vip_line = f"{customer['display_name']}，您的客户经理已收到通知"
    return TicketPrintJob(
        branch_name=config.branch.name,
        branch_name_en=config.branch.name_en,
        service_zh=answer["service_zh"],
        service_en=answer["service_en"],
        label=answer["ticket"],
        ahead=answer["ahead"],
        wait_low_min=None if low is None else round(low / 60),
        wait_high_min=None if high is None else max(1, round(high / 60)),
        issued_at=datetime.fromisoformat(answer["issued_at"]).astimezone(config.branch.zone),
        ticket_id=answer["ticket_id"],
        vip_line=vip_line,
    )


class BranchOutputs:
    def __init__(self, config: BranchConfig):
        self.config = config
        self.virtual_printer: VirtualPrinter | None = None
        self.virtual_displays: list[VirtualCounterDisplay] = []
        port = None
        if config.printer.port == VIRTUAL:
            self.virtual_printer, path = start_virtual_printer(config.printer)
            port = str(path)
        self.printer = TicketPrinter(config.printer, port)
        self.displays: dict[str, CounterDisplay] = {}
        for settings in config.displays:
            port = None
            if settings.port == VIRTUAL:
                virtual, path = start_virtual_display(settings, config.printer.virtual_dir / "displays")
                self.virtual_displays.append(virtual)
                port = str(path)
            self.displays[settings.counter] = CounterDisplay(settings, port)
        self.announcer = self._announcer()

    def _announcer(self) -> Announcer | None:
        voice = self.config.voice
        if not voice.enabled:
            return None
        try:
            if not (Path(voice.pack_dir) / "manifest.json").exists():
                log.info("no voice pack in %s: generating the default one with espeak-ng", voice.pack_dir)
                build_default_pack(voice.pack_dir)
            return Announcer(voice)
        except (VoicePackError, OSError) as exc:
            log.error("announcements are off: %s", exc)
            return None

    def start(self) -> None:
        self.printer.start()
        for display in self.displays.values():
            display.start()

    def add_state_listener(self, listener: Callable[[str, dict], None]) -> None:
        """`listener(device_id, payload)` now and on every change of the printer or a display."""
        for device in (self.printer, *self.displays.values()):
            device.add_listener(listener)
            listener(device.id, device.state_payload())

    def print_ticket(self, answer: dict, lang: str, on_done: Callable[[PrintOutcome], None]) -> None:
        # The ticket is printed in both languages whatever the customer chose on screen.
        self.printer.submit(print_job_for(self.config, answer), on_done)

    def on_event(self, topic: str, payload: dict) -> None:
        counter = payload.get("counter")
        if topic == "events/called":
            display = self.displays.get(counter)
            if display is not None:
                display.show(*serving_lines(payload["ticket"]))
            if self.announcer is not None and payload.get("announce", True):
                if payload.get("recall"):
                    self.announcer.announce_recall(payload["ticket"], counter)
                else:
                    self.announcer.announce_call(payload["ticket"], counter)
        elif topic in ("events/served", "events/no_show", "events/transferred") and counter in self.displays:
            self.displays[counter].clear()

    def stop(self) -> None:
        self.printer.stop()
        for display in self.displays.values():
            display.stop()
        if self.announcer is not None:
            self.announcer.stop()
        if self.virtual_printer is not None:
            self.virtual_printer.stop()
        for virtual in self.virtual_displays:
            virtual.stop()
