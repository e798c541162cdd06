"""ISO/IEC 7813 magnetic stripe tracks 1 and 2, parsed as pure code.

    track 1:  %B<PAN>^<NAME>^<YYMM><service code><discretionary>?[LRC]
    track 2:  ;<PAN>=<YYMM><service code><discretionary>?[LRC]
    failed:   %E?  ;E?  +E?          (the reader could not decode that track)

Checked: sentinels, separators, PAN length (12-19) and Luhn digit, expiry month, and the
LRC when the reader passes it on (track 1: XOR of 6-bit characters, track 2: of 4-bit
characters, start to end sentinel). When both tracks are read their PANs must agree.

Privacy: a `SwipeError` never carries track characters, the PAN or the name — not in its
message, its args or a chained exception. The PAN leaves this module only inside `Card`,
which `swipe.identify` turns into a token at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# re.ASCII: \d is 0-9 only; a full-width or other script's digit is not a card digit.
_TRACK1 = re.compile(r"%B(\d+)\^([^^?]{0,26})\^(\d{4})(\d{3})?[^?]*\?", re.ASCII)
_TRACK2 = re.compile(r";(\d+)=(\d{4})(\d{3})?[^?]*\?", re.ASCII)
_FAILED = re.compile(r"[%;+]E\?")

CUSTOMER_MESSAGES = {
    "unreadable": ("没有读到卡片信息，请重新刷卡", "We could not read your card. Please swipe again."),
    "not_a_bank_card": ("无法识别这张卡，请换一张银行卡或直接选择业务", "This card cannot be used here. Try another bank card or choose a service."),
}


class SwipeError(Exception):
    """A swipe that cannot be used. `reason` is a stable code; nothing in it identifies a card."""

    def __init__(self, reason: str, technician: str):
        self.reason = reason
        self.technician = technician
        kind = "not_a_bank_card" if reason in ("bad_pan", "bad_luhn", "pan_mismatch", "bad_expiry") else "unreadable"
        self.message_zh, self.message_en = CUSTOMER_MESSAGES[kind]
        super().__init__(f"{reason}: {technician}")


@dataclass(frozen=True)
class Card:
    pan: str = field(repr=False)  # never in a repr, a log line or a traceback's locals display

    def __str__(self) -> str:
        return "Card(****)"


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _lrc_ok(segment: str, lrc: str, track: int) -> bool:
    base, bits = (0x20, 0x3F) if track == 1 else (0x30, 0x0F)
    value = 0
    for char in segment:
        code = ord(char) - base
        if not 0 <= code <= bits:
            return False
        value ^= code
    return ord(lrc) - base == value


def _check_pan(pan: str) -> None:
    if not 12 <= len(pan) <= 19:
        raise SwipeError("bad_pan", f"the card number has {len(pan)} digits; bank cards have 12 to 19")
    if not luhn_ok(pan):
        raise SwipeError("bad_luhn", "the card number's check digit is wrong (a misread or not a bank card)")


def _check_expiry(yymm: str) -> None:
    if not 1 <= int(yymm[2:]) <= 12:
        raise SwipeError("bad_expiry", "the expiry date on the stripe has no valid month (a misread)")


def _segment_end(line: str, match: re.Match, track: int) -> None:
    """If an LRC character follows the end sentinel, it must be right."""
    end = match.end()
    if end < len(line) and line[end] not in "%;+\r\n":
        if not _lrc_ok(match.group(0), line[end], track):
            raise SwipeError("bad_lrc", f"track {track}'s check character (LRC) does not match: a misread, swipe again")


def parse_swipe(line: str) -> Card:
    """One swipe as a wedge or serial reader delivers it: track 1 and/or 2 (and 3), one line."""
    line = line.strip("\r\n")
    if not line:
        raise SwipeError("empty", "an empty line came from the reader")
    track1 = _TRACK1.search(line)
    track2 = _TRACK2.search(line)
    if not track1 and not track2:
        if _FAILED.search(line):
            raise SwipeError("read_failed", "the reader reported a failed read (E): swipe again, steadily")
        if "%" not in line and ";" not in line:
            raise SwipeError("no_sentinel", "no start sentinel (% or ;): is the reader set to a US keyboard layout?")
        raise SwipeError("malformed", "the swipe does not follow ISO/IEC 7813 (separators or end sentinel missing)")
    pans = []
    if track1:
        _segment_end(line, track1, 1)
        _check_expiry(track1.group(3))
        pans.append(track1.group(1))
    if track2:
        _segment_end(line, track2, 2)
        _check_expiry(track2.group(2))
        pans.append(track2.group(1))
    if len(pans) == 2 and pans[0] != pans[1]:
        raise SwipeError("pan_mismatch", "tracks 1 and 2 carry different card numbers: swipe again")
    _check_pan(pans[-1])
    return Card(pans[-1])
