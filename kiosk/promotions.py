"""Which promotion a kiosk screen shows: pure, so every rule is tested without Kivy.

The home screen is seen by everyone, so it shows promotions meant for everyone (no tiers).
The identified screen knows the customer's tier: a promotion meant for that tier comes
first, then those for everyone. Several take turns (`turn` counts up on a timer).
"""

from __future__ import annotations

from lobby.contract import Promotion, Tier


def for_screen(promotions: list[Promotion], tier: Tier | None, turn: int) -> Promotion | None:
    if tier is None:
        candidates = [p for p in promotions if not p.tiers]
    else:
        candidates = [p for p in promotions if tier in p.tiers] or [p for p in promotions if not p.tiers]
    return candidates[turn % len(candidates)] if candidates else None
