"""Every branch's lobby right now, from the states the branches last published.

Pure: `branch_lines` turns the registry and the `branch_state` rows into what the network
view, a branch's drill-down and the fleet page show; `load` reads them in one query each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

import psycopg
from pydantic import BaseModel

from head_office.db import branches
from head_office.routing import BridgeState
from lobby.contract import AgentState, Availability, DeviceState, DeviceStatus, QueueState

M = TypeVar("M", bound=BaseModel)
UNASSIGNED = "—"  # a branch that publishes but is not in the registry yet


@dataclass(frozen=True)
class ServiceLine:
    id: str
    name_zh: str
    name_en: str
    waiting: int
    longest_wait_s: int
    target_wait_s: int
    counters_open: int
    eta_min: int | None

    @property
    def over_target(self) -> bool:
        return self.longest_wait_s > self.target_wait_s


@dataclass(frozen=True)
class DeviceLine:
    branch: str
    branch_name: str
    region: str
    device: str
    kind: str
    status: DeviceStatus
    detail: str
    since: datetime | None


@dataclass
class BranchLine:
    id: str
    name: str
    region: str
    reachable: bool = False
    why_unreachable: str = "head office has never heard from this branch"
    version: str = ""
    outbox_pending: int = 0
    heartbeat_at: datetime | None = None
    queue_at: datetime | None = None
    services: list[ServiceLine] = field(default_factory=list)
    counters_open: int = 0
    counters: int = 0
    devices: list[DeviceLine] = field(default_factory=list)
    link_key: str | None = None  # the public key its ticket links are checked with
    queue: QueueState | None = None  # its queue/state as published (the phone page reads its ticket's place there)

    @property
    def waiting(self) -> int:
        return sum(s.waiting for s in self.services)

    @property
    def over_target(self) -> int:
        return sum(1 for s in self.services if s.over_target)

    @property
    def devices_in_trouble(self) -> list[DeviceLine]:
        return [d for d in self.devices if not d.status.working]


SORTS = {
    "name": lambda b: (b.name, b.id),
    "region": lambda b: (b.region, b.name),
    "waiting": lambda b: (-b.waiting, b.name),
    "over_target": lambda b: (-b.over_target, -b.waiting, b.name),
    "devices": lambda b: (-len(b.devices_in_trouble), b.name),
    "outbox": lambda b: (-b.outbox_pending, b.name),
    "reachable": lambda b: (b.reachable, b.name),  # the unreachable first
}


def _read(model: type[M], payload: str | dict) -> M:
    """A stored state as the contract's model: JSON text from the database, a dict from a test."""
    return model.model_validate_json(payload) if isinstance(payload, str) else model.model_validate(payload)


def branch_lines(
    registry: dict[str, tuple[str, str]], states: Sequence[tuple[str, str, str, str | dict, datetime]], now: datetime, stale_heartbeats: float
) -> dict[str, BranchLine]:
    """`registry`: id -> (name, region); `states`: (branch, kind, key, payload, at) rows."""
    lines = {bid: BranchLine(bid, name, region) for bid, (name, region) in registry.items()}
    bridges: dict[str, tuple[bool, datetime]] = {}
    for branch, kind, key, payload, at in states:
        line = lines.setdefault(branch, BranchLine(branch, branch, UNASSIGNED))
        # Written by the ingester only after the contract's model read it (head_office/routing.py).
        if kind == "agent":
            _agent(line, _read(AgentState, payload), now, stale_heartbeats)
        elif kind == "queue":
            _queue(line, _read(QueueState, payload))
        elif kind == "device":
            device = _read(DeviceState, payload)
            line.devices.append(DeviceLine(branch, line.name, line.region, key, device.kind, device.status, device.detail, device.since or at))
        elif kind == "bridge":
            bridges[branch] = (_read(BridgeState, payload).connected, at)
    for branch, (connected, at) in bridges.items():
        if not connected:  # the branch broker's link to head office is down: what we hold is old
            lines[branch].reachable = False
            lines[branch].why_unreachable = f"the branch's link to head office is down since {at:%Y-%m-%d %H:%M}"
    return lines


def _agent(line: BranchLine, state: AgentState, now: datetime, stale_heartbeats: float) -> None:
    line.version = state.version
    line.outbox_pending = state.outbox_pending
    line.link_key = state.ticket_link_key
    if line.region == UNASSIGNED and state.branch_name:
        line.name = state.branch_name  # until the registry names it
    line.heartbeat_at = heartbeat = state.heartbeat_at
    if state.state is not Availability.ONLINE:
        line.why_unreachable = f"the branch's agent is offline (up since {state.since:%Y-%m-%d %H:%M})"
    elif heartbeat is None or state.heartbeat_s is None:
        line.why_unreachable = "the branch's agent says it is online but sends no heartbeat"
    elif now - heartbeat > timedelta(seconds=stale_heartbeats * state.heartbeat_s):
        line.why_unreachable = f"nothing from the branch since {heartbeat:%Y-%m-%d %H:%M:%S}"
    else:
        line.reachable, line.why_unreachable = True, ""


def _queue(line: BranchLine, state: QueueState) -> None:
    line.queue = state
    line.queue_at = state.at
    line.services = [
        ServiceLine(sid, s.name_zh or sid, s.name_en, s.waiting, s.longest_wait_s, s.target_wait_s, s.counters_open, s.eta_min)
        for sid, s in state.services.items()
    ]
    line.counters = len(state.counters)
    line.counters_open = sum(1 for c in state.counters.values() if c.open)


def registry(conn: psycopg.Connection, branch: str | None = None) -> dict[str, tuple[str, str]]:
    """Every branch's name and region (or one branch's: the phone page asks every second)."""
    return branches.registry(conn, branch)


def load(conn: psycopg.Connection, now: datetime, stale_heartbeats: float, branch: str | None = None) -> dict[str, BranchLine]:
    """Every branch (or one) as it is now."""
    return branch_lines(registry(conn, branch), branches.states(conn, branch), now, stale_heartbeats)


def import_branches(conn: psycopg.Connection, rows: list[dict[str, str]]) -> int:
    """`branch_id,name,region` rows (a CSV's): added or renamed/moved; returns how many."""
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        bid, name, region = (row.get(k, "").strip() for k in ("branch_id", "name", "region"))
        if not (bid and name and region):
            raise ValueError(f"line {number}: every branch needs branch_id, name and region")
    branches.save(conn, [(row["branch_id"].strip(), row["name"].strip(), row["region"].strip()) for row in rows])
    return len(rows)
