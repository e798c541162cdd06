"""Wait predictors side by side: each turns a `WaitSituation` into a middle figure and an
80 % range. Pure logic; the learned one lives in edge_agent/wait_model (it needs
scikit-learn and a model file) and keeps the same rules.

- naive: people ahead x the configured service time, the figure a paper sign would give.
- today: the capacity estimator the branch shipped with (estimate.py).
- les: last-to-enter-service, the wait of the latest customer of the service to be called
  (Ibrahim & Whitt's delay-history predictor); today's estimator until someone was called.
- queue_length: Ibrahim & Whitt's queue-length predictor for many servers: the ticket is
  called after `ahead - idle + 1` counters come free, and with the service's share of the
  open counters (`capacity`) finishing customers at rate capacity / mean service time, the
  wait is Erlang (gamma) distributed; the middle figure is its median, the range its 10th
  and 90th percentiles. It is the fallback until the branch has enough history to learn.

Rules every predictor keeps (`settle`): no estimate when no open counter serves the
service; a wait of 0 when a counter is free for the ticket now; never negative; the range
always holds the middle figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol

from scipy.special import gammaincinv

from edge_agent.queue.estimate import RANGE_Z, WaitEstimate
from edge_agent.queue.situation import WaitSituation

LOW_Q, HIGH_Q = 0.10, 0.90  # the printed range is a central 80 % interval


class Predictor(Protocol):
    name: str

    def predict(self, situations: Sequence[WaitSituation]) -> list[WaitEstimate | None]:
        """One estimate per situation, in order; None where nobody can say (no counter open)."""
        ...


def free_now(situation: WaitSituation) -> bool:
    return situation.counters_open > 0 and situation.ahead < situation.counters_idle


def settle(situation: WaitSituation, middle: float, low: float, high: float) -> WaitEstimate | None:
    """Apply the rules every predictor keeps to a raw (middle, low, high) in seconds."""
    if situation.counters_open == 0:
        return None
    if free_now(situation):
        return WaitEstimate(0.0, 0.0, 0.0)
    middle = max(0.0, middle) if math.isfinite(middle) else 0.0
    low = min(max(0.0, low), middle) if math.isfinite(low) else 0.0
    high = max(high, middle) if math.isfinite(high) else middle
    return WaitEstimate(middle, low, high)


def _erlang_band(situation: WaitSituation, middle: float) -> tuple[float, float, float]:
    """A range for a point estimate: the spread of the sum of `ahead + 1` service times."""
    spread = RANGE_Z * middle / math.sqrt(situation.ahead + 1)
    return middle, middle - spread, middle + spread


class Naive:
    name = "naive"

    def __init__(self, default_service_s: Mapping[str, float]):
        self.default_service_s = dict(default_service_s)

    def predict(self, situations: Sequence[WaitSituation]) -> list[WaitEstimate | None]:
        return [settle(s, *_erlang_band(s, s.ahead * self.default_service_s[s.service])) for s in situations]


class Today:
    name = "today"

    def predict(self, situations: Sequence[WaitSituation]) -> list[WaitEstimate | None]:
        return [
            None if s.today_s is None else settle(s, s.today_s, s.today_low_s or 0.0, s.today_high_s or s.today_s)
            for s in situations
        ]


class LastToEnterService:
    name = "les"

    def __init__(self) -> None:
        self._today = Today()  # until somebody of the service has been called

    def predict(self, situations: Sequence[WaitSituation]) -> list[WaitEstimate | None]:
        estimates = []
        for s in situations:
            if s.les_s is None:
                estimates += self._today.predict([s])
            else:
                estimates.append(settle(s, *_erlang_band(s, s.les_s)))
        return estimates


class QueueLength:
    name = "queue_length"

    def predict(self, situations: Sequence[WaitSituation]) -> list[WaitEstimate | None]:
        estimates = []
        for s in situations:
            if s.capacity <= 0:
                estimates.append(settle(s, 0.0, 0.0, 0.0))
                continue
            departures = max(1, s.ahead - s.counters_idle + 1)
            scale = s.mean_service_s / s.capacity
            low, middle, high = (float(gammaincinv(departures, q)) * scale for q in (LOW_Q, 0.5, HIGH_Q))
            estimates.append(settle(s, middle, low, high))
        return estimates
