"""Card swipes: the ISO/IEC 7813 parser under fuzzing and a malformed corpus, the readers, and no leaks."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.devices.card_readers import identify
from kiosk.devices.keystrokes import KeystrokeDecoder
from kiosk.devices.tracks import SwipeError, luhn_ok, parse_swipe
from lobby.card_key import card_token
from lobby.contract import CardIdentity
from tests.kiosk.swipes import KEY, TEST_PANS, corpus, keystrokes, track2

FUZZ = settings(max_examples=25_000, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])




@pytest.mark.parametrize("expected, line", corpus())
def test_corpus_of_real_world_swipes(expected, line):
    if expected == "ok":
        assert luhn_ok(parse_swipe(line).pan)
    else:
        with pytest.raises(SwipeError) as caught:
            parse_swipe(line)
        assert caught.value.reason == expected
        assert caught.value.message_zh and caught.value.message_en




def lrc(segment: str, base: int) -> str:
    value = 0
    for char in segment:
        value ^= ord(char) - base
    return chr(base + value)


def test_lrc_is_checked_when_present():
    body = track2("4111111111111111")
    assert parse_swipe(body + lrc(body, 0x30)).pan == "4111111111111111"
    t1 = "%B4111111111111111^DOE/JANE^2912101?"
    assert parse_swipe(t1 + lrc(t1, 0x20)).pan == "4111111111111111"
    with pytest.raises(SwipeError, match="bad_lrc"):
        parse_swipe(body + chr(ord(lrc(body, 0x30)) ^ 1))


def no_card_data_in(error: SwipeError, pan: str) -> None:
    text = " ".join([str(error), repr(error), error.technician, error.message_zh, error.message_en, *map(str, error.args)])
    assert (not pan or pan not in text) and not re.search(r"\d{9,}", text)
    assert error.__cause__ is None


@FUZZ
@given(st.text(max_size=120))
def test_any_text_is_parsed_or_refused_cleanly(line):
    try:
        card = parse_swipe(line)
    except SwipeError as error:
        no_card_data_in(error, "")
    else:
        assert 12 <= len(card.pan) <= 19 and luhn_ok(card.pan)


pan_strategy = st.sampled_from(TEST_PANS)


@FUZZ
@given(pan_strategy, st.integers(0, 60), st.integers(0, 60))
def test_truncated_swipes(pan, start, stop):
    line = f"%B{pan}^WANG/XIANSHENG^2812101000?" + track2(pan, "2812")
    piece = line[start:stop]
    try:
        assert parse_swipe(piece).pan == pan
    except SwipeError as error:
        no_card_data_in(error, pan)


@FUZZ
@given(pan_strategy, st.lists(st.tuples(st.integers(0, 60), st.characters()), max_size=4), st.booleans())
def test_mutated_swipes(pan, mutations, reverse):
    chars = list(track2(pan))
    for position, char in mutations:
        chars[position % len(chars)] = char
    line = "".join(reversed(chars) if reverse else chars)
    try:
        card = parse_swipe(line)
    except SwipeError as error:
        no_card_data_in(error, pan)
    else:
        assert luhn_ok(card.pan)


LAYOUT_SWAPS = {";": "ö", "=": "´", "?": "ß", "%": "%", "^": "&"}  # a German wedge


@FUZZ
@given(pan_strategy, st.integers(12, 21), st.booleans())
def test_long_pans_and_wrong_layouts(pan, length, german):
    digits = (pan * 2)[:length]
    line = f"%B{digits}^X/Y^2912101?" + track2(digits)
    if german:
        line = "".join(LAYOUT_SWAPS.get(c, c) for c in line)
    try:
        card = parse_swipe(line)
    except SwipeError as error:
        no_card_data_in(error, digits)
    else:
        assert not german and 12 <= len(card.pan) <= 19


def test_identify_gives_token_and_mask_only():
    identity = identify(track2("6222021234567890128"), KEY)
    assert identity == CardIdentity(token=card_token(KEY, "6222021234567890128"), masked_pan="622202*********0128")
    assert isinstance(identify(";E?", KEY), SwipeError)


def _with_luhn(body: str) -> str:
    for check in "0123456789":
        if luhn_ok(body + check):
            return body + check
    raise AssertionError("some check digit always fits")


@FUZZ
@given(st.integers(11, 18).flatmap(lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)))
def test_every_valid_card_length_gives_an_identity(body):
    """12 to 19 digits are bank cards: each one becomes a token and a mask the contract takes
    (12 digits once gave a mask the model refused, and the reader thread died)."""
    pan = _with_luhn(body)
    identity = identify(track2(pan), KEY)
    assert isinstance(identity, CardIdentity)
    assert identity.masked_pan[:6] == pan[:6] and identity.masked_pan[-4:] == pan[-4:] and "*" in identity.masked_pan


def test_full_width_and_other_digits_are_refused_gently():
    for digits in ("６２２２０２１２３４５６７８９０１２８", "٦٢٢٢٠٢١٢٣٤٥٦٧٨٩٠١٢٨", "६२२२०२१२३४५६७८९०१२८"):
        refused = identify(track2(digits), KEY)
        assert isinstance(refused, SwipeError) and refused.message_en


@FUZZ
@given(st.text(max_size=120), st.sampled_from(["", "%B", ";", "%B6222021234567890128^A/B^", ";6222021234567890128="]))
def test_identify_ends_every_line_in_an_identity_or_a_sentence(tail, head):
    """Whatever a reader hands over, the kiosk gets a result or a gentle sentence, never an exception."""
    result = identify(head + tail, KEY)
    assert isinstance(result, CardIdentity | SwipeError)
    if isinstance(result, SwipeError):
        assert result.message_zh and result.message_en




def test_wedge_keystrokes_become_the_swipe():
    line = "%B6222021234567890128^WANG/XIANSHENG^2812101?" + track2("6222021234567890128", "2812")
    decoder = KeystrokeDecoder(300)
    results = [r for code, value, at in keystrokes(line) if (r := decoder.feed(code, value, at))]
    assert results == [line]


def test_wedge_partial_swipe_times_out_and_is_never_mixed():
    decoder = KeystrokeDecoder(300)
    partial = keystrokes(";622202123")[:-2]  # no Enter: the swipe broke off
    full = keystrokes(track2("4111111111111111"), start=5.0)
    results = [r for code, value, at in partial + full if (r := decoder.feed(code, value, at))]
    assert results == [track2("4111111111111111")]


