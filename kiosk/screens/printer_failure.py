"""Printer failure: the ticket exists but did not come out of the printer.

The number is shown as large as on the ticket screen, with "please remember or photograph
this number"; the printer's own words (paper out, cover open...) say staff have been told,
which they have: the agent's `devices/<id>/state` reaches the manager's tablet.
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.screens.widgets import KioskScreen


class PrinterFailureScreen(KioskScreen):
    pass


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
