"""Home: the services with their live queues, and "swipe your card for personal service"."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder

from kiosk.screens.widgets import KioskScreen, show_offers


class HomeScreen(KioskScreen):
    def on_kv_post(self, base_widget) -> None:
        state = App.get_running_app().state
        state.bind(walk_in_offers=lambda _, offers: self._show(offers))
        self._show(state.walk_in_offers)

    def _show(self, offers: list) -> None:
        show_offers(self.ids.services, offers, App.get_running_app().choose)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
