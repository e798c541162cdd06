"""Customer tiers from the branch service manuals; the names are configuration keys."""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    VIP = "vip"
    POTENTIAL = "potential"
    MASS = "mass"
    PROSPECT = "prospect"
