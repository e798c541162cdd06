"""Every word the wire carries from a fixed list, defined once.

A state, a rule or an outcome that crosses the bus (or is stored as it crossed) is an enum
here; the agent, the kiosk, head office and the pages read these and never spell the list
again. A request that takes only some of a vocabulary's words says so with `only(...)`.
`tests/test_package_boundaries.py` refuses an enum defined anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class Tier(StrEnum):
    """Customer tiers from the branch service manuals; the names are configuration keys."""

    VIP = "vip"
    POTENTIAL = "potential"
    MASS = "mass"
    PROSPECT = "prospect"


class Lang(StrEnum):
    ZH = "zh"
    EN = "en"


class TicketState(StrEnum):
    """A ticket waits, is called to a counter, then is served or missed (no-show).

    A transfer is not a state: the ticket goes back to `waiting` in its new service. A
    ticket still open when its business day ends is closed as `expired`.
    """

    WAITING = "waiting"
    CALLED = "called"
    SERVED = "served"
    NO_SHOW = "no_show"
    EXPIRED = "expired"


class ProfileKind(StrEnum):
    """How a counter picks the next ticket among its services (`[[counters.profile]] kind`)."""

    FIFO = "fifo"
    RATIO = "ratio"
    ACCUMULATING = "accumulating"


class CallRule(StrEnum):
    """Why a ticket was called when it was (`events/called` `rule`), in the words a manager
    answers a customer with."""

    CAP = "cap"  # it had waited too long past its target
    APPOINTMENT = "appointment"  # its booked slot had come
    PRIORITY = "priority"  # its tier went ahead of someone who came earlier (VIP)
    FIRST_COME = "first_come"  # nobody waiting had come earlier


class AlertOutcome(StrEnum):
    """How a lobby manager answered a VIP alert; `referred` is recorded by `refer`."""

    GREETED = "greeted"
    REFERRED = "referred"
    DECLINED = "declined"


class AlertKind(StrEnum):
    VIP = "vip"
    SERVICE = "service"


class StaffPage(StrEnum):
    """The pages a person signs in on."""

    TELLER = "teller"
    MANAGER = "manager"
    RM = "rm"


class StaffRole(StrEnum):
    """What a person is on the branch's staff roster (`edge-agent staff import`)."""

    TELLER = "teller"
    MANAGER = "manager"
    RM = "rm"  # 客户经理 / 理财经理
    HEAD = "head"  # 网点负责人


class ReferralState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    CONVERTED = "converted"
    FOLLOW_UP = "follow_up"
    DECLINED = "declined"


# What an RM records a referral came to (`referral_outcome`); follow_up stays open.
OUTCOMES = (ReferralState.CONVERTED, ReferralState.FOLLOW_UP, ReferralState.DECLINED)


class ReferralSource(StrEnum):
    COUNTER = "counter"
    VIP_ALERT = "vip_alert"
    APPOINTMENT = "appointment"


class ReferralDestination(StrEnum):
    RM = "rm"
    VIP_ROOM = "vip_room"


class FollowUpChannel(StrEnum):
    PHONE = "phone"
    VISIT = "visit"
    WECHAT = "wechat"
    SMS = "sms"


class ComplaintState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    ESCALATED = "escalated"


class BookingState(StrEnum):
    """A booking's life, the same at head office and at the branch (lobby/appointments.py)."""

    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    LATE = "late"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


# What only the branch decides of a booking: it alone sees customers arrive.
BRANCH_STATES = frozenset({BookingState.CHECKED_IN, BookingState.LATE, BookingState.NO_SHOW})


class PromptState(StrEnum):
    """A rating prompt at a counter."""

    OPEN = "open"
    CLOSED = "closed"


class Availability(StrEnum):
    """`agent/state` `state`."""

    ONLINE = "online"
    OFFLINE = "offline"


class StoreHealth(StrEnum):
    """`agent/state` `store`: whether the branch box can record anything."""

    OK = "ok"
    DISK_FULL = "disk_full"
    READ_ONLY = "read_only"


class DeviceStatus(StrEnum):
    """`status` of `devices/<id>/state`: what a device can report."""

    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    ERROR = "error"

    @property
    def working(self) -> bool:
        """The one rule for "does the device still do its job": a printer near the end of its
        roll still gives the customer paper."""
        return self in (DeviceStatus.OK, DeviceStatus.PAPER_NEAR_END)


class DeviceLink(StrEnum):
    """`connection` of `devices/<id>/state`: the serial link's own state, for technicians."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    READY = "ready"
    DEGRADED = "degraded"
    ERROR = "error"


def only(*words: E) -> Callable[[E], E]:
    """A validator for a field that takes some of a vocabulary's words: a request may ask for
    `follow_up` but never for `open`. Use as `Annotated[ReferralState, AfterValidator(only(...))]`."""
    allowed = frozenset(words)
    listed = ", ".join(f"'{w.value}'" for w in words)

    def check(value: E) -> E:
        if value not in allowed:
            raise ValueError(f"'{value.value}' is not allowed here; use one of {listed}")
        return value

    return check
