"""What the customer's phone page shows for one ticket. Pure: the ticket's own events and its
branch's queue state in, the page's status out. Nothing about any other ticket goes out:
only the count of people ahead and this ticket's own wait.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from head_office.network import BranchLine
from lobby.contract import CalledEvent, TransferredEvent
from lobby.ticket_link import TicketClaim
from lobby.waits import wait_minutes

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
    """`events`: (topic, payload) of this ticket, in the branch's order (seq), as the ingester
    stored them after the contract's model read them."""
    state, counter, service = "waiting", None, claim.service
    for topic, payload in events:
        if topic not in AFTER:
            continue
        state = AFTER[topic]
        if topic == "events/called":
            counter = CalledEvent.model_validate(payload).counter
        elif topic == "events/transferred":
            service, counter = TransferredEvent.model_validate(payload).to_service, None
    queue = line.queue
    names = queue.services.get(service) if queue is not None else None
    ahead = eta = None
    eta_range = None
    if state == "waiting" and names is not None:
        for position, waiting in enumerate(names.waiting_etas):
            if waiting.ticket == claim.label:
                ahead = position
                told = wait_minutes(waiting.eta_range_s, waiting.eta_s)
                if told is not None:  # the same minutes the paper and the hall display say
                    eta, eta_range = told.middle, (told.low, told.high)
                break
    return TicketStatus(
        label=claim.label, branch_name=line.name, service_zh=names.name_zh if names and names.name_zh else service,
        service_en=names.name_en if names else "", state=state, ahead=ahead, eta_min=eta, eta_range_min=eta_range, counter=counter,
        visible=line.reachable, as_of=queue.at.isoformat() if queue is not None else None,
    )


def events_since(claim: TicketClaim) -> datetime:
    """A ticket's events lie within its business day, which its link outlives by at most the
    close grace: a day and a half before the expiry bounds the search whatever the zone."""
    return claim.expires - timedelta(hours=36)
