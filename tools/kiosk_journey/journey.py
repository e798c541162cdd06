"""A scripted customer journey through the real kiosk, with a screenshot of every screen.

`make demo` calls `run_journey(config_path, out_dir)` with its agent and broker running:
a walk-in ticket in Chinese and English, a VIP swiping a card through a (pseudo-terminal)
serial card reader, a swipe that cannot be read, a long queue that suggests self-service,
长辈模式, the virtual printer running out of paper and, given bookings head office made,
their check-in: a code typed, passes at the (pseudo-terminal) barcode scanner, one too early. The kiosk renders offscreen when
there is no display, in a window when there is one.

The finger and the card reader are tools.kiosk_journey.driver's.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from edge_agent.devices.virtual.printer import virtual_printer_control as control
from kiosk.devices.virtual_scanner import VirtualScanner
from lobby.bus.client import BusClient
from lobby.bus.requester import Requester
from lobby.config import BranchConfig, load_config
from lobby.device_settings import VIRTUAL
from tools.demo_appointments import DemoBookings
from tools.demo_customers import DEMO_CUSTOMERS
from tools.kiosk_journey.driver import JourneyError, KioskDriver, SwipePort, run_script, track_line, with_serial_reader

# ---- the queue behind the journey's diversion ---------------------------------------------------------


class Lobby:
    """The other people in the branch: a teller who opens a counter, customers ahead in the queue."""

    def __init__(self, config: BranchConfig):
        self.config = config
        self.clients: list[BusClient] = []
        self.teller = Requester(self._client("teller"))
        self.kiosk = Requester(self._client("kiosk"))
        self.head_office = Requester(self._client("hq"))  # sends the branch its bookings

    def _client(self, role: str) -> BusClient:
        client = BusClient.for_role(self.config, role, f"journey-{os.getpid()}")
        client.start()
        if not client.wait_connected(10):
            raise JourneyError(f"the journey's {role} could not connect to the broker at {self.config.mqtt.host}:{self.config.mqtt.port}")
        self.clients.append(client)
        return client

    def open_counter_for(self, service_id: str) -> None:
        counter = next(c.id for c in self.config.counters if service_id in c.services)
        answer = self.teller.request("counter_open", {"counter": counter})
        if answer["status"] != "ok" and answer.get("code") != "counter_already_open":
            raise JourneyError(f"counter {counter} could not be opened for the journey: {answer.get('error')}")

    def customer_ahead(self, service_id: str) -> None:
        answer = self.kiosk.request("ticket", {"service": service_id, "kiosk": "journey"})
        if answer["status"] != "ok":
            raise JourneyError(f"a customer ahead could not take a {service_id} ticket: {answer.get('error')}")

    def hold_bookings(self, bookings: DemoBookings, version: int = 1) -> None:
        answer = bookings.sync(self.head_office, version)
        if answer["status"] != "ok":
            raise JourneyError(f"the branch did not take the journey's bookings: {answer.get('error')}")

    def close(self) -> None:
        for client in self.clients:
            client.stop()


def make_queue_long(driver: KioskDriver, lobby: Lobby, service_id: str, minutes: float) -> None:
    """Customers take tickets until the kiosk's live queue shows a wait of `minutes` or more."""

    def eta() -> int | None:
        return driver.ui(lambda: driver.app.state.offer(service_id).eta_s)

    if eta() is None:  # no counter open for it (a branch with a staff roster has its tellers open them)
        lobby.open_counter_for(service_id)

    for _ in range(60):
        value = eta()
        if value is not None and value >= minutes * 60:
            return
        lobby.customer_ahead(service_id)
        time.sleep(0.3)  # queue/state is coalesced to 4 a second
    raise JourneyError(f"the {service_id} queue did not reach {minutes:g} min; the kiosk shows {eta()} s")


# ---- the journey ---------------------------------------------------------------------------------------


def diversion_service(config: BranchConfig) -> str:
    return next(s.id for s in config.services if s.self_service_capable and not s.tiers)


def plain_service(config: BranchConfig) -> str:
    """A walk-in service the kiosk never diverts: the ticket is always issued at once."""
    return next(s.id for s in config.services if not s.self_service_capable and not s.tiers)


def take_ticket(driver: KioskDriver, service_id: str, shot: str) -> None:
    """Tap a service, photograph the ticket screen (printed or not), and go back home."""
    driver.tap_service(service_id)
    driver.wait_for(lambda: driver.app.sm.current in ("ticket", "printer_failure"), f"a ticket for {service_id}")
    driver.settle()
    driver.shot(shot)
    driver.tap_text(driver.text("done"))
    driver.wait_screen("home")


def customer_journey(driver: KioskDriver, config: BranchConfig, swipe_port: SwipePort) -> None:
    app = driver.app
    driver.shot("00-connecting-out-of-service")
    app.link.start()
    driver.wait_screen("home")
    # An agent that has just started reports its printer once it has asked it (within 5 s).
    driver.wait_for(lambda: app.state.printer_ok, "the printer to report ready", timeout=15)
    driver.shot("01-home-zh")

    # A walk-in, in English.
    driver.tap_text(driver.text("switch_lang"))
    driver.shot("02-home-en")
    take_ticket(driver, plain_service(config), "03-ticket-en")

    # A VIP swipes the card (test card, in the demo's customer directory).
    pan, name, _tier, _rm = DEMO_CUSTOMERS[0]
    swipe_port.swipe(track_line(pan, "WANG/XIANSHENG"))
    driver.wait_screen("identified")
    driver.shot("04-identified-vip-zh")
    vip_service = next((s.id for s in config.services if s.tiers), plain_service(config))
    take_ticket(driver, vip_service, "05-ticket-vip-zh")

    # A swipe the reader could not read.
    swipe_port.swipe("%E?;E?")
    driver.wait_for(lambda: app.state.notice is not None, "the 'card not read' note")
    driver.shot("06-home-swipe-failed-zh")

    # A long queue for a service that self-service can do: 二次分流.
    lobby = Lobby(config)
    try:
        service = diversion_service(config)
        make_queue_long(driver, lobby, service, config.kiosk.diversion_min_wait_min)
        driver.tap_service(service)
        driver.wait_screen("diversion")
        driver.shot("07-diversion-zh")
        driver.tap_text(driver.text("divert_self_service"))
        driver.shot("08-diverted-zh")
        driver.tap_text(driver.text("done"))
        driver.wait_screen("home")
        driver.tap_service(service)
        driver.wait_screen("diversion")
        driver.tap_text(driver.text("divert_ticket"))
        driver.wait_for(lambda: app.sm.current in ("ticket", "printer_failure"), "a ticket after 'I still want a ticket'")
        driver.tap_text(driver.text("done"))
        driver.wait_screen("home")
    finally:
        lobby.close()

    # 长辈模式: larger text, no self-service suggestions.
    driver.tap_text(driver.text("elder_on"))
    driver.shot("09-home-elder-zh")
    take_ticket(driver, plain_service(config), "10-ticket-elder-zh")

    # The printer runs out of paper: the number on screen instead.
    if config.printer.port != VIRTUAL:
        raise JourneyError("the paper-out step needs the virtual printer ([printer] port = \"virtual\")")
    control(config.printer.virtual_dir, "paper_out")
    try:
        driver.wait_for(lambda: not app.state.printer_ok, "the printer's paper-out state")
        driver.shot("11-home-printer-out-zh")
        driver.tap_service(plain_service(config))
        driver.wait_screen("printer_failure")
        driver.shot("12-printer-failure-zh")
        driver.tap_text(driver.text("switch_lang"))
        driver.shot("13-printer-failure-en")
        driver.tap_text(driver.text("done"))
        driver.wait_screen("home")
    finally:
        control(config.printer.virtual_dir, "ok")


@dataclass(frozen=True)
class Visits:
    """Bookings made at head office for the journey: a code to type, passes to scan."""

    typed_code: str  # its slot is under way: an appointment ticket
    vip_pass: str  # booked with an RM: the RM's workbench hears of it
    early_pass: str  # two hours ahead: "you are early"


def appointment_journey(driver: KioskDriver, scanner: VirtualScanner, visits: Visits) -> None:
    app = driver.app
    driver.wait_for(lambda: app.state.printer_ok, "the printer back from paper-out")
    driver.tap_text(driver.text("appointment_entry") + "  ›")
    driver.wait_screen("appointment")
    driver.shot("14-appointment-zh")
    driver.tap_text(driver.text("type_code"))
    driver.wait_screen("booking_code")
    for digit in visits.typed_code:
        driver.tap_text(digit)
    driver.shot("15-booking-code-zh")
    driver.tap_text(driver.text("code_ok"))
    driver.wait_for(lambda: app.sm.current in ("ticket", "printer_failure", "check_in_refused"), "the typed booking's check-in")
    driver.settle()
    driver.shot("16-appointment-ticket-zh")
    if driver.screen() == "check_in_refused":
        raise JourneyError(f"the typed booking {visits.typed_code} was refused: {app.state.check_in_problem}")
    driver.tap_text(driver.text("done"))
    driver.wait_screen("home")
    scanner.show(visits.vip_pass)
    driver.wait_for(lambda: app.sm.current in ("ticket", "printer_failure", "check_in_refused") and not app.state.busy, "the VIP's check-in")
    driver.settle()
    driver.shot("17-appointment-vip-zh")
    driver.tap_text(driver.text("done"))
    driver.wait_screen("home")
    scanner.show(visits.early_pass)
    driver.wait_screen("check_in_refused")
    driver.shot("18-too-early-zh")
    driver.tap_text(driver.text("back"))
    driver.wait_screen("home")


def run_journey(config_path: Path, out_dir: Path, visits: Visits | None = None) -> int:
    """Walk the scripted journey against the running agent; screenshots into `out_dir`. Exit code."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = load_config(config_path)
    swipe_port, scanner = SwipePort(), VirtualScanner()
    config = scanner.fitted_to(with_serial_reader(config, swipe_port.device))
    from kiosk.app import prepare_kivy_environment

    prepare_kivy_environment(config.kiosk, fullscreen=False)
    from kiosk.touchscreen import KioskApp

    printed_before = set(Path(config.printer.virtual_dir).glob("ticket-*.png"))
    try:
        def journey(driver: KioskDriver) -> None:
            customer_journey(driver, config, swipe_port)
            if visits is not None:
                appointment_journey(driver, scanner, visits)

        driver = run_script(KioskApp(config, autoconnect=False), journey, out_dir)
    except JourneyError as exc:
        print(f"kiosk journey stopped: {exc}")
        return 1
    finally:
        swipe_port.close()
        scanner.close()
    printed = sorted(set(Path(config.printer.virtual_dir).glob("ticket-*.png")) - printed_before)
    if printed:
        (out_dir / "printed").mkdir(exist_ok=True)
        for ticket in printed:
            shutil.copy2(ticket, out_dir / "printed" / ticket.name)
    print(f"kiosk journey: {len(driver.shots)} screenshots in {out_dir}, {len(printed)} printed tickets in {out_dir / 'printed'}")
    return 0
