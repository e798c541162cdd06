"""Ticket: the number, huge; the service, people ahead, the wait; "take your ticket below".

A known card is greeted by the name the bank uses (王先生您好) and, when the agent alerted
the lobby manager, told that the relationship manager knows they are here.
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.screens.widgets import KioskScreen


class TicketScreen(KioskScreen):
    pass


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
