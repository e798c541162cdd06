"""Estimated wait: learned service times and the arithmetic that turns them into a range.

The model, in the words a branch head would use:
- Each service has a typical service time, learned from completed tickets as an
  exponentially weighted mean and variance (recent tickets count most). Before there is
  history the configured default stands in, counted as one observation, so the first real
  tickets move the figure quickly and later ones only nudge it.
- A counter serving several services splits its time among them in proportion to the
  work each brings it: a service's waiting work (people waiting x typical service time)
  spread evenly over the open counters serving it. When nobody waits for its other
  services, the whole counter is yours. Summed over the open counters, that is the
  service's capacity C, in counters.
- A ticket with `ahead` people before it is called once they have all been called and a
  counter has come free. Idle counters take one each at once; after that every call needs
  a counter to finish someone, and the customers being served are on average part-way
  through ((1 + cv^2) / 2 of a service time left, at most a whole one; cv is the learned
  coefficient of variation): expected wait = (ahead - idle + (1 + cv^2) / 2) x mean / C, or 0 when
  ahead < idle.
- The range is the expected wait +/- 1.28 standard deviations of that many service times
  shared over C counters (an 80 % band if service times were normal).
Customers who arrive later with higher priority are not foreseen; bench/wait_estimate.py
measures how much that and everything else costs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ALPHA = 0.1  # weight of the newest completed ticket once there is history (~10-ticket memory)
PRIOR_CV = 0.5  # spread assumed around the configured default before any history
OUTLIER_FACTOR = 4.0  # a teller who forgets to press "complete" must not double the estimate
RANGE_Z = 1.28


@dataclass(frozen=True)
class WaitEstimate:
    expected_s: float
    low_s: float
    high_s: float


@dataclass(frozen=True)
class _Learned:
    mean: float
    var: float
    count: int = 0


class ServiceTimes:
    """Exponentially weighted service time per service, fed by `observe`."""

    def __init__(self, defaults: Mapping[str, float], alpha: float = ALPHA):
        if not 0 < alpha <= 1:
            raise ValueError("alpha must be in (0, 1]")
        self.alpha = alpha
        self._learned = {service: _Learned(d, (PRIOR_CV * d) ** 2) for service, d in defaults.items()}

    def observe(self, service: str, duration_s: float) -> None:
        """Learn from one completed ticket (finished_at - called_at). Non-positive durations,
        which only a clock stepped backwards can produce, are ignored."""
        learned = self._learned[service]
        if duration_s <= 0:
            return
        x = min(duration_s, OUTLIER_FACTOR * learned.mean)
        # While history is short, a plain average (the default counting as one sample).
        alpha = max(self.alpha, 1 / (learned.count + 2))
        diff = x - learned.mean
        step = alpha * diff
        var = (1 - alpha) * (learned.var + diff * step)
        self._learned[service] = _Learned(learned.mean + step, var, learned.count + 1)

    def mean_s(self, service: str) -> float:
        return self._learned[service].mean

    def sd_s(self, service: str) -> float:
        return math.sqrt(self._learned[service].var)

    def count(self, service: str) -> int:
        return self._learned[service].count

    def copy(self) -> ServiceTimes:
        clone = ServiceTimes({}, self.alpha)
        clone._learned = dict(self._learned)  # _Learned is immutable: sharing is safe
        return clone


@dataclass(frozen=True)
class OpenCounter:
    services: tuple[str, ...]
    idle: bool


def capacity(service: str, counters: Sequence[OpenCounter], work_s: Mapping[str, float]) -> tuple[float, int]:
    """(counters' worth of capacity for `service`, idle counters serving it).

    `work_s`: people waiting x typical service time, per service; for `service` it must
    include the customer asking, so it is never zero.
    """
    # A service's work is spread evenly over the open counters that serve it; each counter
    # then gives its services time in proportion to the work each brings it.
    serving = {s: sum(s in c.services for c in counters) for s in work_s}
    brought = {s: w / serving[s] for s, w in work_s.items() if serving[s]}
    total, idle = 0.0, 0
    for counter in counters:
        if service in counter.services:
            total += brought[service] / sum(brought.get(s, 0.0) for s in counter.services)
            idle += counter.idle
    return total, idle


def estimate_wait(ahead: int, counters: float, idle: int, mean_s: float, sd_s: float) -> WaitEstimate | None:
    """Wait for a ticket with `ahead` people before it; None when no open counter serves it."""
    if counters <= 0:
        return None
    if ahead < idle:
        return WaitEstimate(0.0, 0.0, 0.0)
    # The customers at the counters are part-way through: a random arrival sees, on
    # average, (1 + cv^2) / 2 of a service time left (renewal theory), not a whole one.
    residual = min(1.0, (1 + (sd_s / mean_s) ** 2) / 2)
    units = ahead - idle + residual
    expected = units * mean_s / counters
    spread = RANGE_Z * sd_s * math.sqrt(units / counters)
    return WaitEstimate(expected, max(0.0, expected - spread), expected + spread)
