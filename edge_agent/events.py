"""Turning queue changes into the contract's events and answers (pure: no store, no bus).

What goes where is a privacy decision made here, once:
- `events/arrival` (read by displays, tellers, head office) says whether a card was used and
  its masked number, never a name;
- `alerts/vip` (read by managers only) carries the name the bank uses and the RM;
- nothing carries the card token or a full card number.
"""

from __future__ import annotations

from datetime import datetime

from lobby.config import BranchConfig
from lobby.contract import (
    AlertCustomer,
    ArrivalCustomer,
    ArrivalEvent,
    CalledEvent,
    CardIdentity,
    CounterQueueState,
    Event,
    NoShowEvent,
    QueueState,
    ServedEvent,
    ServiceQueueState,
    TransferredEvent,
    VipAlert,
)
from edge_agent.queue.estimate import WaitEstimate
from edge_agent.queue.model import Ticket
from edge_agent.queue.snapshot import QueueSnapshot
from edge_agent.store.directory import Customer

__all__ = ["Event", "arrival", "vip_alert", "called", "served", "no_show", "transferred", "queue_state"]


def _eta(estimate: WaitEstimate | None) -> tuple[int | None, tuple[int, int] | None]:
    if estimate is None:
        return None, None
    return round(estimate.expected_s), (round(estimate.low_s), round(estimate.high_s))


def arrival(ticket: Ticket, ahead: int, estimate: WaitEstimate | None, kiosk: str | None, card: CardIdentity | None) -> ArrivalEvent:
    eta, eta_range = _eta(estimate)
    return ArrivalEvent(
        ticket=ticket.label, ticket_id=ticket.id, service=ticket.service, tier=ticket.tier, issued_at=ticket.issued_at,
        ahead=ahead, eta_s=eta, eta_range_s=eta_range, kiosk=kiosk,
        customer=ArrivalCustomer(identified=card is not None, masked_pan=card.masked_pan if card else None),
    )


def vip_alert(ticket: Ticket, customer: Customer, card: CardIdentity) -> VipAlert:
    return VipAlert(
        ticket=ticket.label, ticket_id=ticket.id, service=ticket.service, tier=customer.tier, issued_at=ticket.issued_at,
        customer=AlertCustomer(display_name=customer.display_name, rm=customer.rm, masked_pan=card.masked_pan),
    )


def _waited_s(ticket: Ticket, until: datetime) -> int:
    return max(0, round((until - ticket.queued_at).total_seconds()))


def called(ticket: Ticket, now: datetime, recall: bool) -> CalledEvent:
    return CalledEvent(
        ticket=ticket.label, ticket_id=ticket.id, counter=ticket.counter, service=ticket.service, tier=ticket.tier,
        at=now, waited_s=_waited_s(ticket, ticket.called_at or now), recall=recall,
    )


def served(ticket: Ticket, now: datetime) -> ServedEvent:
    took = round((now - ticket.called_at).total_seconds()) if ticket.called_at else 0
    return ServedEvent(
        ticket=ticket.label, ticket_id=ticket.id, counter=ticket.counter, service=ticket.service, at=now, service_time_s=took
    )


def no_show(ticket: Ticket, now: datetime) -> NoShowEvent:
    return NoShowEvent(ticket=ticket.label, ticket_id=ticket.id, counter=ticket.counter, service=ticket.service, at=now)


def transferred(ticket: Ticket, from_service: str, counter: str | None, now: datetime) -> TransferredEvent:
    return TransferredEvent(
        ticket=ticket.label, ticket_id=ticket.id, counter=counter, from_service=from_service, to_service=ticket.service, at=now
    )


def ticket_summary(ticket: Ticket, now: datetime) -> dict:
    """What a teller's screen shows about a ticket in an answer."""
    return {
        "ticket": ticket.label,
        "ticket_id": ticket.id,
        "service": ticket.service,
        "tier": ticket.tier.value,
        "state": ticket.state.value,
        "counter": ticket.counter,
        "issued_at": ticket.issued_at.isoformat(),
        "waited_s": _waited_s(ticket, ticket.called_at or now),
    }


def ticket_answer(
    ticket: Ticket,
    ahead: int,
    estimate: WaitEstimate | None,
    customer: Customer | None,
    alert: VipAlert | None,
    config: BranchConfig,
) -> dict:
    """The kiosk's answer to `request/ticket`: what its ticket screen and greeting need."""
    eta, eta_range = _eta(estimate)
    service = config.service(ticket.service)
    greeting = None
    if customer is not None:
        rule = config.tiers.get(customer.tier)
        greeting = {
            "display_name": customer.display_name,
            "tier": customer.tier.value,
            "tier_name_zh": rule.name_zh if rule else customer.tier.value,
            "tier_name_en": rule.name_en if rule else customer.tier.value,
            "manager_alerted": alert is not None,
        }
    return {
        "ticket": ticket.label,
        "ticket_id": ticket.id,
        "service": ticket.service,
        "service_zh": service.name_zh,
        "service_en": service.name_en,
        "tier": ticket.tier.value,
        "issued_at": ticket.issued_at.isoformat(),
        "ahead": ahead,
        "eta_s": eta,
        "eta_range_s": list(eta_range) if eta_range else None,
        "customer": greeting,
        "printed": None,  # filled in once the printer has answered
    }


def queue_state(snapshot: QueueSnapshot) -> QueueState:
    services = {}
    for sid, s in snapshot.services.items():
        eta, eta_range = _eta(s.estimate)
        services[sid] = ServiceQueueState(
            waiting=s.waiting, longest_wait_s=round(s.longest_wait_s), eta_s=eta, eta_range_s=eta_range,
            target_wait_s=round(s.target_wait_s), counters_open=s.counters_open,
        )
    counters = {
        cid: CounterQueueState(open=c.open, serving=c.serving, services=list(c.services)) for cid, c in snapshot.counters.items()
    }
    return QueueState(at=snapshot.at, services=services, counters=counters)
