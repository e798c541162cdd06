"""Branch states and a ticket's status as head office reads them, built from the contract's models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from head_office.network import BranchLine
from head_office.ticket_status import ticket_status
from lobby.contract import QueueState
from lobby.ticket_link import TicketClaim
from tests.contract_payloads import queue_state, service_state, waiting_eta

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


REGISTRY = {"b1": ("陆家嘴支行", "East"), "b2": ("南山支行", "South")}


def queue(**services) -> dict:
    return queue_state(NOW, **services)


service = service_state


CLAIM = TicketClaim("b1", "20261205-A002", "cash", NOW + timedelta(hours=7))


ETAS = [waiting_eta("A001", 60, 0, 120), waiting_eta("A002", 400, 180, 720)]


def status(events, reachable=True, q=None):
    line = BranchLine("b1", "陆家嘴支行", "East", reachable=reachable)
    line.queue = QueueState.model_validate(queue(cash=service(etas=ETAS)) if q is None else q)
    return ticket_status(CLAIM, events, line)
