"""Identified: a known card was swiped. 王先生您好, the tier, and the services it is offered.

The agent's `identify` answer says who the card belongs to and which services their tier
is offered (贵宾专享 ones included for VIPs). A card the directory does not know never gets
here: the home screen says so gently and offers the ordinary services.
"""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import ObjectProperty

from kiosk.screens.widgets import KioskScreen, show_offers
from kiosk.service_menu import elder_services


class IdentifiedScreen(KioskScreen):
    who = ObjectProperty(None, allownone=True)  # kiosk.agent_link.CardholderAnswer

    def on_kv_post(self, base_widget) -> None:
        state = App.get_running_app().state
        state.bind(card_offers=lambda *_: self._show(), elder=lambda *_: self._show(), elder_page=lambda *_: self._show())
        self._show()

    def _show(self) -> None:
        app = App.get_running_app()
        state = app.state
        if not state.elder:
            show_offers(self.ids.services, state.card_offers, app.choose)
            return
        # 长辈模式: "not my card" is the fourth choice.
        shown, more = elder_services(state.card_offers, state.elder_page)
        show_offers(self.ids.services, shown, app.choose, app.more_services if more else None)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
