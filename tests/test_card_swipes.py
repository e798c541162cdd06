"""Card swipes: the ISO/IEC 7813 parser under fuzzing and a malformed corpus, the readers, and no leaks."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.devices.card_readers import SerialReader, identify
from kiosk.devices.keystrokes import KEY_ENTER, KEY_LEFTSHIFT, KeystrokeDecoder
from kiosk.devices.tracks import SwipeError, luhn_ok, parse_swipe
from lobby.card_key import card_token
from lobby.contract import CardIdentity
from lobby.device_settings import CardReaderSettings

CORPUS = Path(__file__).parent / "corpus" / "swipes.txt"
KEY = bytes(range(32))
TEST_PANS = ["6222021234567890128", "4111111111111111", "5500005555555559"]
FUZZ = settings(max_examples=25_000, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def corpus() -> list[tuple[str, str]]:
    rows = []
    for raw in CORPUS.read_text(encoding="utf-8").splitlines():
        if raw.startswith("#") or not raw:
            continue
        expected, _, line = raw.partition("\t")
        rows.append((expected, line))
    return rows


@pytest.mark.parametrize("expected, line", corpus())
def test_corpus_of_real_world_swipes(expected, line):
    if expected == "ok":
        assert luhn_ok(parse_swipe(line).pan)
    else:
        with pytest.raises(SwipeError) as caught:
            parse_swipe(line)
        assert caught.value.reason == expected
        assert caught.value.message_zh and caught.value.message_en


def track2(pan: str, yymm: str = "2912", extra: str = "1010000000000000") -> str:
    return f";{pan}={yymm}{extra}?"


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


def test_serial_reader_over_a_real_pty():
    master, slave = pty.openpty()
    os.system(f"stty -F {os.ttyname(slave)} raw -echo")
    reader = SerialReader(CardReaderSettings(kind="serial", device=os.ttyname(slave), swipe_timeout_ms=200), KEY)
    got = []

    def collect():
        for swipe in reader.swipes():
            got.append(swipe)
            if len(got) == 2:
                return

    thread = threading.Thread(target=collect, daemon=True)
    thread.start()
    os.write(master, b";62220212")  # a partial swipe, then silence
    time.sleep(0.5)
    os.write(master, track2("4111111111111111").encode() + b"\r\n;E?\r\n")
    thread.join(5)
    reader.close()
    os.close(master)
    assert isinstance(got[0], CardIdentity) and got[0].masked_pan == "411111******1111"
    assert isinstance(got[1], SwipeError) and got[1].reason == "read_failed"


def test_card_test_command_leaks_no_card_number(branch_toml, tmp_path):
    swipes = "\n".join(
        [f"%B{pan}^WANG/XIANSHENG^2812101?" + track2(pan, "2812") for pan in TEST_PANS] + [";E?", track2("6222021234567890127")]
    )
    env = {**os.environ, "LOBBY_ARTIFACTS": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "--config", str(branch_toml), "card-test", "--stdin"],
        input=swipes, capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["ok"] for line in lines] == [True, True, True, False, False]
    assert lines[0]["masked_pan"] == "622202*********0128" and len(lines[0]["token"]) == 64
    written = result.stdout + result.stderr + "".join(
        p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".toml"
    )
    for pan in TEST_PANS + ["6222021234567890127"]:
        assert pan not in written
        assert not re.search(pan[:9], written.replace(pan[:6] + "*", "")), "9+ consecutive card digits leaked"
