"""Turning queue changes into the contract's events and answers (pure: no store, no bus).

What goes where is a privacy decision made here, once:
- `events/arrival` (read by displays, tellers, head office) says whether a card was used and
  its masked number, never a name;
- `alerts/vip` (read by managers only) carries the name the bank uses and the RM;
- nothing carries the card token or a full card number.
"""

from __future__ import annotations

from datetime import datetime

from edge_agent.queue.estimate import WaitEstimate
from edge_agent.queue.model import Ticket
from edge_agent.queue.snapshot import QueueSnapshot
from edge_agent.store.directory import Customer
from lobby.config import BranchConfig
from lobby.contract import (
    AlertAnsweredEvent,
    AlertCustomer,
    ArrivalCustomer,
    ArrivalEvent,
    CalledAnswer,
    CalledEvent,
    CardholderAnswer,
    CardIdentity,
    CounterQueueState,
    ExpiredEvent,
    Greeting,
    NoShowEvent,
    QueueState,
    ServedEvent,
    ServiceQueueState,
    TicketAnswer,
    TicketSummary,
    Tier,
    TransferAnswer,
    TransferredEvent,
    VipAlert,
    WaitingEta,
)
from lobby.waits import minutes


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


def alert_answered(
    alert_id: str, ticket_id: str, label: str, outcome: str, by: str, at: datetime, after_s: int
) -> AlertAnsweredEvent:
    return AlertAnsweredEvent(alert_id=alert_id, ticket=label, ticket_id=ticket_id, outcome=outcome, by=by, at=at, after_s=after_s)


def vip_alert(ticket: Ticket, customer: Customer, card: CardIdentity) -> VipAlert:
    return VipAlert(
        ticket=ticket.label, ticket_id=ticket.id, service=ticket.service, tier=customer.tier, issued_at=ticket.issued_at,
        customer=AlertCustomer(display_name=customer.display_name, rm=customer.rm, masked_pan=card.masked_pan),
    )


def _waited_s(ticket: Ticket, until: datetime) -> int:
    return max(0, round((until - ticket.queued_at).total_seconds()))


def called(ticket: Ticket, now: datetime, recall: bool, by: str | None = None) -> CalledEvent:
    return CalledEvent(
        ticket=ticket.label, ticket_id=ticket.id, counter=ticket.counter, service=ticket.service, tier=ticket.tier,
        at=now, waited_s=_waited_s(ticket, ticket.called_at or now), recall=recall, by=by, rule=ticket.call_rule,
    )


def served(ticket: Ticket, now: datetime) -> ServedEvent:
    took = round((now - ticket.called_at).total_seconds()) if ticket.called_at else 0
    return ServedEvent(
        ticket=ticket.label, ticket_id=ticket.id, counter=ticket.counter, service=ticket.service, at=now, service_time_s=took
    )


def expired(ticket: Ticket, now: datetime) -> ExpiredEvent:
    return ExpiredEvent(
        ticket=ticket.label, ticket_id=ticket.id, service=ticket.service, tier=ticket.tier, issued_at=ticket.issued_at,
        at=now, waited_s=round((now - ticket.issued_at).total_seconds()),
    )


def no_show(ticket: Ticket, now: datetime) -> NoShowEvent:
    return NoShowEvent(ticket=ticket.label, ticket_id=ticket.id, counter=ticket.counter, service=ticket.service, at=now)


def transferred(ticket: Ticket, from_service: str, counter: str | None, now: datetime) -> TransferredEvent:
    return TransferredEvent(
        ticket=ticket.label, ticket_id=ticket.id, counter=counter, from_service=from_service, to_service=ticket.service, at=now
    )


def ticket_summary(ticket: Ticket, now: datetime) -> TicketSummary:
    """What a teller's screen shows about a ticket in an answer."""
    return TicketSummary(**_summary_fields(ticket, now))


def _summary_fields(ticket: Ticket, now: datetime) -> dict:
    return {
        "ticket": ticket.label,
        "ticket_id": ticket.id,
        "service": ticket.service,
        "tier": ticket.tier,
        "state": ticket.state.value,
        "counter": ticket.counter,
        "issued_at": ticket.issued_at,
        "waited_s": _waited_s(ticket, ticket.called_at or now),
        "identified": ticket.customer_token is not None,
    }


def called_answer(ticket: Ticket, now: datetime, event: CalledEvent) -> CalledAnswer:
    return CalledAnswer(**_summary_fields(ticket, now), event_id=event.event_id)


def transfer_answer(ticket: Ticket, now: datetime, ahead: int) -> TransferAnswer:
    return TransferAnswer(**_summary_fields(ticket, now), ahead=ahead)


def _tier_names(config: BranchConfig, tier: Tier) -> tuple[str, str]:
    rule = config.tiers.get(tier)
    return (rule.name_zh, rule.name_en) if rule else (tier.value, tier.value)


def booked_greeting(config: BranchConfig, name: str, tier: Tier, rm_told: bool) -> Greeting:
    """How the kiosk greets a customer who booked under their name, as it greets a swiped card."""
    name_zh, name_en = _tier_names(config, tier)
    return Greeting(display_name=name, tier=tier, tier_name_zh=name_zh, tier_name_en=name_en, manager_alerted=rm_told)


def ticket_answer(
    ticket: Ticket,
    ahead: int,
    estimate: WaitEstimate | None,
    customer: Customer | None,
    alert: VipAlert | None,
    config: BranchConfig,
) -> TicketAnswer:
    """The kiosk's answer to `request/ticket`: what its ticket screen and greeting need."""
    eta, eta_range = _eta(estimate)
    service = config.service(ticket.service)
    greeting = None
    if customer is not None:
        name_zh, name_en = _tier_names(config, customer.tier)
        greeting = Greeting(
            display_name=customer.display_name, tier=customer.tier, tier_name_zh=name_zh, tier_name_en=name_en,
            manager_alerted=alert is not None,
        )
    return TicketAnswer(
        ticket=ticket.label, ticket_id=ticket.id, service=ticket.service, service_zh=service.name_zh,
        service_en=service.name_en, tier=ticket.tier, issued_at=ticket.issued_at, ahead=ahead, eta_s=eta,
        eta_range_s=eta_range, customer=greeting,
        printed=None,  # filled in once the printer has answered
    )


def cardholder_answer(customer: Customer | None, card: CardIdentity, config: BranchConfig) -> CardholderAnswer:
    """The kiosk's greeting after a swipe."""
    tier = customer.tier if customer else Tier.MASS
    name_zh, name_en = _tier_names(config, tier)
    return CardholderAnswer(
        known=customer is not None,
        display_name=customer.display_name if customer else None,
        tier=tier,
        tier_name_zh=name_zh,
        tier_name_en=name_en,
        manager_alerted_on_ticket=tier in config.alert_tiers and customer is not None,
        services=[s.id for s in config.services if not s.tiers or tier in s.tiers],
        masked_pan=card.masked_pan,
    )


def _waiting_eta(label: str, estimate: WaitEstimate | None) -> WaitingEta:
    eta, eta_range = _eta(estimate)
    return WaitingEta(ticket=label, eta_s=eta, eta_range_s=eta_range, eta_min=None if eta is None else minutes(eta))


def queue_state(snapshot: QueueSnapshot, config: BranchConfig) -> QueueState:
    services = {}
    for sid, s in snapshot.services.items():
        eta, eta_range = _eta(s.estimate)
        named = config.service(sid)
        services[sid] = ServiceQueueState(
            name_zh=named.name_zh, name_en=named.name_en,
            waiting=s.waiting, longest_wait_s=round(s.longest_wait_s), eta_s=eta, eta_range_s=eta_range,
            eta_min=None if eta is None else minutes(eta),
            target_wait_s=round(s.target_wait_s), counters_open=s.counters_open,
            waiting_etas=[_waiting_eta(label, e) for label, e in s.waiting_estimates],
        )
    counters = {
        cid: CounterQueueState(open=c.open, serving=c.serving, services=list(c.services)) for cid, c in snapshot.counters.items()
    }
    return QueueState(at=snapshot.at, services=services, counters=counters)
