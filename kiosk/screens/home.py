"""Home: the services with their live queues, "I have an appointment", and "swipe your card
for personal service". In 长辈模式 at most four choices: a few services at a time, with
"more services" turning to the next ones (kiosk/service_menu.py)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.screens.widgets import KioskScreen, follow_offers


class HomeScreen(KioskScreen):
    def on_kv_post(self, base_widget) -> None:
        follow_offers(self.ids.services, "walk_in_offers")


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
