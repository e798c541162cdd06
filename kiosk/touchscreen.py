"""The Kivy application: screens, customer state, the agent link and the card reader, wired.

Import this module only after `kiosk.app.prepare_kivy_environment()`: Kivy reads its
settings from the environment when it is first imported.

What a customer does and where it leads:
    tap a service ──(long queue, self-service capable)──> diversion ──> ticket / thanks
        └──> request/ticket ──> ticket (printed) | printer_failure (not printed)
    swipe ──> request/identify ──> identified (known card) | home with a gentle note
    "I have an appointment" ──> appointment ──> booking_code (keypad)
    a booking's QR at the scanner (any screen) or its code typed ──> request/check_in
        ──> ticket (an appointment ticket, or a walk-in one when too late)
        └──> check_in_refused (too early: come back at ..., or why not) ──> a walk-in ticket
    agent silent or offline, at any moment ──> out_of_service ──(agent back)──> home
    no touch for [kiosk] idle_timeout_s (elder_idle_timeout_s in 长辈模式) ──> home, language and 长辈模式 reset

One file because it is the wiring of the screens (the flow above); each screen is its own file.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path

import kivy
from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import LabelBase
from kivy.core.window import Window
from kivy.properties import NumericProperty, ObjectProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.agent_link import (
    AgentLink,
    DeviceState,
    Identified,
    IdentifyOutcome,
    Issued,
    PromotionsState,
    Refused,
    TicketAnswer,
    TicketOutcome,
)
from kiosk.card_feed import CardFeed
from kiosk.devices.card_readers import Swipe
from kiosk.devices.tracks import SwipeError
from kiosk.scan_feed import ScanFeed
from kiosk.screens import theme
from kiosk.screens.appointment import AppointmentScreen, BookingCodeScreen, CheckInRefusedScreen
from kiosk.screens.diversion import DiversionScreen
from kiosk.screens.home import HomeScreen
from kiosk.screens.identified import IdentifiedScreen
from kiosk.screens.out_of_service import OutOfServiceScreen
from kiosk.screens.printer_failure import PrinterFailureScreen
from kiosk.screens.ticket import TicketScreen
from kiosk.screens.widgets import BusyOverlay
from kiosk.service_menu import should_divert
from kiosk.state import KioskState
from kiosk.texts import TEXTS, text
from lobby.config import BranchConfig
from lobby.contract import CardIdentity, QueueState
from lobby.fonts import FontMissing, cjk_font_path

log = logging.getLogger(__name__)

SCREENS = (
    HomeScreen, IdentifiedScreen, DiversionScreen, TicketScreen, PrinterFailureScreen, OutOfServiceScreen, AppointmentScreen,
    BookingCodeScreen, CheckInRefusedScreen,
)
# A check-in refused for these reasons: the sentence to show (kiosk/texts.py "refused_<code>").
CHECK_IN_REFUSALS = frozenset({
    "unknown_booking", "booking_not_yet_here", "booking_not_ours", "booking_forged", "booking_expired", "booking_cancelled",
    "booking_used",
})
WEEKDAYS_ZH = "一二三四五六日"
PROMOTION_EVERY_S = 12  # several promotions take turns on the home and identified screens


class KioskSetupError(Exception):
    """Something the technician must fix before the kiosk can show anything."""


def register_fonts() -> None:
    try:
        font = cjk_font_path()
    except FontMissing as exc:
        raise KioskSetupError(str(exc)) from None
    LabelBase.register(theme.TEXT_FONT, str(font))
    LabelBase.register(theme.NUMBER_FONT, str(Path(kivy.kivy_data_dir) / "fonts" / "Roboto-Bold.ttf"))


class KioskApp(App):
    ps = NumericProperty(1.0)  # window pixels per reference pixel (1080 px wide portrait)
    fs = NumericProperty(1.0)  # the same for text: larger in 长辈模式
    target = NumericProperty(theme.target_px(theme.MIN_TARGET_MM, 160))  # smallest touch target, px
    clock_text = StringProperty("")
    state = ObjectProperty(None)

    def __init__(self, branch: BranchConfig, fullscreen: bool = False, card_reader: bool = True, autoconnect: bool = True, **kwargs):
        """autoconnect=False: the caller starts `link` itself (a journey showing the kiosk while it connects)."""
        super().__init__(**kwargs)
        self.branch = branch  # not `config`: that name is Kivy's own settings object
        self.fullscreen = fullscreen
        self.autoconnect = autoconnect
        self.title = f"Lobby Kiosk · {branch.branch.name}"
        self.state = KioskState(branch)
        self.link = AgentLink(branch, listener=self, deliver=self._on_ui_thread)
        self.card_feed = CardFeed(branch.kiosk.card_reader, branch.security.key_file, self._swipe_arrived) if card_reader else None
        self.scan_feed = ScanFeed(branch.kiosk.scanner, self._scan_arrived)
        self.sm = ScreenManager(transition=NoTransition())  # filled with the screens by build()
        self.first_frame_at: float | None = None  # time.perf_counter() of the first frame drawn
        self._last_touch = time.monotonic()

    # ---- life cycle ------------------------------------------------------------------------

    def build(self) -> FloatLayout:
        register_fonts()
        self._rescale()

        for screen in SCREENS:
            self.sm.add_widget(screen())
        self.sm.current = "out_of_service"  # until the agent's retained state says it is online
        root = FloatLayout()
        root.add_widget(self.sm)
        root.add_widget(BusyOverlay())
        Window.bind(size=lambda *_: self._rescale(), on_touch_down=self._touched, on_flip=self._flipped)
        self.state.bind(elder=lambda *_: self._rescale(), lang=lambda *_: self._update_clock(), available=self._availability_changed)
        if self.fullscreen:
            Window.show_cursor = False  # a touchscreen has no pointer to show
        self._update_clock()
        return root

    def on_start(self) -> None:
        if self.autoconnect:
            self.link.start()
        if self.card_feed is not None:
            self.card_feed.start()
        self.scan_feed.start()
        Clock.schedule_interval(self._tick, 1.0)
        Clock.schedule_interval(lambda _dt: self.state.next_promotion(), PROMOTION_EVERY_S)

    def on_stop(self) -> None:
        if self.card_feed is not None:
            self.card_feed.stop()
        self.scan_feed.stop()
        self.link.stop()

    def _flipped(self, *_) -> None:
        if self.first_frame_at is None:
            self.first_frame_at = time.perf_counter()
            log.info("first frame drawn (%dx%d), showing %s", *Window.size, self.sm.current)

    def _on_ui_thread(self, callback) -> None:
        Clock.schedule_once(lambda _dt: callback(), 0)

    # ---- sizes, words and the clock for the .kv files ---------------------------------------------

    def _rescale(self) -> None:
        width, height = Window.size
        self.ps = min(width / theme.REFERENCE_WIDTH, height / theme.REFERENCE_HEIGHT)
        self.fs = self.ps * (theme.ELDER_FONT_SCALE if self.state.elder else 1.0)
        mm = theme.ELDER_TARGET_MM if self.state.elder else theme.MIN_TARGET_MM
        self.target = theme.target_px(mm, self.branch.kiosk.dpi)

    def branch_name(self, lang: str) -> str:
        return self.branch.branch.name_en if lang == "en" and self.branch.branch.name_en else self.branch.branch.name

    def printer_message(self, ticket: TicketAnswer | None, lang: str) -> str:
        report = ticket.printer if ticket is not None else None
        message = (report.message_zh if lang == "zh" else report.message_en) if report is not None else None
        return message or text("printer_default", lang)

    def _update_clock(self) -> None:
        now = datetime.now(self.branch.branch.zone)
        if self.state.lang == "zh":
            self.clock_text = f"{now.month}月{now.day}日 星期{WEEKDAYS_ZH[now.weekday()]}  {now:%H:%M}"
        else:
            self.clock_text = f"{now:%a %d %b}  {now:%H:%M}"

    # ---- the agent (AgentListener; always called on the UI thread) ---------------------------

    def on_availability(self, available: bool) -> None:
        self.state.available = available

    def on_queue_state(self, state: QueueState) -> None:
        self.state.apply_queue_state(state)

    def on_device_state(self, device_id: str, state: DeviceState) -> None:
        self.state.apply_device_state(device_id, state)

    def on_promotions(self, state: PromotionsState) -> None:
        self.state.apply_promotions(state)

    def on_waiting(self) -> None:
        if self.state.busy:
            self.state.busy = "busy_one_moment"

    def _availability_changed(self, _state, available: bool) -> None:
        if not available and self.state.busy:
            # A request is being retried: its ticket may exist already. The answer decides.
            self.state.busy = "busy_one_moment"
        elif not available:
            self.go("out_of_service")
        elif self.sm.current == "out_of_service":
            self.go_home()

    # ---- what the customer does -------------------------------------------------------------

    def go(self, screen: str) -> None:
        if self.sm.current != screen:
            log.debug("screen: %s -> %s", self.sm.current, screen)
            self.sm.current = screen

    def go_home(self) -> None:
        self.state.reset_customer()
        self.go("home" if self.state.available else "out_of_service")

    def toggle_lang(self) -> None:
        self.state.lang = "en" if self.state.lang == "zh" else "zh"

    def toggle_elder(self) -> None:
        self.state.elder = not self.state.elder
        self.state.elder_page = 0

    def more_services(self) -> None:
        self.state.elder_page += 1

    def choose(self, service_id: str) -> None:
        if self.state.busy:
            return
        offer = self.state.offer(service_id)
        if should_divert(offer, self.branch.kiosk, self.state.elder):
            self.state.diversion, self.state.diverted_to = offer, ""
            self.go("diversion")
        else:
            self._ask_ticket(service_id)

    def still_want_ticket(self) -> None:
        if self.state.diversion is not None and not self.state.busy:
            self._ask_ticket(self.state.diversion.id)

    def divert(self, where: str) -> None:
        self.state.diverted_to = where

    def _ask_ticket(self, service_id: str) -> None:
        self.state.busy = "busy_ticket"
        self.link.request_ticket(service_id, self.state.card, self.state.lang, self._ticket_answered)

    def _ticket_answered(self, outcome: TicketOutcome) -> None:
        self.state.busy = ""
        if isinstance(outcome, Issued):
            self.state.ticket, self.state.notice = outcome.answer, None
            self.go("ticket" if outcome.answer.printed else "printer_failure")
        elif isinstance(outcome, Refused) and self.state.available:
            if outcome.code == "service_not_offered":
                self.state.forget_card()
                self.state.say("notice_not_offered")
            elif outcome.code == "branch_closed":
                self.state.say("notice_closed")
            else:
                self.state.say("notice_refused")
            self.go("identified" if self.state.cardholder is not None else "home")
        else:  # no answer by the deadline, or the agent went away meanwhile
            self.go("out_of_service")

    # ---- card swipes ------------------------------------------------------------------------------

    def _swipe_arrived(self, swipe: Swipe) -> None:
        """Called on the card reader's thread."""
        self._on_ui_thread(lambda: self.swiped(swipe))

    def swiped(self, swipe: Swipe) -> None:
        self._last_touch = time.monotonic()
        if not self.state.available or self.state.busy:
            return
        self.state.ticket = None
        if isinstance(swipe, SwipeError):
            self.state.forget_card()
            self.state.notice = (swipe.message_zh, swipe.message_en)
            self.go("home")
            return
        self.state.busy = "busy_identify"
        self.link.request_identify(swipe, lambda outcome: self._identify_answered(swipe, outcome))

    def _identify_answered(self, card: CardIdentity, outcome: IdentifyOutcome) -> None:
        self.state.busy = ""
        if not self.state.available and not isinstance(outcome, Identified):
            self.go("out_of_service")
        elif isinstance(outcome, Identified) and outcome.answer.known:
            self.state.identified(card, outcome.answer)
            self.go("identified")
        elif isinstance(outcome, (Identified, Refused)):
            self.state.forget_card()
            self.state.say("notice_unknown_card")
            self.go("home")
        else:
            self.go("out_of_service")

    # ---- appointments: scanned or typed ----------------------------------------------------------

    def open_appointment(self) -> None:
        self.state.typed_code, self.state.check_in_problem = "", None
        self.go("appointment")

    def type_booking_code(self) -> None:
        self.state.typed_code = ""
        self.go("booking_code")

    def type_digit(self, digit: str) -> None:
        if len(self.state.typed_code) < 6:
            self.state.typed_code += digit

    def erase_digit(self) -> None:
        self.state.typed_code = self.state.typed_code[:-1]

    def submit_booking_code(self) -> None:
        if len(self.state.typed_code) == 6:
            self._check_in(None, self.state.typed_code)

    def _scan_arrived(self, scanned: str) -> None:
        """Called on the scanner's thread."""
        self._on_ui_thread(lambda: self.scanned(scanned))

    def scanned(self, scanned: str) -> None:
        """A booking pass at the scanner checks in from any screen: nobody should have to find the right one first."""
        self._last_touch = time.monotonic()
        if not self.state.available or self.state.busy:
            return
        self._check_in(scanned, None)

    def _check_in(self, scanned: str | None, code: str | None) -> None:
        self.state.busy = "busy_check_in"
        self.state.ticket = self.state.check_in_problem = None
        self.link.request_check_in(scanned, code, self.state.lang, self._checked_in)

    def _checked_in(self, outcome: TicketOutcome) -> None:
        self.state.busy = ""
        if isinstance(outcome, Issued):
            self.state.ticket, self.state.notice, self.state.typed_code = outcome.answer, None, ""
            self.go("ticket" if outcome.answer.printed else "printer_failure")
        elif isinstance(outcome, Refused) and self.state.available:
            self.state.walk_in_service = ""
            if outcome.code == "too_early" and outcome.detail:
                zone = self.branch.branch.zone
                slot = datetime.fromisoformat(outcome.detail["slot_start"]).astimezone(zone)
                opens = datetime.fromisoformat(outcome.detail["opens_at"]).astimezone(zone)
                self.state.walk_in_service = str(outcome.detail.get("service", ""))
                body = tuple(text("too_early_body", lang, slot=f"{slot:%H:%M}", opens=f"{opens:%H:%M}") for lang in ("zh", "en"))
                self.state.check_in_problem = (TEXTS["too_early_title"], body)
            else:
                key = f"refused_{outcome.code}" if outcome.code in CHECK_IN_REFUSALS else "refused_other"
                self.state.check_in_problem = (TEXTS["check_in_refused_title"], TEXTS[key])
            self.go("check_in_refused")
        else:
            self.go("out_of_service")

    def walk_in_after_check_in(self) -> None:
        """Too early, or no booking to be had: a walk-in ticket for the booked service, or the services."""
        service = self.state.walk_in_service
        self.state.check_in_problem, self.state.walk_in_service = None, ""
        if service and any(o.id == service for o in self.state.walk_in_offers):
            self.choose(service)
        else:
            self.go("home")

    # ---- back to the start when nobody is there -----------------------------------------------------

    def _touched(self, _window, _touch) -> None:
        self._last_touch = time.monotonic()

    def _tick(self, _dt) -> None:
        self._update_clock()
        kiosk = self.branch.kiosk
        idle_s = kiosk.elder_idle_timeout_s if self.state.elder else kiosk.idle_timeout_s
        if self.state.busy or time.monotonic() - self._last_touch < idle_s:
            return
        left_over = self.state.lang != "zh" or self.state.elder or self.state.notice is not None or self.state.card is not None
        if self.sm.current not in ("home", "out_of_service") or left_over:
            log.info("no touch for %.0f s: back to the start for the next customer", idle_s)
            self.go_home()
