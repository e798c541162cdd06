"""Card swipes for the kiosk's tests: the corpus of real-world swipes, test card numbers, a reader's keystrokes."""

from __future__ import annotations

import threading

from kiosk.devices.keystrokes import KEY_ENTER, KEY_LEFTSHIFT
from tests.conftest import REPO

CORPUS = REPO / "tests" / "corpus" / "swipes.txt"


KEY = bytes(range(32))


TEST_PANS = ["6222021234567890128", "4111111111111111", "5500005555555559"]


def corpus() -> list[tuple[str, str]]:
    rows = []
    for raw in CORPUS.read_text(encoding="utf-8").splitlines():
        if raw.startswith("#") or not raw:
            continue
        expected, _, line = raw.partition("\t")
        rows.append((expected, line))
    return rows


def track2(pan: str, yymm: str = "2912", extra: str = "1010000000000000") -> str:
    return f";{pan}={yymm}{extra}?"


def keystrokes(text: str, start: float = 0.0, step: float = 0.005) -> list[tuple[int, int, float]]:
    """US-layout key events (shift down/up around shifted characters) typing `text` + Enter."""
    from kiosk.devices.keystrokes import _US

    reverse: dict[str, tuple[int, bool]] = {}
    for code, (plain, shifted) in _US.items():
        reverse.setdefault(plain, (code, False))
        reverse.setdefault(shifted, (code, True))
    events, t = [], start
    for char in text:
        code, needs_shift = reverse[char]
        if needs_shift:
            events.append((KEY_LEFTSHIFT, 1, t))
        events += [(code, 1, t), (code, 0, t)]
        if needs_shift:
            events.append((KEY_LEFTSHIFT, 0, t))
        t += step
    return events + [(KEY_ENTER, 1, t), (KEY_ENTER, 0, t)]


class Swipes:
    def __init__(self):
        self.seen: list = []
        self.arrived = threading.Condition()

    def __call__(self, swipe):
        with self.arrived:
            self.seen.append(swipe)
            self.arrived.notify_all()

    def wait(self, count: int) -> list:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.seen) >= count, 10), f"only {len(self.seen)} swipes arrived"
            return self.seen
