"""The agent's output devices, wired to what happens in the queue.

- a ticket request that was committed -> the ticket printer (answer: printed or not);
- `events/called` -> the counter's display and a spoken call (a recall repeats it);
- `events/served` / `events/no_show` / `events/transferred` -> the counter's display is cleared.
With `port = "virtual"` the virtual printer and displays are started first, in a process of
their own (devices/virtual/rig.py), and then opened through their pseudo-terminals exactly like
real hardware.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from edge_agent.devices.display.counter_display import CounterDisplay, rating_lines, serving_lines
from edge_agent.devices.printer.ticket_layout import TicketPrintJob
from edge_agent.devices.printer.ticket_printer import PrintOutcome, TicketPrinter
from edge_agent.devices.virtual.rig import RigPorts, RigSpec, VirtualRig, VirtualRigError
from edge_agent.devices.voice.announcer import Announcer, VoicePackError, build_default_pack
from lobby.config import BranchConfig
from lobby.contract import CalledEvent, TicketAnswer
from lobby.device_settings import VIRTUAL
from lobby.waits import wait_minutes

log = logging.getLogger(__name__)


def print_job_for(config: BranchConfig, answer: TicketAnswer) -> TicketPrintJob:
    """What goes on paper for a ticket answer (see events.ticket_answer). Always in both languages."""
    wait = wait_minutes(answer.eta_range_s, answer.eta_s)
    vip_line = None
    if answer.customer is not None and answer.customer.manager_alerted:
        vip_line = f"{answer.customer.display_name}，您的客户经理已收到通知"
    appointment_line = None
    if answer.appointment is not None:
        slot = answer.appointment.slot_start.astimezone(config.branch.zone)
        appointment_line = f"预约 {slot:%H:%M} · 到时优先叫号" if answer.appointment.on_time else "预约已逾时，按普通号办理"
    return TicketPrintJob(
        branch_name=config.branch.name,
        branch_name_en=config.branch.name_en,
        service_zh=answer.service_zh,
        service_en=answer.service_en,
        label=answer.ticket,
        ahead=answer.ahead,
        wait_low_min=wait.low if wait else None,
        wait_high_min=wait.high if wait else None,
        wait_mid_min=wait.middle if wait else None,
        issued_at=answer.issued_at.astimezone(config.branch.zone),
        qr_text=answer.link or answer.ticket_id,
        vip_line=vip_line,
        appointment_line=appointment_line,
    )


class BranchOutputs:
    def __init__(self, config: BranchConfig):
        self.config = config
        self.rig: VirtualRig | None = None
        ports = RigPorts()
        virtual_displays = [d for d in config.displays if d.port == VIRTUAL]
        if config.printer.port == VIRTUAL or virtual_displays:
            self.rig = VirtualRig(
                RigSpec(
                    printer=config.printer if config.printer.port == VIRTUAL else None,
                    displays=virtual_displays,
                    displays_dir=config.printer.virtual_dir / "displays",
                )
            )
            try:
                ports = self.rig.start()
            except VirtualRigError as exc:  # the branch runs on; the printer shows as offline
                log.error("%s", exc)
        self.printer = TicketPrinter(config.printer, ports.printer)
        self.displays: dict[str, CounterDisplay] = {
            settings.counter: CounterDisplay(settings, ports.displays.get(settings.counter)) for settings in config.displays
        }
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
        for device in self._devices():
            device.add_listener(listener)
            listener(device.id, device.state_payload())

    def device_states(self) -> dict[str, dict]:
        """Every device's `devices/<id>/state` payload now."""
        return {device.id: device.state_payload() for device in self._devices()}

    def _devices(self) -> list[TicketPrinter | CounterDisplay]:
        """Every device with a `devices/<id>/state`: the printer, then the counter displays."""
        return [self.printer, *self.displays.values()]

    def print_ticket(self, answer: TicketAnswer, on_done: Callable[[PrintOutcome], None]) -> None:
        self.printer.submit(print_job_for(self.config, answer), on_done)

    def on_event(self, topic: str, payload: dict) -> None:
        shown = counter_screen(topic, payload)
        if shown is not None:
            display = self.displays.get(shown[0])
            if display is not None:
                if shown[1] is None:
                    display.clear()
                else:
                    display.show(*shown[1])
        if topic == "events/called":
            called = CalledEvent.model_validate(payload)
            if self.announcer is not None and called.announce:
                if called.recall:
                    self.announcer.announce_recall(called.ticket, called.counter)
                else:
                    self.announcer.announce_call(called.ticket, called.counter)

    def stop(self) -> None:
        self.printer.stop()
        for display in self.displays.values():
            display.stop()
        if self.announcer is not None:
            self.announcer.stop()
        if self.rig is not None:
            self.rig.stop()


def counter_screen(topic: str, payload: dict) -> tuple[str, tuple[str, str] | None] | None:
    """What an event means for the 2×20 display above its counter: (counter, two lines) to
    show, (counter, None) to clear it, or None. A called ticket is shown; once it is done the
    display asks for a rating while the rating screen does (请评价), then clears."""
    counter = payload.get("counter")
    if not isinstance(counter, str):
        return None
    if topic == "events/called":
        return counter, serving_lines(str(payload.get("ticket", "")))
    if topic in ("events/served", "events/no_show", "events/transferred"):
        return counter, None
    if topic == "events/rating_prompt":
        return counter, (rating_lines() if payload.get("state") == "open" else None)
    return None
