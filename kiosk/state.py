"""The kiosk's state as Kivy properties: the screens bind to these and nothing else.

Two kinds of state live here:
- the branch, fed by the agent's retained topics: is the agent there (`available`), the
  live service offers from `queue/state`, whether the ticket printer can print;
- the customer in front of the screen: language, 长辈模式, the swiped card and who the
  agent says it belongs to, the notice to show, the ticket just issued.
  `reset_customer()` forgets all of it for the next person.
"""

from __future__ import annotations

import logging

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, OptionProperty, StringProperty

from kiosk.service_menu import ServiceOffer, offers
from kiosk.texts import LANGS, TEXTS
from lobby.config import BranchConfig
from lobby.contract import CardholderAnswer, CardIdentity, DeviceState, QueueState

log = logging.getLogger(__name__)


class KioskState(EventDispatcher):
    # the branch
    available = BooleanProperty(False)
    walk_in_offers = ListProperty()  # ServiceOffer for customers without a card
    card_offers = ListProperty()  # ServiceOffer for the identified card holder
    printer_ok = BooleanProperty(True)
    # the customer
    lang = OptionProperty("zh", options=list(LANGS))
    elder = BooleanProperty(False)
    busy = StringProperty("")  # texts key of what we are waiting for ("" = not waiting)
    card = ObjectProperty(None, allownone=True)  # CardIdentity from the card reader
    cardholder = ObjectProperty(None, allownone=True)  # CardholderAnswer for a known card
    notice = ObjectProperty(None, allownone=True)  # (zh, en) sentence: card not read, ...
    ticket = ObjectProperty(None, allownone=True)  # TicketAnswer
    diversion = ObjectProperty(None, allownone=True)  # the ServiceOffer self-service is suggested for
    diverted_to = StringProperty("")  # "", "self_service" or "mobile"

    def __init__(self, config: BranchConfig, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.queue: QueueState | None = None
        self._refresh_offers()

    # ---- fed by the agent link -----------------------------------------------------------

    def apply_queue_state(self, state: QueueState) -> None:
        self.queue = state
        self._refresh_offers()

    def apply_device_state(self, device_id: str, state: DeviceState) -> None:
        if device_id == self.config.printer.id:
            if state.status.working != self.printer_ok:
                log.info("the printer is %s: %s", state.status.value, state.detail)
            self.printer_ok = state.status.working

    def _refresh_offers(self) -> None:
        self.walk_in_offers = offers(self.config.services, self.queue)
        offered = self.cardholder.services if self.cardholder is not None else None
        self.card_offers = offers(self.config.services, self.queue, offered) if offered is not None else []

    def offer(self, service_id: str) -> ServiceOffer:
        return next(o for o in self.card_offers + self.walk_in_offers if o.id == service_id)

    # ---- the customer ----------------------------------------------------------------------

    def say(self, key: str) -> None:
        """Show a gentle notice from kiosk.texts on the home and identified screens."""
        self.notice = TEXTS[key]

    def identified(self, card: CardIdentity, who: CardholderAnswer) -> None:
        self.card, self.cardholder, self.notice, self.ticket = card, who, None, None
        self._refresh_offers()

    def forget_card(self) -> None:
        self.card = self.cardholder = None
        self._refresh_offers()

    def reset_customer(self) -> None:
        self.lang, self.elder, self.busy = "zh", False, ""
        self.ticket = self.diversion = self.notice = None
        self.diverted_to = ""
        self.forget_card()
