"""Home: the services with their live queues, "I have an appointment", and "swipe your card
for personal service". In 长辈模式 at most four choices: a few services at a time, with
"more services" turning to the next ones (kiosk/service_menu.py)."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder

from kiosk.screens.widgets import KioskScreen, show_offers
from kiosk.service_menu import elder_services


class HomeScreen(KioskScreen):
    def on_kv_post(self, base_widget) -> None:
        state = App.get_running_app().state
        state.bind(walk_in_offers=lambda *_: self._show(), elder=lambda *_: self._show(), elder_page=lambda *_: self._show())
        self._show()

    def _show(self) -> None:
        app = App.get_running_app()
        state = app.state
        if not state.elder:
            show_offers(self.ids.services, state.walk_in_offers, app.choose)
            return
        shown, more = elder_services(state.walk_in_offers, state.elder_page)
        show_offers(self.ids.services, shown, app.choose, app.more_services if more else None)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
