"""The Kivy application: screens, customer state, the agent link and the card reader, wired.

Import this module only after `kiosk.app.prepare_kivy_environment()`: Kivy reads its
settings from the environment when it is first imported.

What a customer does and where it leads:
    tap a service ──(long queue, self-service capable)──> diversion ──> ticket / thanks
        └──> request/ticket ──> ticket (printed) | printer_failure (not printed)
    swipe ──> request/identify ──> identified (known card) | home with a gentle note
    agent silent or offline, at any moment ──> out_of_service ──(agent back)──> home
    no touch for [kiosk] idle_timeout_s ──> home, language and 长辈模式 reset
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
from kiosk.screens import theme
from kiosk.screens.diversion import DiversionScreen
from kiosk.screens.home import HomeScreen
from kiosk.screens.identified import IdentifiedScreen
from kiosk.screens.out_of_service import OutOfServiceScreen
from kiosk.screens.printer_failure import PrinterFailureScreen
from kiosk.screens.ticket import TicketScreen
from kiosk.screens.widgets import BusyOverlay
from kiosk.service_menu import should_divert
from kiosk.state import KioskState
from kiosk.texts import text
from lobby.config import BranchConfig
from lobby.contract import CardIdentity, QueueState
from lobby.fonts import FontMissing, cjk_font_path

log = logging.getLogger(__name__)

SCREENS = (HomeScreen, IdentifiedScreen, DiversionScreen, TicketScreen, PrinterFailureScreen, OutOfServiceScreen)
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
        Clock.schedule_interval(self._tick, 1.0)
        Clock.schedule_interval(lambda _dt: self.state.next_promotion(), PROMOTION_EVERY_S)

    def on_stop(self) -> None:
        if self.card_feed is not None:
            self.card_feed.stop()
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

    # ---- back to the start when nobody is there -----------------------------------------------------

    def _touched(self, _window, _touch) -> None:
        self._last_touch = time.monotonic()

    def _tick(self, _dt) -> None:
        self._update_clock()
        if self.state.busy or time.monotonic() - self._last_touch < self.branch.kiosk.idle_timeout_s:
            return
        left_over = self.state.lang != "zh" or self.state.elder or self.state.notice is not None or self.state.card is not None
        if self.sm.current not in ("home", "out_of_service") or left_over:
            log.info("no touch for %.0f s: back to the start for the next customer", self.branch.kiosk.idle_timeout_s)
            self.go_home()
