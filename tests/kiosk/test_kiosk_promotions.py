"""Which promotion each kiosk screen shows (kiosk/promotions.py)."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from kiosk.promotions import for_screen
from lobby.contract import Promotion, Tier


def promotion(pid: str, tiers: list[Tier]) -> Promotion:
    return Promotion(promotion_id=pid, title=pid, text="", image=None, tiers=tiers, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 31))


EVERYONE, VIP_ONLY, POTENTIAL = promotion("all", []), promotion("vip", [Tier.VIP]), promotion("pot", [Tier.POTENTIAL, Tier.PROSPECT])


def test_the_home_screen_shows_only_what_is_meant_for_everyone():
    assert for_screen([VIP_ONLY, EVERYONE], None, 0) is EVERYONE
    assert for_screen([VIP_ONLY], None, 0) is None and for_screen([], None, 3) is None


def test_an_identified_customer_sees_their_tiers_first_then_everyones():
    assert for_screen([EVERYONE, VIP_ONLY, POTENTIAL], Tier.VIP, 0) is VIP_ONLY
    assert for_screen([EVERYONE, VIP_ONLY, POTENTIAL], Tier.PROSPECT, 0) is POTENTIAL
    assert for_screen([EVERYONE, VIP_ONLY], Tier.MASS, 0) is EVERYONE


@given(st.lists(st.sampled_from([EVERYONE, VIP_ONLY, POTENTIAL]), max_size=6), st.sampled_from([None, *Tier]), st.integers(0, 50))
def test_a_screen_never_shows_a_promotion_meant_for_another_tier(promotions, tier, turn):
    shown = for_screen(promotions, tier, turn)
    if shown is not None:
        assert shown in promotions and (not shown.tiers or (tier is not None and tier in shown.tiers))
    else:
        assert not [p for p in promotions if not p.tiers or (tier is not None and tier in p.tiers)]
