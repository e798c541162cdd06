"""Keystrokes from a USB keyboard-wedge device (card reader, barcode scanner) back into lines.

Pure: the clock is passed in with each event. A US layout, as these devices type.
"""

from __future__ import annotations

# evdev key codes (linux/input-event-codes.h) -> (plain, shifted) on a US layout.
_US = {
    2: ("1", "!"), 3: ("2", "@"), 4: ("3", "#"), 5: ("4", "$"), 6: ("5", "%"), 7: ("6", "^"), 8: ("7", "&"),
    9: ("8", "*"), 10: ("9", "("), 11: ("0", ")"), 12: ("-", "_"), 13: ("=", "+"), 39: (";", ":"), 40: ("'", '"'),
    51: (",", "<"), 52: (".", ">"), 53: ("/", "?"), 57: (" ", " "), 26: ("[", "{"), 27: ("]", "}"), 43: ("\\", "|"),
    41: ("`", "~"),
}
_LETTERS = "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM"
for _row, _start in zip(_LETTERS, (16, 30, 44), strict=False):
    for _offset, _letter in enumerate(_row):
        _US[_start + _offset] = (_letter.lower(), _letter)
KEY_ENTER, KEY_KPENTER, KEY_LEFTSHIFT, KEY_RIGHTSHIFT = 28, 96, 42, 54


class KeystrokeDecoder:
    """Key events -> swipe lines. Pure: the clock is passed in with each event."""

    def __init__(self, timeout_ms: int = 300):
        self.timeout_s = timeout_ms / 1000
        self._chars: list[str] = []
        self._shift = False
        self._last = 0.0

    def feed(self, code: int, value: int, at: float) -> str | None:
        """value: 1 down, 0 up, 2 autorepeat. Returns a finished line on Enter."""
        if code in (KEY_LEFTSHIFT, KEY_RIGHTSHIFT):
            self._shift = value != 0
            return None
        if value != 1:
            return None
        if self._chars and at - self._last > self.timeout_s:
            self._chars.clear()  # the rest of a partial swipe, or someone typing: never mix them
        self._last = at
        if code in (KEY_ENTER, KEY_KPENTER):
            line, self._chars = "".join(self._chars), []
            return line or None
        pair = _US.get(code)
        if pair is not None:
            self._chars.append(pair[1] if self._shift else pair[0])
        return None
