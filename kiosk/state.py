"""The kiosk's state as Kivy properties: the screens bind to these and nothing else.

Two kinds of state live here:
- the branch, fed by the agent's retained topics: is the agent there (`available`), the
  live service offers from `queue/state`, whether the ticket printer can print, the
  branch's promotions (`promotions`) for the home and identified screens;
- the customer in front of the screen: language, 长辈模式, the swiped card and who the
  agent says it belongs to, the notice to show, the ticket just issued.
  `reset_customer()` forgets all of it for the next person.
"""

from __future__ import annotations

import logging

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, OptionProperty, StringProperty

from kiosk.promotions import for_screen
from kiosk.service_menu import ServiceOffer, offers
from kiosk.texts import LANGS, TEXTS
from lobby.config import BranchConfig
from lobby.contract import CardholderAnswer, CardIdentity, DeviceState, PromotionsState, QueueState

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
    typed_code = StringProperty("")  # the booking code's digits typed so far
    # Why a check-in gave no ticket: ((zh, en) title, (zh, en) sentence); the walk-in service to offer.
    check_in_problem = ObjectProperty(None, allownone=True)
    walk_in_service = StringProperty("")
    elder_page = NumericProperty(0)  # 长辈模式 shows a few services at a time
    promotions = ListProperty()  # lobby.contract.Promotion, showing today
    promotion_turn = NumericProperty(0)  # counts up on a timer: several promotions take turns
    home_promotion = ObjectProperty(None, allownone=True)  # for everyone
    card_promotion = ObjectProperty(None, allownone=True)  # for the identified customer's tier

    def __init__(self, config: BranchConfig, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.queue: QueueState | None = None
        self._refresh_offers()

    # ---- fed by the agent link -----------------------------------------------------------

    def apply_queue_state(self, state: QueueState) -> None:
        self.queue = state
        self._refresh_offers()

    def apply_promotions(self, state: PromotionsState) -> None:
        self.promotions = state.promotions
        self._refresh_promotions()

    def next_promotion(self) -> None:
        self.promotion_turn += 1
        self._refresh_promotions()

    def _refresh_promotions(self) -> None:
        self.home_promotion = for_screen(self.promotions, None, self.promotion_turn)
        tier = self.cardholder.tier if self.cardholder is not None else None
        self.card_promotion = for_screen(self.promotions, tier, self.promotion_turn) if tier is not None else None

    def apply_device_state(self, device_id: str, state: DeviceState) -> None:
        if device_id == self.config.printer.id:
            if state.status.working != self.printer_ok:
                log.info("the printer is %s: %s", state.status.value, state.detail)
            self.printer_ok = state.status.working

    def _refresh_offers(self) -> None:
        self._refresh_promotions()
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
        self.elder_page = 0
        self._refresh_offers()

    def forget_card(self) -> None:
        self.card = self.cardholder = None
        self._refresh_offers()

    def reset_customer(self) -> None:
        self.lang, self.elder, self.busy = "zh", False, ""
        self.ticket = self.diversion = self.notice = self.check_in_problem = None
        self.diverted_to = self.typed_code = self.walk_in_service = ""
        self.elder_page = 0
        self.forget_card()
