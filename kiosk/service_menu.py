"""What the kiosk offers and says, as pure code: no Kivy, no MQTT.

- which services a customer sees: walk-ins never see services kept for some tiers; a
  swiped card sees what the agent's `identify` answer says that customer's tier is offered;
- the live line under each service ("4 waiting · about 10 min") from `queue/state`;
- when to suggest self-service instead of a ticket (二次分流);
- the people-ahead and wait lines of a ticket, rounded exactly as the printed ticket is.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from kiosk.texts import text
from lobby.config import KioskSection, ServiceSection
from lobby.contract import QueueState
from lobby.waits import minutes, wait_minutes


@dataclass(frozen=True)
class ServiceOffer:
    id: str
    name_zh: str
    name_en: str
    restricted: bool  # offered to some tiers only (e.g. 理财贵宾)
    self_service_capable: bool
    waiting: int | None  # None until the first queue/state arrives
    eta_s: int | None  # None: no counter serving it is open, or no queue/state yet

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en

    @property
    def eta_min(self) -> int | None:
        return None if self.eta_s is None else minutes(self.eta_s)


def offers(
    services: Sequence[ServiceSection], queue: QueueState | None, offered: Collection[str] | None = None
) -> list[ServiceOffer]:
    """The service buttons, in the order the branch configured them.

    `offered`: the service ids the agent offers an identified customer; None for a walk-in.
    """
    shown = []
    for service in services:
        if (service.id not in offered) if offered is not None else bool(service.tiers):
            continue
        live = queue.services.get(service.id) if queue is not None else None
        shown.append(
            ServiceOffer(
                id=service.id,
                name_zh=service.name_zh,
                name_en=service.name_en,
                restricted=bool(service.tiers),
                self_service_capable=service.self_service_capable,
                waiting=live.waiting if live else None,
                eta_s=live.eta_s if live else None,
            )
        )
    return shown


# 长辈模式: at most this many choices on a screen; the appointment entry is one of them.
ELDER_CHOICES = 4


def elder_services(offers: Sequence[ServiceOffer], page: int) -> tuple[list[ServiceOffer], bool]:
    """The services 长辈模式 shows on `page`, and whether a "more services" choice is needed.

    With more services than fit beside the appointment entry, one place goes to "more",
    which turns to the next few (and round again).
    """
    room = ELDER_CHOICES - 1
    if len(offers) <= room:
        return list(offers), False
    per_page = room - 1
    pages = -(-len(offers) // per_page)
    start = (page % pages) * per_page
    return list(offers[start : start + per_page]), True


def appointment_line(note, zone, lang: str, short: bool = False) -> str:
    """The ticket screen's line for a booking's ticket (lobby.contract.AppointmentNote);
    `short` for 长辈模式, whose larger text has less room."""
    if not note.on_time:
        return text("booked_late", lang)
    return text("booked_checked_in" if short else "booked_on_time", lang, slot=f"{note.slot_start.astimezone(zone):%H:%M}")


def waiting_line(offer: ServiceOffer, lang: str) -> str:
    if offer.waiting is None:
        return text("waiting_unknown", lang)
    if offer.eta_s is None:
        return text("waiting_closed", lang, waiting=offer.waiting)
    if offer.waiting == 0:
        return text("waiting_none", lang)
    return text("waiting_eta", lang, waiting=offer.waiting, minutes=offer.eta_min)


def should_divert(offer: ServiceOffer, kiosk: KioskSection, elder: bool) -> bool:
    """Suggest self-service only where it can do the job and the wait is really long.

    Never in 长辈模式: older customers are better served at a counter than sent to an app.
    """
    return (
        not elder
        and offer.self_service_capable
        and offer.eta_s is not None
        and offer.eta_s >= kiosk.diversion_min_wait_min * 60
    )


def ahead_line(ahead: int, lang: str) -> str:
    if ahead <= 0:
        return text("ahead_none", lang)
    if ahead == 1:
        return text("ahead_one", lang)
    return text("ahead_many", lang, ahead=ahead)


def wait_line(eta_range_s: Sequence[int] | None, lang: str, eta_s: float | None = None) -> str:
    """The same minutes as the paper ticket: both come from lobby.waits."""
    wait = wait_minutes(eta_range_s, eta_s)
    if wait is None:
        return text("wait_unknown", lang)
    if wait.now:
        return text("wait_now", lang)
    low, high = wait.low, wait.high
    if low >= high:
        return text("wait_about", lang, high=high)
    if wait.middle is not None:
        return text("wait_middle", lang, middle=wait.middle, low=low, high=high)
    return text("wait_range", lang, low=low, high=high)
