"""Rebuilding the engine's state from what the store kept, refusing what does not add up.

The store writes a ticket and its counter in one transaction, so after any crash they
agree. What can still disagree is the configuration: a technician may have removed a
service or a counter that still had customers. That needs a person, so every such
problem is named at once instead of silently moving customers around.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date

from edge_agent.queue.model import CounterSpec, CounterState, EngineState, ServiceSpec, Ticket
from lobby.contract import TicketState


def recovered_state(
    services: Mapping[str, ServiceSpec],
    counters: Mapping[str, CounterSpec],
    tickets: Iterable[Ticket],
    counter_states: Iterable[CounterState],
    last_numbers: Mapping[tuple[date, str], int],
) -> EngineState:
    """The engine's state from stored rows. Served and missed tickets may be passed too:
    they are not queued, but numbering never goes below them.

    Raises ValueError listing every inconsistency. Counter states for counters no longer
    configured are dropped when they serve nobody; configured counters without a stored
    state start closed.
    """
    state = EngineState(counters={cid: CounterState(id=cid) for cid in counters})
    state.last_numbers = dict(last_numbers)
    problems: list[str] = []
    for ticket in tickets:
        # Never below a number a customer already holds, even if the stored numbering lagged.
        key = (ticket.business_day, ticket.original_service)
        state.last_numbers[key] = max(state.last_numbers.get(key, 0), ticket.number)
        if not ticket.is_open:
            continue
        if ticket.id in state.tickets:
            problems.append(f"ticket {ticket.id} appears twice")
        if ticket.service not in services:
            problems.append(f"ticket {ticket.id} waits for service '{ticket.service}', which is no longer configured")
        elif not any(ticket.service in c.services for c in counters.values()):
            problems.append(f"ticket {ticket.id} waits for service '{ticket.service}', which no counter serves any more")
        state.tickets[ticket.id] = replace(ticket)
    for stored in counter_states:
        if stored.id in counters:
            state.counters[stored.id] = replace(stored)
        elif stored.serving:
            problems.append(f"counter '{stored.id}' is no longer configured but is serving {stored.serving}")
    for ticket in state.tickets.values():
        counter = state.counters.get(ticket.counter or "")
        if ticket.state is TicketState.CALLED and (counter is None or counter.serving != ticket.id):
            problems.append(f"ticket {ticket.id} is called at counter '{ticket.counter}', which is not serving it")
    for counter in state.counters.values():
        served = state.tickets.get(counter.serving or "")
        if counter.serving and (served is None or served.state is not TicketState.CALLED or not counter.open):
            problems.append(f"counter '{counter.id}' is serving {counter.serving}, which is not a ticket called there")
    if problems:
        raise ValueError("cannot restore the queue: " + "; ".join(problems))
    state.business_day = max((day for day, _ in state.last_numbers), default=None)
    return state
