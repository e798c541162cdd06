"""预约签到: scan the booking's QR code (the scanner works on any screen), or type its code."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import ObjectProperty

from kiosk.screens.widgets import KioskScreen


class AppointmentScreen(KioskScreen):
    pass


class BookingCodeScreen(KioskScreen):
    """A large keypad for the six digits; OK once all six are there."""


class CheckInRefusedScreen(KioskScreen):
    """Too early (come back at ..., or a walk-in ticket now), or why the booking gives no ticket."""

    problem = ObjectProperty(None, allownone=True)  # ((zh, en) title, (zh, en) sentence): KioskState.check_in_problem


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
