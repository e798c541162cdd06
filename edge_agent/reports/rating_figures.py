"""The customer's voice in figures: ratings you can trust, and complaints. Pure.

- a prompt is *answered* when the customer voted, *skipped* when it closed without a vote
  (timed out, or the counter called its next ticket);
- *satisfied*: a vote in the scale's top two (满意 or better);
- flags the manuals worry about: a teller whose skip rate is above `[ratings] skip_flag_pct`
  (at least MIN_PROMPTS_TO_FLAG prompts), and a teller whose votes (at least
  MIN_PROMPTS_TO_FLAG of them) nearly all (QUICK_SHARE_TO_FLAG) came within `[ratings]
  quick_vote_s` of the prompt, as when somebody presses 满意 for the customer (a real
  customer reads the screen first; the odd genuine vote does not clear the teller);
- complaints: time to acknowledge and to resolve, from their steps; overdue at the period's end.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

MIN_PROMPTS_TO_FLAG = 5
QUICK_SHARE_TO_FLAG = 0.8


@dataclass(frozen=True)
class PromptRow:
    opened_at: datetime  # in the branch's zone
    teller: str  # "陈柜员 (T301)", or "" on a branch without a roster
    counter: str
    service: str
    score: int | None
    voted_at: datetime | None
    closed: bool


@dataclass
class VoiceFigures:
    prompts: int = 0
    answered: int = 0
    scores: Counter = field(default_factory=Counter)
    satisfied: int = 0
    low: int = 0
    quick: int = 0

    @property
    def skipped(self) -> int:
        return self.prompts - self.answered

    @property
    def skip_pct(self) -> float | None:
        return round(100 * self.skipped / self.prompts, 1) if self.prompts else None

    @property
    def satisfied_pct(self) -> float | None:
        return round(100 * self.satisfied / self.answered, 1) if self.answered else None

    @property
    def mean_score(self) -> float | None:
        return round(sum(s * n for s, n in self.scores.items()) / self.answered, 2) if self.answered else None


@dataclass(frozen=True)
class ComplaintRow:
    category: str
    opened_at: datetime
    acked_at: datetime | None
    resolved_at: datetime | None
    state: str
    overdue: tuple[str, ...]


@dataclass
class RatingFigures:
    all: VoiceFigures = field(default_factory=VoiceFigures)
    per_teller: dict[str, VoiceFigures] = field(default_factory=dict)
    per_counter: dict[str, VoiceFigures] = field(default_factory=dict)
    per_service: dict[str, VoiceFigures] = field(default_factory=dict)
    per_hour: dict[int, VoiceFigures] = field(default_factory=dict)
    flags: list[tuple[str, str]] = field(default_factory=list)  # (teller, why)
    refused_votes: int = 0
    complaints: int = 0
    per_category: Counter = field(default_factory=Counter)
    complaints_resolved: int = 0
    ack_median_min: float | None = None
    resolve_median_h: float | None = None
    overdue: list[ComplaintRow] = field(default_factory=list)


def _count(figures: VoiceFigures, row: PromptRow, scale: int, low_score: int, quick_vote_s: float) -> None:
    figures.prompts += 1
    if row.score is None or row.voted_at is None:
        return
    figures.answered += 1
    figures.scores[row.score] += 1
    figures.satisfied += row.score >= scale - 1
    figures.low += row.score <= low_score
    figures.quick += (row.voted_at - row.opened_at).total_seconds() < quick_vote_s


def compute_voice(prompts: list[PromptRow], complaints: list[ComplaintRow], refused_votes: int, *, scale: int, low_score: int,
                  quick_vote_s: float, skip_flag_pct: float) -> RatingFigures:
    figures = RatingFigures(refused_votes=refused_votes)
    for row in prompts:
        for target in (
            figures.per_teller.setdefault(row.teller or "—", VoiceFigures()), figures.per_counter.setdefault(row.counter, VoiceFigures()),
            figures.per_service.setdefault(row.service, VoiceFigures()), figures.per_hour.setdefault(row.opened_at.hour, VoiceFigures()),
            figures.all,
        ):
            _count(target, row, scale, low_score, quick_vote_s)
    for teller, f in figures.per_teller.items():
        if f.prompts >= MIN_PROMPTS_TO_FLAG and (f.skip_pct or 0) > skip_flag_pct:
            figures.flags.append((teller, "skip"))
        if f.answered >= MIN_PROMPTS_TO_FLAG and f.quick >= QUICK_SHARE_TO_FLAG * f.answered:
            figures.flags.append((teller, "quick"))
    figures.complaints = len(complaints)
    figures.per_category = Counter(c.category for c in complaints)
    figures.complaints_resolved = sum(c.state == "resolved" for c in complaints)
    acks = [(c.acked_at - c.opened_at).total_seconds() / 60 for c in complaints if c.acked_at]
    resolves = [(c.resolved_at - c.opened_at).total_seconds() / 3600 for c in complaints if c.resolved_at]
    figures.ack_median_min = round(statistics.median(acks), 1) if acks else None
    figures.resolve_median_h = round(statistics.median(resolves), 1) if resolves else None
    figures.overdue = [c for c in complaints if c.overdue]
    return figures
