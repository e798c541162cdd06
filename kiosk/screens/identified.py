"""Identified: a known card was swiped. 王先生您好, the tier, and the services it is offered.

The agent's `identify` answer says who the card belongs to and which services their tier
is offered (贵宾专享 ones included for VIPs). A card the directory does not know never gets
here: the home screen says so gently and offers the ordinary services.
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import ObjectProperty

from kiosk.screens.widgets import KioskScreen, follow_offers


class IdentifiedScreen(KioskScreen):
    who = ObjectProperty(None, allownone=True)  # kiosk.agent_link.CardholderAnswer

    def on_kv_post(self, base_widget) -> None:
        # 长辈模式: "not my card" is the fourth choice beside three places for services.
        follow_offers(self.ids.services, "card_offers")


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
