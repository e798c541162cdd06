"""What the customer's phone page shows for one ticket. Pure: the ticket's own events and its
branch's queue state in, the page's status out. Nothing about any other ticket goes out:
only the count of people ahead and this ticket's own wait.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from head_office.network import BranchLine
from lobby.ticket_link import TicketClaim
from lobby.waits import WaitMinutes, wait_minutes

# The ticket's state after each of its events (docs/mqtt.md); a recall leaves it called.
AFTER = {
    "events/arrival": "waiting",
    "events/called": "called",
    "events/served": "served",
    "events/no_show": "no_show",
    "events/expired": "expired",
    "events/transferred": "waiting",
}


@dataclass(frozen=True)
class TicketStatus:
    label: str
    branch_name: str
    service_zh: str
    service_en: str
    state: str  # waiting | called | served | no_show | expired
    ahead: int | None  # people before this ticket in the order the counters call now
    eta_min: int | None
    eta_range_min: tuple[int, int] | None
    counter: str | None  # where to go, once called
    visible: bool  # False: head office cannot see the branch now; the rest is as last known
    as_of: str | None  # ISO time of the queue state this comes from

    def as_json(self) -> dict:
        return asdict(self)


def ticket_status(claim: TicketClaim, events: list[tuple[str, dict]], line: BranchLine) -> TicketStatus:
    """`events`: (topic, payload) of this ticket, in the branch's order (seq)."""
    state, counter, service = "waiting", None, claim.service
    for topic, payload in events:
        if topic not in AFTER:
            continue
        state = AFTER[topic]
        if topic == "events/called":
            counter = str(payload.get("counter") or "") or None
        elif topic == "events/transferred":
            service, counter = str(payload.get("to_service") or service), None
    queue = line.queue or {}
    names = (queue.get("services") or {}).get(service) or {}
    ahead = eta = None
    eta_range = None
    if state == "waiting":
        for position, waiting in enumerate(names.get("waiting_etas") or []):
            if isinstance(waiting, dict) and waiting.get("ticket") == claim.label:
                ahead = position
                told = _minutes(waiting.get("eta_range_s"), waiting.get("eta_s"))
                if told is not None:  # the same minutes the paper and the hall display say
                    eta, eta_range = told.middle, (told.low, told.high)
                break
    return TicketStatus(
        label=claim.label, branch_name=line.name, service_zh=str(names.get("name_zh") or service), service_en=str(names.get("name_en") or ""),
        state=state, ahead=ahead, eta_min=eta, eta_range_min=eta_range, counter=counter,
        visible=line.reachable, as_of=queue.get("at"),
    )


def _minutes(eta_range_s: object, eta_s: object) -> WaitMinutes | None:
    if not (isinstance(eta_range_s, list) and len(eta_range_s) == 2 and all(isinstance(v, int) for v in eta_range_s)):
        return None
    return wait_minutes(eta_range_s, eta_s if isinstance(eta_s, int | float) else None)


def events_since(claim: TicketClaim) -> datetime:
    """A ticket's events lie within its business day, which its link outlives by at most the
    close grace: a day and a half before the expiry bounds the search whatever the zone."""
    return claim.expires - timedelta(hours=36)
