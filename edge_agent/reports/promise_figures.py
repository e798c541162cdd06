"""The wait we promised, kept or not: what each ticket was told against how long it waited. Pure.

A ticket counts once it was told a wait (a counter was open) and then called. *Inside*:
the wait fell within the printed range. Error: the middle figure minus the wait (positive:
we said too long).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PromiseRow:
    service: str
    predictor: str
    told_s: float
    low_s: float
    high_s: float
    waited_s: float


@dataclass
class Kept:
    errors_s: list[float] = field(default_factory=list)
    inside: int = 0

    @property
    def told(self) -> int:
        return len(self.errors_s)

    @property
    def inside_pct(self) -> float | None:
        return round(100 * self.inside / self.told, 1) if self.told else None

    @property
    def mae_min(self) -> float | None:
        return round(statistics.mean(map(abs, self.errors_s)) / 60, 2) if self.errors_s else None

    @property
    def bias_min(self) -> float | None:
        return round(statistics.mean(self.errors_s) / 60, 2) if self.errors_s else None


@dataclass
class PromiseFigures:
    all: Kept = field(default_factory=Kept)
    per_service: dict[str, Kept] = field(default_factory=dict)
    predictors: Counter = field(default_factory=Counter)


def compute_promise(rows: list[PromiseRow]) -> PromiseFigures:
    figures = PromiseFigures()
    for row in rows:
        inside = row.low_s <= row.waited_s <= row.high_s
        for kept in (figures.all, figures.per_service.setdefault(row.service, Kept())):
            kept.errors_s.append(row.told_s - row.waited_s)
            kept.inside += inside
        figures.predictors[row.predictor] += 1
    return figures
