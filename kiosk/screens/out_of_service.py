"""Out of service: the agent cannot be reached. Calm words; the screen leaves by itself.

Nothing here retries on a timer: the agent link watches the broker and the agent's
retained state and switches back as soon as the agent shows a sign of life.
"""

from __future__ import annotations

from pathlib import Path

from kivy.animation import Animation
from kivy.lang import Builder
from kivy.properties import NumericProperty

from kiosk.screens.widgets import KioskScreen


class OutOfServiceScreen(KioskScreen):
    sweep = NumericProperty(0)  # the turning arc: the customer sees the machine is not frozen

    def on_enter(self, *args) -> None:
        self._turning = Animation(sweep=360, duration=2.4)
        self._turning.bind(on_complete=lambda *_: self._restart())
        self._turning.start(self)

    def _restart(self) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.sweep = 0
            self._turning.start(self)

    def on_leave(self, *args) -> None:
        Animation.cancel_all(self)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
