"""What the branch knows about a ticket's wait at the moment it is issued (or re-estimated).

Pure data. The engine fills it (`QueueEngine.situation`); every wait predictor reads it
(predictors.py, edge_agent/wait_model); the store keeps the one taken at issue beside the
wait that followed, which is what the learned predictor trains on. So the fields are the
facts a branch head would name, not model internals, and adding one is a format change
(`FORMAT`) that retires models trained on the old one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

FORMAT = 1


@dataclass(frozen=True)
class WaitSituation:
    service: str
    tier: str
    weekday: int  # 0 = Monday, local
    minute_of_day: int  # local
    ahead: int  # tickets of this service the counters would call first
    ahead_priority: int  # of those, tickets in the priority tiers of the service's first open counter
    ahead_mass: int  # of those, mass-tier tickets
    waiting_service: int  # everyone waiting for this service, the ticket included
    waiting_shared: int  # waiting for the other services of the counters that serve this one
    counters_open: int  # open counters serving this service
    counters_idle: int  # of those, not serving anybody
    # The longest any customer at the busy ones has been served (None: none busy):
    # a counter that has just called someone frees up later than one about to finish.
    serving_elapsed_s: float | None
    capacity: float  # counters' worth of time given to this service (estimate.capacity)
    mean_service_s: float  # learned service time, exponentially weighted
    sd_service_s: float
    profile: str  # the work profile kind of the first open counter serving it ("" if none)
    tier_priority: bool  # that profile puts this ticket's tier first (ratio) or weights it up
    # Today's estimator (estimate.estimate_wait); None when no counter is open.
    today_s: float | None
    today_low_s: float | None
    today_high_s: float | None
    # Last-to-enter-service: the wait of the latest ticket of this service to be called
    # (within the hour), how long ago, and the mean wait of the last few called.
    les_s: float | None
    les_age_s: float | None
    recent_wait_s: float | None

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> WaitSituation:
        """Raises KeyError or TypeError for a situation stored in another format."""
        names = {f.name for f in fields(cls)}
        if set(data) != names:
            raise KeyError(f"situation fields differ: {sorted(set(data) ^ names)}")
        return cls(**data)
