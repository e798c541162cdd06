"""The pieces every screen is built from: header, labels, buttons, service buttons, notices.

Their look is in widgets.kv. Sizes are written for the 1080 px reference screen as
`base_font` / `base_height` and scaled by the app's `ps` (window against reference) or
`fs` (the same, times theme.ELDER_FONT_SCALE in 长辈模式); touch targets never go below the app's `target`
(15 mm at the configured DPI, 20 mm in 长辈模式). Keeping the numbers in properties, not
in competing kv expressions, is what lets 长辈模式 resize everything consistently.
"""

from __future__ import annotations

import base64
import io
import logging
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.core.text import Label as CoreLabel
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.line_breaks import break_lines
from kiosk.screens import theme
from kiosk.service_menu import elder_services

log = logging.getLogger(__name__)


class KioskLabel(Label):
    """A sentence wrapped the way Chinese is typeset, taking the height it needs."""

    sentence = StringProperty("")
    base_font = NumericProperty(40)
    strong = BooleanProperty(False)  # drawn heavier: the CJK font has no bold face

    def __init__(self, **kwargs):
        self._rewrap = Clock.create_trigger(self._wrap, -1)
        super().__init__(**kwargs)
        for name in ("sentence", "width", "font_size", "outline_width"):
            self.fbind(name, self._rewrap)

    def _wrap(self, *_) -> None:
        if not self.sentence or self.width < 10:
            self.text = self.sentence
            return
        measure = CoreLabel(font_name=self.font_name, font_size=self.font_size)
        room = self.width - 2 * self.outline_width - 2
        self.text = "\n".join(break_lines(self.sentence, lambda line: measure.get_extents(line)[0] <= room))


class KioskLine(Label):
    """One line of text, cut with … if it ever runs out of room."""

    base_font = NumericProperty(40)
    strong = BooleanProperty(False)
    grows = BooleanProperty(True)  # False: keeps its size in 长辈模式 (the header)


class KioskButton(ButtonBehavior, Label):
    base_font = NumericProperty(44)
    base_height = NumericProperty(132)
    strong = BooleanProperty(False)
    grows = BooleanProperty(True)
    fill = ColorProperty(theme.NAVY)
    pressed_fill = ColorProperty(theme.NAVY_PRESSED)
    ink = ColorProperty(theme.WHITE)
    edge = ColorProperty((0, 0, 0, 0))


class PrimaryButton(KioskButton):
    pass


class SecondaryButton(KioskButton):
    pass


class ServiceButton(ButtonBehavior, BoxLayout):
    """One service: its name, the live queue line and, for VIPs, a 贵宾专享 badge."""

    offer = ObjectProperty(None, allownone=True)  # kiosk.service_menu.ServiceOffer


class MoreButton(KioskButton):
    """长辈模式's "more services": the next few services."""


def show_offers(container: BoxLayout, offers: list, choose, more=None) -> None:
    """Fill `container` with one ServiceButton per offer; `choose(service_id)` on a tap, and
    a "more services" button calling `more()` when it is given.

    Live updates (up to 4 a second) only refresh the buttons' lines: replacing a button
    under a finger would lose the tap.
    """
    buttons = [child for child in reversed(container.children) if isinstance(child, ServiceButton)]
    has_more = any(isinstance(child, MoreButton) for child in container.children)
    if [b.offer.id for b in buttons] == [o.id for o in offers] and has_more == (more is not None):
        for button, offer in zip(buttons, offers, strict=False):
            button.offer = offer
        return
    container.clear_widgets()
    for offer in offers:
        button = ServiceButton(offer=offer)
        button.bind(on_release=lambda b: choose(b.offer.id))
        container.add_widget(button)
    if more is not None:
        more_button = MoreButton()
        more_button.bind(on_release=lambda _b: more())
        container.add_widget(more_button)
    container.add_widget(Widget(size_hint_y=0.01))  # takes the room the buttons do not need, below them


def follow_offers(container: BoxLayout, offers: str) -> None:
    """Keep `container` showing the kiosk state's `offers` (walk_in_offers or card_offers), in
    长辈模式 a few at a time with "more services" (kiosk.service_menu.elder_services)."""
    app = App.get_running_app()
    state = app.state

    def show(*_) -> None:
        listed = getattr(state, offers)
        if not state.elder:
            show_offers(container, listed, app.choose)
            return
        shown, more = elder_services(listed, state.elder_page)
        show_offers(container, shown, app.choose, app.more_services if more else None)

    state.bind(**{offers: show, "elder": show, "elder_page": show})
    show()


class Notice(BoxLayout):
    """A gentle message on an amber panel; `message` is a (zh, en) pair, None hides it."""

    message = ObjectProperty(None, allownone=True)


class Header(BoxLayout):
    """Branch name and time on the left, 中文/English and 长辈模式 on the right."""


class GreetingPanel(BoxLayout):
    """王先生您好, the tier, and whether the relationship manager has been told."""

    customer = ObjectProperty(None, allownone=True)  # kiosk.agent_link.TicketCustomer


class TicketPanel(BoxLayout):
    """The number, the service, the people ahead and the wait of the ticket just issued."""

    ticket = ObjectProperty(None, allownone=True)  # kiosk.agent_link.TicketAnswer


class PromotionPanel(BoxLayout):
    """One of the branch's promotions (营销信息): its picture, title and text. The picture
    arrives as a data: URI the agent checked (PNG or JPEG); one that will not decode here
    is left out and the words are shown alone."""

    promotion = ObjectProperty(None, allownone=True)  # lobby.contract.Promotion

    def on_promotion(self, _widget, promotion) -> None:
        picture = self.ids.picture
        picture.texture = None
        if promotion is None or not promotion.image:
            return
        kind, _, data = promotion.image.partition(";base64,")
        try:
            decoded = CoreImage(io.BytesIO(base64.b64decode(data)), ext="jpg" if kind.endswith("jpeg") else "png")
        except Exception:  # Kivy raises bare Exceptions for undecodable images
            log.warning("promotion %s: its picture could not be shown; showing the words alone", promotion.promotion_id)
            return
        picture.texture = decoded.texture


class BusyOverlay(FloatLayout):
    """Covers the screen while the agent is asked something, and swallows taps meanwhile."""

    active = BooleanProperty(False)

    def on_touch_down(self, touch):
        return self.active or super().on_touch_down(touch)

    def on_touch_up(self, touch):
        return self.active or super().on_touch_up(touch)


class KioskScreen(Screen):
    """A screen with the page background; subclasses add their content in .kv."""


class DownArrow(Widget):
    """Points at the printer's slot below the screen."""


class CardGlyph(Widget):
    """A bank card with its magnetic stripe, beside "swipe your card"."""


class QrGlyph(Widget):
    """A QR code's three corner squares: "hold your phone's code to the scanner"."""


class AppointmentLine(BoxLayout):
    """On the ticket screen, for a booking's ticket: its slot kept, or why it is a walk-in."""

    note = ObjectProperty(None, allownone=True)  # lobby.contract.AppointmentNote


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
