"""识别转介 in figures: who refers, why, how fast an RM answers, what comes of it. Pure.

- accepted within target: an RM accepted the referral no later than `[referrals]
  accept_target_min` after it was made;
- conversion per RM: converted / referrals that RM accepted and decided (converted,
  follow-up or declined);
- open follow-ups: referrals in `follow_up` whose outcome was recorded by the report's last day.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ReferralRow:
    created_at: datetime
    referrer: str  # a name as people read it, "张敏 (M101)"
    triggers: tuple[str, ...]
    state: str
    accepted_by: str | None
    accepted_at: datetime | None


@dataclass
class RmFigures:
    accepted: int = 0
    converted: int = 0
    follow_up: int = 0
    declined: int = 0

    @property
    def conversion_pct(self) -> float | None:
        decided = self.converted + self.follow_up + self.declined
        return round(100 * self.converted / decided, 1) if decided else None


@dataclass
class ReferralFigures:
    total: int = 0
    accepted: int = 0
    accepted_within_target: int = 0
    accept_target_min: float = 5
    accept_median_min: float | None = None
    per_referrer: Counter = field(default_factory=Counter)
    per_trigger: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)  # state -> referrals
    per_rm: dict[str, RmFigures] = field(default_factory=dict)
    open_follow_ups: int = 0

    @property
    def within_target_pct(self) -> float | None:
        return round(100 * self.accepted_within_target / self.total, 1) if self.total else None


def compute_referrals(rows: list[ReferralRow], accept_target_min: float, open_follow_ups: int) -> ReferralFigures:
    figures = ReferralFigures(total=len(rows), accept_target_min=accept_target_min, open_follow_ups=open_follow_ups)
    waits = []
    for row in rows:
        figures.per_referrer[row.referrer] += 1
        figures.per_trigger.update(row.triggers)
        figures.outcomes[row.state] += 1
        if row.accepted_at is None or row.accepted_by is None:
            continue
        figures.accepted += 1
        minutes = (row.accepted_at - row.created_at).total_seconds() / 60
        waits.append(minutes)
        if minutes <= accept_target_min:
            figures.accepted_within_target += 1
        rm = figures.per_rm.setdefault(row.accepted_by, RmFigures())
        rm.accepted += 1
        if row.state in ("converted", "follow_up", "declined"):
            setattr(rm, row.state, getattr(rm, row.state) + 1)
    figures.accept_median_min = round(statistics.median(waits), 1) if waits else None
    return figures
