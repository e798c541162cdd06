"""Diversion (二次分流): the chosen service has a long queue and can be done without one.

Offers the self-service area or mobile banking with the time it saves, and a clear
"I still want a ticket". Choosing self-service thanks the customer and says where to go;
no ticket is issued, so nobody is left in the queue who will never come.
"""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder

from kiosk.screens.widgets import KioskScreen


class DiversionScreen(KioskScreen):
    def on_kv_post(self, base_widget) -> None:
        # Both panels are kept here (ids are weak): the one not shown is out of the tree, so it can't be tapped.
        self._choices, self._thanks = self.ids.choices.__self__, self.ids.thanks.__self__
        state = App.get_running_app().state
        state.bind(diverted_to=lambda _, value: self._show(value))
        self._show(state.diverted_to)

    def _show(self, diverted_to: str) -> None:
        body = self.ids.body
        body.clear_widgets()
        body.add_widget(self._thanks if diverted_to else self._choices)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
