"""Whether a vote counts, and what it means: pure rules for the rating screen's prompt.

A prompt opens when a teller completes a ticket and is open until the customer votes, the
counter calls its next ticket, or `[ratings] prompt_s` pass. One vote per prompt, from the
screen at that prompt's counter, on the configured scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from edge_agent.queue.engine import QueueError
from lobby.contract import ErrorCode

# The words on the buttons, best first, for each scale.
SCALES: dict[int, dict[int, tuple[str, str]]] = {
    3: {3: ("非常满意", "Very satisfied"), 2: ("满意", "Satisfied"), 1: ("不满意", "Dissatisfied")},
    5: {5: ("非常满意", "Very satisfied"), 4: ("满意", "Satisfied"), 3: ("一般", "Fair"), 2: ("不满意", "Dissatisfied"),
        1: ("非常不满意", "Very dissatisfied")},
}

CLOSED_WHY = {
    "answered": "the customer has already rated this service",
    "next_call": "the counter has called its next ticket",
    "timeout": "the prompt timed out",
}


@dataclass(frozen=True)
class Prompt:
    prompt_id: str
    counter: str
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    close_reason: str | None


def check_vote(prompt: Prompt, counter: str, score: int, reasons: list[str], scale: int, known_reasons: set[str],
               now: datetime) -> None:
    """Raises a QueueError unless this vote counts."""
    if prompt.counter != counter:
        raise QueueError(ErrorCode.WRONG_COUNTER, f"This rating belongs to counter {prompt.counter}, not counter {counter}.")
    if prompt.closed_at is not None:
        raise QueueError(ErrorCode.PROMPT_CLOSED, f"The rating is closed: {CLOSED_WHY.get(prompt.close_reason or '', 'it ended')}.")
    if now >= prompt.closes_at:
        raise QueueError(ErrorCode.PROMPT_CLOSED, f"The rating is closed: {CLOSED_WHY['timeout']}.")
    if score not in SCALES[scale]:
        raise QueueError(ErrorCode.SCORE_OUT_OF_RANGE, f"The score must be 1 to {scale} on this branch's {scale}-point scale, not {score}.")
    unknown = [code for code in reasons if code not in known_reasons]
    if unknown:
        raise QueueError(ErrorCode.UNKNOWN_REASON, f"Unknown reason(s) {', '.join(unknown)}; the reasons are: {', '.join(sorted(known_reasons))}.")


def is_low(score: int, low_score: int) -> bool:
    return score <= low_score
