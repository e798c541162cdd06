"""Payloads as a branch publishes them, built from the contract's models: a field renamed or
dropped there breaks the tests that use these, as it would break head office."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lobby.contract import (
    AgentState,
    ArrivalCustomer,
    ArrivalEvent,
    CalledEvent,
    CounterQueueState,
    DeviceState,
    ExpiredEvent,
    NoShowEvent,
    QueueState,
    ServedEvent,
    ServiceQueueState,
    Tier,
    TransferredEvent,
    WaitingEta,
)

AT = datetime(2026, 12, 5, 1, 41, 7, tzinfo=UTC)


def _json(model) -> dict:
    return model.model_dump(mode="json")


def arrival(ticket: str = "A002", service: str = "cash", at: datetime = AT, masked_pan: str | None = None, **more) -> dict:
    return _json(ArrivalEvent(
        ticket=ticket, ticket_id=f"t-{ticket}", service=service, tier=Tier.MASS, issued_at=at, ahead=1, eta_s=400, eta_range_s=(180, 720),
        kiosk="kiosk-1", customer=ArrivalCustomer(identified=masked_pan is not None, masked_pan=masked_pan), **more,
    ))


def called(counter: str = "3", ticket: str = "A002", service: str = "cash", at: datetime = AT, recall: bool = False, **more) -> dict:
    return _json(CalledEvent(
        ticket=ticket, ticket_id=f"t-{ticket}", counter=counter, service=service, tier=Tier.MASS, at=at, waited_s=300, recall=recall, **more,
    ))


def served(ticket: str = "A002", counter: str = "3", service: str = "cash", at: datetime = AT) -> dict:
    return _json(ServedEvent(ticket=ticket, ticket_id=f"t-{ticket}", counter=counter, service=service, at=at, service_time_s=240))


def no_show(ticket: str = "A002", counter: str = "3", service: str = "cash", at: datetime = AT) -> dict:
    return _json(NoShowEvent(ticket=ticket, ticket_id=f"t-{ticket}", counter=counter, service=service, at=at))


def expired(ticket: str = "A002", service: str = "cash", at: datetime = AT) -> dict:
    return _json(ExpiredEvent(ticket=ticket, ticket_id=f"t-{ticket}", service=service, tier=Tier.MASS, issued_at=at, at=at, waited_s=0))


def transferred(to_service: str, ticket: str = "A002", from_service: str = "cash", at: datetime = AT) -> dict:
    return _json(TransferredEvent(ticket=ticket, ticket_id=f"t-{ticket}", counter="3", from_service=from_service, to_service=to_service, at=at))


def agent_state(now: datetime, state: str = "online", beat_ago_s: float | None = 5.0, heartbeat_s: float | None = 10, **more) -> dict:
    return _json(AgentState(
        state=state, version="0.1.0", since=now - timedelta(hours=3),
        heartbeat_at=None if beat_ago_s is None else now - timedelta(seconds=beat_ago_s), heartbeat_s=heartbeat_s, **more,
    ))


def waiting_eta(ticket: str, eta_s: int, low: int, high: int) -> WaitingEta:
    return WaitingEta(ticket=ticket, eta_s=eta_s, eta_range_s=(low, high))


def service_state(waiting: int = 2, longest: int = 300, target: int = 600, etas=(), name_zh: str = "现金") -> ServiceQueueState:
    return ServiceQueueState(
        name_zh=name_zh, name_en="Cash", waiting=waiting, longest_wait_s=longest, eta_s=300, eta_range_s=(120, 600), eta_min=4,
        target_wait_s=target, counters_open=1, waiting_etas=list(etas),
    )


def queue_state(now: datetime, **services: ServiceQueueState) -> dict:
    return _json(QueueState(at=now, services=services, counters={
        "1": CounterQueueState(open=True, serving=None, services=["cash"]),
        "2": CounterQueueState(open=False, serving=None, services=["cash"]),
    }))


def device_state(now: datetime, status: str, kind: str = "printer", detail: str = "") -> dict:
    return _json(DeviceState(kind=kind, status=status, detail=detail, since=now))
