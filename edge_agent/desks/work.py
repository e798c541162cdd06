"""What the branch's desks (staff, referrals, promotions) need of the branch: its settings,
its store and clock, the one transaction every operation goes through, who is acting, and
answering a VIP alert. A Protocol, so the desks depend on this and not on Branch itself."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

from edge_agent.store.db import Store
from edge_agent.store.staff import Session
from lobby.config import BranchConfig
from lobby.contract import AlertAckAnswer, Answer

A = TypeVar("A", bound=Answer)
Clock = Callable[[], datetime]


class BranchWork(Protocol):
    config: BranchConfig
    store: Store
    clock: Clock

    def perform(self, op: str, transaction: str | None, action: Callable[[sqlite3.Connection, datetime], A]) -> A:
        """Run `action` in one write transaction (see edge_agent/branch.py)."""
        ...

    def actor(self, conn: sqlite3.Connection, now: datetime, token: str | None, op: str, counter: str | None = None) -> Session | None:
        """The signed-in person behind a request for `op`, as the contract's entry for it asks
        (edge_agent/desks/staff.py)."""
        ...

    def answer_alert(self, conn: sqlite3.Connection, now: datetime, alert_id: str, by: str, outcome: str) -> AlertAckAnswer:
        ...
