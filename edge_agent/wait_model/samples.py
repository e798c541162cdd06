"""One finished wait, as the learned predictor learns from it (no scikit-learn needed here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from edge_agent.queue.situation import WaitSituation


@dataclass(frozen=True)
class Sample:
    situation: WaitSituation  # what the branch knew at issue
    waited_s: float  # seconds until the first call
    day: date  # the business day
