"""The queue at a glance: what the hall display, the teller pages and `queue/state` show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from edge_agent.queue.estimate import WaitEstimate


@dataclass(frozen=True)
class ServiceSnapshot:
    waiting: int
    longest_wait_s: float
    target_wait_s: float
    counters_open: int  # open counters serving this service
    # For a customer taking a ticket now outside the priority tiers; None when no open
    # counter serves the service (nobody can say when one will open).
    estimate: WaitEstimate | None
    # Every waiting ticket in call order, with its remaining wait re-estimated now.
    waiting_estimates: list[tuple[str, WaitEstimate | None]] = field(default_factory=list)


@dataclass(frozen=True)
class CounterSnapshot:
    open: bool
    serving: str | None  # the label the customer holds, e.g. "A012"
    serving_ticket_id: str | None
    services: tuple[str, ...]


@dataclass(frozen=True)
class QueueSnapshot:
    at: datetime
    business_day: date | None  # None until the first ticket
    services: dict[str, ServiceSnapshot]
    counters: dict[str, CounterSnapshot]

    def as_dict(self) -> dict:
        """JSON-ready: ISO-8601 times, whole seconds."""
        return {
            "at": self.at.isoformat(),
            "business_day": self.business_day.isoformat() if self.business_day else None,
            "services": {
                sid: {
                    "waiting": s.waiting,
                    "longest_wait_s": round(s.longest_wait_s),
                    "target_wait_s": round(s.target_wait_s),
                    "counters_open": s.counters_open,
                    "eta_s": round(s.estimate.expected_s) if s.estimate else None,
                    "eta_range_s": [round(s.estimate.low_s), round(s.estimate.high_s)] if s.estimate else None,
                }
                for sid, s in self.services.items()
            },
            "counters": {
                cid: {"open": c.open, "serving": c.serving, "serving_ticket_id": c.serving_ticket_id, "services": list(c.services)}
                for cid, c in self.counters.items()
            },
        }
